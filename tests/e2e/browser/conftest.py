"""Page-test fixtures: on the session's chromium (`browser`, tests/conftest.py), a fresh context
per test that may reach nothing but the app, and screenshots in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Route, expect

from ecommerce_stream.settings import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

# Orders travel through Kafka and ClickHouse before a page shows them, on a machine other test
# stacks may share: wait generously (but boundedly) for what the pages show.
expect.set_options(timeout=20_000)


@pytest.fixture
async def context(
    browser: Browser, app_server: str, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserContext]:
    """A desktop-sized, English, UTC browser profile. The pages must work offline, so any
    request that leaves the app (a CDN, a web font) is refused and fails the test; so does an
    uncaught script error. Every page still open at the end is saved as a screenshot."""
    context = await browser.new_context(
        base_url=app_server,
        viewport={"width": 1280, "height": 900},
        locale="en-US",
        # The analytics buckets days in ANALYTICS_TZ (UTC in tests); the dashboard's "today"
        # is the browser's.
        timezone_id="UTC",
    )
    context.set_default_timeout(20_000)
    outside: list[str] = []
    script_errors: list[str] = []

    async def only_the_app(route: Route) -> None:
        if route.request.url.startswith(app_server + "/"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_app)
    context.on("weberror", lambda error: script_errors.append(str(error.error)))
    yield context
    ARTIFACTS.mkdir(exist_ok=True)
    for page in context.pages:
        name = re.sub(r"\W+", "-", page.url.removeprefix(app_server)).strip("-") or "shop"
        await page.screenshot(path=ARTIFACTS / f"{request.node.name}--{name}.png", full_page=True)
    await context.close()
    assert not outside, f"the pages requested something outside the app: {outside}"
    assert not script_errors, f"script errors: {script_errors}"
