"""Latency of the orders API: POST /api/orders and GET /api/orders/{id} at a fixed request rate
(open loop) and at saturation (closed loop: a fixed number of clients back to back)."""

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


def _figures(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    ok = [o.latency for o in outcomes if o.ok]
    return {
        **summary(ok, (50, 99)),
        "requests": len(outcomes),
        "errors": len(outcomes) - len(ok),
        "requests_per_second": len(ok) / seconds if seconds > 0 else 0.0,
    }


async def measure(base_url: str, plan: Plan) -> dict[str, Any]:
    rng = random.Random("api")
    rate, count = plan.api_rate, max(2, round(plan.api_rate * plan.api_seconds))
    async with new_session(base_url) as http:
        posted = await open_loop(post_order(http, rng, keep_id=True), rate, count, "POST @rate")
        paths = [f"/api/orders/{o.value}" for o in posted if o.ok and o.value]
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
        "post_at_rate": _figures(posted, count / rate),
        "get_at_rate": _figures(got, count / rate),
        "post_saturation": _figures(post_sat, post_seconds),
        "get_saturation": _figures(get_sat, get_seconds),
    }
