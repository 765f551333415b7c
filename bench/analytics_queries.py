"""Latency of every analytics endpoint on a loaded ClickHouse: one client, calls back to back,
timed by the client and, as a cross-check, by the server's per-endpoint histogram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bench.figures import histogram_summary, scrape_histogram, summary
from bench.load import closed_loop, get_path
from bench.orders import USER_IDS

QUERY_METRIC = "ecommerce_analytics_query_seconds"


def endpoints(today: datetime) -> dict[str, list[str]]:
    """Endpoint name (as /metrics labels it) → the paths to call, cycled."""
    first = (today - timedelta(days=29)).date().isoformat()
    last = today.date().isoformat()
    return {
        "stats": ["/api/analytics/stats"],
        "daily-sales": [f"/api/analytics/daily-sales?startDate={first}&endDate={last}"],
        "hourly-sales": ["/api/analytics/hourly-sales"],
        "order-status": ["/api/analytics/order-status"],
        "users": [f"/api/analytics/users/{user_id}" for user_id in USER_IDS],
    }


async def measure(base_url: str, calls: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession(base_url) as http:
        for name, paths in endpoints(datetime.now(UTC)).items():
            before = await scrape_histogram(http, QUERY_METRIC, {"endpoint": name})
            outcomes, _ = await closed_loop(get_path(http, paths), 1, 0.0, name, total=calls)
            after = await scrape_histogram(http, QUERY_METRIC, {"endpoint": name})
            latencies = [o.latency for o in outcomes if o.ok]
            results[name] = {
                **summary(latencies, (50, 99)),
                "calls": len(outcomes),
                "errors": len(outcomes) - len(latencies),
                "server": histogram_summary(before, after),
            }
    return results
