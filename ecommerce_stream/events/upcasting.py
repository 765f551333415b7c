"""Older schema versions of `order.events` made current: the one place that knows them.

Version 1 (until the events became self-contained): OrderCreated carried the whole new order,
the other three types only what changed. A version-1 change is completed with the order's state
after its previous version-1 event, kept for that purpose only while version-1 events of the
order are being read; once a current event of the order arrives, none of version 1 can follow
(one order, one partition, in order) and the kept state is dropped."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from ecommerce_stream.events.records import SCHEMA_VERSION

Document = dict[str, Any]

STATE_FIELDS = (
    "userId",
    "userName",
    "status",
    "totalAmount",
    "shippingAddress",
    "items",
    "createdAt",
    "updatedAt",
    "deletedAt",
    "deletedBy",
)
# Faust's own type tag: the Record class decides the type here, from eventType.
_FAUST_METADATA = "__faust"


class UnknownSchema(ValueError):
    """A message this consumer cannot make current: it goes to the dead-letter topic."""


def schema_version(document: Document) -> int:
    """The document's schema version; version 1 had no field for it."""
    version = document.get("schemaVersion", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise UnknownSchema(f"schemaVersion {version!r} is not a positive integer")
    if version > SCHEMA_VERSION:
        raise UnknownSchema(
            f"schemaVersion {version} is newer than this consumer knows ({SCHEMA_VERSION})"
        )
    return version


class Upcaster:
    """Turns a decoded document of any known schema version into a current one.

    `legacy_states`: order id → the JSON of the order's current-version document after its
    newest version-1 event (the transformer gives a changelogged Faust table, so a restarted
    worker still completes a version-1 change)."""

    def __init__(self, legacy_states: MutableMapping[str, str]) -> None:
        self._legacy_states = legacy_states

    def upcast(self, document: Document) -> tuple[Document, int]:
        """The current-version document, and the version it was written in."""
        version = schema_version(document)
        if version == SCHEMA_VERSION:
            return document, version
        order_id = document.get("orderId")
        if not isinstance(order_id, str):
            raise UnknownSchema("no orderId")
        return self._from_version_1(document, order_id), version

    def accepted(self, order_id: str, version: int, current: Document, written_in: int) -> None:
        """Called once the upcast document passed validation: a version-1 change becomes the
        state the order's next version-1 change completes; a current one ends the need."""
        if written_in == SCHEMA_VERSION:
            if order_id in self._legacy_states:
                del self._legacy_states[order_id]
            return
        earlier = self._legacy_states.get(order_id)
        if earlier is None or json.loads(earlier)["version"] < version:
            self._legacy_states[order_id] = json.dumps(current)

    def _from_version_1(self, document: Document, order_id: str) -> Document:
        event_type = document.get("eventType")
        change = {key: value for key, value in document.items() if key != _FAUST_METADATA}
        if event_type == "OrderCreated":
            # Version 1 stamped a new order's createdAt and updatedAt with the event's time.
            state = {"updatedAt": document.get("occurredAt"), "deletedAt": None, "deletedBy": None}
            return {**change, **state, "schemaVersion": SCHEMA_VERSION}
        earlier = self._legacy_states.get(order_id)
        if earlier is None:
            raise UnknownSchema(
                f"a version-1 {event_type} carries only its change, and the order's earlier"
                " state is unknown here (its earlier events were read before the upgrade):"
                " `ecommerce-stream rebuild-analytics` restores the order from MySQL"
            )
        state = {key: value for key, value in json.loads(earlier).items() if key in STATE_FIELDS}
        state["updatedAt"] = document.get("occurredAt")
        if event_type == "OrderStatusChanged":
            state["status"] = document.get("toStatus")
        elif event_type == "OrderDeleted":
            state["deletedAt"] = document.get("deletedAt")
            state["deletedBy"] = document.get("deletedBy")
        elif event_type == "OrderRestored":
            state["deletedAt"] = state["deletedBy"] = None
        else:
            raise UnknownSchema(f"unknown version-1 eventType {event_type!r}")
        return {**change, **state, "schemaVersion": SCHEMA_VERSION}
