"""How the sink groups analytics rows into ClickHouse inserts.

An insert costs ClickHouse about the same whatever its size (a part for the ledger and for each
materialized view: ~20 ms of CPU here), so the inserts are paced: two start at least
SINK_BATCH_SECONDS apart, and rows that arrive in between go in together with the next one. On
a busy machine, where an insert of several rows takes longer, the pause after it is as long as
it took, so batches grow instead of inserts multiplying. A row that arrives after a quiet spell
goes in at once, and nothing wakes while no row arrives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")

MAX_PAUSE_SECONDS = 0.25


@dataclass
class InsertPacing:
    """When the next insert may start, from how the last ones went (clock times passed in)."""

    least_interval: float
    max_pause: float = MAX_PAUSE_SECONDS
    _next_start: float = field(default=float("-inf"), init=False)

    def wait_seconds(self, now: float) -> float:
        return max(0.0, self._next_start - now)

    def inserted(self, started: float, finished: float, rows: int) -> None:
        took = finished - started
        # A single row is the quiet case: its insert says nothing about the machine's load.
        pause = min(self.max_pause, took) if rows > 1 else 0.0
        self._next_start = max(started + self.least_interval, finished + pause)


class PacedBatches(Generic[ItemT]):
    """Items put here are handed to `insert` in batches of at most `max_items`, paced by
    `pacing`. `put` waits while `max_items` are already waiting: a slow insert holds the
    consumer back instead of filling memory."""

    def __init__(
        self,
        insert: Callable[[list[ItemT]], Awaitable[None]],
        max_items: int,
        pacing: InsertPacing,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._insert = insert
        self._max_items = max_items
        self._pacing = pacing
        self._clock = clock
        self._waiting: asyncio.Queue[ItemT] = asyncio.Queue(maxsize=max_items)

    async def put(self, item: ItemT) -> None:
        await self._waiting.put(item)

    async def run(self) -> None:
        """Insert until cancelled; an insert that raises ends the run with its error."""
        while True:
            batch = [await self._waiting.get()]
            delay = self._pacing.wait_seconds(self._clock())
            if delay > 0:
                await asyncio.sleep(delay)
            while len(batch) < self._max_items and not self._waiting.empty():
                batch.append(self._waiting.get_nowait())
            started = self._clock()
            await self._insert(batch)
            self._pacing.inserted(started, self._clock(), len(batch))
