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
from aiokafka import AIOKafkaProducer, ConsumerRecord

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ
from tests.conftest import messages_with_key, poll
from tests.orders_support import service_headers
from tests.pipeline_support import analytics_show_order, settled_stats

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
    statuses: dict[str, str] = {}
    deleted: set[str] = set()
    admin = _admin(settings)
    service = service_headers(settings)

    async def create() -> None:
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
            statuses[(await response.json())["id"]] = "PENDING"

    async def change_status() -> None:
        order_id = rng.choice(list(statuses))
        target = rng.choice(NEXT.get(statuses[order_id], ["PENDING"]))
        path, body = f"/api/orders/{order_id}/status", {"status": target}
        async with http.patch(path, json=body, headers=service) as r:
            assert r.status in (200, 404, 409)
            if r.status == 200:
                statuses[order_id] = target

    async def delete() -> None:
        order_id = rng.choice(list(statuses))
        async with http.delete(f"/admin/orders/{order_id}", headers=admin) as r:
            assert r.status == 204
            deleted.add(order_id)

    async def restore() -> None:
        if deleted:
            order_id = deleted.pop()
            async with http.post(f"/admin/orders/{order_id}/restore", headers=admin) as r:
                assert r.status == 200

    for _ in range(40):
        await create()
    operations = [create] * 80 + [change_status] * 160 + [delete] * 40 + [restore] * 20
    rng.shuffle(operations)
    for operation in operations:
        await operation()
    # Every event published a second time, in shuffled order, straight to the topic.
    replays = await mysql.fetch_all("SELECT aggregate_id, payload FROM outbox")
    rng.shuffle(replays)
    for row in replays:
        await producer.send(ORDER_EVENTS, row["payload"].encode(), key=row["aggregate_id"].encode())
    await producer.flush()

    zone = ZoneInfo(settings.analytics_tz)
    assert await reconciliation.reconcile(mysql, app_server, zone, wait=60) == []


async def test_a_crash_between_publish_and_mark_is_a_duplicate_counted_once(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings, app_server: str
) -> None:
    body = {"userId": 5, "shippingAddress": "Jeju", "items": [{"productId": 106, "quantity": 3}]}
    async with http.post("/api/orders", json=body) as response:
        order_id = (await response.json())["id"]

    async def published() -> bool:
        row = await mysql.fetch_one(
            "SELECT processed FROM outbox WHERE aggregate_id = %s", (order_id,)
        )
        return bool(row and row["processed"])

    await poll(published)
    # What the relay leaves behind when it dies after the broker's ack, before its mark.
    await mysql.fetch_all(
        "UPDATE outbox SET processed = FALSE, processed_at = NULL WHERE aggregate_id = %s",
        (order_id,),
    )
    await poll(published)  # the relay publishes it again: a duplicate in order.events

    assert len(await messages_with_key(settings, ORDER_EVENTS, order_id.encode())) == 2
    zone = ZoneInfo(settings.analytics_tz)
    assert await reconciliation.reconcile(mysql, app_server, zone, wait=15) == []


async def test_a_poison_message_goes_to_the_dead_letter_topic(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings, producer: AIOKafkaProducer
) -> None:
    key = f"poison-{uuid.uuid4()}".encode()
    await producer.send_and_wait(ORDER_EVENTS, b'{"eventType": "OrderExploded"}', key=key)

    async def dead_lettered() -> list[ConsumerRecord]:
        return await messages_with_key(settings, ORDER_EVENTS_DLQ, key)

    [found] = await poll(dead_lettered, timeout=15)
    assert found.value == b'{"eventType": "OrderExploded"}'
    assert b"unknown eventType" in dict(found.headers)["reason"]

    # The stream went on: a new order (this one, not one still in flight) reaches the analytics.
    before = await settled_stats(http, mysql)
    order = {"userId": 4, "shippingAddress": "Ulsan", "items": [{"productId": 103, "quantity": 1}]}
    async with http.post("/api/orders", json=order) as response:
        assert response.status == 201
        created = await response.json()
    await analytics_show_order(http, before, created, timeout=15)


async def test_the_version_table_route(http: aiohttp.ClientSession) -> None:
    body = {"userId": 2, "shippingAddress": "Suwon", "items": [{"productId": 104, "quantity": 1}]}
    async with http.post("/api/orders", json=body) as response:
        order_id = (await response.json())["id"]

    async def applied() -> dict[str, object] | None:
        async with http.get(f"/api/analytics/versions/{order_id}") as response:
            return await response.json() if response.status == 200 else None

    assert await poll(applied) == {"orderId": order_id, "version": 1}
    async with http.get(f"/api/analytics/versions/{uuid.uuid4()}") as response:
        assert response.status == 404
