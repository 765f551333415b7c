"""The raw limits of each stage, with no app in front: MariaDB's rate for the order + items +
outbox transaction, aiokafka's produce+consume rate for an OrderCreated-sized message, and
chDB's bulk insert rate (in a process of its own: the worker's engine directory is locked)."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from tqdm import tqdm

from bench.orders import sample_event, sample_order
from ecommerce_stream.catalog.repository import seed_demo_catalog
from ecommerce_stream.orders.unit_of_work import mysql_units_of_work
from ecommerce_stream.outbox.publisher import EventPublisher
from ecommerce_stream.progress import progress_bar
from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.migrations import apply_mysql_migrations
from ecommerce_stream.stores.mysql import MySQL

MYSQL_CONNECTIONS = 16
KAFKA_ACK_WINDOW = 5_000


async def mariadb_transactions(settings: Settings, seconds: float) -> dict[str, Any]:
    """Order + items + outbox, one transaction each, through the app's own SQL, from several
    connections at once, into a scratch database no relay reads."""
    scratch = settings.model_copy(
        update={
            "mysql_database": f"{settings.mysql_database}_benchraw_{uuid.uuid4().hex[:8]}",
            "mysql_pool_size": MYSQL_CONNECTIONS,
        }
    )
    admin = MySQL(settings)
    await admin.fetch_all(f"CREATE DATABASE `{scratch.mysql_database}`")
    mysql = MySQL(scratch)
    units_of_work = mysql_units_of_work(mysql, after_commit=lambda: None)
    try:
        await asyncio.to_thread(apply_mysql_migrations, scratch)
        await seed_demo_catalog(mysql)
        done = 0
        deadline = time.perf_counter() + seconds

        async def connection(rng: random.Random, bar: tqdm[Any]) -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                order = sample_order(rng)
                async with units_of_work() as uow:
                    await uow.orders.add(order)
                    await uow.commit()
                done += 1
                bar.update(1)

        started = time.perf_counter()
        with progress_bar(unit=" tx", desc="raw MariaDB", leave=False) as bar:
            await asyncio.gather(
                *(connection(random.Random(i), bar) for i in range(MYSQL_CONNECTIONS))
            )
        elapsed = time.perf_counter() - started
    finally:
        await mysql.close()
        await admin.fetch_all(f"DROP DATABASE `{scratch.mysql_database}`")
        await admin.close()
    return {
        "transactions": done,
        "seconds": elapsed,
        "connections": MYSQL_CONNECTIONS,
        "per_second": done / elapsed,
    }


async def kafka_produce_consume(settings: Settings, messages: int) -> dict[str, Any]:
    """`messages` OrderCreated-sized messages through a scratch topic with the relay's own
    producer (acks=all, idempotent), consumed at the same time; rate = first send → last
    message consumed."""
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    partitions = settings.kafka_topic_partitions
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_brokers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, partitions, settings.kafka_replication_factor)])
    rng = random.Random("kafka")
    payload = sample_event(rng).dumps()
    publisher = EventPublisher(settings, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_brokers, enable_auto_commit=False)
    try:
        await consumer.start()
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        await publisher.publish("warm-up", payload)  # connects; not counted
        await consumer.getmany(timeout_ms=5000)
        with progress_bar(total=messages, unit=" msg", desc="raw Kafka", leave=False) as bar:
            started = time.perf_counter()
            consumed = asyncio.ensure_future(_consume(consumer, messages, bar))
            acks = []
            for i in range(messages):
                acks.append(await publisher.publish(str(i), payload))
                if len(acks) >= KAFKA_ACK_WINDOW:
                    await asyncio.gather(*acks)
                    acks = []
            await asyncio.gather(*acks)
            produced = time.perf_counter() - started
            await asyncio.wait_for(consumed, 120)
            elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
        await publisher.close()
        await admin.delete_topics([topic])
        await admin.close()
    return {
        "messages": messages,
        "message_bytes": len(payload),
        "produce_seconds": produced,
        "seconds": elapsed,
        "per_second": messages / elapsed,
    }


async def _consume(consumer: AIOKafkaConsumer, messages: int, bar: tqdm[Any]) -> None:
    seen = 0
    while seen < messages:
        batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
        n = sum(len(records) for records in batches.values())
        seen += n
        bar.update(n)


async def chdb_inserts(rows: int, log_path: Path) -> dict[str, Any]:
    """chDB's bulk insert rate, measured by `python -m bench.chdb_raw`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.chdb_raw",
        str(rows),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    log_path.write_bytes(stdout)
    if process.returncode != 0:
        raise RuntimeError(f"the chDB insert benchmark failed; see {log_path}")
    result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return result


def now() -> datetime:
    return datetime.now(UTC)
