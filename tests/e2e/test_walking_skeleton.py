"""One order all the way: HTTP → MySQL + outbox → Kafka → transformer → ClickHouse → stats."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import aiohttp

from tests.conftest import poll


async def _stats(http: aiohttp.ClientSession) -> dict[str, object]:
    async with http.get("/api/analytics/stats") as response:
        assert response.status == 200
        stats: dict[str, object] = await response.json()
        return stats


async def test_an_order_becomes_visible_in_analytics(http: aiohttp.ClientSession) -> None:
    before = await _stats(http)
    order = {
        "userId": 3,
        "shippingAddress": "Incheon",
        "totalAmount": 57001.00,
        "items": [{"productId": 108, "quantity": 2, "price": 28500.50}],
    }
    started = time.monotonic()
    async with http.post("/api/orders", json=order) as response:
        assert response.status == 201, await response.text()

    async def counted() -> dict[str, object] | None:
        stats = await _stats(http)
        return stats if stats["totalOrders"] == int(str(before["totalOrders"])) + 1 else None

    after = await poll(counted, timeout=15)
    elapsed = time.monotonic() - started
    revenue_delta = Decimal(str(after["totalRevenue"])) - Decimal(str(before["totalRevenue"]))
    assert revenue_delta == Decimal("57001.00")
    print(f"order visible in analytics after {elapsed * 1000:.0f} ms")


async def test_health_reports_every_store(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/health") as response:
        assert response.status == 200
        health = await response.json()
    assert health["mysql"]["status"] == "ok"
    assert health["kafka"]["status"] == "ok"
    assert health["clickhouse"]["status"] == "ok"
    assert health["pipeline"]["outboxBacklog"] >= 0


async def test_bad_input_gets_a_json_4xx(http: aiohttp.ClientSession) -> None:
    async with http.post(
        "/api/orders", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "malformed_json"
    async with http.post(
        "/api/orders",
        json={
            "userId": 999999,
            "shippingAddress": "x",
            "items": [{"productId": 101, "quantity": 1}],
        },
    ) as response:
        assert response.status == 422
        assert (await response.json())["error"]["details"][0]["field"] == "userId"
    async with http.get(f"/api/orders/{uuid.uuid4()}") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"
    async with http.get("/api/orders/does-not-exist") as response:
        assert response.status == 400  # no order id at all
        assert (await response.json())["error"]["code"] == "bad_request"
