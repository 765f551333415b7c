"""Latency of the orders API: POST /api/orders at each of the plan's request rates and GET
/api/orders/{id} at the first (open model: constant arrivals, latency from each request's due
time), and both at saturation (closed loop: a fixed number of clients back to back, whose
latency hides queueing, since a slow answer delays the next request)."""

from __future__ import annotations

import random
from typing import Any

from bench.figures import summary
from bench.load import (
    Outcome,
    closed_loop,
    get_path,
    new_session,
    open_loop,
    post_order,
)
from bench.plan import Plan


def figures(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    """p50 / p95 / p99 / max of the answered requests, their count, errors and rate."""
    ok = [o.latency for o in outcomes if o.ok]
    return {
        **summary(ok, (50, 95, 99)),
        "requests": len(outcomes),
        "errors": len(outcomes) - len(ok),
        "requests_per_second": len(ok) / seconds if seconds > 0 else 0.0,
    }


async def measure(base_url: str, plan: Plan) -> dict[str, Any]:
    rng = random.Random("api")
    rate, count = plan.api_rates[0], max(2, round(plan.api_rates[0] * plan.api_seconds))
    post_open: dict[str, dict[str, Any]] = {}
    paths: list[str] = []
    async with new_session(base_url) as http:
        for post_rate in plan.api_rates:
            posts = max(2, round(post_rate * plan.api_seconds))
            posted = await open_loop(
                post_order(http, rng, keep_id=not paths), post_rate, posts, f"POST @{post_rate}/s"
            )
            post_open[str(post_rate)] = figures(posted, posts / post_rate)
            paths = paths or [f"/api/orders/{o.value}" for o in posted if o.ok and o.value]
        if not paths:
            raise RuntimeError("no order could be created for the GET latency test")
        got = await open_loop(get_path(http, paths), rate, count, "GET @rate")
        post_sat, post_seconds = await closed_loop(
            post_order(http, rng, keep_id=False),
            plan.saturation_clients,
            plan.saturation_seconds,
            "POST saturation",
        )
        get_sat, get_seconds = await closed_loop(
            get_path(http, paths),
            plan.saturation_clients,
            plan.saturation_seconds,
            "GET saturation",
        )
    return {
        "rate": rate,
        "saturation_clients": plan.saturation_clients,
        "post_open": post_open,
        "get_at_rate": figures(got, count / rate),
        "post_saturation": figures(post_sat, post_seconds),
        "get_saturation": figures(get_sat, get_seconds),
    }
