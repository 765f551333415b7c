"""The events an order emits, as typed Faust Records: the wire format of `order.events`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import faust


class OrderLine(faust.Record, coerce=True, serializer="json"):
    productId: int
    productName: str
    quantity: int
    price: Decimal


class OrderEvent(faust.Record, abstract=True, coerce=True, validation=True, serializer="json"):
    """What every event carries; `version` is the order's version after the change."""

    eventId: str
    eventType: str
    orderId: str
    version: int
    occurredAt: datetime


class OrderCreated(OrderEvent, namespace="ecommerce_stream.OrderCreated"):
    userId: int
    userName: str
    status: str
    totalAmount: Decimal
    shippingAddress: str
    items: list[OrderLine]
    createdAt: datetime


class OrderStatusChanged(OrderEvent, namespace="ecommerce_stream.OrderStatusChanged"):
    fromStatus: str
    toStatus: str


class OrderDeleted(OrderEvent, namespace="ecommerce_stream.OrderDeleted"):
    deletedAt: datetime
    deletedBy: str


class OrderRestored(OrderEvent, namespace="ecommerce_stream.OrderRestored"):
    restoredBy: str


EVENT_TYPES: dict[str, type[OrderEvent]] = {
    cls.__name__: cls for cls in (OrderCreated, OrderStatusChanged, OrderDeleted, OrderRestored)
}

EventT = TypeVar("EventT", bound=OrderEvent)


def new_event(
    event_type: type[EventT],
    *,
    order_id: str,
    version: int,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> EventT:
    """Stamp a fresh event id, its type name and the time of the change."""
    return event_type(
        eventId=str(uuid.uuid4()),
        eventType=event_type.__name__,
        orderId=order_id,
        version=version,
        occurredAt=occurred_at or datetime.now(UTC),
        **fields,
    )
