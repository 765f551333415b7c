"""Use cases of the orders and admin APIs: each change is one unit of work, so each writes its
event in the same transaction and bumps the order's version by exactly one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pymysql

from ecommerce_stream.catalog import repository as catalog
from ecommerce_stream.catalog.schemas import Product
from ecommerce_stream.errors import Conflict, Gone, NotFound, ValidationFailed
from ecommerce_stream.orders import repository as orders
from ecommerce_stream.orders.domain import (
    OrderStatus,
    check_transition,
    order_total,
    restorable,
    retention_cutoff,
    to_money,
)
from ecommerce_stream.orders.models import (
    OrderCreated,
    OrderDeleted,
    OrderLine,
    OrderRestored,
    OrderStatusChanged,
    new_event,
)
from ecommerce_stream.orders.repository import AdminAction, OrderLineRow, OrderRow
from ecommerce_stream.orders.schemas import AdminOrder, CreateOrder, Order, OrderItemOut
from ecommerce_stream.orders.unit_of_work import UnitOfWork
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.wire import MAX_MONEY

_DUPLICATE_KEY = 1062
PURGE_BATCH = 500
PURGED_BY = "purge-deleted"


def _api_fields(order: OrderRow) -> dict[str, Any]:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "total_amount": order.total_amount,
        "shipping_address": order.shipping_address,
        "items": [
            OrderItemOut(
                product_id=line.product_id,
                product_name=line.product_name,
                quantity=line.quantity,
                price=line.price,
            )
            for line in order.lines
        ],
        "version": order.version,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def to_api(order: OrderRow) -> Order:
    return Order(**_api_fields(order))


def to_admin_api(order: OrderRow) -> AdminOrder:
    return AdminOrder(
        **_api_fields(order), deleted_at=order.deleted_at, deleted_by=order.deleted_by
    )


def _lines(request: CreateOrder, products: dict[int, Product]) -> tuple[OrderLineRow, ...]:
    """The order's lines at the given prices, or the catalog's; unknown products → 422."""
    unknown = [
        {"field": f"items.{index}.productId", "message": f"unknown product {item.product_id}"}
        for index, item in enumerate(request.items)
        if item.product_id not in products
    ]
    if unknown:
        raise ValidationFailed("some products do not exist", unknown)
    return tuple(
        OrderLineRow(
            product_id=item.product_id,
            product_name=products[item.product_id].name,
            quantity=item.quantity,
            price=to_money(
                item.price if item.price is not None else products[item.product_id].price
            ),
        )
        for item in request.items
    )


async def _commit_admin_change(
    uow: UnitOfWork,
    action: AdminAction,
    admin_id: str,
    *,
    deleted_by: str | None,
    event: OrderDeleted | OrderRestored,
) -> None:
    """A soft delete or restore: the order's delete columns and version, the audit row and the
    event, committed together. The event carries the new version and the time of the change."""
    changed = (event.orderId, event.version)
    await orders.set_deleted(
        uow.cursor,
        event.orderId,
        version=event.version,
        changed_at=event.occurredAt,
        deleted_by=deleted_by,
    )
    await orders.record_admin_actions(uow.cursor, action, admin_id, [changed], event.occurredAt)
    uow.record(event)
    await uow.commit()


class OrderService:
    def __init__(
        self, mysql: MySQL, after_commit: Callable[[], None], *, retention_days: int
    ) -> None:
        self._mysql = mysql
        self._after_commit = after_commit
        self._retention_days = retention_days

    def _unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._mysql, self._after_commit)

    async def create(
        self, request: CreateOrder, idempotency_key: str | None = None
    ) -> tuple[Order, bool]:
        """Returns the order and whether it was created now (False: an idempotent replay)."""
        fingerprint = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
        if idempotency_key is not None:
            replay = await self._replay(idempotency_key, fingerprint)
            if replay is not None:
                return replay, False
        try:
            return await self._create(request, idempotency_key, fingerprint), True
        except pymysql.err.IntegrityError as error:
            # A concurrent request with the same key committed first (its insert of the key
            # made ours wait, then fail): answer with its order.
            if idempotency_key is None or error.args[0] != _DUPLICATE_KEY:
                raise
            replay = await self._replay(idempotency_key, fingerprint)
            if replay is None:
                raise
            return replay, False

    async def _create(
        self, request: CreateOrder, idempotency_key: str | None, fingerprint: str
    ) -> Order:
        async with self._unit_of_work() as uow:
            known = await catalog.order_catalog(
                uow.cursor, request.user_id, [item.product_id for item in request.items]
            )
            user_name = known.user_name
            if user_name is None:
                raise ValidationFailed(
                    f"user {request.user_id} does not exist",
                    [{"field": "userId", "message": "unknown user"}],
                )
            lines = _lines(request, known.products)
            total = order_total((line.quantity, line.price) for line in lines)
            if request.total_amount is not None and to_money(request.total_amount) != total:
                raise ValidationFailed(
                    f"totalAmount {request.total_amount} is not the sum of the items ({total})",
                    [{"field": "totalAmount", "message": f"expected {total}"}],
                )
            if total > MAX_MONEY:
                raise ValidationFailed(
                    f"the order total {total} is over the largest amount, {MAX_MONEY}",
                    [{"field": "items", "message": "too large a total"}],
                )
            now = datetime.now(UTC)
            order = OrderRow(
                id=str(uuid.uuid4()),
                user_id=request.user_id,
                status=request.status,
                total_amount=total,
                shipping_address=request.shipping_address,
                version=1,
                created_at=now,
                updated_at=now,
                deleted_at=None,
                deleted_by=None,
                lines=lines,
            )
            await orders.insert_order(uow.cursor, order)
            if idempotency_key is not None:
                await orders.insert_idempotency_key(
                    uow.cursor, idempotency_key, fingerprint, order.id, now
                )
            uow.record(
                new_event(
                    OrderCreated,
                    order_id=order.id,
                    version=order.version,
                    occurred_at=now,
                    userId=order.user_id,
                    userName=user_name,
                    status=order.status.value,
                    totalAmount=order.total_amount,
                    shippingAddress=order.shipping_address,
                    items=[
                        OrderLine(line.product_id, line.product_name, line.quantity, line.price)
                        for line in lines
                    ],
                    createdAt=now,
                )
            )
            await uow.commit()
        return to_api(order)

    async def _replay(self, idempotency_key: str, fingerprint: str) -> Order | None:
        async with self._mysql.cursor() as cur:
            record = await orders.get_idempotency_key(cur, idempotency_key)
            if record is None:
                return None
            if record.request_hash != fingerprint:
                raise ValidationFailed(
                    "this Idempotency-Key was already used with a different request body",
                    [{"field": "Idempotency-Key", "message": "reused with another body"}],
                )
            order = await orders.get_order(cur, record.order_id)
        if order is None:
            return None
        if order.deleted_at is not None:
            raise Conflict(
                f"the order made with this Idempotency-Key, {order.id}, has since been deleted",
                [{"field": "Idempotency-Key", "message": "its order was deleted"}],
            )
        return to_api(order)

    async def get(self, order_id: str) -> Order:
        async with self._mysql.cursor() as cur:
            order = await orders.get_order(cur, order_id)
        if order is None or order.deleted_at is not None:
            raise NotFound(f"order {order_id} not found")
        return to_api(order)

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> list[Order]:
        async with self._mysql.cursor() as cur:
            if await catalog.user_name(cur, user_id) is None:
                raise NotFound(f"user {user_id} not found")
            rows = await orders.list_user_orders(cur, user_id, limit=limit, offset=offset)
        return [to_api(row) for row in rows]

    async def change_status(self, order_id: str, target: OrderStatus) -> Order:
        async with self._unit_of_work() as uow:
            order = await self._locked_order(uow, order_id)
            if order.deleted_at is not None:
                raise NotFound(f"order {order_id} not found")
            check_transition(order.status, target)
            now = datetime.now(UTC)
            version = order.version + 1
            await orders.update_status(uow.cursor, order.id, target, version, now)
            uow.record(
                new_event(
                    OrderStatusChanged,
                    order_id=order.id,  # the stored id, whatever text found it
                    version=version,
                    occurred_at=now,
                    fromStatus=order.status.value,
                    toStatus=target.value,
                )
            )
            await uow.commit()
        return to_api(replace(order, status=target, version=version, updated_at=now))

    async def admin_get(self, order_id: str) -> AdminOrder:
        async with self._mysql.cursor() as cur:
            order = await orders.get_order(cur, order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        return to_admin_api(order)

    async def soft_delete(self, order_id: str, admin_id: str) -> None:
        """Hide the order and emit OrderDeleted; an order already deleted stays as it is."""
        async with self._unit_of_work() as uow:
            order = await self._locked_order(uow, order_id)
            if order.deleted_at is not None:
                return
            now = datetime.now(UTC)
            version = order.version + 1
            await _commit_admin_change(
                uow,
                AdminAction.DELETE,
                admin_id,
                deleted_by=admin_id,
                event=new_event(
                    OrderDeleted,
                    order_id=order.id,  # the stored id, whatever text found it
                    version=version,
                    occurred_at=now,
                    deletedAt=now,
                    deletedBy=admin_id,
                ),
            )

    async def restore(self, order_id: str, admin_id: str) -> Order:
        """Undo a soft delete within the retention window and emit OrderRestored."""
        async with self._unit_of_work() as uow:
            order = await self._locked_order(uow, order_id)
            if order.deleted_at is None:
                raise Conflict(f"order {order_id} is not deleted")
            now = datetime.now(UTC)
            if not restorable(order.deleted_at, now, self._retention_days):
                raise Gone(
                    f"order {order_id} was deleted more than {self._retention_days} days ago"
                    " and can no longer be restored"
                )
            version = order.version + 1
            await _commit_admin_change(
                uow,
                AdminAction.RESTORE,
                admin_id,
                deleted_by=None,
                event=new_event(
                    OrderRestored,
                    order_id=order.id,  # the stored id, whatever text found it
                    version=version,
                    occurred_at=now,
                    restoredBy=admin_id,
                ),
            )
        restored = replace(order, version=version, updated_at=now, deleted_at=None, deleted_by=None)
        return to_api(restored)

    async def _locked_order(self, uow: UnitOfWork, order_id: str) -> OrderRow:
        # The row lock serialises concurrent changes of one order: none is lost, and each
        # reads the version the previous one wrote.
        order = await orders.get_order(uow.cursor, order_id, for_update=True)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        return order


async def purge_deleted(mysql: MySQL, retention_days: int) -> int:
    """Hard-delete the orders soft-deleted longer ago than the retention, in batches so that no
    transaction holds many locks; returns how many went. Their outbox rows stay (the relay and
    its cleanup own those); ClickHouse drops its rows by TTL."""
    cutoff = retention_cutoff(datetime.now(UTC), retention_days)
    purged = 0
    while True:
        async with mysql.transaction() as cur:
            batch = await orders.lock_deleted_before(cur, cutoff, PURGE_BATCH)
            if not batch:
                return purged
            await orders.delete_orders(cur, [order_id for order_id, _ in batch])
            await orders.record_admin_actions(
                cur, AdminAction.PURGE, PURGED_BY, batch, datetime.now(UTC)
            )
        purged += len(batch)
