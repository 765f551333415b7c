"""The shop and the dashboard in a real browser, against the running app: what a shop owner does
and sees, down to the cent."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import aiohttp
from playwright.async_api import BrowserContext, Page, Request, Response, expect

from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.e2e.browser.dashboard_support import get_json, settled_figures, shown_figures

STORES = ("worker", "mysql", "kafka", "clickhouse")


async def _open(context: BrowserContext, path: str) -> Page:
    page = await context.new_page()
    await page.goto(path)
    return page


def _is_order_post(response: Response) -> bool:
    return response.url.endswith("/api/orders") and response.request.method == "POST"


def _money_text(amount: Decimal) -> str:
    """How the pages write an amount (en-US): whole amounts bare, cents with two decimals."""
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


async def _mark_charts_and_figures(dashboard: Page) -> None:
    await dashboard.evaluate(
        """() => {
            window.charts = [...document.querySelectorAll("canvas")].map((c) => Chart.getChart(c));
            window.dailyData = JSON.stringify(window.charts[0].data.datasets[0].data);
            document.getElementById("kpi-orders").marked = true;
        }"""
    )


async def _updated_in_place(dashboard: Page) -> bool:
    """Whether the charts and figures marked before are still the same objects: the page
    updated them in place rather than rebuilding them (which is what flickers)."""
    return bool(
        await dashboard.evaluate(
            """() => window.charts.length === 3
                && [...document.querySelectorAll("canvas")].every(
                    (c, i) => window.charts[i] && Chart.getChart(c) === window.charts[i])
                && document.getElementById("kpi-orders").marked === true"""
        )
    )


async def _charts_match_the_api(dashboard: Page, http: aiohttp.ClientSession) -> None:
    """Each chart shows what the API answers for it: the daily chart the orders and revenue of
    the range's days, the hourly one those of the last 24 hours, the doughnut each status."""
    start = await dashboard.locator("#start").input_value()
    end = await dashboard.locator("#end").input_value()
    days = f"startDate={start}&endDate={end}"

    async def agree() -> bool:
        daily = await get_json(http, f"/api/analytics/daily-sales?{days}")
        hourly = await get_json(http, "/api/analytics/hourly-sales")
        statuses = await get_json(http, f"/api/analytics/order-status?{days}")
        shown = await dashboard.evaluate(
            """() => {
                const sum = (data) => data.reduce((total, value) => total + value, 0);
                const [daily, hourly, status] = window.charts;
                const sales = (chart) => [sum(chart.data.datasets[0].data),
                                          sum(chart.data.datasets[1].data).toFixed(2)];
                return {
                    daily: sales(daily),
                    hourly: sales(hourly),
                    statuses: Object.fromEntries(status.data.labels.map(
                        (label, i) => [label.toUpperCase(), status.data.datasets[0].data[i]])),
                };
            }"""
        )

        def sales(rows: list[dict[str, Any]], revenue: str) -> list[Any]:
            total = sum((Decimal(str(row[revenue])) for row in rows), Decimal(0))
            return [sum(row["orderCount"] for row in rows), f"{total:.2f}"]

        return bool(
            shown["daily"] == sales(daily, "totalRevenue")
            and shown["hourly"] == sales(hourly, "totalRevenue")
            and shown["statuses"] == {row["status"]: row["orderCount"] for row in statuses}
        )

    await poll(agree, timeout=20, interval=0.2)


async def _expect_figures(dashboard: Page, orders: int, revenue: Decimal) -> None:
    await expect(dashboard.locator("#kpi-orders")).to_have_attribute("data-value", str(orders))
    assert await shown_figures(dashboard) == (orders, revenue)


async def test_an_order_placed_in_the_shop_raises_the_dashboard_by_exactly_that_order(
    context: BrowserContext, http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    products = await get_json(http, "/api/products")
    with_cents = next(p for p in products if Decimal(str(p["price"])) % 1)
    whole = next(p for p in products if not Decimal(str(p["price"])) % 1)
    expected_total = 3 * Decimal(str(with_cents["price"])) + Decimal(str(whole["price"]))
    dashboard = await _open(context, "/dashboard.html")
    orders_before, revenue_before = await settled_figures(http, mysql, dashboard)
    await _mark_charts_and_figures(dashboard)

    shop = await _open(context, "/")
    await shop.get_by_label("Customer").select_option("3")
    await shop.get_by_role("button", name=f"Add {with_cents['name']} to the order").click()
    await shop.get_by_label(f"Quantity of {with_cents['name']}").fill("3")
    await shop.get_by_role("button", name=f"Add {whole['name']} to the order").click()
    await expect(shop.locator("#cart-total")).to_have_text(_money_text(expected_total))

    sent: list[Request] = []
    shop.on("request", lambda r: sent.append(r) if r.url.endswith("/api/orders") else None)
    async with shop.expect_response(_is_order_post) as answer:
        # A double click: however many requests it sends, it must make one order.
        await shop.get_by_role("button", name="Place order").dblclick()
    order = await (await answer.value).json()
    assert Decimal(str(order["totalAmount"])) == expected_total
    await expect(shop.locator("#message")).to_contain_text(f"Order {order['id'][:8]} placed")
    assert len({await r.header_value("Idempotency-Key") for r in sent}) == 1
    await expect(shop.locator("#orders tr").first).to_have_attribute("data-order-id", order["id"])
    await expect(shop.locator("#orders tr").first).to_contain_text("Pending")

    await _expect_figures(dashboard, orders_before + 1, revenue_before + expected_total)
    # The daily chart may catch up a poll later than the figures (its query ran alongside).
    await dashboard.wait_for_function(
        "() => JSON.stringify(window.charts[0].data.datasets[0].data) !== window.dailyData"
    )
    assert await _updated_in_place(dashboard)
    await _charts_match_the_api(dashboard, http)
    # Still exactly one order once everything has arrived: the double click made no second.
    assert await settled_figures(http, mysql, dashboard) == (
        orders_before + 1,
        revenue_before + expected_total,
    )


async def test_ten_random_orders_add_ten_orders_to_the_dashboard(
    context: BrowserContext, http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    dashboard = await _open(context, "/dashboard.html")
    orders_before, revenue_before = await settled_figures(http, mysql, dashboard)
    shop = await _open(context, "/")
    placed: list[Response] = []
    shop.on("response", lambda r: placed.append(r) if _is_order_post(r) else None)

    await shop.get_by_role("button", name="Create 10 random orders").click()
    await expect(shop.locator("#message")).to_contain_text("10 random orders placed")

    assert [r.status for r in placed] == [201] * 10
    total = sum([Decimal(str((await r.json())["totalAmount"])) for r in placed], Decimal(0))
    await expect(shop.locator("#message")).to_contain_text(f"worth {_money_text(total)}")
    await _expect_figures(dashboard, orders_before + 10, revenue_before + total)


async def test_an_invalid_order_shows_the_api_error_next_to_the_field(
    context: BrowserContext, http: aiohttp.ClientSession
) -> None:
    product = (await get_json(http, "/api/products"))[0]["name"]
    shop = await _open(context, "/")
    await shop.get_by_role("button", name=f"Add {product} to the order").click()
    quantity = shop.get_by_label(f"Quantity of {product}")
    await quantity.fill("0")
    async with shop.expect_response(_is_order_post) as answer:
        await shop.get_by_role("button", name="Place order").click()
    response = await answer.value
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["details"][0]["field"] == "items.0.quantity"
    message = shop.locator("#message")
    await expect(message).to_contain_text(error["message"])
    detail = error["details"][0]["message"]
    await expect(message).to_contain_text(f"Quantity of {product}: {detail}")
    await expect(quantity).to_have_attribute("aria-invalid", "true")

    await quantity.fill("1")
    await shop.get_by_label("Shipping address").fill("")
    async with shop.expect_response(_is_order_post) as answer:
        await shop.get_by_role("button", name="Place order").click()
    error = (await (await answer.value).json())["error"]
    assert error["details"][0]["field"] == "shippingAddress"
    await expect(message).to_contain_text(f"Shipping address: {error['details'][0]['message']}")
    await expect(shop.locator("#address-error")).to_have_text(error["details"][0]["message"])
    await expect(shop.get_by_label("Shipping address")).to_have_attribute("aria-invalid", "true")
    await expect(quantity).not_to_have_attribute("aria-invalid", "true")


async def test_a_shipping_address_is_shown_as_text_never_run_as_html(
    context: BrowserContext, http: aiohttp.ClientSession
) -> None:
    address = '<img src=x onerror="window.injected = 1">Seoul'
    product = (await get_json(http, "/api/products"))[-1]["name"]
    shop = await _open(context, "/")
    await shop.get_by_label("Customer").select_option("5")
    await shop.get_by_role("button", name=f"Add {product} to the order").click()
    await shop.get_by_label("Shipping address").fill(address)
    await shop.get_by_role("button", name="Place order").click()
    await expect(shop.locator("#orders tr").first.locator(".address")).to_have_text(address)
    assert await shop.locator("#orders img").count() == 0
    assert await shop.evaluate("window.injected") is None


async def test_the_pipeline_panel_shows_every_store_ok(
    context: BrowserContext, http: aiohttp.ClientSession
) -> None:
    dashboard = await _open(context, "/dashboard.html")
    for store in STORES:
        item = dashboard.locator(f'[data-store="{store}"]')
        await expect(item).to_have_attribute("data-status", "ok")
        await expect(item.locator(".pill")).to_have_text("OK")
    await expect(dashboard.locator("#pipeline-overall")).to_have_text("All systems normal")
    # A figure whose check timed out is null ("–"); a later poll brings it, so wait for one.
    for figure in ("#fig-backlog", "#fig-lag", "#fig-dlq"):
        await expect(dashboard.locator(figure)).to_have_text(re.compile(r"^\d[\d,]*$"))
    await expect(dashboard.locator("#fig-relayed-again")).to_have_text("0")
    for figure in ("#fig-freshness", "#fig-newest"):
        await expect(dashboard.locator(figure)).not_to_have_text("–")

    async def dead_letters() -> list[int]:
        counted = (await get_json(http, "/api/health"))["pipeline"]["deadLetters"]
        return [] if counted is None else [counted]

    # The contract tests dead-letter poison messages on purpose: compare, don't expect 0.
    (counted,) = await poll(dead_letters, timeout=20, interval=0.2)
    await expect(dashboard.locator("#fig-dlq")).to_have_text(f"{counted:,}")
    # The charts are drawn by the locally served Chart.js, not replaced by the "missing" note.
    assert await dashboard.evaluate("typeof window.Chart") == "function"
    await expect(dashboard.locator("canvas")).to_have_count(3)


async def test_the_pipeline_panel_raises_the_outbox_audit_alarm(
    context: BrowserContext, mysql: MySQL
) -> None:
    dashboard = await _open(context, "/dashboard.html")
    await expect(dashboard.locator("#pipeline-overall")).to_have_text("All systems normal")
    # What the audit records when it relays lost events again (tests/e2e/test_lost_event_repair
    # makes it do so for real).
    await mysql.fetch_all(
        "UPDATE outbox_audit SET requeued_total = 3, last_requeued_at = UTC_TIMESTAMP(6)"
    )
    try:
        overall = dashboard.locator("#pipeline-overall")
        await expect(overall).to_have_attribute("data-status", "degraded")
        await expect(overall).to_contain_text("relayed 3 lost event(s) again")
        await expect(dashboard.locator("#fig-relayed-again")).to_have_text("3")
        await expect(dashboard.locator("#fig-relayed-again")).to_have_class(re.compile("warn"))
    finally:
        await mysql.fetch_all("UPDATE outbox_audit SET requeued_total = 0, last_requeued_at = NULL")
    await expect(dashboard.locator("#pipeline-overall")).to_have_text("All systems normal")


async def test_the_date_range_drives_daily_sales_and_statuses(
    context: BrowserContext, http: aiohttp.ClientSession
) -> None:
    today = {"userId": 2, "shippingAddress": "Busan", "items": [{"productId": 101, "quantity": 1}]}
    async with http.post("/api/orders", json=today) as placed:
        assert placed.status == 201
    dashboard = await _open(context, "/dashboard.html")
    await expect(dashboard.locator("#daily-empty")).to_be_hidden()
    async with (
        dashboard.expect_request(
            lambda r: "daily-sales?startDate=2001-01-01&endDate=2001-01-31" in r.url
        ),
        dashboard.expect_request(
            lambda r: "order-status?startDate=2001-01-01&endDate=2001-01-31" in r.url
        ),
    ):
        await dashboard.get_by_label("From").fill("2001-01-01")
        await dashboard.get_by_label("To").fill("2001-01-31")
    await expect(dashboard.locator("#daily-empty")).to_be_visible()
    await expect(dashboard.locator("#status-empty")).to_be_visible()
    await expect(dashboard.locator("#daily-note")).to_contain_text("in 31 days")

    async with http.get(
        "/api/analytics/daily-sales", params={"startDate": "2001-02-01", "endDate": "2001-01-31"}
    ) as refused:
        assert refused.status == 400
        reason = (await refused.json())["error"]["message"]
    await dashboard.get_by_label("From").fill("2001-02-01")
    await expect(dashboard.locator("#range-error")).to_have_text(reason)

    await dashboard.get_by_role("button", name="30 days").click()
    await expect(dashboard.locator("#range-error")).to_be_empty()
    await expect(dashboard.locator("#daily-empty")).to_be_hidden()


async def test_both_pages_fit_a_phone_and_show_keyboard_focus(context: BrowserContext) -> None:
    for path in ("/", "/dashboard.html"):
        page = await _open(context, path)
        await page.set_viewport_size({"width": 375, "height": 800})
        await expect(page.locator("main")).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways on a phone ({width} px)"
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.textContent, s.outlineStyle, s.outlineWidth]; })()"
        )
        assert focused[0] == "Skip to content"
        assert focused[1] != "none" and focused[2] != "0px", json.dumps(focused)
