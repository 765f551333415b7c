"""Order → pixel: orders placed through the API at a steady rate, each timed from its 201 to the
frame in which a real browser's dashboard first shows it on the Orders card; one dashboard on
the live channel and one polling every 2 s (`?updates=poll`), side by side, on the same orders.

Attribution as for freshness (bench/freshness.py): the k-th order answered is taken as shown at
the first frame whose order count reaches base + k. The page stamps a frame with Date.now() in
the requestAnimationFrame after the count changed, the load generator stamps each 201 with the
same machine's wall clock."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

from bench.figures import summary
from bench.load import new_session, open_loop, post_order

# Debian's chromium (devstack/install-system.sh), never a browser of Playwright's download. No
# sandbox (tests may run as root), nothing that phones home.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# How the two dashboards are kept up to date: the page's own default, and its polling option.
MODES = {"push": "/dashboard.html", "poll": "/dashboard.html?updates=poll"}
DRAIN_TIMEOUT_SECONDS = 10.0

# Every change of the Orders card's count, as (wall-clock ms of the next frame, count).
WATCH_ORDERS_CARD = """() => {
    window.ordersShown = [];
    const card = document.getElementById("kpi-orders");
    new MutationObserver(() => {
        const count = Number(card.dataset.value);
        requestAnimationFrame(() => window.ordersShown.push([Date.now(), count]));
    }).observe(card, { attributes: true, attributeFilter: ["data-value"] });
}"""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Debian chromium."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


def shown_at(shown: list[tuple[float, int]], base: int, count: int) -> list[float]:
    """When (wall-clock seconds) the page first showed base + 1, base + 2, ... base + count."""
    times: list[float] = []
    for at_ms, total in shown:
        while len(times) < min(total - base, count):
            times.append(at_ms / 1000)
    return times


def order_to_pixel(answered: list[float], shown: list[float]) -> list[float]:
    """The k-th 201 (in time order) paired with the k-th count shown."""
    return [max(0.0, seen - taken) for taken, seen in zip(sorted(answered), shown, strict=False)]


async def open_dashboard(browser: Browser, base_url: str, path: str) -> Page:
    """A dashboard settled on the current count (live, if it is the push page), watched."""
    context = await browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, timezone_id="UTC"
    )
    page = await context.new_page()
    await page.goto(path)
    state = "polling" if "updates=poll" in path else "push"
    await page.wait_for_function(
        f"document.getElementById('channel').dataset.state === '{state}'"
        " && document.getElementById('kpi-orders').dataset.value !== undefined"
    )
    await page.evaluate(WATCH_ORDERS_CARD)
    return page


async def shown_count(page: Page) -> int:
    return int(await page.eval_on_selector("#kpi-orders", "card => card.dataset.value"))


async def measure(base_url: str, rate: float, seconds: float) -> dict[str, Any]:
    """Order → pixel p50/p95/p99 for each mode, over `rate` × `seconds` orders."""
    count = max(1, round(rate * seconds))
    async with chromium() as browser, new_session(base_url) as http:
        pages = {
            mode: await open_dashboard(browser, base_url, path) for mode, path in MODES.items()
        }
        async with http.get("/api/analytics/stats") as response:
            base = int((await response.json())["totalOrders"])
        for page in pages.values():  # both start from the same count
            await page.wait_for_function(
                f"Number(document.getElementById('kpi-orders').dataset.value) === {base}"
            )
        wall_minus_perf = time.time() - time.perf_counter()
        outcomes = await open_loop(
            post_order(http, random.Random("pixel"), keep_id=False), rate, count, "order → pixel"
        )
        answered = sorted(o.done + wall_minus_perf for o in outcomes if o.ok)
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        for page in pages.values():
            while await shown_count(page) < base + len(answered) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        results: dict[str, Any] = {"rate": rate, "orders": count, "accepted": len(answered)}
        for mode, page in pages.items():
            shown = shown_at(await page.evaluate("window.ordersShown"), base, len(answered))
            results[mode] = {
                **summary(order_to_pixel(answered, shown)),
                "not_shown": len(answered) - len(shown),
            }
        return results
