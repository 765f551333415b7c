"""SQL of `orders` and `order_items`, always run on the cursor of a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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
    lines = await _lines_of(cur, [order_id])
    return _order_from_row(row, lines.get(order_id, ()))


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


def _order_from_row(row: dict[str, object], lines: tuple[OrderLineRow, ...]) -> OrderRow:
    return OrderRow(
        id=str(row["id"]),
        user_id=int(row["user_id"]),  # type: ignore[call-overload]
        status=OrderStatus(str(row["status"])),
        total_amount=row["total_amount"],  # type: ignore[arg-type]
        shipping_address=str(row["shipping_address"]),
        version=int(row["version"]),  # type: ignore[call-overload]
        created_at=row["created_at"],  # type: ignore[arg-type]
        updated_at=row["updated_at"],  # type: ignore[arg-type]
        deleted_at=row["deleted_at"],  # type: ignore[arg-type]
        deleted_by=row["deleted_by"],  # type: ignore[arg-type]
        lines=lines,
    )
