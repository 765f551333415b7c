"""Pure steps of the transformer: decode an `order.events` message, build the analytics row."""

from __future__ import annotations

import json
from datetime import UTC

from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.orders.models import EVENT_TYPES, OrderCreated, OrderEvent
from ecommerce_stream.orders.repository import OrderRow

ROW_EVENT_TYPE = {
    "OrderCreated": "CREATED",
    "OrderStatusChanged": "UPDATED",
    "OrderDeleted": "DELETED",
    "OrderRestored": "RESTORED",
}


class InvalidEvent(ValueError):
    """A message that cannot be decoded or validated; it goes to the dead-letter topic."""


def decode_event(raw: bytes | None) -> OrderEvent:
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
        event = event_class.loads(raw)
    except Exception as error:
        raise InvalidEvent(f"invalid {event_type}: {error}") from None
    if not isinstance(event, event_class):
        raise InvalidEvent(f"payload does not decode to {event_type}")
    problems = event.validate()
    if problems:
        raise InvalidEvent(f"invalid {event_type}: {problems}")
    if not event.orderId or event.version < 1:
        raise InvalidEvent(f"invalid {event_type}: needs an orderId and a version >= 1")
    return event


def row_from_created(event: OrderCreated) -> OrderAnalyticsRow:
    """An OrderCreated carries the whole order, so its row needs no database read."""
    return OrderAnalyticsRow(
        order_id=event.orderId,
        user_id=event.userId,
        user_name=event.userName,
        status=event.status,
        total_amount=event.totalAmount,
        item_count=sum(line.quantity for line in event.items),
        product_ids=sorted({line.productId for line in event.items}),
        created_at=event.createdAt.astimezone(UTC),
        updated_at=event.occurredAt.astimezone(UTC),
        event_type="CREATED",
        is_deleted=False,
        deleted_at=None,
        version=event.version,
    )


def row_from_order(order: OrderRow, user_name: str, event: OrderEvent) -> OrderAnalyticsRow:
    """The live order as MySQL has it now; its own version, which may be newer than the event's."""
    return OrderAnalyticsRow(
        order_id=order.id,
        user_id=order.user_id,
        user_name=user_name,
        status=order.status.value,
        total_amount=order.total_amount,
        item_count=sum(line.quantity for line in order.lines),
        product_ids=sorted({line.product_id for line in order.lines}),
        created_at=order.created_at.replace(tzinfo=UTC),
        updated_at=order.updated_at.replace(tzinfo=UTC),
        event_type=ROW_EVENT_TYPE[event.eventType],
        is_deleted=order.deleted_at is not None,
        deleted_at=order.deleted_at.replace(tzinfo=UTC) if order.deleted_at else None,
        version=order.version,
    )
