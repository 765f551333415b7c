"""A transaction's statements in few round trips (stores/mysql.py `Statements`), on real
MariaDB: an order, its items and its event go with the COMMIT in one; a failing statement in
that batch leaves nothing behind; a read sees the writes held before it; a locking read begins
the transaction and holds its lock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiomysql
import pymysql
import pytest

from ecommerce_stream.orders.domain import Order, OrderLine, OrderStatus
from ecommerce_stream.orders.repository import OrdersRepository
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.stores.mysql import MySQL, Statements


class CountingCursor(aiomysql.DictCursor):
    """The real cursor, counting what it sends: one `execute` is one round trip."""

    round_trips = 0

    async def execute(self, query: str, args: Any = None) -> int:
        self.round_trips += 1
        result: int = await super().execute(query, args)
        return result


@pytest.fixture
async def cursor(scratch_mysql: MySQL) -> AsyncIterator[CountingCursor]:
    async with scratch_mysql.connection() as conn, conn.cursor(CountingCursor) as cur:
        yield cur
        await cur.execute("ROLLBACK")  # whatever a failed test left open


def _order(order_id: str | None = None) -> Order:
    return Order.place(
        order_id=order_id or str(uuid.uuid4()),
        user_id=1,
        user_name="Kim Minjun",
        status=OrderStatus.PENDING,
        shipping_address="Seoul",
        lines=(
            OrderLine(101, "Laptop", 1, Decimal("10.00")),
            OrderLine(102, "Mouse", 2, Decimal("2.50")),
        ),
        now=datetime.now(UTC),
    )


async def _committed_order(cursor: CountingCursor) -> Order:
    """A new order (without its event), committed on `cursor` before the test's own work."""
    order = _order()
    statements = Statements(cursor)
    await OrdersRepository(statements).add(order)
    await statements.commit()
    return order


async def _rows_of(mysql: MySQL, order_id: str) -> tuple[int, int, int]:
    row = await mysql.fetch_one(
        "SELECT (SELECT COUNT(*) FROM orders WHERE id = %s) AS o,"
        " (SELECT COUNT(*) FROM order_items WHERE order_id = %s) AS i,"
        " (SELECT COUNT(*) FROM outbox WHERE aggregate_id = %s) AS e",
        (order_id, order_id, order_id),
    )
    assert row is not None
    return int(row["o"]), int(row["i"]), int(row["e"])


async def test_an_order_its_items_and_event_commit_in_one_round_trip(
    scratch_mysql: MySQL, cursor: CountingCursor
) -> None:
    statements = Statements(cursor)
    order = _order()
    await OrdersRepository(statements).add(order)
    outbox.write_events(statements, order.pull_events())
    assert cursor.round_trips == 0, "writes are held until the commit"

    await statements.commit()

    assert cursor.round_trips == 1
    assert await _rows_of(scratch_mysql, order.id) == (1, 2, 1)


async def test_a_failing_statement_in_the_batch_leaves_nothing_behind(
    scratch_mysql: MySQL, cursor: CountingCursor
) -> None:
    taken = await _committed_order(cursor)
    statements = Statements(cursor)
    fresh = _order()
    repository = OrdersRepository(statements)
    await repository.add(fresh)  # goes through, then the next statement fails
    await repository.add(_order(taken.id))  # the same id again: a duplicate key
    with pytest.raises(pymysql.err.IntegrityError):
        await statements.commit()
    await statements.rollback()

    assert await _rows_of(scratch_mysql, fresh.id) == (0, 0, 0)
    assert await _rows_of(scratch_mysql, taken.id) == (1, 2, 0)


async def test_a_read_sees_the_writes_held_before_it(cursor: CountingCursor) -> None:
    statements = Statements(cursor)
    order = _order()
    repository = OrdersRepository(statements)
    await repository.add(order)

    found = await repository.get(order.id)

    assert found is not None and found.total_amount == Decimal("15.00")
    assert statements.begun, "the held writes went first, inside the transaction"
    await statements.rollback()
    assert await repository.get(order.id) is None


async def test_a_locking_read_begins_the_transaction_and_holds_the_lock(
    scratch_mysql: MySQL, cursor: CountingCursor
) -> None:
    order = await _committed_order(cursor)
    cursor.round_trips = 0

    statements = Statements(cursor)
    locked = await OrdersRepository(statements).get(order.id, for_update=True)

    assert locked is not None and statements.begun
    assert cursor.round_trips == 2  # BEGIN with the locking read, then the order's lines
    async with scratch_mysql.cursor() as other:
        with pytest.raises(pymysql.err.OperationalError):  # lock wait refused at once
            await other.execute(
                "SELECT id FROM orders WHERE id = %s FOR UPDATE NOWAIT", (order.id,)
            )
    await statements.rollback()


async def test_a_unit_that_only_read_commits_and_rolls_back_without_a_round_trip(
    cursor: CountingCursor,
) -> None:
    statements = Statements(cursor)
    await OrdersRepository(statements).get(str(uuid.uuid4()))
    await statements.commit()
    await statements.rollback()
    assert cursor.round_trips == 1
