"""Fixtures of the security tests: the worker's log and a headless Debian chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.conftest import Worker

# Debian's chromium: Playwright's own browser download is never used. No sandbox (tests may
# run as root), and nothing that phones home.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def app_log(worker: Worker) -> Path:
    """The worker's log file (stdout and stderr); only known for a worker this session started."""
    if worker.log_path is None:
        pytest.skip("the worker was already running: its log is not this session's")
    return worker.log_path


@pytest.fixture(scope="session")
def worker_pid(worker: Worker) -> int:
    if worker.pid is None:
        pytest.skip("the worker was already running: its process is not this session's")
    return worker.pid


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()
