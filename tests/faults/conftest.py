"""Fault drills: workers started and killed here, services stopped through devstack, a bounded
open-loop order load, and the final check that MySQL and ClickHouse agree exactly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.clickhouse import make_clickhouse
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS, ORDERS_ANALYTICS
from tests.conftest import poll, start_worker_process, stop_worker_process, topic_records

STACK_DIR = Path(os.environ.get("STACK_DIR", PROJECT_ROOT / ".stack" / "faults"))
REPORT = PROJECT_ROOT / "test-artifacts" / "faults.md"
READY_TIMEOUT_SECONDS = 180


def devstack(*command: str) -> None:
    """Run a devstack script with the profile's environment (ports, data dir)."""
    subprocess.run([str(PROJECT_ROOT / "devstack" / command[0]), *command[1:]], check=True)


class Worker:
    """One `ecommerce-stream worker` process: API, relay, transformer and sink."""

    def __init__(self, name: str, port: int, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._env = {**os.environ, "PORT": str(port), **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = STACK_DIR / f"{name}.log"

    def start(self) -> None:
        self._process = start_worker_process(self.log_path, self._env)

    async def ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                assert self._process is not None and self._process.poll() is None, (
                    f"{self.name} exited; see {self.log_path}"
                )
                try:
                    async with session.get(f"{self.url}/api/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, f"{self.name} not ready; see {self.log_path}"
                await asyncio.sleep(0.25)

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, nothing is flushed."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()

    def stop(self) -> None:
        if self._process is not None:
            stop_worker_process(self._process, timeout=60)


@pytest.fixture(scope="session", autouse=True)
def fresh_report() -> None:
    """The report describes this run's drills only."""
    REPORT.unlink(missing_ok=True)


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[Worker]:
    STACK_DIR.mkdir(parents=True, exist_ok=True)
    main = Worker("worker-a", settings.port)
    main.start()
    await main.ready()
    yield main
    main.stop()


@dataclass
class Load:
    """Orders offered at a steady rate (open loop: the schedule does not wait for answers)."""

    base_url: str
    rate: float = 20.0
    accepted: list[str] = field(default_factory=list)
    statuses: Counter[int | str] = field(default_factory=Counter)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each 201

    async def run(self, seconds: float) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            sends = []
            start = time.monotonic()
            for index in range(int(seconds * self.rate)):
                delay = start + index / self.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                sends.append(asyncio.create_task(self._order(session, index)))
            await asyncio.gather(*sends)

    async def _order(self, session: aiohttp.ClientSession, index: int) -> None:
        body = {
            "userId": index % 8 + 1,
            "shippingAddress": f"Fault street {index}",
            "items": [{"productId": 101 + index % 10, "quantity": index % 3 + 1}],
        }
        try:
            async with session.post(f"{self.base_url}/api/orders", json=body) as response:
                self.statuses[response.status] += 1
                if response.status == 201:
                    self.accepted.append((await response.json())["id"])
                    self.accepted_at.append(time.monotonic())
                else:
                    payload = await response.json()  # every refusal is a JSON error
                    assert "error" in payload
        except (TimeoutError, aiohttp.ClientError) as error:
            self.statuses[type(error).__name__] += 1


async def under_load(
    load: Load, seconds: float, fault: Callable[[], Awaitable[None]], start_after: float = 5.0
) -> float:
    """Offer `load` for `seconds`; `start_after` seconds in, run the fault (break it, wait,
    repair it). Returns the moment the repair was done."""
    running = asyncio.create_task(load.run(seconds))
    await asyncio.sleep(start_after)
    await fault()
    repaired = time.monotonic()
    await running
    return repaired


def outage(
    stop: Sequence[str],
    start: Sequence[str],
    seconds: float,
    seen: Callable[[], Awaitable[bool]],
) -> Callable[[], Awaitable[None]]:
    """A fault made of two devstack commands `seconds` apart. `seen()` must turn true while the
    fault lasts: the drill proves its fault happened before it judges the outcome."""

    async def break_and_repair() -> None:
        await asyncio.to_thread(devstack, *stop)
        broken_at = time.monotonic()
        await poll(seen, timeout=seconds + 30, interval=0.1)
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - broken_at)))
        await asyncio.to_thread(devstack, *start)

    return break_and_repair


def backlog_of_at_least(mysql: MySQL, rows: int) -> Callable[[], Awaitable[bool]]:
    """The relay cannot publish: orders pile up in the outbox."""

    async def grown() -> bool:
        async with mysql.cursor() as cur:
            return await outbox.backlog(cur) >= rows

    return grown


def port_closed(port: int) -> Callable[[], Awaitable[bool]]:
    async def refused() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return True
        writer.close()
        await writer.wait_closed()
        return False

    return refused


async def _keys_and_places(settings: Settings, topic: str) -> dict[str, tuple[int, int]]:
    """Every key of `topic` (up to its current end) → the partition and offset it was last
    seen at."""
    return {
        (record.key or b"").decode(): (record.partition, record.offset)
        for record in await topic_records(settings, topic)
    }


async def group_committed(settings: Settings, topics: Sequence[str]) -> dict[TP, int | None]:
    """The consumer group's committed offset of every partition of `topics`."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_brokers,
        group_id=settings.kafka_consumer_group_id,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        return {
            TP(topic, p): await consumer.committed(TopicPartition(topic, p))
            for topic in topics
            for p in range(settings.kafka_topic_partitions)
        }
    finally:
        await consumer.stop()


async def where_lost(
    load: Load, mysql: MySQL, settings: Settings, clickhouse_url: str | None
) -> str:
    """For a drill that ended with differences: at which hop each accepted order missing
    downstream was lost, with the Kafka records that stand for it and the group's offsets."""
    events = await _keys_and_places(settings, ORDER_EVENTS)
    rows = await _keys_and_places(settings, ORDERS_ANALYTICS)
    lines = []
    in_clickhouse: set[str] | None = None
    if clickhouse_url is not None:
        client = make_clickhouse(settings.model_copy(update={"clickhouse_host": clickhouse_url}))
        try:
            ledger = await client.query(
                f"SELECT DISTINCT order_id FROM {settings.clickhouse_database}.order_changes"
            )
        finally:
            await client.close()
        in_clickhouse = {str(row["order_id"]) for row in ledger}
    for order_id in load.accepted:
        if order_id not in events:
            lines.append(f"{order_id}: never reached order.events (relay)")
        elif order_id not in rows:
            lines.append(f"{order_id}: order.events{list(events[order_id])} not transformed")
        elif in_clickhouse is not None and order_id not in in_clickhouse:
            lines.append(
                f"{order_id}: orders_analytics{list(rows[order_id])} not in the ledger (sink)"
            )
    committed = await group_committed(settings, (ORDER_EVENTS, ORDERS_ANALYTICS))
    offsets = ", ".join(f"{tp.topic}[{tp.partition}]={o}" for tp, o in committed.items())
    return "\n".join([*lines, f"group offsets: {offsets}"])


async def agree(
    fault: str,
    load: Load,
    mysql: MySQL,
    settings: Settings,
    base_url: str,
    fault_ended: float,
    clickhouse_url: str | None = None,
) -> None:
    """Every accepted order is in MySQL, and every analytics answer equals MySQL's; the figures
    go to test-artifacts/faults.md. On a difference, where each missing order was lost goes to
    test-artifacts/lost-<fault>.txt (`clickhouse_url`: the shared ClickHouse to look in)."""
    rows = await mysql.fetch_all(
        f"SELECT id FROM orders WHERE id IN ({', '.join(['%s'] * len(load.accepted))})",
        tuple(load.accepted),
    )
    assert len(rows) == len(load.accepted), "an accepted order is missing from MySQL"
    zone = ZoneInfo(settings.analytics_tz)
    load_ended = time.monotonic()
    differences = await reconciliation.reconcile(mysql, base_url, zone, wait=120)
    exact_after = time.monotonic() - load_ended
    taking_orders_after = min((at for at in load.accepted_at if at >= fault_ended), default=None)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base_url}/api/analytics/stats") as response,
    ):
        counted = (await response.json())["totalOrders"]
    live = await mysql.fetch_one("SELECT COUNT(*) AS n FROM orders WHERE deleted_at IS NULL")
    assert live is not None
    REPORT.parent.mkdir(exist_ok=True)
    if not REPORT.exists():
        REPORT.write_text(
            "| fault | offered | accepted (2xx) | other answers | orders in MySQL |"
            " counted in ClickHouse | reconcile differences | first order taken after repair |"
            " analytics exact after the load | events the audit relayed again |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n"
        )
    others = {str(k): v for k, v in load.statuses.items() if k != 201}
    relayed_again = await _audit_requeued(mysql)
    with REPORT.open("a") as report:
        report.write(
            f"| {fault} | {sum(load.statuses.values())} | {len(load.accepted)} | {others or '-'}"
            f" | {live['n']} | {counted} | {len(differences)} |"
            f" {_seconds(taking_orders_after, fault_ended)} | {exact_after:.1f} s |"
            f" {relayed_again} |\n"
        )
    if differences:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base_url}/api/health") as response,
        ):
            health = await response.text()
        lost = await where_lost(load, mysql, settings, clickhouse_url)
        (REPORT.parent / f"lost-{fault.replace(' ', '-')}.txt").write_text(lost + "\n")
        raise AssertionError(
            f"{len(differences)} differences, e.g. {differences[:2]}; {health}\n"
            f"{worker_log_excerpts()}\n{lost}"
        )
    # The audit is an alarm: exact analytics it had to repair still mean a record was skipped.
    assert relayed_again == 0, f"the outbox audit relayed {relayed_again} lost events again"


# What a failed drill quotes of each worker's log: how its rebalances and recoveries went.
NOTABLE_LOG_LINES = ("[WARNING]", "[ERROR]", "[CRITICAL]", "Recovery", "reading from:", "Signal")
LOG_LINES_QUOTED = 60


def worker_log_excerpts() -> str:
    """The last notable lines of every worker log of the stack; the whole logs are copied to
    test-artifacts/ (CI keeps only what the drill printed and that folder)."""
    excerpts = []
    for log_path in sorted(STACK_DIR.glob("*.log")):
        lines = log_path.read_text(errors="replace").splitlines()
        notable = [line[:300] for line in lines if any(m in line for m in NOTABLE_LOG_LINES)]
        excerpts.append(f"--- {log_path.name}, last notable lines:")
        excerpts += notable[-LOG_LINES_QUOTED:]
        (REPORT.parent / log_path.name).write_text("\n".join(lines) + "\n")
    return "\n".join(excerpts)


async def _audit_requeued(mysql: MySQL) -> int:
    """Lost events the outbox audit relayed again since the stack started, by any worker (the
    drills share one stack, so each drill asserts the tally is still 0)."""
    async with mysql.cursor() as cur:
        return (await outbox.audit_tally(cur)).requeued_total


def _seconds(moment: float | None, since: float) -> str:
    return "(load over)" if moment is None else f"{max(0.0, moment - since):.1f} s"


CLICKHOUSE_HTTP_PORT_OFFSET = 80  # beside the app's port, inside the profile's own range


async def rebuild_analytics(env: dict[str, str] | None = None) -> None:
    """Load a ClickHouse from MySQL with `rebuild-analytics` (no worker may hold it): a drill
    then starts from analytics that agree with every order the drills before it took, whichever
    ClickHouse those wrote to."""
    cli = str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream")
    await asyncio.to_thread(
        subprocess.run, [cli, "rebuild-analytics"], env={**os.environ, **(env or {})}, check=True
    )


@pytest.fixture
async def clickhouse_url(settings: Settings) -> AsyncIterator[str]:
    """The shared ClickHouse, loaded from MySQL with `rebuild-analytics` (as when moving from
    the embedded engine to a server): the drills before this one filled MySQL already."""
    port = settings.port + CLICKHOUSE_HTTP_PORT_OFFSET
    url = f"http://127.0.0.1:{port}"
    endpoint = PROJECT_ROOT / "devstack" / "clickhouse_http.py"
    with (STACK_DIR / "clickhouse-http.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, str(endpoint), str(STACK_DIR / "clickhouse-http"), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    async def answering() -> bool:
        try:
            async with aiohttp.ClientSession() as session, session.get(f"{url}/ping") as reply:
                return reply.status == 200
        except aiohttp.ClientError:
            return False

    await poll(answering, timeout=60, interval=0.25)
    await rebuild_analytics({"CLICKHOUSE_HOST": url})
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def fault_switches(settings: Settings) -> Iterator[Path]:
    assert settings.fault_injection_dir is not None, "make test-faults sets FAULT_INJECTION_DIR"
    settings.fault_injection_dir.mkdir(parents=True, exist_ok=True)
    yield settings.fault_injection_dir
    for switch in settings.fault_injection_dir.iterdir():
        switch.unlink()
