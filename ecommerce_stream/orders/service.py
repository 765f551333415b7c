"""Use cases of the orders and admin APIs. Each change is one unit of work: the aggregate
applies it (rules, version, event), the unit of work saves the order and writes its event in
the same transaction. Answers are domain objects; the views map them to HTTP."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pymysql

from ecommerce_stream.catalog.schemas import Product
from ecommerce_stream.errors import Conflict, NotFound, ValidationFailed
from ecommerce_stream.orders.domain import Order, OrderLine, OrderStatus, retention_cutoff
from ecommerce_stream.orders.repository import AdminAction
from ecommerce_stream.orders.schemas import CreateOrder
from ecommerce_stream.orders.unit_of_work import UnitOfWork, UnitOfWorkFactory
from ecommerce_stream.wire import MAX_MONEY, to_money

_DUPLICATE_KEY = 1062
PURGE_BATCH = 500
PURGED_BY = "purge-deleted"


def _lines(request: CreateOrder, products: dict[int, Product]) -> tuple[OrderLine, ...]:
    """The order's lines at the given prices, or the catalog's; unknown products → 422."""
    unknown = [
        {"field": f"items.{index}.productId", "message": f"unknown product {item.product_id}"}
        for index, item in enumerate(request.items)
        if item.product_id not in products
    ]
    if unknown:
        raise ValidationFailed("some products do not exist", unknown)
    return tuple(
        OrderLine(
            product_id=item.product_id,
            product_name=products[item.product_id].name,
            quantity=item.quantity,
            price=to_money(
                item.price if item.price is not None else products[item.product_id].price
            ),
        )
        for item in request.items
    )


class OrderService:
    def __init__(self, unit_of_work: UnitOfWorkFactory, *, retention_days: int) -> None:
        self._unit_of_work = unit_of_work
        self._retention_days = retention_days

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
            known = await uow.catalog.order_catalog(
                request.user_id, [item.product_id for item in request.items]
            )
            if known.user_name is None:
                raise ValidationFailed(
                    f"user {request.user_id} does not exist",
                    [{"field": "userId", "message": "unknown user"}],
                )
            now = datetime.now(UTC)
            order = Order.place(
                order_id=str(uuid.uuid4()),
                user_id=request.user_id,
                user_name=known.user_name,
                status=request.status,
                shipping_address=request.shipping_address,
                lines=_lines(request, known.products),
                now=now,
            )
            total = order.total_amount
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
            await uow.orders.add(order)
            if idempotency_key is not None:
                await uow.orders.add_idempotency_key(idempotency_key, fingerprint, order.id, now)
            await uow.commit()
        return order

    async def _replay(self, idempotency_key: str, fingerprint: str) -> Order | None:
        async with self._unit_of_work(read_only=True) as uow:
            record = await uow.orders.idempotency_record(idempotency_key)
            if record is None:
                return None
            if record.request_hash != fingerprint:
                raise ValidationFailed(
                    "this Idempotency-Key was already used with a different request body",
                    [{"field": "Idempotency-Key", "message": "reused with another body"}],
                )
            order = await uow.orders.get(record.order_id)
        if order is None:
            return None
        if order.is_deleted:
            raise Conflict(
                f"the order made with this Idempotency-Key, {order.id}, has since been deleted",
                [{"field": "Idempotency-Key", "message": "its order was deleted"}],
            )
        return order

    async def get(self, order_id: str) -> Order:
        """A live order."""
        order = await self.admin_get(order_id)
        if order.is_deleted:
            raise NotFound(f"order {order_id} not found")
        return order

    async def admin_get(self, order_id: str) -> Order:
        """Any order, soft-deleted ones included."""
        async with self._unit_of_work(read_only=True) as uow:
            order = await uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        return order

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> list[Order]:
        async with self._unit_of_work(read_only=True) as uow:
            if await uow.catalog.user_name(user_id) is None:
                raise NotFound(f"user {user_id} not found")
            return await uow.orders.list_for_user(user_id, limit=limit, offset=offset)

    async def change_status(self, order_id: str, target: OrderStatus) -> Order:
        async with self._unit_of_work() as uow:
            order = await _locked_order(uow, order_id)
            order.change_status(target, datetime.now(UTC))
            await uow.orders.save(order)
            await uow.commit()
        return order

    async def soft_delete(self, order_id: str, admin_id: str) -> None:
        """Hide the order and emit OrderDeleted; an order already deleted stays as it is."""
        async with self._unit_of_work() as uow:
            order = await _locked_order(uow, order_id)
            if order.delete(admin_id, datetime.now(UTC)):
                await _save_admin_change(uow, order, AdminAction.DELETE, admin_id)

    async def restore(self, order_id: str, admin_id: str) -> Order:
        """Undo a soft delete within the retention window and emit OrderRestored."""
        async with self._unit_of_work() as uow:
            order = await _locked_order(uow, order_id)
            order.restore(admin_id, datetime.now(UTC), self._retention_days)
            await _save_admin_change(uow, order, AdminAction.RESTORE, admin_id)
        return order

    async def purge_deleted(self) -> int:
        """Hard-delete the orders soft-deleted longer ago than the retention, in batches so
        that no transaction holds many locks; returns how many went. Their outbox rows stay
        (the relay and its cleanup own those); ClickHouse drops its rows by TTL."""
        cutoff = retention_cutoff(datetime.now(UTC), self._retention_days)
        purged = 0
        while True:
            async with self._unit_of_work() as uow:
                batch = await uow.orders.lock_deleted_before(cutoff, PURGE_BATCH)
                if not batch:
                    return purged
                await uow.orders.delete([order_id for order_id, _ in batch])
                await uow.orders.record_admin_actions(
                    AdminAction.PURGE, PURGED_BY, batch, datetime.now(UTC)
                )
                await uow.commit()
            purged += len(batch)


async def _locked_order(uow: UnitOfWork, order_id: str) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


async def _save_admin_change(
    uow: UnitOfWork, order: Order, action: AdminAction, admin_id: str
) -> None:
    """A soft delete or restore: the order, the audit row (with the version it made) and the
    event, committed together."""
    await uow.orders.save(order)
    await uow.orders.record_admin_actions(
        action, admin_id, [(order.id, order.version)], order.updated_at
    )
    await uow.commit()
