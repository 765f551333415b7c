"""The order use cases against an in-memory unit of work (no MySQL): each change bumps the
version by exactly one, commits once, and leaves exactly one self-contained event in the outbox;
a refused change commits nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ecommerce_stream.errors import Conflict, Gone, NotFound, ValidationFailed
from ecommerce_stream.events.records import (
    OrderCreated,
    OrderDeleted,
    OrderRestored,
    OrderStatusChanged,
)
from ecommerce_stream.orders.domain import OrderStatus
from ecommerce_stream.orders.repository import AdminAction
from ecommerce_stream.orders.schemas import CreateOrder
from ecommerce_stream.orders.service import OrderService
from tests.unit.orders.fakes import Database, FakeUnitOfWork


@pytest.fixture
def db() -> Database:
    return Database()


@pytest.fixture
def service(db: Database) -> OrderService:
    def unit_of_work(*, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(db, read_only=read_only)

    return OrderService(unit_of_work, retention_days=7)


def _request(**overrides: object) -> CreateOrder:
    body: dict[str, object] = {
        "userId": 1,
        "shippingAddress": "Seoul",
        "items": [{"productId": 102, "quantity": 2}, {"productId": 101, "quantity": 1}],
    }
    return CreateOrder.model_validate(body | overrides)


async def test_create_records_the_whole_order_in_its_event(
    service: OrderService, db: Database
) -> None:
    order, created = await service.create(_request())

    assert created and order.version == 1
    assert order.total_amount == Decimal("1300000.00")  # catalog prices: 2 × 25000 + 1250000
    [event] = db.outbox
    assert isinstance(event, OrderCreated)
    assert (event.orderId, event.version, event.userName) == (order.id, 1, "Kim Minjun")
    assert [(line.productName, line.quantity) for line in event.items] == [
        ("Mouse", 2),
        ("Laptop", 1),
    ]
    assert event.totalAmount == order.total_amount and event.deletedAt is None
    assert event.createdAt == event.updatedAt == event.occurredAt == order.created_at


async def test_every_change_is_one_version_and_one_event(
    service: OrderService, db: Database
) -> None:
    order, _ = await service.create(_request())

    await service.change_status(order.id, OrderStatus.CONFIRMED)
    await service.soft_delete(order.id, "admin-kim")
    restored = await service.restore(order.id, "admin-park")

    assert restored.version == 4 and db.commits == 4
    created, confirmed, deleted, undeleted = db.outbox
    assert [event.version for event in db.outbox] == [1, 2, 3, 4]
    assert isinstance(confirmed, OrderStatusChanged)
    assert (confirmed.fromStatus, confirmed.toStatus, confirmed.status) == (
        "PENDING",
        "CONFIRMED",
        "CONFIRMED",
    )
    assert isinstance(deleted, OrderDeleted)
    assert deleted.deletedBy == "admin-kim" and deleted.deletedAt == deleted.occurredAt
    assert isinstance(undeleted, OrderRestored)
    assert undeleted.restoredBy == "admin-park" and undeleted.deletedAt is None
    # Every event carries the order's state, not only its change.
    assert {event.userName for event in db.outbox} == {"Kim Minjun"}
    assert {event.totalAmount for event in db.outbox} == {created.totalAmount}
    assert db.audit == [
        (AdminAction.DELETE, "admin-kim", order.id, 3),
        (AdminAction.RESTORE, "admin-park", order.id, 4),
    ]


async def test_refused_changes_commit_nothing(service: OrderService, db: Database) -> None:
    order, _ = await service.create(_request())
    written = (db.commits, len(db.outbox))

    with pytest.raises(Conflict):
        await service.change_status(order.id, OrderStatus.DELIVERED)
    with pytest.raises(Conflict):
        await service.restore(order.id, "admin")
    with pytest.raises(NotFound):
        await service.change_status("no-such-order", OrderStatus.CONFIRMED)
    with pytest.raises(ValidationFailed):
        await service.create(_request(userId=99))
    with pytest.raises(ValidationFailed):
        await service.create(_request(items=[{"productId": 999, "quantity": 1}]))
    with pytest.raises(ValidationFailed):
        await service.create(_request(totalAmount=1))

    assert (db.commits, len(db.outbox)) == written
    assert db.orders[order.id].version == 1


async def test_deleting_twice_changes_nothing_the_second_time(
    service: OrderService, db: Database
) -> None:
    order, _ = await service.create(_request())
    await service.soft_delete(order.id, "admin")
    await service.soft_delete(order.id, "admin")

    assert [type(event) for event in db.outbox] == [OrderCreated, OrderDeleted]
    with pytest.raises(NotFound):
        await service.get(order.id)
    assert (await service.admin_get(order.id)).deleted_by == "admin"
    with pytest.raises(NotFound):
        await service.change_status(order.id, OrderStatus.CONFIRMED)


async def test_a_restore_after_the_retention_window_is_gone(
    service: OrderService, db: Database
) -> None:
    order, _ = await service.create(_request())
    await service.soft_delete(order.id, "admin")
    db.orders[order.id].deleted_at = datetime.now(UTC) - timedelta(days=7, seconds=1)

    with pytest.raises(Gone):
        await service.restore(order.id, "admin")


async def test_an_idempotent_retry_returns_the_first_order(
    service: OrderService, db: Database
) -> None:
    first, created = await service.create(_request(), idempotency_key="key-1")
    again, created_again = await service.create(_request(), idempotency_key="key-1")

    assert created and not created_again and again.id == first.id
    assert len(db.outbox) == 1
    with pytest.raises(ValidationFailed):
        await service.create(_request(shippingAddress="Busan"), idempotency_key="key-1")


async def test_purge_removes_only_orders_deleted_before_the_retention(
    service: OrderService, db: Database
) -> None:
    old, _ = await service.create(_request())
    recent, _ = await service.create(_request())
    for order in (old, recent):
        await service.soft_delete(order.id, "admin")
    db.orders[old.id].deleted_at = datetime.now(UTC) - timedelta(days=8)

    assert await service.purge_deleted() == 1
    assert set(db.orders) == {recent.id}
    assert db.audit[-1] == (AdminAction.PURGE, "purge-deleted", old.id, 2)
