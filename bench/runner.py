"""The benchmark from start to end: raw limits, bulk load and rebuild, then our worker
(analytics queries, freshness ladder, API latency, profile), then the original design's worker
on the same MySQL with a ClickHouse rebuilt from the same data, then the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

from bench import analytics_queries, api, bulk, pixel, profile, raw, report
from bench.cpu import CpuMeter
from bench.freshness import Ladder, Rung, wait_quiet
from bench.load import new_session, open_loop, post_order
from bench.plan import (
    FRESHNESS_BOUND_SECONDS,
    ORIGINAL_DESIGN_ENV,
    SPLIT_API_ENV,
    SPLIT_STREAM_ENV,
    Plan,
)
from bench.process import Worker
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL

METHOD = [
    "Load is open loop: the i-th request leaves at start + i/rate whatever happened to earlier"
    " ones, bounded by a count and a time; the load generator runs on the same 2 cores as the"
    " worker, MariaDB and Kafka.",
    "Freshness: /api/analytics/stats is polled back to back (every {poll_ms:g} ms at most, one"
    " connection); the k-th accepted order (by the time its"
    " POST answer arrived) is taken as"
    " visible at the first poll, by the time that poll's answer arrived, whose totalOrders is at"
    " least base + k. A figure therefore includes up to one poll interval and one stats call."
    " The polling itself costs the worker: a stats call takes its one ClickHouse lane for"
    " ~8 ms, in which sink inserts wait, so the 10 ms poll makes the freshness rates"
    " pessimistic, most of all at 200 orders/s. The server's own histogram"
    " ecommerce_change_visible_seconds (MySQL commit → ClickHouse insert, from /metrics) is"
    " reported beside it.",
    "Sustained throughput: a ladder of its own, stats polled every {ladder_poll_ms:g} ms (the"
    " verdict needs no finer clock, and the poll then leaves the ClickHouse lane to the"
    " pipeline), climbing from 10 orders/s until a rung does not keep up; the highest rung"
    " whose orders were all accepted (the last answer within 1 s of the last request: no queue"
    " building up in the app), all became"
    " visible, freshness p99 stayed under the bound"
    " (ours: 2 s; the original design, which polls every 5 s and promised 5–10 s: 10 s), the"
    " freshness of the last fifth of the orders was not worse than that of the first fifth by"
    " more than a quarter of the bound (original: one poll, 5 s), and (ours) the outbox backlog"
    " did not grow (least-squares slope over 4 samples a second above 5 % of the offered rate,"
    " with more than half a second's orders waiting).",
    "The original design is our worker with ordinary settings, {original_settings} (5 s poll,"
    " batches of 100, no wake-up, one ClickHouse insert per row, no outbox audit), on the same"
    " MySQL and Kafka, its ClickHouse rebuilt from the same MySQL data as ours. Its freshness"
    " rungs are also its ladder's first rungs (beside a 5 s poll the fine stats poll costs it"
    " nothing).",
    "Orders API: POST /api/orders at {api_rates} requests/s in the open model (each request"
    " leaves at its slot in a constant-rate schedule whatever earlier answers did, and its"
    " latency is counted from that slot, so queueing shows), GET at the first rate, both beside"
    " a closed loop of {clients} clients (each waits for its answer before the next request,"
    " which hides queueing). The first minute: POSTs at {first_rate}/s for {first_seconds:g} s"
    " from the moment every worker answered /api/health with 200. At rest: each app process's"
    " CPU over {idle_seconds:g} s once the outbox and the consumer lag were empty.",
    "Order → pixel: orders at {pixel_rate} orders/s through the API (open loop) while two"
    " dashboards in one headless chromium (Debian's) watch: one on the live channel, one"
    " polling every 2 s (?updates=poll). The k-th order answered 201 (wall clock) is taken as"
    " shown in the first animation frame after the Orders card's count reached base + k"
    " (Date.now() in the frame's requestAnimationFrame callback).",
    "Analytics latency: one client, calls back to back, after the bulk load and"
    " rebuild-analytics; daily-sales asks for the last 30 days, the others use their defaults,"
    " users/{{id}} cycles over the 8 customers.",
    "Raw limits run alone before any worker starts: MariaDB with the app's own SQL (order,"
    " items and outbox rows in one transaction) into a scratch database; Kafka through a scratch"
    " topic with the relay's producer settings; chDB in a process of its own in a scratch"
    " directory, the JSON rows encoded before the clock starts.",
    "The profile is py-spy sampling the worker (100 Hz, all non-idle threads) while orders"
    " arrive at the sustained rate, without stats polling.",
]


LOAD_SAMPLE_SECONDS = 10.0
# The split layout's stream process serves on the profile's port + this: clear of every
# profile's and test slot's own ports.
STREAM_PORT_OFFSET = 1000


def worker_env(mode: str, environ: Mapping[str, str], run_dir: Path) -> dict[str, str]:
    """The environment of a worker (or command) of `mode`, "ours" or "original": each with a
    chDB directory of its own; the original design's settings win over the profile's."""
    return {
        **environ,
        **(ORIGINAL_DESIGN_ENV if mode == "original" else {}),
        "CLICKHOUSE_DATA_DIR": str(run_dir / f"chdb-{mode}"),
    }


async def _sample_load(into: list[float]) -> None:
    """The 1-minute load average every 10 s: how busy the shared machine was meanwhile."""
    while True:
        into.append(os.getloadavg()[0])
        await asyncio.sleep(LOAD_SAMPLE_SECONDS)


def _machine(load_start: tuple[float, float, float], loads: list[float]) -> dict[str, Any]:
    with open("/proc/meminfo") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": total_kib / 2**20,
        "platform": platform.platform(),
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "load_1min_samples": loads,
        "load_1min_mean": sum(loads) / len(loads) if loads else None,
    }


def _versions(mariadb: str, chdb_engine: str) -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "faust-streaming": version("faust-streaming"),
        "aiokafka": version("aiokafka"),
        "aiohttp": version("aiohttp"),
        "chdb": f"{version('chdb')} (engine {chdb_engine})",
        "MariaDB": mariadb,
    }


class Benchmark:
    def __init__(self, settings: Settings, plan: Plan, out_dir: Path, pid_file: Path | None):
        self._settings = settings
        self._plan = plan
        self._out_dir = out_dir
        self._pid_file = pid_file
        self._base_url = f"http://127.0.0.1:{settings.port}"
        # Logs and the two engines' directories, beside the profile's own chDB directory.
        self._run_dir = settings.clickhouse_data_dir.parent / "bench-run"
        self._stem = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._stage_seconds: dict[str, float] = {}

    def _env(self, mode: str) -> dict[str, str]:
        return worker_env(mode, os.environ, self._run_dir)

    def _say(self, text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        """Announces a stage and records its wall time: where a run's minutes went."""
        self._say(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self._stage_seconds[name] = time.perf_counter() - started

    async def run(self) -> Path:
        started = time.perf_counter()
        load_start = os.getloadavg()
        shutil.rmtree(self._run_dir, ignore_errors=True)
        self._run_dir.mkdir(parents=True)
        mysql = MySQL(self._settings)
        loads: list[float] = []
        sampler = asyncio.ensure_future(_sample_load(loads))
        try:
            results = await self._measure(mysql)
            mariadb_version = (await mysql.fetch_one("SELECT VERSION() AS v") or {})["v"]
        finally:
            sampler.cancel()
            await mysql.close()
        results.update(
            timestamp=self._stem,
            plan=self._plan.__dict__,
            machine=_machine(load_start, loads),
            versions=_versions(mariadb_version, results["raw"]["chdb"].get("engine", "?")),
            method=[
                line.format(
                    poll_ms=self._plan.stats_poll_seconds * 1000,
                    ladder_poll_ms=self._plan.ladder_poll_seconds * 1000,
                    pixel_rate=self._plan.pixel_rate,
                    api_rates=" and ".join(str(rate) for rate in self._plan.api_rates),
                    clients=self._plan.saturation_clients,
                    first_rate=self._plan.api_rates[0],
                    first_seconds=self._plan.first_minute_seconds,
                    idle_seconds=self._plan.idle_seconds,
                    original_settings=", ".join(
                        f"{name}={value}" for name, value in ORIGINAL_DESIGN_ENV.items()
                    ),
                )
                for line in METHOD
            ],
            wall_seconds=time.perf_counter() - started,
            stage_seconds=self._stage_seconds,
        )
        # Kept whatever happens to the report, so a long run's figures are never lost.
        (self._run_dir / "measured.json").write_text(json.dumps(results, default=str))
        json_path = report.write(
            results, self._out_dir, self._stem, latest=self._plan.name == "full"
        )
        self._say(f"results in {json_path} and {json_path.with_suffix('.md')}")
        return json_path

    async def _measure(self, mysql: MySQL) -> dict[str, Any]:
        plan = self._plan
        results: dict[str, Any] = {}
        self._say(f"{plan.name} run")
        with self._stage("raw limits of MariaDB, Kafka and chDB"):
            results["raw"] = {
                "mariadb": await raw.mariadb_transactions(self._settings, plan.raw_seconds),
                "kafka": await raw.kafka_produce_consume(self._settings, plan.raw_kafka_messages),
                "chdb": await raw.chdb_inserts(plan.raw_chdb_rows, self._run_dir / "chdb-raw.log"),
            }
        with self._stage(f"bulk-loading {plan.bulk_orders:,} orders, then rebuild-analytics"):
            loaded = await bulk.load_orders(self._settings, plan.bulk_orders)
            results["bulk_load"] = {
                **loaded.__dict__,
                "orders_per_second": loaded.orders / loaded.seconds,
            }
            rebuilt = await bulk.rebuild_analytics(self._env("ours"), self._run_dir / "rebuild.log")
            # The original design starts from the same ClickHouse data. (A copy of our engine
            # directory will not open: its metadata links point into ours by path.)
            again = await bulk.rebuild_analytics(
                self._env("original"), self._run_dir / "rebuild.log"
            )
            results["rebuild"] = {
                **rebuilt.__dict__,
                "rows_per_second": rebuilt.rows_per_second,
                "second_run_rows_per_second": again.rows_per_second,
            }

        results["start"] = {}
        workers = await self._start([Worker("worker", self._env("ours"), *self._at(0))])
        try:
            with self._stage("the first minute after ready, and at rest: one process"):
                results["start"]["ours"] = await self._first_minute_and_rest(workers)
            with self._stage("analytics endpoints on the loaded data"):
                results["analytics"] = await analytics_queries.measure(
                    self._base_url, plan.analytics_calls
                )
            with self._stage("our design, one process: freshness and throughput ladder"):
                results["ours"] = await self._ladder("ours", mysql, workers)
            with self._stage("orders API latency, one process"):
                results["api"] = await api.measure(self._base_url, plan)
            with self._stage("profiling the worker"):
                results["profile"] = await self._profile(
                    workers, max(50, results["ours"]["sustained_orders_per_second"])
                )
        finally:
            await self._stop(workers)

        workers = await self._start(self._split_layout())
        try:
            with self._stage("the first minute after ready, and at rest: API and stream"):
                results["start"]["split"] = await self._first_minute_and_rest(workers)
            with self._stage("our design, API and stream processes: ladder"):
                results["split"] = await self._ladder("split", mysql, workers)
            # The layout `make run` starts: the dashboard on the API process, pushed to by way
            # of the stream worker's notices.
            with self._stage("order → pixel in a browser, pushed and polled"):
                await wait_quiet(self._base_url)
                results["pixel"] = await pixel.measure(
                    self._base_url, plan.pixel_rate, plan.pixel_seconds
                )
            with self._stage("orders API latency, API and stream processes"):
                results["api_split"] = await api.measure(self._base_url, plan)
            with self._stage("profiling the API and stream processes"):
                results["profile_split"] = await self._profile(
                    workers, max(50, results["split"]["sustained_orders_per_second"])
                )
        finally:
            await self._stop(workers)

        workers = await self._start([Worker("original", self._env("original"), *self._at(0))])
        try:
            with self._stage("original design: freshness and throughput ladder"):
                results["original"] = await self._ladder("original", mysql, workers)
        finally:
            await self._stop(workers)
        return results

    def _at(self, offset: int) -> tuple[str, Path]:
        """A worker's base URL (the profile's port + offset) and the directory of its log."""
        return f"http://127.0.0.1:{self._settings.port + offset}", self._run_dir

    def _split_layout(self) -> list[Worker]:
        """The stream process (on a port of its own) owns the chDB directory of our one-process
        run, so the analytics and the outbox audit carry on from there; the API process takes
        the orders on the profile's port. Each keeps its own Faust directory."""
        stream_url, _ = self._at(STREAM_PORT_OFFSET)
        env = self._env("ours")
        faust = self._settings.faust_data_dir
        stream = {
            **env,
            **SPLIT_STREAM_ENV,
            "PORT": str(self._settings.port + STREAM_PORT_OFFSET),
            "FAUST_DATA_DIR": str(faust.with_name(f"{faust.name}-stream")),
        }
        api_env = {**env, **SPLIT_API_ENV, "STREAM_URL": stream_url}
        api_env["FAUST_DATA_DIR"] = str(faust.with_name(f"{faust.name}-api"))
        return [
            Worker("stream", stream, *self._at(STREAM_PORT_OFFSET)),
            Worker("API", api_env, *self._at(0), leads=False),
        ]

    async def _start(self, workers: list[Worker]) -> list[Worker]:
        started: list[Worker] = []
        try:
            for worker in workers:
                await worker.start(self._pid_file)
                started.append(worker)
        except BaseException:
            await self._stop(started)
            raise
        return workers

    @staticmethod
    async def _stop(workers: list[Worker]) -> None:
        for worker in reversed(workers):
            await worker.stop()

    async def _ladder(self, mode: str, mysql: MySQL, workers: list[Worker]) -> dict[str, Any]:
        kafka_ports = [int(url.rsplit(":", 1)[1]) for url in self._settings.kafka_broker_urls]
        pids = {worker.name: worker.pid for worker in workers}
        cpu = CpuMeter.for_stack(pids, self._settings.mysql_port, kafka_ports)
        freshness, ladder = await Ladder(mode, self._plan, self._base_url, mysql, cpu).run()
        return {
            "worker_start_seconds": max(worker.start_seconds for worker in workers),
            "freshness_bound_seconds": FRESHNESS_BOUND_SECONDS[mode],
            "sustained_orders_per_second": _sustained(ladder),
            "freshness": [rung.as_json() for rung in freshness],
            "ladder": [rung.as_json() for rung in ladder],
        }

    async def _first_minute_and_rest(self, workers: list[Worker]) -> dict[str, Any]:
        """Orders the moment every worker says it is ready (open model, at the first API
        rate), then, once the pipeline is quiet, the CPU every app process takes at rest."""
        plan = self._plan
        rate, count = (
            plan.api_rates[0],
            max(2, round(plan.api_rates[0] * plan.first_minute_seconds)),
        )
        async with new_session(self._base_url) as http:
            posted = await open_loop(
                post_order(http, random.Random("first-minute"), keep_id=False),
                rate,
                count,
                "first minute",
            )
        await wait_quiet(self._base_url)
        meter = CpuMeter({worker.name: [psutil.Process(worker.pid)] for worker in workers})
        meter.start()
        await asyncio.sleep(plan.idle_seconds)
        used_ms = meter.stop(1)  # one "order": the whole interval, in ms
        at_rest = {w.name: used_ms[w.name] / 1000 / plan.idle_seconds for w in workers}
        return {
            "first_minute": {"rate": rate, **api.figures(posted, count / rate)},
            "at_rest": {
                "seconds": plan.idle_seconds,
                "core_share": at_rest,
                "total_core_share": sum(at_rest.values()),
            },
        }

    async def _profile(self, workers: list[Worker], rate: int) -> dict[str, Any]:
        """py-spy on every process of the layout at once, under the same load; one summary
        (and one raw file) per process."""
        self._out_dir.mkdir(parents=True, exist_ok=True)
        seconds = self._plan.profile_seconds
        count = max(1, round(rate * seconds))
        raw_paths = {
            worker.name: self._out_dir / f"{self._stem}-profile-{worker.name.lower()}.raw.txt"
            for worker in workers
        }
        async with new_session(self._base_url) as http:
            recordings = asyncio.gather(
                *(profile.record(w.pid, seconds + 1, raw_paths[w.name]) for w in workers)
            )
            await asyncio.sleep(0.5)  # py-spy attaches
            await open_loop(
                post_order(http, random.Random("profile"), keep_id=False),
                rate,
                count,
                "profile load",
            )
            await recordings
        # Whatever is still on its way must arrive here, not in the next worker's first rung.
        await wait_quiet(self._base_url)
        summaries = {}
        for name, raw_path in raw_paths.items():
            summaries[name] = profile.summarize(raw_path)
            raw_path.with_name(raw_path.name.replace(".raw", "")).write_text(
                profile.as_text(summaries[name])
            )
        return {"rate": rate, "seconds": seconds, "summaries": summaries}


def _sustained(rungs: list[Rung]) -> int:
    """The highest offered rate before the first rung that did not keep up (0: none did)."""
    best = 0
    for rung in rungs:
        if not rung.passed:
            break
        best = rung.rate
    return best
