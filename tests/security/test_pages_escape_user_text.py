"""Stored script in the pages: shipping addresses full of HTML and script, placed through the
API, are shown by the shop's recent-orders list as the very text that was sent; nothing in them
runs (no dialog, no event handler, no request for an injected image, no injected element)."""

from __future__ import annotations

import uuid

import aiohttp
from playwright.async_api import Browser, Dialog, Request, expect

from tests.orders_support import create_order

USER_ID = 4
# Each would run script, or load something, if a page put it into its HTML.
HOSTILE_ADDRESSES = [
    "<script>alert('script')</script>",
    "<img src=x onerror=\"window.__injected = 1; alert('img')\">",
    "<svg onload=alert('svg')></svg>",
    "</span></td></tr><tr><td><iframe src=javascript:alert('iframe')></iframe>",
    "\"><b onmouseover=alert('attribute')>hover</b>",
    "' OR '1'='1 -- <!-- & &amp; &lt;",
]


async def test_hostile_addresses_are_shown_literally_and_never_run(
    browser: Browser, http: aiohttp.ClientSession, app_server: str
) -> None:
    run = uuid.uuid4().hex[:8]  # this run's orders, whatever earlier runs left in the list
    addresses = [f"{address} {run}" for address in HOSTILE_ADDRESSES]
    for address in addresses:
        await create_order(http, userId=USER_ID, shippingAddress=address)
    context = await browser.new_context(base_url=app_server)
    page = await context.new_page()
    dialogs: list[str] = []
    requested: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    def note(request: Request) -> None:
        requested.append(request.url)

    page.on("dialog", dismiss)
    page.on("request", note)
    try:
        await page.goto("/")
        await page.get_by_label("Customer").select_option(str(USER_ID))
        for address in addresses:
            shown = page.get_by_text(address, exact=True)
            await expect(shown).to_be_visible(timeout=20_000)
            assert await shown.text_content() == address
            # Text, not markup: the element holding it has no element inside.
            assert await shown.evaluate("element => element.children.length") == 0
            await shown.hover()  # what an injected onmouseover would wait for
        # Everything the page loads (an injected image would be one) has been asked for.
        await page.wait_for_load_state("networkidle")
        assert await page.evaluate("window.__injected") is None
    finally:
        await context.close()
    assert dialogs == []
    assert not [url for url in requested if url.startswith(f"{app_server}/x")]
