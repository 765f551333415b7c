"""Decoding `order.events` messages and building analytics rows, without any service."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ecommerce_stream.analytics.transform import InvalidEvent, decode_event, row_from_created
from ecommerce_stream.orders.models import OrderCreated, OrderLine, OrderStatusChanged, new_event

NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


def created() -> OrderCreated:
    return new_event(
        OrderCreated,
        order_id="4b1e0f3c-0000-4000-8000-000000000001",
        version=1,
        occurred_at=NOW,
        userId=1,
        userName="Kim Minjun",
        status="PENDING",
        totalAmount=Decimal("50025.10"),
        shippingAddress="Seoul",
        items=[
            OrderLine(101, "Laptop", 1, Decimal("25000.05")),
            OrderLine(102, "Mouse", 2, Decimal("12512.525")),
        ],
        createdAt=NOW,
    )


def test_event_round_trips_through_json() -> None:
    event = created()
    decoded = decode_event(event.dumps())
    assert isinstance(decoded, OrderCreated)
    assert decoded.eventType == "OrderCreated"
    assert decoded.totalAmount == Decimal("50025.10")
    assert decoded.items[1].productName == "Mouse"
    assert decoded.occurredAt == NOW


def test_status_change_decodes_to_its_own_type() -> None:
    event = new_event(
        OrderStatusChanged, order_id="o-1", version=2, fromStatus="PENDING", toStatus="CONFIRMED"
    )
    assert isinstance(decode_event(event.dumps()), OrderStatusChanged)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"\xff\xfe not utf-8",
        b"not json",
        b"[1, 2]",
        b'{"eventType": "OrderExploded"}',
        b'{"eventType": "OrderStatusChanged", "orderId": "o"}',
        b'{"eventType": "OrderStatusChanged", "eventId": "e", "orderId": "o", "version": "x",'
        b' "occurredAt": "2026-01-01T00:00:00Z", "fromStatus": "A", "toStatus": "B"}',
        b'{"eventType": "OrderStatusChanged", "eventId": "e", "orderId": "o", "version": 0,'
        b' "occurredAt": "2026-01-01T00:00:00Z", "fromStatus": "A", "toStatus": "B"}',
    ],
)
def test_poison_messages_raise_invalid_event(raw: bytes | None) -> None:
    with pytest.raises(InvalidEvent):
        decode_event(raw)


def test_created_row_is_flat_and_complete() -> None:
    row = row_from_created(created())
    assert row.event_type == "CREATED"
    assert row.item_count == 3
    assert row.product_ids == [101, 102]
    assert row.is_deleted is False
    assert row.total_amount == Decimal("50025.10")
    assert row.to_clickhouse()["created_at"] == "2026-11-27 12:30:00.000000"
    assert row.to_clickhouse()["payment_method"] is None
