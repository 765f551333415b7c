"""Freshness and sustained throughput: a ladder of open-loop order rates, each order timed from
its POST's answer to the first stats poll that counts it.

Attribution: /api/analytics/stats is polled every few milliseconds; the k-th order accepted
(by answer time) is taken as visible at the first poll whose `totalOrders` reaches base + k.
Poll times are when the poll's answer arrived, so a figure includes up to one poll interval
plus one stats call; the server's own histogram (`ecommerce_change_visible_seconds`, commit →
ClickHouse insert) is read from /metrics beside it as a cross-check."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.cpu import CpuMeter
from bench.figures import histogram_summary, percentile, scrape_histogram, summary
from bench.load import Outcome, new_session, open_loop, post_order
from bench.plan import FRESHNESS_BOUND_SECONDS, FRESHNESS_RATES, Plan
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.stores.mysql import MySQL

VISIBLE_METRIC = "ecommerce_change_visible_seconds"
BACKLOG_SAMPLE_SECONDS = 0.25
# A rung keeps up only if the app answered the last order this soon after it was sent ...
MAX_LAST_ANSWER_SECONDS = 1.0
# ... and the outbox backlog did not grow by this share of the offered rate per second, with
# more than this many seconds' worth of orders waiting (judged on enough samples).
MAX_BACKLOG_GROWTH_SHARE = 0.05
MAX_BACKLOG_SECONDS = 0.5
MIN_BACKLOG_SAMPLES = 8
# The original design drains a missed rung at its row-by-row insert rate: give it time.
QUIET_TIMEOUT_SECONDS = 120.0
# Before a rung, the stats total must have stood still this long: long enough to see the next
# insert of a pipeline still catching up (the original design inserts row by row).
STEADY_SECONDS = {"ours": 0.5, "split": 0.5, "original": 1.0}


@dataclass
class Rung:
    mode: str
    rate: int
    seconds: float
    sent: int = 0
    accepted: int = 0
    errors: int = 0
    accepted_per_second: float = 0.0
    post_latency: dict[str, float | None] = field(default_factory=dict)
    freshness: dict[str, float | None] = field(default_factory=dict)
    not_visible: int = 0
    lag_growth_seconds: float | None = None
    poll_seconds: float = 0.0
    backlog_max: int = 0
    backlog_growth_per_second: float = 0.0
    backlog_samples: int = 0
    last_answer_seconds: float = 0.0
    server_visible: dict[str, float | None] = field(default_factory=dict)
    # CPU ms per order by process, and the machine's busy share, over the load and its drain.
    cpu: dict[str, float] = field(default_factory=dict)
    passed: bool = False
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class StatsPoller:
    """Polls /api/analytics/stats back to back, at most once per `interval`, on one connection."""

    def __init__(self, base_url: str, interval: float) -> None:
        self._base_url = base_url
        self._interval = interval
        self.samples: list[tuple[float, int]] = []  # (answer time, totalOrders)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StatsPoller:
        self._task = asyncio.ensure_future(self._run())
        while not self.samples:
            if self._task.done():
                await self._task  # raises what stopped it
            await asyncio.sleep(self._interval)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    @property
    def latest(self) -> int:
        return self.samples[-1][1]

    async def steady(self, window: float = 0.2) -> int:
        """The total once it has not changed for `window` seconds (a last insert may still be
        landing when the pipeline already looks drained)."""
        while True:
            at, total = self.samples[-1]
            since = [t for t, n in self.samples if n != total]
            if at - max(since, default=self.samples[0][0]) >= window:
                return total
            await asyncio.sleep(self._interval)

    async def _run(self) -> None:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(self._base_url, connector=connector) as http:
            while not self._stop.is_set():
                asked = time.perf_counter()
                async with http.get("/api/analytics/stats") as response:
                    body = await response.json()
                self.samples.append((time.perf_counter(), int(body["totalOrders"])))
                await asyncio.sleep(max(0.0, self._interval - (time.perf_counter() - asked)))


def visible_times(samples: list[tuple[float, int]], base: int, count: int) -> list[float]:
    """When the 1st, 2nd, ... of `count` new orders first showed in the polled totals."""
    times: list[float] = []
    for at, total in samples:
        while len(times) < min(total - base, count):
            times.append(at)
    return times


def freshness_of(accepted: list[float], visible: list[float]) -> list[float]:
    """The k-th acceptance paired with the k-th visibility (both in time order)."""
    return [max(0.0, seen - taken) for taken, seen in zip(sorted(accepted), visible, strict=False)]


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (units of y per second)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return 0.0 if var == 0 else sum((x - mean_x) * (y - mean_y) for x, y in points) / var


class Ladder:
    """Runs the rungs of one mode (our design or the original) against one running worker."""

    def __init__(self, mode: str, plan: Plan, base_url: str, mysql: MySQL, cpu: CpuMeter) -> None:
        self.mode = mode
        self._cpu = cpu
        self._plan = plan
        self._base_url = base_url
        self._mysql = mysql
        self._bound = FRESHNESS_BOUND_SECONDS[mode]
        self._drain_timeout = plan.drain_timeout_seconds[mode]
        self._rng = random.Random(f"ladder-{mode}")

    async def run(self) -> tuple[list[Rung], list[Rung]]:
        """The freshness rungs (fine poll), then the throughput ladder (coarse poll) up to the
        first rung that does not keep up. Stops early only if the pipeline cannot drain what
        a rung left (rungs would then count each other's orders).

        The original design's freshness rungs are also its ladder's first rungs: next to its
        5 s poll the fine poll costs nothing, and running them twice would mean draining its
        backlog twice at 20 orders/s."""
        original = self.mode == "original"
        freshness: list[Rung] = []
        for rate in self._plan.original_rates if original else FRESHNESS_RATES:
            if not await wait_quiet(self._base_url):
                return freshness, []
            freshness.append(await self.rung(rate, self._plan.stats_poll_seconds))
        ladder: list[Rung] = []
        rates = self._plan.ladder_rates
        if original:
            for rung in freshness:
                ladder.append(rung)
                if not rung.passed:
                    return freshness, ladder
            rates = tuple(rate for rate in rates if rate > freshness[-1].rate)
        for rate in rates:
            if not await wait_quiet(self._base_url):
                break
            ladder.append(await self.rung(rate, self._plan.ladder_poll_seconds))
            if not ladder[-1].passed:
                break
        return freshness, ladder

    def _seconds(self, rate: int) -> float:
        if self.mode == "original":
            return self._plan.original_seconds
        if rate in FRESHNESS_RATES:
            return self._plan.freshness_seconds
        return self._plan.ladder_seconds

    async def rung(self, rate: int, poll_seconds: float) -> Rung:
        rung = Rung(
            mode=self.mode,
            rate=rate,
            seconds=self._seconds(rate),
            poll_seconds=poll_seconds,
        )
        count = max(1, min(self._plan.max_orders_per_rung, round(rate * rung.seconds)))
        async with (
            new_session(self._base_url) as http,
            StatsPoller(self._base_url, poll_seconds) as poller,
        ):
            base = await poller.steady(STEADY_SECONDS[self.mode])
            metrics_before = await scrape_histogram(http, VISIBLE_METRIC)
            backlog: list[tuple[float, float]] = []
            sampler = asyncio.ensure_future(self._sample_backlog(backlog))
            self._cpu.start()
            try:
                outcomes = await open_loop(
                    post_order(http, self._rng, keep_id=False),
                    rate,
                    count,
                    f"{self.mode} {rate}/s",
                )
            finally:
                sampler.cancel()
            accepted = sorted(o.done for o in outcomes if o.ok)
            deadline = time.perf_counter() + self._drain_timeout
            while poller.latest < base + len(accepted) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            rung.cpu = self._cpu.stop(len(outcomes))
            metrics_after = await scrape_histogram(http, VISIBLE_METRIC)
        self._judge(rung, outcomes, accepted, poller.samples, base, backlog)
        rung.server_visible = histogram_summary(metrics_before, metrics_after)
        return rung

    async def _sample_backlog(self, into: list[tuple[float, float]]) -> None:
        while True:
            async with self._mysql.cursor() as cur:
                into.append((time.perf_counter(), float(await outbox.backlog(cur))))
            await asyncio.sleep(BACKLOG_SAMPLE_SECONDS)

    def _judge(
        self,
        rung: Rung,
        outcomes: list[Outcome],
        accepted: list[float],
        samples: list[tuple[float, int]],
        base: int,
        backlog: list[tuple[float, float]],
    ) -> None:
        rung.sent = len(outcomes)
        rung.accepted = len(accepted)
        rung.errors = rung.sent - rung.accepted
        first_sent = min((o.sent for o in outcomes), default=0.0)
        last_sent = max((o.sent for o in outcomes), default=0.0)
        if accepted:
            rung.accepted_per_second = len(accepted) / max(1e-9, accepted[-1] - first_sent)
            rung.last_answer_seconds = accepted[-1] - last_sent
        rung.post_latency = summary([o.latency for o in outcomes if o.ok])
        visible = visible_times(samples, base, len(accepted))
        fresh = freshness_of(accepted, visible)
        rung.not_visible = len(accepted) - len(visible)
        # Orders never seen count with the time waited for them: a lower bound, and a failure.
        waited = samples[-1][0] if samples else 0.0
        censored = [max(0.0, waited - t) for t in accepted[len(visible) :]]
        rung.freshness = summary(fresh + censored)
        fifth = max(1, len(fresh) // 5)
        early, late = percentile(fresh[:fifth], 50), percentile(fresh[-fifth:], 50)
        if early is not None and late is not None:
            rung.lag_growth_seconds = late - early
        rung.backlog_max = int(max((b for _, b in backlog), default=0))
        rung.backlog_growth_per_second = slope(backlog)
        rung.backlog_samples = len(backlog)
        rung.reasons = self._failures(rung)
        rung.passed = not rung.reasons

    def _failures(self, rung: Rung) -> list[str]:
        reasons = []
        if rung.errors:
            reasons.append(f"{rung.errors} of {rung.sent} orders refused or failed")
        if rung.last_answer_seconds > MAX_LAST_ANSWER_SECONDS:
            reasons.append(
                f"the last order was answered {rung.last_answer_seconds:.1f}s after it was sent"
                f" ({rung.accepted_per_second:.0f}/s accepted: POST /api/orders saturated)"
            )
        if rung.not_visible:
            reasons.append(f"{rung.not_visible} orders not visible {self._drain_timeout:g}s after")
        p99 = rung.freshness.get("p99")
        if p99 is not None and p99 > self._bound:
            reasons.append(f"freshness p99 {p99:.2f}s > {self._bound:g}s")
        # The original design's outbox fills for 5 s and empties at each poll: its backlog saw-
        # tooth says nothing about keeping up, so the lag trend below judges it instead.
        growing = (
            rung.backlog_samples >= MIN_BACKLOG_SAMPLES
            and rung.backlog_growth_per_second > max(5.0, MAX_BACKLOG_GROWTH_SHARE * rung.rate)
            and rung.backlog_max > MAX_BACKLOG_SECONDS * rung.rate
        )
        if self.mode != "original" and growing:
            reasons.append(
                f"outbox backlog grew {rung.backlog_growth_per_second:.0f} rows/s (relay behind)"
            )
        tolerance = 0.25 * self._bound if self.mode != "original" else 5.0
        if rung.lag_growth_seconds is not None and rung.lag_growth_seconds > tolerance:
            reasons.append(
                f"freshness grew {rung.lag_growth_seconds:.2f}s from the first to the last fifth"
                " (the pipeline falls behind)"
            )
        return reasons


async def wait_quiet(base_url: str, timeout: float = QUIET_TIMEOUT_SECONDS) -> bool:
    """No outbox row, no consumer lag: nothing sent earlier can still arrive. False if that
    did not happen within `timeout`. (A worker that just started may not know its positions
    yet: the rungs also wait for steady stats.)"""
    deadline = time.perf_counter() + timeout
    async with aiohttp.ClientSession(base_url) as http:
        while time.perf_counter() < deadline:
            async with http.get("/api/health") as response:
                pipeline = (await response.json())["pipeline"]
            if pipeline["outboxBacklog"] == 0 and pipeline["consumerLag"] == 0:
                return True
            await asyncio.sleep(0.2)
    return False
