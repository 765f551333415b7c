"""From the bytes of an `order.events` message to a typed, validated, current event."""

from __future__ import annotations

import json

from ecommerce_stream.events.records import EVENT_TYPES, OrderEvent
from ecommerce_stream.events.upcasting import UnknownSchema, Upcaster


class InvalidEvent(ValueError):
    """A message that cannot be decoded or validated; it goes to the dead-letter topic."""


def decode_event(raw: bytes | None, upcaster: Upcaster) -> OrderEvent:
    if not raw:
        raise InvalidEvent("empty message")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidEvent(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidEvent("not a JSON object")
    event_type = document.get("eventType")
    event_class = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if event_class is None:
        raise InvalidEvent(f"unknown eventType {event_type!r}")
    try:
        current, written_in = upcaster.upcast(document)
    except UnknownSchema as error:
        raise InvalidEvent(f"{event_type}: {error}") from None
    current.pop("__faust", None)  # the Record class is chosen by eventType
    try:
        event = event_class(**current)
    except Exception as error:
        raise InvalidEvent(f"invalid {event_type}: {error}") from None
    problems = event.validate()
    if problems:
        raise InvalidEvent(f"invalid {event_type}: {problems}")
    if not event.orderId or event.version < 1:
        raise InvalidEvent(f"invalid {event_type}: needs an orderId and a version >= 1")
    upcaster.accepted(event.orderId, event.version, current, written_in)
    return event
