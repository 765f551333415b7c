"""One spelling per order id: the lowercase, hyphenated UUID the API hands out. Every route that
takes an order id answers any other spelling with 400 before reading or writing anything, and
MariaDB compares the id columns exactly, so no other spelling could match there either."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import pymysql
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import admin_headers, create_order, service_headers, table_counts

# (method, path, what a valid request would send): each would read or change the order.
ROUTES = [
    ("GET", "/api/orders/{}", {}),
    ("PATCH", "/api/orders/{}/status", {"json": {"status": "CANCELLED"}, "auth": "service"}),
    ("GET", "/admin/orders/{}", {"auth": "admin"}),
    ("DELETE", "/admin/orders/{}", {"auth": "admin"}),
    ("POST", "/admin/orders/{}/restore", {"auth": "admin"}),
    ("GET", "/api/analytics/versions/{}", {}),
]


def _spellings(order_id: str) -> dict[str, str]:
    """Other texts naming the same UUID, or nearly: none of them is the order's id. (With a
    brace, which no route placeholder takes, no route matches: tests/security/test_injection.)"""
    return {
        "upper case": order_id.upper(),
        "one letter upper": order_id.replace(next(c for c in order_id if c.isalpha()), "A", 1),
        "trailing space": order_id + " ",
        "trailing NUL": order_id + "\x00",
        "leading space": " " + order_id,
        "no hyphens": order_id.replace("-", ""),
        "urn": "urn:uuid:" + order_id,
        "fullwidth digit": order_id.replace("-", "\uff10", 1),
    }


def _options(options: dict[str, Any], settings: Settings) -> dict[str, Any]:
    auth = options.get("auth")
    headers = {"admin": admin_headers(settings), "service": service_headers(settings)}
    return {
        **({"json": options["json"]} if "json" in options else {}),
        "headers": headers[auth] if auth else {},
    }


@pytest.mark.parametrize(("method", "template", "options"), ROUTES, ids=[r[1] for r in ROUTES])
async def test_no_other_spelling_of_an_id_reaches_the_order(
    http: aiohttp.ClientSession,
    mysql: MySQL,
    settings: Settings,
    method: str,
    template: str,
    options: dict[str, Any],
) -> None:
    order = await create_order(http)
    request = _options(options, settings)
    before = await table_counts(mysql)
    for name, spelling in _spellings(order["id"]).items():
        path = template.format(quote(spelling, safe=""))
        async with http.request(method, path, **request) as response:
            assert response.status == 400, f"{name}: {await response.text()}"
            error = (await response.json())["error"]
        assert (error["code"], error["details"][0]["field"]) == ("bad_request", "order_id")
    assert await table_counts(mysql) == before
    async with http.get(f"/api/orders/{order['id']}") as response:
        assert (await response.json())["version"] == 1  # untouched


@pytest.mark.parametrize(("method", "template", "options"), ROUTES, ids=[r[1] for r in ROUTES])
async def test_an_unknown_canonical_id_is_404(
    http: aiohttp.ClientSession,
    settings: Settings,
    method: str,
    template: str,
    options: dict[str, Any],
) -> None:
    unknown = "0b6f2d4e-8c1a-4f3e-9d2b-5a7c6e1f0a39"
    async with http.request(method, template.format(unknown), **_options(options, settings)) as r:
        assert r.status == 404
        assert (await r.json())["error"]["code"] == "not_found"


async def test_the_id_columns_compare_exactly(http: aiohttp.ClientSession, mysql: MySQL) -> None:
    """Even SQL that skipped the API's check finds an order by its exact id only."""
    order_id = (await create_order(http))["id"]
    for table, column in [
        ("orders", "id"),
        ("order_items", "order_id"),
        ("outbox", "aggregate_id"),
    ]:
        exact = await mysql.fetch_all(f"SELECT 1 FROM {table} WHERE {column} = %s", (order_id,))
        assert exact, table
        for spelling in [order_id.upper(), order_id + " ", order_id + "\x00"]:
            found = await mysql.fetch_all(f"SELECT 1 FROM {table} WHERE {column} = %s", (spelling,))
            assert found == [], f"{table}.{column} matched {spelling!r}"


async def test_the_database_stores_canonical_order_ids_only(mysql: MySQL) -> None:
    for order_id in ["0B6F2D4E-8C1A-4F3E-9D2B-5A7C6E1F0A39", "not-a-uuid"]:
        with pytest.raises(pymysql.err.OperationalError, match="ck_orders_id"):
            await mysql.fetch_all(
                "INSERT INTO orders (id, user_id, status, total_amount, shipping_address,"
                " created_at, updated_at) VALUES (%s, 1, 'PENDING', 0, 'x', UTC_TIMESTAMP(6),"
                " UTC_TIMESTAMP(6))",
                (order_id,),
            )
