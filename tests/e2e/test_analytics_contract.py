"""The analytics contract through the whole running stack: after creates, status changes,
deletes, restores, replayed duplicates and a poison message, every analytics endpoint answers
exactly what MySQL's live orders say (`ecommerce-stream reconcile` finds no difference)."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ
from tests.conftest import poll

NEXT = {
    "PENDING": ["CONFIRMED", "CANCELLED", "FAILED"],
    "CONFIRMED": ["PROCESSING", "CANCELLED"],
    "PROCESSING": ["SHIPPED", "CANCELLED"],
    "SHIPPED": ["DELIVERED"],
    "DELIVERED": ["COMPLETED", "REFUNDED"],
    "COMPLETED": ["REFUNDED"],
}


@pytest.fixture
async def producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=settings.kafka_brokers, acks="all")
    await kafka.start()
    yield kafka
    await kafka.stop()


def _admin(settings: Settings) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {settings.admin_token.get_secret_value()}",
        "X-Admin-Id": "contract-test",
    }


async def test_every_endpoint_matches_mysql_after_a_messy_history(
    http: aiohttp.ClientSession,
    mysql: MySQL,
    settings: Settings,
    app_server: str,
    producer: AIOKafkaProducer,
) -> None:
    rng = random.Random(2026)
    orders: dict[str, str] = {}
    for _ in range(24):
        body = {
            "userId": rng.randrange(1, 9),
            "shippingAddress": "Daejeon",
            "items": [
                {"productId": rng.randrange(101, 111), "quantity": rng.randrange(1, 4)}
                for _ in range(rng.randrange(1, 4))
            ],
        }
        async with http.post("/api/orders", json=body) as response:
            assert response.status == 201
            orders[(await response.json())["id"]] = "PENDING"
    for _ in range(40):
        order_id = rng.choice(list(orders))
        target = rng.choice(NEXT.get(orders[order_id], ["PENDING"]))
        async with http.patch(f"/api/orders/{order_id}/status", json={"status": target}) as r:
            assert r.status in (200, 409)
            if r.status == 200:
                orders[order_id] = target
    deleted = rng.sample(list(orders), 8)
    for order_id in deleted:
        async with http.delete(f"/admin/orders/{order_id}", headers=_admin(settings)) as r:
            assert r.status == 204
    for order_id in deleted[:3]:
        async with http.post(f"/admin/orders/{order_id}/restore", headers=_admin(settings)) as r:
            assert r.status == 200
    # Replays: every event of the outbox published again, straight to the topic.
    for row in await mysql.fetch_all("SELECT aggregate_id, payload FROM outbox"):
        await producer.send(ORDER_EVENTS, row["payload"].encode(), key=row["aggregate_id"].encode())
    await producer.flush()

    zone = ZoneInfo(settings.analytics_tz)
    assert await reconciliation.reconcile(mysql, app_server, zone, wait=30) == []


async def test_a_poison_message_goes_to_the_dead_letter_topic(
    http: aiohttp.ClientSession, settings: Settings, producer: AIOKafkaProducer
) -> None:
    key = f"poison-{uuid.uuid4()}".encode()
    await producer.send_and_wait(ORDER_EVENTS, b'{"eventType": "OrderExploded"}', key=key)

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_brokers)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(ORDER_EVENTS_DLQ, p) for p in range(settings.kafka_topic_partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def dead_lettered() -> dict[str, object] | None:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    if record.key == key:
                        return {"value": record.value, "headers": dict(record.headers)}
            return None

        found = await poll(dead_lettered, timeout=15, interval=0)
    finally:
        await consumer.stop()
    assert found["value"] == b'{"eventType": "OrderExploded"}'
    assert b"unknown eventType" in found["headers"]["reason"]  # type: ignore[index]

    # The stream went on: a new order still reaches the analytics.
    async with http.get("/api/analytics/stats") as response:
        before = (await response.json())["totalOrders"]
    order = {"userId": 4, "shippingAddress": "Ulsan", "items": [{"productId": 103, "quantity": 1}]}
    async with http.post("/api/orders", json=order) as response:
        assert response.status == 201

    async def counted() -> bool:
        async with http.get("/api/analytics/stats") as response:
            return bool((await response.json())["totalOrders"] == before + 1)

    await poll(counted, timeout=15)
