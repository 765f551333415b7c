"""An API-only process (`ROLES=api`) beside the test worker, which owns the embedded chDB: it
takes orders, passes analytics reads to the owner (`STREAM_URL`) and hands back its answers,
reports the pipeline's health, and neither opens chDB nor joins the stream group."""

from __future__ import annotations

import asyncio
import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL, Row
from tests.conftest import (
    STACK_DIR,
    Worker,
    poll,
    start_healthy_worker,
    stop_worker_process,
)

# Beside the test profile's app port (3100 + slot), clear of the bench smoke test's (+50).
API_PORT_SHIFT = 70


@contextmanager
def _api_process(stream_url: str, port: int) -> Iterator[Worker]:
    """An API-only process on `port`, healthy, that forwards analytics reads to `stream_url`."""
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ROLES": "api",
        "PORT": str(port),
        "STREAM_URL": stream_url,
        "FAUST_DATA_DIR": str(STACK_DIR / f"faust-api-{port}"),
    }
    log_path = STACK_DIR / f"api-{port}.log"
    process = start_healthy_worker(url, log_path, env)
    try:
        yield Worker(url, process.pid, log_path)
    finally:
        stop_worker_process(process)


@pytest.fixture(scope="module")
def api_process(settings: Settings, worker: Worker) -> Iterator[Worker]:
    with _api_process(worker.url, settings.port + API_PORT_SHIFT) as process:
        yield process


async def _get(url: str, path: str) -> tuple[int, str | None, Any]:
    async with aiohttp.ClientSession() as session, session.get(url + path) as response:
        return response.status, response.content_type, await response.json()


async def _place_order(url: str, user_id: int) -> str:
    order = {
        "userId": user_id,
        "shippingAddress": f"Split layout {uuid.uuid4()}",
        "items": [{"productId": 104, "quantity": 3}],
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/api/orders", json=order) as response,
    ):
        assert response.status == 201, await response.text()
        return str((await response.json())["id"])


async def test_an_order_taken_by_the_api_process_reaches_analytics_and_reads_agree(
    api_process: Worker, worker: Worker
) -> None:
    user_id = 7
    _, _, before = await _get(worker.url, f"/api/analytics/users/{user_id}")
    order_id = await _place_order(api_process.url, user_id)

    async def counted() -> bool:
        _, _, after = await _get(worker.url, f"/api/analytics/users/{user_id}")
        return bool(after["orderCount"] == before["orderCount"] + 1)

    # The test worker's relay picks the order up at its next poll: the API process's commit
    # wakes no relay of its own.
    await poll(counted, timeout=20, interval=0.1)
    reads = [
        "/api/analytics/stats",
        "/api/analytics/daily-sales",
        "/api/analytics/hourly-sales?limit=48",
        "/api/analytics/order-status",
        f"/api/analytics/users/{user_id}",
        f"/api/analytics/versions/{order_id}",
        "/api/analytics/health",
    ]
    for path in reads:

        async def same_answer(path: str = path) -> bool:
            owner, through_api = await _get(worker.url, path), await _get(api_process.url, path)
            return owner == through_api and owner[0] == 200

        await poll(same_answer, timeout=10, interval=0.2)


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/daily-sales?startDate=yesterday",
        "/api/analytics/order-status?startDate=2026-02-01&endDate=2026-01-01",
        "/api/analytics/hourly-sales?limit=0",
        "/api/analytics/users/0",
    ],
)
async def test_a_bad_analytics_query_gets_the_owners_exact_400(
    api_process: Worker, worker: Worker, path: str
) -> None:
    owner = await _get(worker.url, path)
    assert owner[0] == 400 and owner[1] == "application/json", owner
    assert await _get(api_process.url, path) == owner


async def test_health_through_the_api_process_has_the_pipeline_figures(
    api_process: Worker,
) -> None:
    status, _, health = await _get(api_process.url, "/api/health")
    assert status == 200, health
    assert health["status"] == "ok" and health["serving"] is True, health
    assert {health[store]["status"] for store in ("mysql", "kafka", "clickhouse")} == {"ok"}
    pipeline = health["pipeline"]
    for figure in ("outboxBacklog", "consumerLag", "deadLetters", "eventsRelayedAgain"):
        assert isinstance(pipeline[figure], int), pipeline
    assert isinstance(pipeline["freshnessSeconds"], float | int), pipeline


def _holds_chdb(pid: int) -> bool:
    """Whether the process has loaded the embedded engine's library."""
    return "chdb" in Path(f"/proc/{pid}/maps").read_text()


async def test_the_api_process_never_opens_chdb_nor_leads_the_stream_group(
    api_process: Worker, worker: Worker, settings: Settings
) -> None:
    # Analytics reads and a health report through it first: neither may open the engine.
    assert (await _get(api_process.url, "/api/analytics/stats"))[0] == 200
    assert (await _get(api_process.url, "/api/health"))[0] == 200
    assert api_process.pid is not None
    assert not _holds_chdb(api_process.pid)
    lock_path = settings.clickhouse_data_dir / ".owner.lock"
    if worker.pid is not None:  # started by this session: its library shows, and its lock
        assert _holds_chdb(worker.pid), "the check above could not see the engine"
        assert lock_path.read_text().strip() == f"pid {worker.pid}"
    with lock_path.open("a") as lock, pytest.raises(BlockingIOError):  # still held
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    _, _, owner_health = await _get(worker.url, "/api/health")
    assert owner_health["worker"]["leader"] is True, owner_health["worker"]
    _, _, api_health = await _get(api_process.url, "/api/health")
    assert api_health["worker"]["leader"] is False, api_health["worker"]


async def test_every_api_process_is_healthy_and_none_leads(
    api_process: Worker, worker: Worker, settings: Settings
) -> None:
    """API processes share a Faust group of their own, whose one leader partition only one of
    them holds: a replica without it serves all the same."""
    with _api_process(worker.url, settings.port + API_PORT_SHIFT + 1) as replica:
        for process in (api_process, replica):
            status, _, health = await _get(process.url, "/api/health")
            assert status == 200 and health["worker"]["leader"] is False, health["worker"]


# Commit → relayed, for an order taken by the API process: the stream worker's relay polls only
# every OUTBOX_POLLING_INTERVAL (1 s), so five orders all relayed within this long, at random
# moments, were woken by the API process's notices (by chance: one in 5^5).
WOKEN_WITHIN_SECONDS = 0.2


async def test_the_api_processs_commits_wake_the_stream_workers_relay(
    api_process: Worker, settings: Settings, mysql: MySQL
) -> None:
    assert settings.outbox_polling_interval >= 5 * WOKEN_WITHIN_SECONDS
    delays = []
    for pause in (0.13, 0.41, 0.07, 0.29, 0.53):
        await asyncio.sleep(pause)  # the moments relative to the relay's poll differ
        order_id = await _place_order(api_process.url, 5)

        async def relayed(order_id: str = order_id) -> Row | None:
            return await mysql.fetch_one(
                "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, processed_at) AS delay"
                " FROM outbox WHERE aggregate_id = %s AND processed",
                (order_id,),
            )

        row = await poll(relayed, timeout=10)
        delays.append(int(row["delay"]) / 1e6)
    assert max(delays) < WOKEN_WITHIN_SECONDS, delays
