"""Helpers of the whole-pipeline tests: a settled baseline, and proof that one given order
(not any order that happened to be in flight) reached the analytics."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp

from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll

LIVE_TOTALS_SQL = (
    "SELECT COUNT(*) AS orders, COALESCE(SUM(total_amount), 0) AS revenue"
    " FROM orders WHERE deleted_at IS NULL"
)


async def stats(http: aiohttp.ClientSession) -> dict[str, Any]:
    async with http.get("/api/analytics/stats") as response:
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
        return answer


async def settled_stats(http: aiohttp.ClientSession, mysql: MySQL) -> dict[str, Any]:
    """The analytics totals once nothing is in flight: the outbox is empty and ClickHouse
    counts exactly MySQL's live orders. An earlier test's order can no longer arrive late and
    pass for the one a test is waiting for."""

    async def settled() -> dict[str, Any] | None:
        pending = await mysql.fetch_one("SELECT COUNT(*) AS n FROM outbox WHERE processed = FALSE")
        live = await mysql.fetch_one(LIVE_TOTALS_SQL)
        assert pending is not None and live is not None
        answer = await stats(http)
        matches = (answer["totalOrders"], Decimal(str(answer["totalRevenue"]))) == (
            int(live["orders"]),
            Decimal(live["revenue"]),
        )
        return answer if pending["n"] == 0 and matches else None

    settled_answer: dict[str, Any] = await poll(settled, timeout=30)
    return settled_answer


async def analytics_show_order(
    http: aiohttp.ClientSession, before: dict[str, Any], order: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """Wait until the stats are `before` plus exactly `order`, and the customer's newest order
    in the analytics is `order` itself. Returns the stats."""

    async def arrived() -> dict[str, Any] | None:
        after = await stats(http)
        added = Decimal(str(after["totalRevenue"])) - Decimal(str(before["totalRevenue"]))
        if (after["totalOrders"] - before["totalOrders"], added) != (
            1,
            Decimal(str(order["totalAmount"])),
        ):
            return None
        async with http.get(f"/api/analytics/users/{order['userId']}") as response:
            customer = await response.json()
        newest = customer["lastOrderAt"]
        same = newest is not None and _instant(newest) == _instant(order["createdAt"])
        return after if same else None

    after: dict[str, Any] = await poll(arrived, timeout=timeout)
    return after


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
