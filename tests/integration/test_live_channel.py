"""The live channel against the running worker and the real Kafka: an order's batch reaches an
open channel as a "changed" notice, every process reading analytics.changes sees the same
notice (no consumer group), and the channel count shows in /metrics."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from ecommerce_stream.analytics.changes import AnalyticsChanged
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.kafka import BroadcastReader
from ecommerce_stream.topics import ANALYTICS_CHANGES
from tests.conftest import poll

ORDER = {"userId": 6, "shippingAddress": "Daegu", "items": [{"productId": 103, "quantity": 2}]}


async def _metric(http: aiohttp.ClientSession, name: str) -> float:
    async with http.get("/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(f"{name} "):
                return float(line.split(" ")[1])
    raise AssertionError(f"{name} is not in /metrics")


async def _next_changed(channel: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next "changed" message (health messages come in between), within 20 s."""
    async with asyncio.timeout(20):
        while True:
            message = await channel.receive_json()
            if message["type"] == "changed":
                return dict(message["data"])


async def test_an_order_reaches_every_process_and_every_open_channel(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    # A second reader, in this process: like another API process, it must see every notice too.
    notices: list[bytes] = []
    reader = BroadcastReader(
        settings.kafka_brokers, "live-channel-test", ANALYTICS_CHANGES, notices.append
    )
    reading = asyncio.ensure_future(reader.run())
    # The pages of earlier tests have closed their channels.
    await poll(lambda: _metric_is(http, "ecommerce_push_channels", 0))
    notices_before = await _metric(http, "ecommerce_analytics_change_notices_total")
    async with http.ws_connect("/api/analytics/live") as channel:
        await poll(lambda: _metric_is(http, "ecommerce_push_channels", 1))
        await asyncio.wait_for(reader.reading.wait(), timeout=20)
        async with http.post("/api/orders", json=ORDER) as placed:
            assert placed.status == 201
        changed = AnalyticsChanged.model_validate(await _next_changed(channel))
        assert changed.rows >= 1

        async def read_here() -> bool:
            return any(AnalyticsChanged.model_validate_json(n) == changed for n in notices)

        await poll(read_here, timeout=20)
        assert await _metric(http, "ecommerce_analytics_change_notices_total") > notices_before
    reading.cancel()
    await poll(lambda: _metric_is(http, "ecommerce_push_channels", 0))


async def _metric_is(http: aiohttp.ClientSession, name: str, value: float) -> bool:
    return await _metric(http, name) == value


async def test_a_request_without_an_upgrade_is_a_json_400(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/analytics/live") as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "bad_request"
