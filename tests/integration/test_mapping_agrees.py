"""One mapping, two spellings: for any history of orders (status changes, deletes, restores),
the ledger state rows the stream writes from the events equal those `rebuild-analytics` writes
from MySQL in SQL. Real MariaDB and an embedded ClickHouse."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ecommerce_stream.analytics.ledger import state_row
from ecommerce_stream.analytics.mapping import row_from_event
from ecommerce_stream.analytics.schema import MySQLSource
from ecommerce_stream.errors import Conflict
from ecommerce_stream.events.decoding import decode_event
from ecommerce_stream.events.ordering import newest_per_order
from ecommerce_stream.events.upcasting import Upcaster
from ecommerce_stream.orders.domain import ALLOWED_TRANSITIONS, OrderStatus
from ecommerce_stream.orders.schemas import CreateOrder
from ecommerce_stream.stores.mysql import MySQL
from tests.integration.conftest import Analytics
from tests.orders_support import order_service

# A step of an order's history: a status change (the n-th allowed target), a delete, a restore.
STEPS = st.one_of(
    st.tuples(st.just("status"), st.integers(0, 2)),
    st.tuples(st.just("delete"), st.just(0)),
    st.tuples(st.just("restore"), st.just(0)),
)
ORDERS = st.lists(
    st.tuples(
        st.integers(1, 8),  # user
        st.lists(st.tuples(st.integers(101, 110), st.integers(1, 3)), min_size=1, max_size=3),
        st.lists(STEPS, max_size=6),
    ),
    min_size=1,
    max_size=3,
)


async def _play(mysql: MySQL, orders: list[Any]) -> None:
    service = order_service(mysql)
    for user_id, lines, steps in orders:
        body = {
            "userId": user_id,
            "shippingAddress": "Daegu",
            "items": [{"productId": product, "quantity": quantity} for product, quantity in lines],
        }
        order, _ = await service.create(CreateOrder.model_validate(body))
        for step, choice in steps:
            try:
                if step == "status":
                    allowed = sorted(ALLOWED_TRANSITIONS[order.status])
                    if allowed and not order.is_deleted:
                        order = await service.change_status(
                            order.id, allowed[choice % len(allowed)]
                        )
                elif step == "delete":
                    await service.soft_delete(order.id, "mapping-test")
                    order = await service.admin_get(order.id)
                else:
                    order = await service.restore(order.id, "mapping-test")
            except Conflict:
                pass  # not deleted: nothing to restore


def _canonical(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ledger row as ClickHouse returns it or as the sink inserts it, in one spelling."""

    def at(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    return {
        **row,
        "version": int(row["version"]),
        "sign": int(row["sign"]),
        "user_id": int(row["user_id"]),
        "total_amount": Decimal(str(row["total_amount"])),
        "item_count": int(row["item_count"]),
        "product_ids": [int(product) for product in row["product_ids"]],
        "is_deleted": int(row["is_deleted"]),
        "created_at": at(row["created_at"]),
        "updated_at": at(row["updated_at"]),
        "deleted_at": at(row["deleted_at"]),
    }


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(orders=ORDERS)
async def test_the_stream_and_the_rebuild_write_the_same_state_rows(
    analytics: Analytics, scratch_mysql: MySQL, orders: list[Any]
) -> None:
    await _play(scratch_mysql, orders)

    # The stream: every event the outbox holds, decoded and mapped as the transformer does.
    payloads = await scratch_mysql.fetch_all("SELECT payload FROM outbox ORDER BY id")
    upcaster = Upcaster({})
    rows = [row_from_event(decode_event(p["payload"].encode(), upcaster)) for p in payloads]
    streamed = {
        order_id: _canonical(state_row(row)) for order_id, row in newest_per_order(rows).items()
    }
    # The rebuild: ClickHouse reading MySQL.
    await analytics.schema.rebuild_from_mysql(MySQLSource.of(scratch_mysql.settings))
    rebuilt = await analytics.ledger.applied_states(streamed.keys())

    assert {order_id: _canonical(row) for order_id, row in rebuilt.items()} == streamed
    event_types = {row["event_type"] for row in streamed.values()}
    assert event_types <= {"CREATED", "UPDATED", "DELETED", "RESTORED"}


async def test_a_restored_order_is_restored_on_both_paths(
    analytics: Analytics, scratch_mysql: MySQL
) -> None:
    """The drift this file exists for: the rebuild once called a restored order UPDATED."""
    await _play(scratch_mysql, [(1, [(101, 1)], [("delete", 0), ("restore", 0)])])
    await analytics.schema.rebuild_from_mysql(MySQLSource.of(scratch_mysql.settings))
    [order] = await scratch_mysql.fetch_all("SELECT id FROM orders")
    rebuilt = await analytics.ledger.applied_states([order["id"]])
    assert rebuilt[order["id"]]["event_type"] == "RESTORED"
    assert int(rebuilt[order["id"]]["version"]) == 3
    assert OrderStatus(rebuilt[order["id"]]["status"]) is OrderStatus.PENDING
