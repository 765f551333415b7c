"""The dashboard's live channel in a real browser: orders placed through the API at a steady
rate each reach the key figures by push, with no poll; a dropped channel falls back to polling
and comes back with backoff; and a dashboard at rest costs ClickHouse nothing."""

from __future__ import annotations

import asyncio
import itertools
import time
from decimal import Decimal

import aiohttp
from playwright.async_api import BrowserContext, Page, Request, WebSocketRoute, expect

from bench.figures import summary
from bench.pixel import WATCH_ORDERS_CARD, order_to_pixel, shown_at
from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.e2e.browser.dashboard_support import settled_figures, shown_figures

LIVE = "**/api/analytics/live"
ORDER = {"userId": 4, "shippingAddress": "Incheon", "items": [{"productId": 102, "quantity": 1}]}


async def _place_order(http: aiohttp.ClientSession) -> tuple[float, Decimal]:
    """An order through the API: when its 201 arrived (wall clock) and its total."""
    async with http.post("/api/orders", json=ORDER) as response:
        assert response.status == 201
        total = Decimal(str((await response.json())["totalAmount"]))
    return time.time(), total


def _requests_to(page: Page, path: str) -> list[Request]:
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if path in r.url else None)
    return sent


async def _live_dashboard(context: BrowserContext, path: str = "/dashboard.html") -> Page:
    page = await context.new_page()
    await page.goto(path)
    await expect(page.locator("#channel")).to_have_attribute("data-state", "push")
    await expect(page.locator("#channel")).to_have_text("Live")
    return page


async def test_orders_at_a_steady_rate_each_reach_the_key_figures_by_push(
    context: BrowserContext, http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    dashboard = await _live_dashboard(context)
    orders_before, revenue_before = await settled_figures(http, mysql, dashboard)
    await dashboard.evaluate(WATCH_ORDERS_CARD)
    health_polls = _requests_to(dashboard, "/api/health")

    answered: list[float] = []
    revenue = revenue_before
    for _ in range(10):  # 5 orders a second, each waiting for the last one's 201
        started = time.monotonic()
        at, total = await _place_order(http)
        answered.append(at)
        revenue += total
        await asyncio.sleep(max(0.0, 0.2 - (time.monotonic() - started)))

    await expect(dashboard.locator("#kpi-orders")).to_have_attribute(
        "data-value", str(orders_before + 10)
    )
    assert await shown_figures(dashboard) == (orders_before + 10, revenue)
    shown = shown_at(await dashboard.evaluate("window.ordersShown"), orders_before, 10)
    assert len(shown) == 10, "every order reached the Orders card"
    print("order → pixel, pushed (s):", summary(order_to_pixel(answered, shown)))
    # The pipeline panel rode the channel too: the page asked for no health while it was open.
    await expect(dashboard.locator("#pipeline-overall")).to_have_text("All systems normal")
    assert health_polls == []
    await expect(dashboard.locator("#channel")).to_have_attribute("data-state", "push")


async def test_a_dropped_channel_falls_back_to_polling_and_reconnects_with_backoff(
    context: BrowserContext, http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    connected: list[WebSocketRoute] = []
    refused_at: list[float] = []
    blocked = False

    async def channel(route: WebSocketRoute) -> None:
        # Passed through to the app, or (while "blocked", like a proxy that lost the worker)
        # closed at once.
        if blocked:
            refused_at.append(time.monotonic())
            await route.close(code=1011, reason="test: the channel is down")
        else:
            route.connect_to_server()
            connected.append(route)

    dashboard = await context.new_page()
    await dashboard.route_web_socket(LIVE, channel)
    await dashboard.goto("/dashboard.html")
    channel_state = dashboard.locator("#channel")
    await expect(channel_state).to_have_attribute("data-state", "push")
    orders, revenue = await settled_figures(http, mysql, dashboard)

    blocked = True
    await connected[-1].close(code=1001, reason="test: dropped")
    await expect(channel_state).to_have_attribute("data-state", "polling")
    await expect(channel_state).to_contain_text("polling every 2 s")
    _, total = await _place_order(http)
    await expect(dashboard.locator("#kpi-orders")).to_have_attribute("data-value", str(orders + 1))
    assert await shown_figures(dashboard) == (orders + 1, revenue + total)

    # Each retry waits longer than the one before (1 s, 2 s, 4 s, ... each ± 20 %).
    async def three_refused() -> bool:
        return len(refused_at) >= 3

    await poll(three_refused, timeout=20, interval=0.2)
    gaps = [later - earlier for earlier, later in itertools.pairwise(refused_at)]
    assert 1.5 < gaps[0] < gaps[1], gaps

    blocked = False
    await expect(channel_state).to_have_attribute("data-state", "push", timeout=15_000)
    polls = _requests_to(dashboard, "/api/health")
    _, second = await _place_order(http)
    await expect(dashboard.locator("#kpi-orders")).to_have_attribute("data-value", str(orders + 2))
    assert await shown_figures(dashboard) == (orders + 2, revenue + total + second)
    await asyncio.sleep(2.5)  # longer than a poll interval: no poll may come while live
    assert polls == []


async def _analytics_queries(http: aiohttp.ClientSession) -> float:
    """ClickHouse queries the analytics endpoints made so far (their histogram's count)."""
    async with http.get("/metrics") as response:
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("ecommerce_analytics_query_seconds_count{")
    )


async def test_a_live_dashboard_at_rest_asks_clickhouse_nothing(
    context: BrowserContext, http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    dashboard = await _live_dashboard(context)
    await settled_figures(http, mysql, dashboard)

    async def standing_still() -> float | None:
        counted = await _analytics_queries(http)
        await asyncio.sleep(1)
        return counted if await _analytics_queries(http) == counted else None

    before = await poll(standing_still, timeout=20)  # the last notice's refresh has landed
    await asyncio.sleep(5)  # the window measured: two and a half poll intervals
    assert await _analytics_queries(http) == before
    # The same wait with a polling dashboard beside it costs queries: the count can move.
    polling = await context.new_page()
    await polling.goto("/dashboard.html?updates=poll")
    await expect(polling.locator("#channel")).to_have_attribute("data-state", "polling")
    await asyncio.sleep(5)
    assert await _analytics_queries(http) >= before + 8
