"""Kafka that takes nothing for a long while, with the outbox audit off (nothing may be repaired
afterwards: every order must arrive through the pipeline itself).

- The brokers refuse the transformer's rows (the topic's record size limit set below them, a
  real refusal by the broker): the refused rows are counted and sent again, the events they
  came from stay uncommitted, `/api/health` turns "degraded" as the committed lag keeps
  rising, and once the brokers take them again every row arrives, once.
- Every broker frozen (SIGSTOP) for longer than the producer's request timeout, the group's
  session timeout and the relay's patience: orders are still taken, the health report is not
  "ok" meanwhile, and afterwards none is lost or counted twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from faust.types import TP

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS, ORDERS_ANALYTICS
from tests.conftest import poll
from tests.faults.conftest import Load, Worker, agree, devstack, group_committed, under_load

# Below every analytics row's size: the broker refuses each one (MESSAGE_TOO_LARGE).
REFUSING_MAX_MESSAGE_BYTES = "100"
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = "1048588"
# Longer than the producer's request timeout (KAFKA_PRODUCER_TIMEOUT, shortened here to show
# it spent several times over), the group's session timeout (10 s), Faust's broker request
# timeout (90 s) and the relay's idempotent producer's patience.
FREEZE_SECONDS = 150.0
PRODUCER_TIMEOUT_SECONDS = 20.0
COMMIT_INTERVAL_SECONDS = 2.8  # Faust's broker_commit_interval


@pytest.fixture
async def unaudited(settings: Settings) -> AsyncIterator[Worker]:
    worker = Worker(
        "worker-unaudited",
        settings.port,
        {"OUTBOX_AUDIT": "false", "KAFKA_PRODUCER_TIMEOUT": str(PRODUCER_TIMEOUT_SECONDS)},
    )
    worker.start()
    await worker.ready()
    yield worker
    worker.stop()


async def _set_max_message_bytes(settings: Settings, value: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_brokers)
    await admin.start()
    try:
        resource = ConfigResource(
            ConfigResourceType.TOPIC, ORDERS_ANALYTICS, configs={"max.message.bytes": value}
        )
        # One response per broker asked (topics go to any one of them).
        for response in await admin.alter_configs([resource]):
            for error_code, *rest in response.resources:
                assert error_code == 0, (error_code, *rest)
    finally:
        await admin.close()


async def _health(url: str) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/api/health") as response,
    ):
        return response.status, await response.json()


async def _metric(url: str, line_start: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} is not in /metrics")


async def _committed_events(settings: Settings) -> dict[TP, int | None]:
    return await group_committed(settings, [ORDER_EVENTS])


async def _unchanged_for(
    read: Callable[[], Awaitable[dict[TP, int | None]]], seconds: float
) -> dict[TP, int | None]:
    """The offsets once they have not moved for `seconds` (several commit intervals)."""
    readings: list[tuple[float, dict[TP, int | None]]] = []

    async def still() -> dict[TP, int | None] | None:
        now, offsets = time.monotonic(), await read()
        if not readings or readings[-1][1] != offsets:
            readings.append((now, offsets))
        return offsets if now - readings[-1][0] >= seconds else None

    settled: dict[TP, int | None] = await poll(still, timeout=60, interval=0.5)
    return settled


REFUSED_ROWS = 'ecommerce_produce_failures_total{topic="orders_analytics"}'


async def test_kafka_refusing_the_transformers_rows(
    unaudited: Worker, mysql: MySQL, settings: Settings
) -> None:
    worker = unaudited
    seen: dict[str, Any] = {}

    async def refuse_then_take() -> None:
        refused_before = await _metric(worker.url, REFUSED_ROWS)
        try:
            await _set_max_message_bytes(settings, REFUSING_MAX_MESSAGE_BYTES)

            async def refused() -> bool:
                return await _metric(worker.url, REFUSED_ROWS) > refused_before

            await poll(refused, timeout=30, interval=0.2)
            # No event whose row Kafka refused may be committed: the offsets stand still while
            # orders keep coming.
            seen["held"] = await _unchanged_for(
                lambda: _committed_events(settings), 3 * COMMIT_INTERVAL_SECONDS
            )

            async def degraded() -> dict[str, Any] | None:
                status, health = await _health(worker.url)
                rising = health["pipeline"]["committedLagRising"]
                return health if status == 200 and rising and health["status"] != "ok" else None

            seen["degraded"] = await poll(degraded, timeout=60, interval=1.0)
            seen["still_held"] = await _committed_events(settings)
        finally:
            await _set_max_message_bytes(settings, KAFKA_DEFAULT_MAX_MESSAGE_BYTES)

    load = Load(worker.url, rate=15)
    repaired = await under_load(load, 75, refuse_then_take)

    assert set(load.statuses) == {201}, load.statuses
    assert seen["held"] == seen["still_held"], "offsets moved past refused rows"
    alarms = seen["degraded"]["alarms"]
    assert any("committed offsets" in alarm for alarm in alarms), alarms
    assert seen["degraded"]["pipeline"]["recordsBeingResent"] > 0, seen["degraded"]["pipeline"]

    async def moved_on() -> bool:
        committed = await _committed_events(settings)
        return all((committed[tp] or 0) > (offset or 0) for tp, offset in seen["held"].items())

    await poll(moved_on, timeout=60, interval=0.5)
    await agree(
        "Kafka refusing the transformer's rows, audit off",
        load,
        mysql,
        settings,
        worker.url,
        repaired,
    )


async def test_every_broker_frozen_longer_than_every_timeout(
    unaudited: Worker, mysql: MySQL, settings: Settings
) -> None:
    worker = unaudited
    during: list[tuple[int, str]] = []

    async def freeze_and_thaw() -> None:
        await asyncio.to_thread(devstack, "kafka.sh", "freeze")
        frozen_at = time.monotonic()
        try:
            while time.monotonic() - frozen_at < FREEZE_SECONDS:
                status, health = await _health(worker.url)
                during.append((status, health["status"]))
                await asyncio.sleep(5)
        finally:
            await asyncio.to_thread(devstack, "kafka.sh", "thaw")

    load = Load(worker.url, rate=10)
    repaired = await under_load(load, FREEZE_SECONDS + 30, freeze_and_thaw, start_after=10)

    assert set(load.statuses) == {201}, f"orders refused while Kafka hung: {load.statuses}"
    assert during and all(status != "ok" for _, status in during), during
    await worker.ready(timeout=180)
    await agree(
        f"every broker frozen {FREEZE_SECONDS:.0f} s (SIGSTOP), audit off",
        load,
        mysql,
        settings,
        worker.url,
        repaired,
    )
