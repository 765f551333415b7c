"""Events for tests: a whole order state with sensible defaults, overridable field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from ecommerce_stream.events.records import (
    OrderDeleted,
    OrderEvent,
    OrderLine,
    OrderRestored,
    OrderStatusChanged,
    new_event,
)

EventT = TypeVar("EventT", bound=OrderEvent)
NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


def order_event(event_type: type[EventT], order_id: str, version: int, **fields: Any) -> EventT:
    """An event of `event_type` for one order version; `fields` (camelCase, as in the Record)
    replace the defaults of the order's state or add the type's own fields."""
    at = fields.pop("occurredAt", NOW)
    state: dict[str, Any] = {
        "userId": 1,
        "userName": "Kim Minjun",
        "status": "PENDING",
        "totalAmount": Decimal("50000.00"),
        "shippingAddress": "Seoul, Teheran-ro 1",
        "items": [OrderLine(102, "Wireless Mouse", 2, Decimal("25000.00"))],
        "createdAt": at,
        "updatedAt": at,
        "deletedAt": None,
        "deletedBy": None,
    }
    if issubclass(event_type, OrderStatusChanged):
        state |= {"fromStatus": "PENDING", "toStatus": fields.get("status", "CONFIRMED")}
        state["status"] = state["toStatus"]
    elif issubclass(event_type, OrderRestored):
        state["restoredBy"] = "admin"
    elif issubclass(event_type, OrderDeleted):
        state |= {"deletedAt": at, "deletedBy": "admin"}
    return new_event(
        event_type, order_id=order_id, version=version, occurred_at=at, **(state | fields)
    )


def order_event_from_api(
    event_type: type[EventT], order: dict[str, Any], user_name: str, **fields: Any
) -> EventT:
    """The event of the version after `order` (an API answer), with its state."""
    items = [
        OrderLine(
            item["productId"], item["productName"], item["quantity"], Decimal(str(item["price"]))
        )
        for item in order["items"]
    ]
    return order_event(
        event_type,
        order["id"],
        order["version"] + 1,
        userId=order["userId"],
        userName=user_name,
        status=order["status"],
        totalAmount=Decimal(str(order["totalAmount"])),
        shippingAddress=order["shippingAddress"],
        items=items,
        createdAt=datetime.fromisoformat(order["createdAt"]),
        **fields,
    )
