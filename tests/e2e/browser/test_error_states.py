"""What the pages say when something fails, in a real browser against the running app: a store
down (the health answer's 503), the API unreachable, the chart library missing, an order the
server cannot take. The failure is made in the browser (its requests are intercepted), the
rest of the answers are the app's own; each page recovers once the failure ends."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import aiohttp
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.e2e.browser.test_shop_and_dashboard import STORES

UNREACHABLE = "The server cannot be reached"


async def _open(context: BrowserContext, path: str) -> Page:
    page = await context.new_page()
    await page.goto(path)
    return page


async def _abort(route: Route) -> None:
    await route.abort("connectionrefused")


async def test_the_dashboard_names_a_store_that_is_down_and_recovers(
    context: BrowserContext,
) -> None:
    async def kafka_down(route: Route) -> None:
        health = await (await route.fetch()).json()
        health["kafka"] = {"status": "down", "detail": "no broker answered"}
        health["status"] = "degraded"
        await route.fulfill(status=503, content_type="application/json", body=json.dumps(health))

    dashboard = await context.new_page()
    await dashboard.route("**/api/health", kafka_down)
    # Polling: the live channel pushes the server's own health too, which would overtake the
    # intercepted answer whenever a push happens to come during the test.
    await dashboard.goto("/dashboard.html?updates=poll")

    kafka = dashboard.locator('[data-store="kafka"]')
    await expect(kafka).to_have_attribute("data-status", "down")
    await expect(kafka.locator(".pill")).to_have_text("Down")
    await expect(kafka).to_have_attribute("title", "Kafka: no broker answered")
    for store in set(STORES) - {"kafka"}:
        await expect(dashboard.locator(f'[data-store="{store}"]')).to_have_attribute(
            "data-status", "ok"
        )
    overall = dashboard.locator("#pipeline-overall")
    await expect(overall).to_have_attribute("data-status", "degraded")
    await expect(overall).to_have_text("Degraded: Kafka not OK")
    # A 503 with a health body is an answer, not a failure to load.
    await expect(dashboard.locator("#problem")).to_be_hidden()

    await dashboard.unroute("**/api/health", kafka_down)
    await expect(kafka).to_have_attribute("data-status", "ok")
    await expect(overall).to_have_text("All systems normal")


async def test_the_dashboard_says_when_the_api_is_unreachable_and_keeps_its_figures(
    context: BrowserContext,
) -> None:
    # Polling, as a dashboard is once its live channel drops: an open WebSocket would not see
    # the API's HTTP routes go away (test_live_dashboard.py covers the channel's own loss).
    dashboard = await _open(context, "/dashboard.html?updates=poll")
    orders = dashboard.locator("#kpi-orders")
    await expect(orders).to_have_attribute("data-value", re.compile(r"^\d+$"))
    shown = await orders.get_attribute("data-value")

    await dashboard.route("**/api/**", _abort)
    overall = dashboard.locator("#pipeline-overall")
    await expect(overall).to_have_text("Health unknown: the server cannot be reached")
    await expect(overall).to_have_attribute("data-status", "unknown")
    problem = dashboard.locator("#problem")
    await expect(problem).to_be_visible()
    await expect(problem).to_contain_text("Some figures are out of date.")
    for what in ("Key figures", "Hourly sales", "Daily sales", "Orders by status"):
        await expect(problem).to_contain_text(f"{what}: {UNREACHABLE}")
    # The last figures stay on screen, not blanks or zeros.
    assert await orders.get_attribute("data-value") == shown

    await dashboard.unroute("**/api/**", _abort)
    await expect(problem).to_be_hidden()
    await expect(overall).to_have_text("All systems normal")


async def test_the_dashboard_without_its_chart_library_still_shows_the_figures(
    context: BrowserContext,
) -> None:
    async def missing(route: Route) -> None:
        await route.fulfill(status=404, content_type="text/plain", body="not installed")

    dashboard = await context.new_page()
    await dashboard.route("**/static/vendor/chart.umd.min.js", missing)
    await dashboard.goto("/dashboard.html")

    unavailable = (
        "Charts are unavailable: the Chart.js library is not installed (run make install)."
    )
    await expect(dashboard.locator(".chart-box").get_by_text(unavailable)).to_have_count(3)
    await expect(dashboard.locator("canvas")).to_have_count(0)
    await expect(dashboard.locator("#kpi-orders")).to_have_attribute(
        "data-value", re.compile(r"^\d+$")
    )
    await expect(dashboard.locator("#daily-note")).to_contain_text("orders,")
    await expect(dashboard.locator("#pipeline-overall")).to_have_text("All systems normal")


async def test_the_shop_says_when_the_api_is_unreachable_and_recovers_on_reload(
    context: BrowserContext,
) -> None:
    shop = await context.new_page()
    await shop.route("**/api/**", _abort)
    await shop.goto("/")
    await expect(shop.locator("#catalog-status")).to_have_text(
        f"The catalog could not be loaded: {UNREACHABLE}. Check the connection and try again."
    )
    await expect(shop.locator("#products li")).to_have_count(0)

    await shop.unroute("**/api/**", _abort)
    await shop.reload()
    await expect(shop.locator("#catalog-status")).to_be_hidden()
    await expect(shop.locator("#products li")).not_to_have_count(0)


async def test_the_shop_shows_a_store_outage_when_an_order_cannot_be_placed(
    context: BrowserContext, http: aiohttp.ClientSession
) -> None:
    outage = {"error": {"code": "service_unavailable", "message": "MySQL is unavailable."}}

    async def store_down(route: Route) -> None:
        if route.request.method == "POST":
            body = json.dumps(outage)
            await route.fulfill(status=503, content_type="application/json", body=body)
        else:
            await route.fallback()

    shop = await _open(context, "/")
    await shop.route("**/api/orders", store_down)
    products = await (await http.get("/api/products")).json()
    await shop.get_by_role("button", name=f"Add {products[0]['name']} to the order").click()
    await shop.get_by_role("button", name="Place order").click()

    message = shop.locator("#message")
    await expect(message).to_have_class("message error")
    await expect(message).to_have_text("Order not placed: MySQL is unavailable.")
    # Once the store is back the same cart goes through (the button is not left disabled).
    await shop.unroute("**/api/orders", store_down)
    async with shop.expect_response(
        lambda r: r.url.endswith("/api/orders") and r.request.method == "POST"
    ) as answer:
        await shop.get_by_role("button", name="Place order").click()
    placed = await (await answer.value).json()
    assert (await answer.value).status == 201
    assert Decimal(str(placed["totalAmount"])) == Decimal(str(products[0]["price"]))
    await expect(message).to_contain_text(f"Order {placed['id'][:8]} placed")
