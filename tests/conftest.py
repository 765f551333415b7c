"""Shared fixtures. Services come from `make test` (devstack); the app is started once here."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import hypothesis
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from playwright.async_api import Browser

from bench.pixel import chromium
from ecommerce_stream.settings import PROJECT_ROOT, Settings, get_settings
from ecommerce_stream.stores.mysql import MySQL

APP_START_TIMEOUT_SECONDS = 120

# The fault drills kill and restart services: they run on their own 3-broker stack, through
# `make test-faults` (which sets FAULT_TESTS=1), never inside the ordinary test session.
collect_ignore_glob = [] if os.environ.get("FAULT_TESTS") == "1" else ["faults/*"]

# In CI (CI set, as .ci/run does) every property test draws the same examples on every run, so
# a red build reproduces; elsewhere they explore, and a failure prints the blob to replay it.
hypothesis.settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis.settings.register_profile("dev", print_blob=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def base_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.port}"


def _healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


WORKER_COMMAND = [str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream"), "worker", "-l", "info"]


def start_worker_process(
    log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """An `ecommerce-stream worker` writing to `log_path` (appended)."""
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            WORKER_COMMAND, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )


def stop_worker_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM for a clean stop, SIGKILL if it does not come within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Worker:
    """The worker the tests talk to, started by this session."""

    url: str
    pid: int
    log_path: Path


# The test profile's data and logs (devstack/test.sh wipes it before every run).
STACK_DIR = Path(os.environ.get("STACK_DIR", PROJECT_ROOT / ".stack" / "test"))


def start_healthy_worker(
    url: str, log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A worker started as `start_worker_process` does, once `url` answers /api/health with
    200; the test fails with the tail of its log if it exits or is not healthy in time."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = start_worker_process(log_path, env)
    deadline = time.monotonic() + APP_START_TIMEOUT_SECONDS
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = log_path.read_text(errors="replace")[-4000:]
            pytest.fail(f"the worker at {url} did not become healthy; log tail:\n{tail}")
        time.sleep(0.25)
    return process


@pytest.fixture(scope="session")
def worker(settings: Settings, base_url: str) -> Iterator[Worker]:
    """The Faust worker (API, pages, agents) on the test profile, started once per session.
    Never one found running: it may run older code, and its log and process are not this
    session's (the security tests read both)."""
    if _healthy(base_url):
        pytest.fail(
            f"an app already answers on {base_url}: stop it (`make down PROFILE=test`"
            " with your TEST_SLOT stops the stack; end the worker by its pid), then test again"
        )
    log_path = STACK_DIR / "app.log"
    process = start_healthy_worker(base_url, log_path)
    yield Worker(base_url, process.pid, log_path)
    stop_worker_process(process)


@pytest.fixture(scope="session")
def app_server(worker: Worker) -> str:
    return worker.url


@pytest.fixture(scope="session")
async def http(app_server: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=app_server) as session:
        yield session


@pytest.fixture(scope="session")
async def mysql(settings: Settings) -> AsyncIterator[MySQL]:
    store = MySQL(settings)
    yield store
    await store.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless chromium (Debian's, bench/pixel.py) for every page test of the session."""
    async with chromium() as launched:
        yield launched


async def poll(condition, *, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Await `condition()` until it returns something truthy, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(interval)


async def topic_records(settings: Settings, topic: str) -> list[ConsumerRecord]:
    """Every message of `topic`, up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_brokers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.kafka_topic_partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[ConsumerRecord] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found += records
        return found
    finally:
        await consumer.stop()


async def messages_with_key(settings: Settings, topic: str, key: bytes) -> list[ConsumerRecord]:
    """Every message of `topic`, up to its current end, whose key is `key`."""
    return [record for record in await topic_records(settings, topic) if record.key == key]
