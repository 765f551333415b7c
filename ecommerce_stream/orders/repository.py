"""SQL of `orders`, `order_items`, `idempotency_keys` and `admin_audit`, run on the cursor of a
unit of work (or, for reads, any cursor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import aiomysql

from ecommerce_stream.orders.domain import OrderStatus


@dataclass(frozen=True, slots=True)
class OrderLineRow:
    product_id: int
    product_name: str
    quantity: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    user_id: int
    status: OrderStatus
    total_amount: Decimal
    shipping_address: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_by: str | None
    lines: tuple[OrderLineRow, ...]


class AdminAction(StrEnum):
    DELETE = "DELETE"
    RESTORE = "RESTORE"
    PURGE = "PURGE"


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    request_hash: str
    order_id: str


_ORDER_COLUMNS = (
    "id, user_id, status, total_amount, shipping_address, version, created_at, updated_at,"
    " deleted_at, deleted_by"
)


async def insert_order(cur: aiomysql.Cursor, order: OrderRow) -> None:
    await cur.execute(
        f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            order.id,
            order.user_id,
            order.status.value,
            order.total_amount,
            order.shipping_address,
            order.version,
            order.created_at.replace(tzinfo=None),
            order.updated_at.replace(tzinfo=None),
            None,
            None,
        ),
    )
    await cur.executemany(
        "INSERT INTO order_items (order_id, product_id, quantity, price) VALUES (%s, %s, %s, %s)",
        [(order.id, line.product_id, line.quantity, line.price) for line in order.lines],
    )


async def get_order(
    cur: aiomysql.Cursor, order_id: str, *, for_update: bool = False
) -> OrderRow | None:
    """The order with its lines, deleted or not; `for_update` locks it until commit."""
    lock = " FOR UPDATE" if for_update else ""
    await cur.execute(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = %s{lock}", (order_id,))
    row = await cur.fetchone()
    if row is None:
        return None
    # Keyed by the stored id: the lines are the row's, whatever text found it.
    lines = await _lines_of(cur, [row["id"]])
    return _order_from_row(row, lines.get(row["id"], ()))


async def list_user_orders(
    cur: aiomysql.Cursor, user_id: int, *, limit: int, offset: int
) -> list[OrderRow]:
    await cur.execute(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE user_id = %s AND deleted_at IS NULL"
        " ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
        (user_id, limit, offset),
    )
    rows = await cur.fetchall()
    lines = await _lines_of(cur, [row["id"] for row in rows])
    return [_order_from_row(row, lines.get(row["id"], ())) for row in rows]


async def update_status(
    cur: aiomysql.Cursor, order_id: str, status: OrderStatus, version: int, at: datetime
) -> None:
    await cur.execute(
        "UPDATE orders SET status = %s, version = %s, updated_at = %s WHERE id = %s",
        (status.value, version, at.replace(tzinfo=None), order_id),
    )


async def set_deleted(
    cur: aiomysql.Cursor,
    order_id: str,
    *,
    version: int,
    changed_at: datetime,
    deleted_by: str | None,
) -> None:
    """Soft delete (`deleted_by` given) or restore (`deleted_by` None), bumping the version."""
    deleted_at = changed_at.replace(tzinfo=None) if deleted_by is not None else None
    await cur.execute(
        "UPDATE orders SET deleted_at = %s, deleted_by = %s, version = %s, updated_at = %s"
        " WHERE id = %s",
        (deleted_at, deleted_by, version, changed_at.replace(tzinfo=None), order_id),
    )


async def insert_idempotency_key(
    cur: aiomysql.Cursor, key: str, request_hash: str, order_id: str, at: datetime
) -> None:
    """Fails with a duplicate-key error when a concurrent request with the key committed."""
    await cur.execute(
        "INSERT INTO idempotency_keys (idempotency_key, request_hash, order_id, created_at)"
        " VALUES (%s, %s, %s, %s)",
        (key, request_hash, order_id, at.replace(tzinfo=None)),
    )


async def get_idempotency_key(cur: aiomysql.Cursor, key: str) -> IdempotencyRecord | None:
    await cur.execute(
        "SELECT request_hash, order_id FROM idempotency_keys WHERE idempotency_key = %s", (key,)
    )
    row = await cur.fetchone()
    return None if row is None else IdempotencyRecord(row["request_hash"], row["order_id"])


async def record_admin_actions(
    cur: aiomysql.Cursor,
    action: AdminAction,
    admin_id: str,
    versions: Sequence[tuple[str, int]],
    at: datetime,
) -> None:
    """One audit row per (order id, version after the change)."""
    await cur.executemany(
        "INSERT INTO admin_audit (admin_id, action, order_id, order_version, created_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        [
            (admin_id, action.value, order_id, version, at.replace(tzinfo=None))
            for order_id, version in versions
        ],
    )


async def lock_deleted_before(
    cur: aiomysql.Cursor, cutoff: datetime, limit: int
) -> list[tuple[str, int]]:
    """(id, version) of up to `limit` orders soft-deleted at or before `cutoff`, locked."""
    await cur.execute(
        "SELECT id, version FROM orders WHERE deleted_at <= %s ORDER BY deleted_at, id"
        " LIMIT %s FOR UPDATE",
        (cutoff.replace(tzinfo=None), limit),
    )
    return [(row["id"], row["version"]) for row in await cur.fetchall()]


async def delete_orders(cur: aiomysql.Cursor, order_ids: Sequence[str]) -> None:
    """Hard delete; their items and idempotency keys go with them (ON DELETE CASCADE)."""
    placeholders = ", ".join(["%s"] * len(order_ids))
    await cur.execute(f"DELETE FROM orders WHERE id IN ({placeholders})", tuple(order_ids))


async def _lines_of(
    cur: aiomysql.Cursor, order_ids: Sequence[str]
) -> dict[str, tuple[OrderLineRow, ...]]:
    if not order_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(order_ids))
    await cur.execute(
        "SELECT i.order_id, i.product_id, p.name AS product_name, i.quantity, i.price"
        " FROM order_items i JOIN products p ON p.id = i.product_id"
        f" WHERE i.order_id IN ({placeholders}) ORDER BY i.id",
        tuple(order_ids),
    )
    grouped: dict[str, list[OrderLineRow]] = {}
    for row in await cur.fetchall():
        grouped.setdefault(row["order_id"], []).append(
            OrderLineRow(row["product_id"], row["product_name"], row["quantity"], row["price"])
        )
    return {order_id: tuple(lines) for order_id, lines in grouped.items()}


def _utc(value: datetime) -> datetime:
    # DATETIME columns hold UTC and come back naive.
    return value.replace(tzinfo=UTC)


def _order_from_row(row: dict[str, Any], lines: tuple[OrderLineRow, ...]) -> OrderRow:
    return OrderRow(
        id=str(row["id"]),
        user_id=int(row["user_id"]),
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
