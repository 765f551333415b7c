"""The analytics row of each event type, from the event alone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ecommerce_stream.analytics.ledger import state_row
from ecommerce_stream.analytics.mapping import ROW_EVENT_TYPE, row_from_event
from ecommerce_stream.events.records import (
    EVENT_TYPES,
    OrderCreated,
    OrderDeleted,
    OrderEvent,
    OrderLine,
    OrderRestored,
    OrderStatusChanged,
)
from tests.events_support import NOW, order_event

ORDER_ID = "4b1e0f3c-0000-4000-8000-000000000001"
LINES = [
    OrderLine(101, "Laptop", 1, Decimal("25000.05")),
    OrderLine(102, "Mouse", 2, Decimal("12512.52")),
    OrderLine(101, "Laptop", 1, Decimal("25000.05")),
]


def test_every_event_type_has_a_row_type() -> None:
    assert set(ROW_EVENT_TYPE) == set(EVENT_TYPES)


def test_a_created_row_is_flat_and_complete() -> None:
    event = order_event(OrderCreated, ORDER_ID, 1, items=LINES, totalAmount=Decimal("74512.62"))
    row = row_from_event(event)
    assert (row.order_id, row.version, row.event_type) == (ORDER_ID, 1, "CREATED")
    assert (row.item_count, row.product_ids) == (4, [101, 102])
    assert (row.is_deleted, row.deleted_at) == (False, None)
    assert row.total_amount == Decimal("74512.62")
    assert row.user_name == "Kim Minjun"
    assert row.to_clickhouse()["created_at"] == "2026-11-27 12:30:00.000000"
    assert row.to_clickhouse()["payment_method"] is None
    assert state_row(row)["sign"] == 1


@pytest.mark.parametrize(
    ("event_type", "row_type", "deleted"),
    [
        (OrderStatusChanged, "UPDATED", False),
        (OrderDeleted, "DELETED", True),
        (OrderRestored, "RESTORED", False),
    ],
)
def test_a_change_is_described_by_the_state_it_carries(
    event_type: type[OrderEvent], row_type: str, deleted: bool
) -> None:
    later = NOW + timedelta(minutes=5)
    event = order_event(
        event_type, ORDER_ID, 4, occurredAt=later, createdAt=NOW, status="SHIPPED", items=LINES
    )
    row = row_from_event(event)
    assert (row.event_type, row.version, row.status) == (row_type, 4, "SHIPPED")
    assert (row.created_at, row.updated_at) == (NOW, later)
    assert row.is_deleted is deleted
    assert row.deleted_at == (later if deleted else None)
    assert state_row(row)["sign"] == (0 if deleted else 1)
