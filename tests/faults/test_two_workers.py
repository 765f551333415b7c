"""Two workers in one consumer group, sharing one ClickHouse over HTTP (several workers need a
ClickHouse server; devstack/clickhouse_http.py stands in for one): when one stops, the other
takes over its partitions; exactly one of them is the relaying leader; nothing is lost or
counted twice."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.faults.conftest import STACK_DIR, Load, Worker, agree


def _own(name: str) -> dict[str, str]:
    """A worker's own settings; with DRILL_STATIC_MEMBERSHIP=1 (`make churn-drill`'s measure
    of KAFKA_GROUP_INSTANCE_ID), its own static group member id too."""
    own = {"FAUST_DATA_DIR": str(STACK_DIR / name)}
    if os.environ.get("DRILL_STATIC_MEMBERSHIP") == "1":
        own["KAFKA_GROUP_INSTANCE_ID"] = name
    return own


@pytest.fixture
async def pair(settings: Settings, clickhouse_url: str) -> AsyncIterator[tuple[Worker, Worker]]:
    shared = {"CLICKHOUSE_HOST": clickhouse_url}
    first = Worker("worker-1", settings.port, {**shared, **_own("w1")})
    second = Worker("worker-2", settings.port + 1, {**shared, **_own("w2")})
    for worker in (first, second):
        worker.start()
    await asyncio.gather(first.ready(), second.ready())
    yield first, second
    for worker in (first, second):
        worker.stop()


async def _worker_status(url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/api/health") as response:
        status: dict[str, object] = (await response.json())["worker"]
        return status


async def test_partitions_move_to_the_survivor_and_one_leader_relays(
    pair: tuple[Worker, Worker], mysql: MySQL, settings: Settings, clickhouse_url: str
) -> None:
    first, second = pair

    async def shared_out() -> bool:
        one, two = await _worker_status(first.url), await _worker_status(second.url)
        return bool(one["assignedPartitions"]) and bool(two["assignedPartitions"])

    await poll(shared_out, timeout=60, interval=0.5)
    leaders = [(await _worker_status(w.url))["leader"] for w in pair]
    assert leaders.count(True) == 1, leaders
    before = (await _worker_status(first.url))["assignedPartitions"]

    loads = [Load(first.url, rate=10), Load(second.url, rate=10)]
    running = [asyncio.create_task(load.run(seconds=25)) for load in loads]
    await asyncio.sleep(8)
    await asyncio.to_thread(second.stop)  # off the loop: the load keeps its schedule

    async def took_over() -> bool:
        status = await _worker_status(first.url)
        return bool(status["leader"]) and int(str(status["assignedPartitions"])) > int(str(before))

    await poll(took_over, timeout=60, interval=0.5)
    ended = time.monotonic()
    await asyncio.gather(*running)

    merged = Load(first.url)
    for load in loads:
        merged.accepted += load.accepted
        merged.accepted_at += load.accepted_at
        merged.statuses.update(load.statuses)
    await agree(
        "2 workers, one stopped mid-load",
        merged,
        mysql,
        settings,
        first.url,
        ended,
        clickhouse_url,
    )


async def test_rebalances_every_few_seconds_lose_nothing(
    pair: tuple[Worker, Worker], mysql: MySQL, settings: Settings, clickhouse_url: str
) -> None:
    """The second worker leaves and rejoins four times under load: nothing may be skipped
    (faust-streaming alone commits past records it never processed after such rebalances,
    docs/upstream/faust-rebalance-gap.md), so the outbox audit finds nothing to relay again.
    `make churn-drill` repeats this drill with the audit off."""
    first, second = pair
    load = Load(first.url, rate=40)
    running = asyncio.create_task(load.run(seconds=60))
    for _ in range(4):
        await asyncio.sleep(5)
        await asyncio.to_thread(second.stop)
        await asyncio.sleep(5)
        second.start()
        await second.ready()
    await running
    await agree(
        "2 workers, rebalancing every 5 s",
        load,
        mysql,
        settings,
        first.url,
        time.monotonic(),
        clickhouse_url,
    )
