"""The API's size limits, at their edges: body bytes (however they are sent), items per order,
page size, hour buckets, analytics date ranges; and HTTP the server cannot even parse. Past an
edge: a clear 4xx that writes nothing; at it: served."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta

import aiohttp
import pytest

from ecommerce_stream.analytics.schemas import MAX_HOURS, MAX_RANGE_DAYS
from ecommerce_stream.orders.domain import MAX_ITEMS
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.web.http import MAX_REQUEST_BODY_BYTES
from tests.orders_support import create_order, order_body, service_headers, table_counts
from tests.security.hostile_http import send


def _padded(size: int) -> bytes:
    """A JSON order body of exactly `size` bytes (an unknown field carries the padding)."""
    head, tail = b'{"userId": 1, "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def _post(
    http: aiohttp.ClientSession,
    path: str,
    data: bytes | AsyncIterator[bytes],
    method: str = "POST",
    token: dict[str, str] | None = None,
) -> tuple[int, dict[str, object]]:
    headers = {"Content-Type": "application/json", **(token or {})}
    async with http.request(method, path, data=data, headers=headers) as response:
        assert response.content_type == "application/json"
        return response.status, (await response.json())["error"]


async def test_a_body_at_the_limit_is_read_and_one_byte_over_is_413(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http)
    token = service_headers(settings)
    before = await table_counts(mysql)
    for path, method in [("/api/orders", "POST"), (f"/api/orders/{order['id']}/status", "PATCH")]:
        status, error = await _post(http, path, _padded(MAX_REQUEST_BODY_BYTES), method, token)
        assert (status, error["code"]) == (422, "validation_failed")  # read, then judged
        status, error = await _post(http, path, _padded(MAX_REQUEST_BODY_BYTES + 1), method, token)
        assert (status, error["code"]) == (413, "request_entity_too_large")
    assert await table_counts(mysql) == before


async def test_a_chunked_body_without_a_length_is_cut_at_the_limit(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        body = _padded(4 * MAX_REQUEST_BODY_BYTES)
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    before = await table_counts(mysql)
    try:
        status, error = await _post(http, "/api/orders", chunks())
    except aiohttp.ClientOSError:
        pytest.fail("the server hung up without answering")
    assert (status, error["code"]) == (413, "request_entity_too_large")
    assert await table_counts(mysql) == before


async def test_at_most_100_items(http: aiohttp.ClientSession, mysql: MySQL) -> None:
    assert MAX_ITEMS == 100
    item = {"productId": 101, "quantity": 1}
    created = await create_order(http, items=[item] * MAX_ITEMS)
    assert len(created["items"]) == MAX_ITEMS
    before = await table_counts(mysql)
    async with http.post("/api/orders", json=order_body(items=[item] * 101)) as response:
        assert response.status == 422
        details = (await response.json())["error"]["details"]
    assert [detail["field"] for detail in details] == ["items"]
    assert await table_counts(mysql) == before


@pytest.mark.parametrize(
    ("query", "status"),
    [("limit=200", 200), ("limit=201", 400), ("limit=100000", 400), ("limit=-1", 400)],
)
async def test_a_page_holds_at_most_200_orders(
    http: aiohttp.ClientSession, query: str, status: int
) -> None:
    async with http.get(f"/api/orders/user/1?{query}") as response:
        assert response.status == status


@pytest.mark.parametrize(
    ("limit", "status"), [(MAX_HOURS, 200), (MAX_HOURS + 1, 400), (10**12, 400)]
)
async def test_hourly_sales_return_at_most_31_days_of_hours(
    http: aiohttp.ClientSession, limit: int, status: int
) -> None:
    async with http.get(f"/api/analytics/hourly-sales?limit={limit}") as response:
        assert response.status == status


@pytest.mark.parametrize(
    "endpoint", ["daily-sales", "hourly-sales", "order-status"], ids=lambda name: name
)
async def test_an_analytics_range_spans_at_most_731_days(
    http: aiohttp.ClientSession, endpoint: str
) -> None:
    assert MAX_RANGE_DAYS == 731
    start = date(2024, 1, 1)
    last_allowed = start + timedelta(days=MAX_RANGE_DAYS - 1)  # 731 days, both ends included

    async def answer(end: date) -> tuple[int, dict[str, object] | list[object]]:
        query = f"startDate={start.isoformat()}&endDate={end.isoformat()}"
        async with http.get(f"/api/analytics/{endpoint}?{query}") as response:
            return response.status, await response.json()

    assert (await answer(last_allowed))[0] == 200
    status, body = await answer(last_allowed + timedelta(days=1))
    assert status == 400 and isinstance(body, dict)
    assert "731 days" in body["error"]["details"][0]["message"]  # type: ignore[index]
    assert (await answer(date(9999, 12, 31)))[0] == 400


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
        b"GET /api/orders/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"NOT-HTTP\r\n\r\n",
        b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ],
    ids=["8 KiB header", "8 KiB path", "two framings", "garbage", "negative length"],
)
async def test_unparseable_http_is_refused_with_400(
    settings: Settings, mysql: MySQL, request_bytes: bytes
) -> None:
    """aiohttp refuses these before any route or middleware sees them; the answer is still the
    API's JSON error (web/errors.py, serve_parser_errors_as_json)."""
    before = await table_counts(mysql)
    answer = await asyncio.to_thread(send, settings.port, request_bytes)
    assert (answer.status, answer.headers["content-type"]) == (400, "application/json")
    assert json.loads(answer.body)["error"]["code"] == "malformed_http"
    assert await table_counts(mysql) == before
