"""The unit of work against real MariaDB: the order and its outbox event commit together or not
at all."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from ecommerce_stream.errors import ValidationFailed
from ecommerce_stream.orders.domain import Order, OrderStatus
from ecommerce_stream.orders.repository import OrdersRepository
from ecommerce_stream.orders.schemas import CreateOrder
from ecommerce_stream.orders.unit_of_work import MySQLUnitOfWork
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import order_service


async def _counts(mysql: MySQL) -> tuple[int, int, int]:
    row = await mysql.fetch_one(
        "SELECT (SELECT COUNT(*) FROM orders) AS o, (SELECT COUNT(*) FROM order_items) AS i,"
        " (SELECT COUNT(*) FROM outbox) AS e"
    )
    assert row is not None
    return int(row["o"]), int(row["i"]), int(row["e"])


def _request(**overrides: object) -> CreateOrder:
    body: dict[str, object] = {
        "userId": 1,
        "shippingAddress": "Seoul, Teheran-ro 1",
        "items": [{"productId": 102, "quantity": 2}, {"productId": 110, "quantity": 1}],
    }
    body.update(overrides)
    return CreateOrder.model_validate(body)


async def test_order_items_and_event_commit_together(mysql: MySQL) -> None:
    wakeups: list[None] = []
    service = order_service(mysql, lambda: wakeups.append(None))
    before = await _counts(mysql)

    order, created = await service.create(_request())

    assert created
    assert order.total_amount == Decimal("62900.90")  # 2 × 25000.00 + 12900.90, catalog prices
    assert await _counts(mysql) == (before[0] + 1, before[1] + 2, before[2] + 1)
    event = await mysql.fetch_one(
        "SELECT event_type, aggregate_id, processed FROM outbox WHERE aggregate_id = %s",
        (order.id,),
    )
    assert event is not None and event["event_type"] == "OrderCreated"
    assert wakeups == [None]


async def test_a_failure_inside_the_transaction_writes_nothing(mysql: MySQL) -> None:
    service = order_service(mysql)
    before = await _counts(mysql)

    class Boom(Exception):
        pass

    async def insert_then_fail(repository: OrdersRepository, order: Order) -> None:
        await original(repository, order)
        raise Boom

    original = OrdersRepository.add
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OrdersRepository, "add", insert_then_fail)
        with pytest.raises(Boom):
            await service.create(_request())

    assert await _counts(mysql) == before


async def test_a_wrong_total_is_refused_and_writes_nothing(mysql: MySQL) -> None:
    service = order_service(mysql)
    before = await _counts(mysql)

    with pytest.raises(ValidationFailed):
        await service.create(_request(totalAmount=Decimal("1.00")))

    assert await _counts(mysql) == before


async def test_an_unknown_product_is_refused_and_writes_nothing(mysql: MySQL) -> None:
    service = order_service(mysql)
    before = await _counts(mysql)

    with pytest.raises(ValidationFailed) as refused:
        await service.create(_request(items=[{"productId": 999999, "quantity": 1}]))

    assert refused.value.details[0]["field"] == "items.0.productId"
    assert await _counts(mysql) == before


async def test_a_locked_order_holds_up_no_other_order_of_its_customer(mysql: MySQL) -> None:
    """The locking read takes the order's row only: its customer's name comes by a subquery,
    so the customer's row (shared by all their orders) stays unlocked."""
    service = order_service(mysql)
    first, _ = await service.create(_request())
    second, _ = await service.create(_request())
    async with MySQLUnitOfWork(mysql, lambda: None) as holding:
        assert await holding.orders.get(first.id, for_update=True) is not None
        changed = await asyncio.wait_for(
            service.change_status(second.id, OrderStatus.CONFIRMED), timeout=5
        )
    assert changed.version == 2
