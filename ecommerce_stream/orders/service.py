"""Use cases of the orders API: each is one unit of work, so each change writes its event."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pymysql

from ecommerce_stream.catalog import repository as catalog
from ecommerce_stream.errors import Conflict, NotFound, ValidationFailed
from ecommerce_stream.orders import repository as orders
from ecommerce_stream.orders.domain import OrderStatus, can_transition, order_total, to_money
from ecommerce_stream.orders.models import OrderCreated, OrderLine, OrderStatusChanged, new_event
from ecommerce_stream.orders.repository import OrderLineRow, OrderRow
from ecommerce_stream.orders.schemas import CreateOrder, Order, OrderItemOut
from ecommerce_stream.orders.unit_of_work import UnitOfWork
from ecommerce_stream.stores.mysql import MySQL

_DUPLICATE_KEY = 1062


def to_api(order: OrderRow) -> Order:
    return Order(
        id=order.id,
        user_id=order.user_id,
        status=order.status,
        total_amount=order.total_amount,
        shipping_address=order.shipping_address,
        items=[
            OrderItemOut(
                product_id=line.product_id,
                product_name=line.product_name,
                quantity=line.quantity,
                price=line.price,
            )
            for line in order.lines
        ],
        version=order.version,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


class OrderService:
    def __init__(self, mysql: MySQL, after_commit: Callable[[], None]) -> None:
        self._mysql = mysql
        self._after_commit = after_commit

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
            # A concurrent request with the same key committed first: answer with its order.
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
            user_name = await catalog.user_name(uow.cursor, request.user_id)
            if user_name is None:
                raise ValidationFailed(
                    f"user {request.user_id} does not exist",
                    [{"field": "userId", "message": "unknown user"}],
                )
            products = await catalog.products_by_id(
                uow.cursor, [item.product_id for item in request.items]
            )
            unknown = [
                {
                    "field": f"items[{index}].productId",
                    "message": f"unknown product {item.product_id}",
                }
                for index, item in enumerate(request.items)
                if item.product_id not in products
            ]
            if unknown:
                raise ValidationFailed("some products do not exist", unknown)
            lines = tuple(
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
            total = order_total((line.quantity, line.price) for line in lines)
            if request.total_amount is not None and to_money(request.total_amount) != total:
                raise ValidationFailed(
                    f"totalAmount {request.total_amount} is not the sum of the items ({total})",
                    [{"field": "totalAmount", "message": f"expected {total}"}],
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
                await uow.cursor.execute(
                    "INSERT INTO idempotency_keys (idempotency_key, request_hash, order_id,"
                    " created_at) VALUES (%s, %s, %s, %s)",
                    (idempotency_key, fingerprint, order.id, now.replace(tzinfo=None)),
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
        row = await self._mysql.fetch_one(
            "SELECT request_hash, order_id FROM idempotency_keys WHERE idempotency_key = %s",
            (idempotency_key,),
        )
        if row is None:
            return None
        if row["request_hash"] != fingerprint:
            raise ValidationFailed(
                "this Idempotency-Key was already used with a different request body",
                [{"field": "Idempotency-Key", "message": "reused with another body"}],
            )
        async with self._mysql.cursor() as cur:
            order = await orders.get_order(cur, row["order_id"])
        if order is None:
            return None
        return to_api(order)

    async def get(self, order_id: str) -> Order:
        async with self._mysql.cursor() as cur:
            order = await orders.get_order(cur, order_id)
        if order is None or order.deleted_at is not None:
            raise NotFound(f"order {order_id} not found")
        return to_api(order)

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> list[Order]:
        async with self._mysql.cursor() as cur:
            rows = await orders.list_user_orders(cur, user_id, limit=limit, offset=offset)
        return [to_api(row) for row in rows]

    async def change_status(self, order_id: str, target: OrderStatus) -> Order:
        async with self._unit_of_work() as uow:
            # The row lock serialises concurrent changes of one order: none is lost.
            order = await orders.get_order(uow.cursor, order_id, for_update=True)
            if order is None or order.deleted_at is not None:
                raise NotFound(f"order {order_id} not found")
            if not can_transition(order.status, target):
                raise Conflict(
                    f"an order cannot go from {order.status} to {target}",
                    [{"field": "status", "message": f"{order.status} -> {target} is not allowed"}],
                )
            now = datetime.now(UTC)
            version = order.version + 1
            await orders.update_status(uow.cursor, order_id, target, version, now)
            uow.record(
                new_event(
                    OrderStatusChanged,
                    order_id=order_id,
                    version=version,
                    occurred_at=now,
                    fromStatus=order.status.value,
                    toStatus=target.value,
                )
            )
            await uow.commit()
        return to_api(replace(order, status=target, version=version, updated_at=now))
