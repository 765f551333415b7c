"""The relay's own Kafka producer: acks from all in-sync replicas and idempotence, which
Faust's shared producer only turns on for exactly-once processing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from ecommerce_stream.settings import Settings


class EventPublisher:
    def __init__(self, settings: Settings, topic: str) -> None:
        self._settings = settings
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            async with self._lock:
                if self._producer is None:
                    producer = AIOKafkaProducer(
                        bootstrap_servers=self._settings.kafka_brokers,
                        client_id=f"{self._settings.kafka_client_id}-relay",
                        acks="all",
                        enable_idempotence=True,
                        # The relay batches by itself; waiting for more would only add latency.
                        linger_ms=0,
                    )
                    await producer.start()
                    self._producer = producer
        return self._producer

    async def publish(self, order_id: str, payload: bytes) -> Awaitable[RecordMetadata]:
        """Queue one event keyed by its order (one order, one partition, in order); the
        returned future resolves when the brokers acknowledged it."""
        producer = await self._started()
        ack: Awaitable[RecordMetadata] = await producer.send(
            self._topic, value=payload, key=order_id.encode()
        )
        return ack

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
