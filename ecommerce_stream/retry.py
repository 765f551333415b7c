"""The one retry policy: exponential backoff from a first delay, doubling, capped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")
MAX_DELAY_SECONDS = 60.0


def backoff_delay(failures: int, first: float = 0.1, cap: float = MAX_DELAY_SECONDS) -> float:
    """Seconds to wait after the n-th failure in a row (n ≥ 1): first, 2·first, 4·first, ..."""
    return float(min(cap, first * 2 ** max(0, failures - 1)))


async def retry_until_done(
    what: str, attempt: Callable[[], Awaitable[ResultT]], cap: float = 30.0
) -> ResultT:
    """Transient failures (a store restarting) pause the caller; they never drop its work."""
    failures = 0
    while True:
        try:
            return await attempt()
        except Exception as error:
            failures += 1
            delay = backoff_delay(failures, cap=cap)
            log.warning("%s failed, retrying in %.1fs: %r", what, delay, error)
            await asyncio.sleep(delay)
