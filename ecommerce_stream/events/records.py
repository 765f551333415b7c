"""The events an order emits, as typed Faust Records: the wire format of `order.events`.

Every event is self-contained: beside what changed, it carries the order's full state after
the change, so a consumer never reads the orders database to understand one and a replay of
the topic reproduces everything built from it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import faust

# The shape this code writes. Older shapes are upcast on reading (events/upcasting.py);
# bump it with every change of the Records below, and add the upcaster that goes with it.
SCHEMA_VERSION = 2


class OrderLine(
    faust.Record, coerce=True, serializer="json", namespace="ecommerce_stream.OrderLine"
):
    productId: int
    productName: str
    quantity: int
    price: Decimal


class OrderEvent(faust.Record, abstract=True, coerce=True, validation=True, serializer="json"):
    """What every event carries: its identity, the order's version after the change (the
    per-order `version` decides which of two events is newer), and the order's state then."""

    eventId: str
    eventType: str
    schemaVersion: int
    orderId: str
    version: int
    occurredAt: datetime
    userId: int
    userName: str
    status: str
    totalAmount: Decimal
    shippingAddress: str
    items: list[OrderLine]
    createdAt: datetime
    updatedAt: datetime
    deletedAt: datetime | None
    deletedBy: str | None


class OrderCreated(OrderEvent, namespace="ecommerce_stream.OrderCreated"):
    """The state is the new order."""


class OrderStatusChanged(OrderEvent, namespace="ecommerce_stream.OrderStatusChanged"):
    fromStatus: str
    toStatus: str


class OrderDeleted(OrderEvent, namespace="ecommerce_stream.OrderDeleted"):
    """A soft delete: the state's deletedAt and deletedBy say when and by whom."""


class OrderRestored(OrderEvent, namespace="ecommerce_stream.OrderRestored"):
    restoredBy: str


EVENT_TYPES: dict[str, type[OrderEvent]] = {
    cls.__name__: cls for cls in (OrderCreated, OrderStatusChanged, OrderDeleted, OrderRestored)
}

EventT = TypeVar("EventT", bound=OrderEvent)


def new_event(
    event_type: type[EventT], *, order_id: str, version: int, occurred_at: datetime, **state: Any
) -> EventT:
    """Stamp a fresh event id, its type name and schema version on an order's new state."""
    return event_type(
        eventId=str(uuid.uuid4()),
        eventType=event_type.__name__,
        schemaVersion=SCHEMA_VERSION,
        orderId=order_id,
        version=version,
        occurredAt=occurred_at.astimezone(UTC),
        **state,
    )
