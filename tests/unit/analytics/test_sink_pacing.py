"""The sink's pacing of ClickHouse inserts (analytics/sink.py): inserts at least
SINK_BATCH_SECONDS apart, rows arriving meanwhile joined into the next, a lone row at once."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from ecommerce_stream.analytics.sink import InsertPacing, PacedBatches


def test_a_lone_row_after_a_quiet_spell_goes_in_at_once() -> None:
    pacing = InsertPacing(least_interval=0.1)
    assert pacing.wait_seconds(now=100.0) == 0.0
    pacing.inserted(started=100.0, finished=100.02, rows=1)
    assert pacing.wait_seconds(now=100.5) == 0.0


def test_the_next_insert_waits_for_the_least_interval_since_the_last_start() -> None:
    pacing = InsertPacing(least_interval=0.1)
    pacing.inserted(started=100.0, finished=100.02, rows=1)
    assert pacing.wait_seconds(now=100.03) == pytest.approx(0.07)


def test_a_slow_insert_of_several_rows_is_followed_by_a_pause_as_long_as_it_took() -> None:
    pacing = InsertPacing(least_interval=0.1, max_pause=0.25)
    pacing.inserted(started=100.0, finished=100.08, rows=40)
    assert pacing.wait_seconds(now=100.08) == pytest.approx(0.08)
    pacing.inserted(started=200.0, finished=201.0, rows=40)
    assert pacing.wait_seconds(now=201.0) == pytest.approx(0.25)  # capped


async def test_rows_arriving_during_an_insert_go_in_together_with_the_next() -> None:
    inserted: list[list[int]] = []
    release = asyncio.Event()

    async def insert(batch: list[int]) -> None:
        inserted.append(batch)
        if len(inserted) == 1:
            await release.wait()

    batches = PacedBatches(insert, max_items=100, pacing=InsertPacing(least_interval=0.01))
    running = asyncio.ensure_future(batches.run())
    try:
        await batches.put(0)
        while not inserted:
            await asyncio.sleep(0)
        for item in range(1, 6):
            await batches.put(item)
        release.set()
        while len(inserted) < 2:
            await asyncio.sleep(0.001)
        assert inserted == [[0], [1, 2, 3, 4, 5]]
    finally:
        running.cancel()


async def test_inserts_start_no_closer_than_the_least_interval() -> None:
    starts: list[float] = []

    async def insert(batch: list[int]) -> None:
        starts.append(time.monotonic())

    batches = PacedBatches(insert, max_items=100, pacing=InsertPacing(least_interval=0.05))
    running = asyncio.ensure_future(batches.run())
    try:
        for item in range(4):
            await batches.put(item)
            while len(starts) <= item:
                await asyncio.sleep(0.001)
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert min(gaps) >= 0.05 - 0.002, gaps
    finally:
        running.cancel()


async def test_a_full_batch_holds_the_producer_back() -> None:
    release = asyncio.Event()

    async def insert(batch: list[int]) -> None:
        await release.wait()

    batches = PacedBatches(insert, max_items=2, pacing=InsertPacing(least_interval=0.01))
    running = asyncio.ensure_future(batches.run())
    try:
        await batches.put(0)  # taken by the first insert, which hangs
        await asyncio.sleep(0.01)
        await batches.put(1)
        await batches.put(2)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(batches.put(3), timeout=0.05)
    finally:
        release.set()
        running.cancel()
