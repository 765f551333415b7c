"""The relay inside the running worker, against real MariaDB and Kafka: an order's event reaches
`order.events` once, keyed by the order id, and its outbox row is marked processed."""

from __future__ import annotations

import json

import aiohttp

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import ORDER_EVENTS
from tests.conftest import messages_with_key, poll

ORDER = {"userId": 2, "shippingAddress": "Busan", "items": [{"productId": 105, "quantity": 1}]}


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
    messages = [
        json.loads(record.value)
        for record in await messages_with_key(settings, ORDER_EVENTS, order_id.encode())
    ]
    assert len(messages) == 1
    assert messages[0]["eventType"] == "OrderCreated"
    assert messages[0]["orderId"] == order_id
    assert messages[0]["version"] == 1
