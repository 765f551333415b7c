"""SQL of `orders`, `order_items`, `idempotency_keys` and `admin_audit`, on the statements of
a unit of work (stores/mysql.py `Statements`: writes are held until the commit). The
repository remembers every order it handed out or took, so the unit of work can collect their
events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ecommerce_stream.orders.domain import Order, OrderLine, OrderStatus
from ecommerce_stream.stores.mysql import Statements


class AdminAction(StrEnum):
    DELETE = "DELETE"
    RESTORE = "RESTORE"
    PURGE = "PURGE"


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    request_hash: str
    order_id: str


# The customer's name by a subquery, not a join: a locking read then locks the order's row
# alone (InnoDB leaves a subquery's rows unlocked), not its customer's, which every other
# order of the customer would wait for.
_ORDER_COLUMNS = (
    "o.id, o.user_id, (SELECT u.name FROM users AS u WHERE u.id = o.user_id) AS user_name,"
    " o.status, o.total_amount, o.shipping_address, o.version, o.created_at, o.updated_at,"
    " o.deleted_at, o.deleted_by"
)
_FROM_ORDERS = "FROM orders AS o"


def _naive(value: datetime | None) -> datetime | None:
    # DATETIME columns hold UTC wall times.
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


class OrdersRepository:
    def __init__(self, statements: Statements) -> None:
        self._sql = statements
        self.seen: list[Order] = []

    async def add(self, order: Order) -> None:
        self._sql.write(
            "INSERT INTO orders (id, user_id, status, total_amount, shipping_address, version,"
            " created_at, updated_at, deleted_at, deleted_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                order.id,
                order.user_id,
                order.status.value,
                order.total_amount,
                order.shipping_address,
                order.version,
                _naive(order.created_at),
                _naive(order.updated_at),
                _naive(order.deleted_at),
                order.deleted_by,
            ),
        )
        self._sql.write_rows(
            "INSERT INTO order_items (order_id, product_id, quantity, price)"
            " VALUES (%s, %s, %s, %s)",
            [(order.id, line.product_id, line.quantity, line.price) for line in order.lines],
        )
        self.seen.append(order)

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """The order with its lines, deleted or not; `for_update` locks it until commit (the
        row lock serialises concurrent changes of one order: each reads the version the
        previous one wrote)."""
        lock = " FOR UPDATE" if for_update else ""
        rows = await self._sql.read(
            f"SELECT {_ORDER_COLUMNS} {_FROM_ORDERS} WHERE o.id = %s{lock}",
            (order_id,),
            locking=for_update,
        )
        if not rows:
            return None
        row = rows[0]
        lines = await self._lines_of([row["id"]])
        order = _order_from_row(row, lines.get(row["id"], ()))
        self.seen.append(order)
        return order

    async def save(self, order: Order) -> None:
        """Write a changed order's mutable columns (its lines never change)."""
        self._sql.write(
            "UPDATE orders SET status = %s, version = %s, updated_at = %s, deleted_at = %s,"
            " deleted_by = %s WHERE id = %s",
            (
                order.status.value,
                order.version,
                _naive(order.updated_at),
                _naive(order.deleted_at),
                order.deleted_by,
                order.id,
            ),
        )

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> list[Order]:
        rows = await self._sql.read(
            f"SELECT {_ORDER_COLUMNS} {_FROM_ORDERS}"
            " WHERE o.user_id = %s AND o.deleted_at IS NULL"
            " ORDER BY o.created_at DESC, o.id DESC LIMIT %s OFFSET %s",
            (user_id, limit, offset),
        )
        lines = await self._lines_of([row["id"] for row in rows])
        return [_order_from_row(row, lines.get(row["id"], ())) for row in rows]

    async def add_idempotency_key(
        self, key: str, request_hash: str, order_id: str, at: datetime
    ) -> None:
        """The commit fails with a duplicate-key error when a concurrent request with the key
        committed first."""
        self._sql.write(
            "INSERT INTO idempotency_keys (idempotency_key, request_hash, order_id, created_at)"
            " VALUES (%s, %s, %s, %s)",
            (key, request_hash, order_id, _naive(at)),
        )

    async def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        rows = await self._sql.read(
            "SELECT request_hash, order_id FROM idempotency_keys WHERE idempotency_key = %s",
            (key,),
        )
        return IdempotencyRecord(rows[0]["request_hash"], rows[0]["order_id"]) if rows else None

    async def record_admin_actions(
        self, action: AdminAction, admin_id: str, versions: Sequence[tuple[str, int]], at: datetime
    ) -> None:
        """One audit row per (order id, version after the change)."""
        self._sql.write_rows(
            "INSERT INTO admin_audit (admin_id, action, order_id, order_version, created_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (admin_id, action.value, order_id, version, _naive(at))
                for order_id, version in versions
            ],
        )

    async def lock_deleted_before(self, cutoff: datetime, limit: int) -> list[tuple[str, int]]:
        """(id, version) of up to `limit` orders soft-deleted at or before `cutoff`, locked."""
        rows = await self._sql.read(
            "SELECT id, version FROM orders WHERE deleted_at <= %s ORDER BY deleted_at, id"
            " LIMIT %s FOR UPDATE",
            (_naive(cutoff), limit),
            locking=True,
        )
        return [(row["id"], row["version"]) for row in rows]

    async def delete(self, order_ids: Sequence[str]) -> None:
        """Hard delete; their items and idempotency keys go with them (ON DELETE CASCADE)."""
        placeholders = ", ".join(["%s"] * len(order_ids))
        self._sql.write(f"DELETE FROM orders WHERE id IN ({placeholders})", tuple(order_ids))

    async def _lines_of(self, order_ids: Sequence[str]) -> dict[str, tuple[OrderLine, ...]]:
        if not order_ids:
            return {}
        placeholders = ", ".join(["%s"] * len(order_ids))
        rows = await self._sql.read(
            "SELECT i.order_id, i.product_id, p.name AS product_name, i.quantity, i.price"
            " FROM order_items i JOIN products p ON p.id = i.product_id"
            f" WHERE i.order_id IN ({placeholders}) ORDER BY i.id",
            tuple(order_ids),
        )
        grouped: dict[str, list[OrderLine]] = {}
        for row in rows:
            grouped.setdefault(row["order_id"], []).append(
                OrderLine(row["product_id"], row["product_name"], row["quantity"], row["price"])
            )
        return {order_id: tuple(lines) for order_id, lines in grouped.items()}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _order_from_row(row: dict[str, Any], lines: tuple[OrderLine, ...]) -> Order:
    return Order(
        id=str(row["id"]),
        user_id=int(row["user_id"]),
        user_name=str(row["user_name"]),
        status=OrderStatus(str(row["status"])),
        total_amount=row["total_amount"],
        shipping_address=str(row["shipping_address"]),
        version=int(row["version"]),
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
        deleted_at=None if row["deleted_at"] is None else _utc(row["deleted_at"]),
        deleted_by=row["deleted_by"],
        lines=lines,
    )
