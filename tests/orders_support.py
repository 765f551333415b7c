"""Helpers of the orders and admin API tests: what the tables hold, a valid order, admin headers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp

from ecommerce_stream.orders.service import OrderService
from ecommerce_stream.orders.unit_of_work import mysql_units_of_work
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL

WRITTEN_TABLES = ("orders", "order_items", "outbox", "idempotency_keys", "admin_audit")
# The fields of an `Order` (SPEC §3), in the API's answers and in the OpenAPI document alike.
ORDER_FIELDS = {
    "id",
    "userId",
    "status",
    "totalAmount",
    "shippingAddress",
    "items",
    "version",
    "createdAt",
    "updatedAt",
}


TABLE_COUNTS_SQL = "SELECT " + ", ".join(
    f"(SELECT COUNT(*) FROM {table}) AS {table}" for table in WRITTEN_TABLES
)


async def table_counts(mysql: MySQL) -> dict[str, int]:
    """Rows in every table an order change writes to: a refused request must leave them alone."""
    row = await mysql.fetch_one(TABLE_COUNTS_SQL)
    assert row is not None
    return {table: int(row[table]) for table in WRITTEN_TABLES}


def order_body(**overrides: Any) -> dict[str, Any]:
    """A valid CreateOrder: 2 × Wireless Mouse (25000.00) + 1 × Water Bottle (12900.90)."""
    body: dict[str, Any] = {
        "userId": 1,
        "shippingAddress": "Seoul, Teheran-ro 1",
        "items": [{"productId": 102, "quantity": 2}, {"productId": 110, "quantity": 1}],
    }
    body.update(overrides)
    return body


async def create_order(
    http: aiohttp.ClientSession, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    async with http.post("/api/orders", json=order_body(**overrides), headers=headers) as response:
        assert response.status == 201, await response.text()
        created: dict[str, Any] = await response.json()
        return created


def service_headers(settings: Settings) -> dict[str, str]:
    """What a trusted service sends to change an order's status (or create one in any status)."""
    return {"Authorization": f"Bearer {settings.service_token.get_secret_value()}"}


def admin_headers(settings: Settings, admin_id: str = "alice") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {settings.admin_token.get_secret_value()}",
        "X-Admin-Id": admin_id,
    }


# The named admins of the test profile: the Makefile gives the app only the hashes of these.
NAMED_ADMIN_TOKENS = {
    "ada": ["test-ada-token-7257a180b0a41bb22d5688e2", "test-ada-rotated-51440aa5fa78fa5b20b3f213"],
    "grace": ["test-grace-token-d0ba49e601604e2c2f351cc1"],
}


def named_admin_headers(token: str, admin_id: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers if admin_id is None else {**headers, "X-Admin-Id": admin_id}


async def events_of(mysql: MySQL, order_id: str) -> list[dict[str, Any]]:
    """The payloads of the order's outbox rows, in the order they were written."""
    rows = await mysql.fetch_all(
        "SELECT payload FROM outbox WHERE aggregate_id = %s ORDER BY id", (order_id,)
    )
    return [json.loads(row["payload"]) for row in rows]


def order_service(
    mysql: MySQL, after_commit: Callable[[], None] = lambda: None, retention_days: int = 7
) -> OrderService:
    """The order use cases on a database of the test's choosing, as the wiring builds them."""
    return OrderService(mysql_units_of_work(mysql, after_commit), retention_days=retention_days)
