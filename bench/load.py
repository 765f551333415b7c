"""HTTP load: open loop (requests leave on a schedule whatever the answers, bounded in count and
time: the open model of real arrivals, each latency counted from the moment the request was
due, so a stall delays every request behind it in the figures too) and closed loop (a fixed
number of clients back to back, to find saturation)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from tqdm import tqdm

from bench.orders import create_order_body
from ecommerce_stream.progress import progress_bar

# More connections than this and the client, not the app, becomes what is measured.
MAX_CONNECTIONS = 256


@dataclass(frozen=True, slots=True)
class Outcome:
    due: float  # time.perf_counter() when the request was meant to leave (its slot)
    sent: float  # ... when it left (later than due if the generator itself was held up)
    done: float  # ... when its answer (or failure) arrived
    ok: bool
    value: str | None = None  # the created order's id, for POSTs that asked for it

    @property
    def latency(self) -> float:
        """From the moment the request was due: a closed loop's is when it left."""
        return self.done - self.due


Request = Callable[[int], Awaitable[tuple[bool, str | None]]]


def new_session(base_url: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url,
        connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
        timeout=aiohttp.ClientTimeout(total=60),
    )


def post_order(http: aiohttp.ClientSession, rng: random.Random, *, keep_id: bool) -> Request:
    """POST /api/orders with a fresh random order; the id is read back only if asked for."""

    async def request(_: int) -> tuple[bool, str | None]:
        async with http.post("/api/orders", json=create_order_body(rng)) as response:
            if response.status != 201:
                await response.read()
                return False, None
            if keep_id:
                return True, str((await response.json())["id"])
            await response.read()
            return True, None

    return request


def get_path(http: aiohttp.ClientSession, paths: list[str]) -> Request:
    """GET the i-th path (cycling); 200 is success."""

    async def request(i: int) -> tuple[bool, str | None]:
        async with http.get(paths[i % len(paths)]) as response:
            await response.read()
            return response.status == 200, None

    return request


async def _timed(request: Request, i: int, due: float | None = None) -> Outcome:
    sent = time.perf_counter()
    try:
        ok, value = await request(i)
    except (aiohttp.ClientError, OSError, TimeoutError):
        ok, value = False, None
    return Outcome(sent if due is None else due, sent, time.perf_counter(), ok, value)


async def open_loop(
    request: Request, rate: float, count: int, desc: str, *, timeout: float = 60.0
) -> list[Outcome]:
    """`count` requests at `rate`/s, the i-th leaving at start + i/rate whether or not earlier
    ones were answered; waits at most `timeout` for the last answers."""
    outcomes: list[Outcome] = []
    tasks: list[asyncio.Task[Outcome]] = []
    with progress_bar(total=count, unit=" req", desc=desc, leave=False) as bar:

        def finished(task: asyncio.Task[Outcome]) -> None:
            if not task.cancelled():
                outcomes.append(task.result())
            bar.update(1)

        start = time.perf_counter()
        sent = 0
        while sent < count:
            now = time.perf_counter()
            # Everything due by now leaves now: a late wake-up never thins the schedule.
            while sent < count and start + sent / rate <= now:
                task = asyncio.ensure_future(_timed(request, sent, start + sent / rate))
                task.add_done_callback(finished)
                tasks.append(task)
                sent += 1
            if sent < count:
                await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
        _, pending = await asyncio.wait(tasks, timeout=timeout) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
    return outcomes


async def closed_loop(
    request: Request, clients: int, seconds: float, desc: str, *, total: int | None = None
) -> tuple[list[Outcome], float]:
    """`clients` loops, each sending its next request as soon as the last was answered, for
    `seconds` (or until `total` requests). Returns the outcomes and the elapsed time."""
    outcomes: list[Outcome] = []
    start = time.perf_counter()
    deadline = start + seconds
    issued = 0

    def more() -> bool:
        return issued < total if total is not None else time.perf_counter() < deadline

    async def client(bar: tqdm[Any]) -> None:
        nonlocal issued
        while more():
            issued += 1
            outcomes.append(await _timed(request, issued))
            bar.update(1)

    with progress_bar(total=total, unit=" req", desc=desc, leave=False) as bar:
        await asyncio.gather(*(client(bar) for _ in range(clients)))
    return outcomes, time.perf_counter() - start
