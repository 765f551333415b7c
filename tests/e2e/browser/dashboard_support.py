"""What the dashboard's browser tests share: the API's answers, and the key figures the page
shows once the pipeline has settled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll


async def get_json(http: aiohttp.ClientSession, path: str) -> Any:
    async with http.get(path) as response:
        return await response.json()


async def shown_figures(dashboard: Page) -> tuple[int, Decimal]:
    orders = await dashboard.locator("#kpi-orders").get_attribute("data-value")
    revenue = await dashboard.locator("#kpi-revenue").get_attribute("data-value")
    assert orders is not None and revenue is not None
    return int(orders), Decimal(revenue)


async def settled_figures(
    http: aiohttp.ClientSession, mysql: MySQL, dashboard: Page
) -> tuple[int, Decimal]:
    """The dashboard's order count and revenue once every live order in MySQL has reached the
    analytics (nothing of an earlier test is still in flight) and the dashboard shows them."""

    async def settled() -> dict[str, Any] | None:
        stats = await get_json(http, "/api/analytics/stats")
        live = await mysql.fetch_one(
            "SELECT COUNT(*) AS orders, COALESCE(SUM(total_amount), 0) AS revenue"
            " FROM orders WHERE deleted_at IS NULL"
        )
        assert live is not None
        in_step = (live["orders"], live["revenue"]) == (
            stats["totalOrders"],
            Decimal(str(stats["totalRevenue"])),
        )
        return stats if in_step else None

    stats = await poll(settled, timeout=30, interval=0.1)
    await expect(dashboard.locator("#kpi-orders")).to_have_attribute(
        "data-value", str(stats["totalOrders"])
    )
    figures = await shown_figures(dashboard)
    assert figures[1] == Decimal(str(stats["totalRevenue"]))
    return figures
