"""Each drill runs under a steady order load, breaks one thing, repairs it, and ends with
MySQL and ClickHouse agreeing exactly (`reconcile`: 0 differences) and every accepted order in
MySQL. The schedule's sleeps are the drill's timeline, not waits for a condition."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer
from faust.types import TP

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ, ORDERS_ANALYTICS
from tests.conftest import messages_with_key, poll
from tests.faults.conftest import (
    Load,
    Worker,
    agree,
    backlog_of_at_least,
    group_committed,
    outage,
    port_closed,
    under_load,
)

COMMIT_INTERVAL_SECONDS = 2.8  # Faust's broker_commit_interval


async def test_worker_killed_mid_load_and_restarted(
    worker: Worker, mysql: MySQL, settings: Settings
) -> None:
    async def kill_and_restart() -> None:
        worker.kill()
        worker.start()
        await worker.ready()

    load = Load(worker.url)
    repaired = await under_load(load, 20, kill_and_restart, start_after=6)

    assert load.accepted
    await agree("worker killed (kill -9), restarted", load, mysql, settings, worker.url, repaired)


async def test_kafka_down_for_ten_seconds(worker: Worker, mysql: MySQL, settings: Settings) -> None:
    load = Load(worker.url)
    # A second of orders waiting in the outbox: the relay found no broker.
    kafka_down = outage(
        ["kafka.sh", "stop"], ["kafka.sh", "start"], 10, backlog_of_at_least(mysql, 20)
    )
    repaired = await under_load(load, 25, kafka_down)

    assert set(load.statuses) == {201}, "orders must still be taken while Kafka is down"
    await agree("all Kafka brokers stopped 10 s", load, mysql, settings, worker.url, repaired)


async def test_mariadb_restarted(worker: Worker, mysql: MySQL, settings: Settings) -> None:
    load = Load(worker.url)
    restart = outage(
        ["mariadb.sh", "stop"], ["mariadb.sh", "start"], 4, port_closed(settings.mysql_port)
    )
    repaired = await under_load(load, 25, restart)

    assert set(load.statuses) <= {201, 503}, load.statuses  # never a 500
    assert load.statuses[503] > 0, "the outage was not seen: the drill tested nothing"
    await agree("MariaDB stopped 4 s, restarted", load, mysql, settings, worker.url, repaired)


async def _committed(settings: Settings) -> dict[TP, int | None]:
    return await group_committed(settings, [ORDERS_ANALYTICS])


def _insert_failures(worker: Worker) -> int:
    """Failed sink inserts, as the worker logged them."""
    return worker.log_path.read_text(errors="replace").count("rows into ClickHouse failed")


async def _settled(settings: Settings) -> dict[TP, int | None]:
    """The committed offsets once they stopped moving for longer than Faust's commit interval
    (the batches in flight when the switch flipped are committed by then)."""
    readings: list[tuple[float, dict[TP, int | None]]] = []

    async def unchanged_for_a_while() -> dict[TP, int | None] | None:
        now, offsets = time.monotonic(), await _committed(settings)
        if not readings or readings[-1][1] != offsets:
            readings.append((now, offsets))
        changed_at, latest = readings[-1]
        return latest if now - changed_at > COMMIT_INTERVAL_SECONDS + 0.5 else None

    settled: dict[TP, int | None] = await poll(unchanged_for_a_while, timeout=30, interval=0.5)
    return settled


async def test_clickhouse_inserts_failing(
    worker: Worker, mysql: MySQL, settings: Settings, fault_switches: Path
) -> None:
    committed: list[dict[TP, int | None]] = []
    failures_before = _insert_failures(worker)

    async def failing_inserts() -> None:
        (fault_switches / "clickhouse-inserts").touch()
        committed.append(await _settled(settings))
        await asyncio.sleep(7)
        committed.append(await _committed(settings))
        (fault_switches / "clickhouse-inserts").unlink()

    load = Load(worker.url)
    repaired = await under_load(load, 25, failing_inserts)

    assert _insert_failures(worker) > failures_before, "no insert failed: the fault never bit"
    assert committed[0] == committed[1], "offsets moved while no insert succeeded"
    await agree("ClickHouse inserts failing 10 s", load, mysql, settings, worker.url, repaired)


async def test_poison_message_under_load(worker: Worker, mysql: MySQL, settings: Settings) -> None:
    key = f"poison-{uuid.uuid4()}".encode()

    async def poison() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_brokers, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(ORDER_EVENTS, b"\x00not an event", key=key)
        finally:
            await producer.stop()

    load = Load(worker.url)
    repaired = await under_load(load, 15, poison)

    async def dead_lettered() -> list[object]:
        return list(await messages_with_key(settings, ORDER_EVENTS_DLQ, key))

    await poll(dead_lettered, timeout=30)
    await agree("poison message on order.events", load, mysql, settings, worker.url, repaired)


async def test_one_of_three_brokers_killed(
    worker: Worker, mysql: MySQL, settings: Settings
) -> None:
    load = Load(worker.url)
    broker_1 = settings.kafka_brokers.split(",")[1].rpartition(":")[2]
    kill_one = outage(
        ["kafka.sh", "kill-broker", "1"],
        ["kafka.sh", "start-broker", "1"],
        10,
        port_closed(int(broker_1)),
    )
    repaired = await under_load(load, 25, kill_one)

    assert set(load.statuses) == {201}
    await agree("1 of 3 brokers killed (kill -9) 10 s", load, mysql, settings, worker.url, repaired)
