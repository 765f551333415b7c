"""One order all the way: HTTP → MySQL + outbox → Kafka → transformer → ClickHouse → stats."""

from __future__ import annotations

import time
import uuid
from typing import Any

import aiohttp

from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.pipeline_support import analytics_show_order, settled_stats


async def test_an_order_becomes_visible_in_analytics(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    before = await settled_stats(http, mysql)
    order = {
        "userId": 3,
        "shippingAddress": "Incheon",
        "totalAmount": 57001.00,
        "items": [{"productId": 108, "quantity": 2, "price": 28500.50}],
    }
    started = time.monotonic()
    async with http.post("/api/orders", json=order) as response:
        assert response.status == 201, await response.text()
        created = await response.json()

    await analytics_show_order(http, before, created, timeout=15)
    elapsed = time.monotonic() - started
    assert created["totalAmount"] == 57001.00
    print(f"order visible in analytics after {elapsed * 1000:.0f} ms")


async def test_health_reports_every_store(http: aiohttp.ClientSession, mysql: MySQL) -> None:
    await settled_stats(http, mysql)
    # Rows not due for an hour: the relay leaves them, so the backlog is known exactly.
    parked = [str(uuid.uuid4()) for _ in range(2)]
    await mysql.fetch_all(
        "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, payload,"
        " created_at, available_at) VALUES"
        + ", ".join(
            [
                "(%s, 'Order', 'parked', 'OrderCreated', '{}', UTC_TIMESTAMP(6),"
                " UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)"
            ]
            * len(parked)
        ),
        tuple(parked),
    )

    # The figures are refreshed each second (health/pipeline.py): poll for the new backlog.
    async def counted() -> dict[str, Any] | None:
        async with http.get("/api/health") as response:
            assert response.status == 200
            health: dict[str, Any] = await response.json()
        return health if health["pipeline"]["outboxBacklog"] == len(parked) else None

    try:
        health = await poll(counted, timeout=10)
    finally:
        await mysql.fetch_all("DELETE FROM outbox WHERE event_id IN (%s, %s)", tuple(parked))
    assert health["mysql"]["status"] == "ok"
    assert health["kafka"]["status"] == "ok"
    assert health["clickhouse"]["status"] == "ok"


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
