"""The relay inside the running worker, against real MariaDB and Kafka: an order's event reaches
`order.events` once, keyed by the order id, and its outbox row is marked processed."""

from __future__ import annotations

import json

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS
from tests.conftest import poll

ORDER = {"userId": 2, "shippingAddress": "Busan", "items": [{"productId": 105, "quantity": 1}]}


async def _messages_for(settings: Settings, order_id: str) -> list[dict[str, object]]:
    """Every message of `order.events` up to its current end whose key is this order id."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_brokers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(ORDER_EVENTS, p) for p in range(settings.kafka_topic_partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                found += [json.loads(r.value) for r in records if r.key == order_id.encode()]
        return found
    finally:
        await consumer.stop()


async def test_event_is_published_once_and_marked_processed(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    async with http.post("/api/orders", json=ORDER) as response:
        assert response.status == 201
        order_id = (await response.json())["id"]

    async def processed() -> bool:
        row = await mysql.fetch_one(
            "SELECT processed FROM outbox WHERE aggregate_id = %s", (order_id,)
        )
        return bool(row and row["processed"])

    await poll(processed, timeout=10)
    messages = await _messages_for(settings, order_id)
    assert len(messages) == 1
    assert messages[0]["eventType"] == "OrderCreated"
    assert messages[0]["orderId"] == order_id
    assert messages[0]["version"] == 1
