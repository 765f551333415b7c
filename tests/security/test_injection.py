"""SQL and script injection through every string the API takes: the shipping address, the
Idempotency-Key and X-Admin-Id headers, path and query parameters. Accepted text is stored and
returned exactly as sent and changes nothing else; text a field's rules refuse gets a clear 4xx
and writes nothing (refused Idempotency-Keys, markup and SQL among them, are tested with the
other key rules in tests/integration/test_orders_api.py)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import (
    admin_headers,
    create_order,
    events_of,
    order_body,
    service_headers,
    table_counts,
)

# SQL metacharacters (quotes, escapes, comments, statement ends, LIKE wildcards), classic
# injections, and HTML that would run script if a page parsed it.
HOSTILE = [
    "'",
    '"',
    "\\",
    ";",
    "--",
    "/* */",
    "%",
    "_",
    "' OR '1'='1",
    "'; DROP TABLE orders; --",
    "\\'; DELETE FROM outbox; #",
    '" OR ""="',
    "%' OR 1=1 --",
    "1; SELECT SLEEP(5)",
    "' UNION SELECT name, email FROM users --",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</textarea><svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} %s %d",
    "Seoul\n'Apt 3'\t\\ 서울 😀",
]

# Controls other than tab and line breaks are refused in an address (README, "Security").
CONTROL_CHARACTERS = ["\x00", "Seoul\x00", "a\x00b", "\x1b[2J", "bell\x07", "del\x7f"]


@pytest.fixture(scope="module")
async def catalog_before(mysql: MySQL) -> dict[str, int]:
    row = await mysql.fetch_one(
        "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM products) AS products"
    )
    assert row is not None
    return {name: int(count) for name, count in row.items()}


async def _unharmed(mysql: MySQL, catalog_before: dict[str, int]) -> None:
    """The tables an injection would go for are still there, with what they held."""
    await table_counts(mysql)  # every written table still exists
    row = await mysql.fetch_one(
        "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM products) AS products"
    )
    assert row is not None and {k: int(v) for k, v in row.items()} == catalog_before


@pytest.mark.parametrize("text", HOSTILE)
async def test_a_hostile_address_is_kept_literally(
    http: aiohttp.ClientSession, mysql: MySQL, catalog_before: dict[str, int], text: str
) -> None:
    address = f"{text} end"  # the address must hold a visible character besides
    before = await table_counts(mysql)

    created = await create_order(http, userId=8, shippingAddress=address)

    assert created["shippingAddress"] == address
    async with http.get(f"/api/orders/{created['id']}") as response:
        assert (await response.json())["shippingAddress"] == address
    async with http.get("/api/orders/user/8?limit=200") as response:
        listed = {order["id"]: order for order in await response.json()}
    assert listed[created["id"]]["shippingAddress"] == address
    stored = await mysql.fetch_one(
        "SELECT shipping_address FROM orders WHERE id = %s", (created["id"],)
    )
    assert stored == {"shipping_address": address}
    [event] = await events_of(mysql, created["id"])
    assert event["shippingAddress"] == address
    after = await table_counts(mysql)
    assert (after["orders"], after["outbox"]) == (before["orders"] + 1, before["outbox"] + 1)
    await _unharmed(mysql, catalog_before)


@pytest.mark.parametrize("address", CONTROL_CHARACTERS, ids=repr)
async def test_an_address_with_control_characters_is_refused(
    http: aiohttp.ClientSession, mysql: MySQL, address: str
) -> None:
    before = await table_counts(mysql)
    async with http.post("/api/orders", json=order_body(shippingAddress=address)) as response:
        assert response.status == 422
        error = (await response.json())["error"]
    assert error["code"] == "validation_failed"
    assert [detail["field"] for detail in error["details"]] == ["shippingAddress"]
    assert await table_counts(mysql) == before


async def test_idempotency_keys_with_metacharacters_are_exact(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    """Every visible ASCII character is allowed in a key; a key matches only itself, not a
    LIKE pattern, not another case."""
    base = f"k'\"\\;--/**/<script>alert(1)</script>{uuid.uuid4().hex}"
    keys = [f"{base}%", f"{base}_", f"{base}x", f"{base}X", base.upper() + "%"]
    orders: dict[str, str] = {}
    for key in keys:
        async with http.post(
            "/api/orders", json=order_body(), headers={"Idempotency-Key": key}
        ) as response:
            assert response.status == 201, f"{key!r} was taken for another key"
            orders[key] = (await response.json())["id"]
    for key in keys:  # each retry finds its own order
        async with http.post(
            "/api/orders", json=order_body(), headers={"Idempotency-Key": key}
        ) as response:
            assert response.status == 200
            assert (await response.json())["id"] == orders[key]
    placeholders = ", ".join(["%s"] * len(orders))
    rows = await mysql.fetch_all(
        "SELECT idempotency_key, order_id FROM idempotency_keys"
        f" WHERE order_id IN ({placeholders})",
        tuple(orders.values()),
    )
    assert {row["idempotency_key"]: row["order_id"] for row in rows} == orders


def _path(template: str, value: str) -> URL:
    # Percent-encoded as a client would send it; `encoded` keeps the client from normalising it.
    return URL(template.format(quote(value, safe="")), encoded=True)


@pytest.mark.parametrize("order_id", [*HOSTILE, "\x00", "../../admin/orders", "a" * 5000])
async def test_hostile_order_ids_in_paths_find_nothing_and_change_nothing(
    http: aiohttp.ClientSession,
    mysql: MySQL,
    settings: Settings,
    catalog_before: dict[str, int],
    order_id: str,
) -> None:
    await create_order(http)  # something an injected WHERE clause could hit
    before = await table_counts(mysql)
    admin = admin_headers(settings)
    service = {"json": {"status": "CANCELLED"}, "headers": service_headers(settings)}
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/orders/{}", {}),
        ("PATCH", "/api/orders/{}/status", service),
        ("GET", "/admin/orders/{}", {"headers": admin}),
        ("DELETE", "/admin/orders/{}", {"headers": admin}),
        ("POST", "/admin/orders/{}/restore", {"headers": admin}),
    ]
    for method, template, options in calls:
        async with http.request(method, _path(template, order_id), **options) as response:
            # 400: no order id (a lowercase UUID); 404: no route, for text with a brace.
            assert response.status in (400, 404), f"{method} {template}: {await response.text()}"
            assert response.content_type == "application/json"
            code = (await response.json())["error"]["code"]
            assert code == ("bad_request" if response.status == 400 else "not_found")
    assert await table_counts(mysql) == before
    await _unharmed(mysql, catalog_before)


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_ids_and_query_parameters_are_refused(
    http: aiohttp.ClientSession, text: str
) -> None:
    """Numeric ids with anything else in them are a 400 (or, with a brace, which no route
    placeholder matches, a 404); so are limits, offsets and dates as query parameters."""
    for target in [
        _path("/api/users/{}", text),
        _path("/api/products/{}", text),
        _path("/api/orders/user/{}", text),
        _path("/api/analytics/users/{}", text),
    ]:
        async with http.get(target) as response:
            assert response.status in (400, 404), f"{target}: {await response.text()}"
            assert response.content_type == "application/json"
            error = (await response.json())["error"]
            assert error["code"] == ("bad_request" if response.status == 400 else "not_found")
    queries = [
        _path("/api/orders/user/1?limit={}", f"10{text}"),
        _path("/api/orders/user/1?offset={}", f"0{text}"),
        _path("/api/analytics/daily-sales?startDate={}", f"2026-01-01{text}"),
        _path("/api/analytics/hourly-sales?endDate={}", f"2026-01-01{text}"),
        _path("/api/analytics/order-status?startDate=2026-01-01&endDate={}", text),
        _path("/api/analytics/hourly-sales?limit={}", f"1{text}"),
    ]
    for target in queries:
        async with http.get(target) as response:
            assert response.status == 400, f"{target}: {await response.text()}"
            assert response.content_type == "application/json"
            error = (await response.json())["error"]
            assert error["code"] == "bad_request" and error["details"]


async def test_unknown_query_parameters_are_ignored_whatever_they_hold(
    http: aiohttp.ClientSession,
) -> None:
    order = await create_order(http, userId=6)
    hostile = "&".join(f"{quote(text, safe='')}={quote(text, safe='')}" for text in HOSTILE)
    async with http.get(URL(f"/api/orders/user/6?limit=200&{hostile}", encoded=True)) as response:
        assert response.status == 200
        assert order["id"] in [listed["id"] for listed in await response.json()]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fMakefile",
        "/static/%2e%2e%2f.env.example",
        "/static/app.css%00.js",
    ],
)
async def test_static_files_do_not_escape_their_folder(
    http: aiohttp.ClientSession, path: str
) -> None:
    async with http.get(URL(path, encoded=True)) as response:
        assert response.status in (403, 404)
        body = await response.text()
    assert "[project]" not in body and "MYSQL_PASSWORD" not in body and ".PHONY" not in body
