"""Kafka plumbing Faust lacks: a transport with a shorter consumer fetch wait, and the consumer
group's committed offsets.

Faust builds its consumer with `fetch_max_wait_ms=1500` and no setting to change it. aiokafka
keeps one fetch request in flight per broker, and leaves out of it the partitions whose records
the app has not consumed yet. Between two agents of one worker that is a stall: the fetch in
flight names only `orders_analytics` partitions, the transformer finishes its `order.events`
records and waits for more, but `orders_analytics` gets nothing until the transformer sends it
something, so the broker holds the fetch for the full 1.5 s. Under load that put up to 1.5 s
into most orders' way to ClickHouse. KAFKA_FETCH_MAX_WAIT_MS bounds the stall, at the cost of a
few empty fetches a second when idle."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import aiokafka
from aiokafka.admin import AIOKafkaAdminClient
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer: aiokafka.AIOKafkaConsumer = super()._create_worker_consumer(transport)
        # Read by the consumer's fetcher when it starts, which has not happened yet.
        assert isinstance(self.transport, Transport), "made by Transport.Consumer only"
        consumer._fetch_max_wait_ms = self.transport.fetch_max_wait_ms
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer

    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fetch_max_wait_ms = fetch_max_wait_ms


class GroupOffsets:
    """The offsets a consumer group committed, over all partitions: a worker's own consumer
    knows only the partitions assigned to it."""

    def __init__(self, bootstrap_servers: str, client_id: str, group_id: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._group_id = group_id
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()

    async def committed(self, partitions: Iterable[TP]) -> dict[TP, int]:
        """Partition → committed offset; a partition the group never committed is left out."""
        async with self._lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self._bootstrap_servers, client_id=self._client_id
                )
                await admin.start()
                self._admin = admin
        offsets = await self._admin.list_consumer_group_offsets(
            self._group_id,
            partitions=[aiokafka.TopicPartition(tp.topic, tp.partition) for tp in partitions],
        )
        return {
            TP(tp.topic, tp.partition): meta.offset
            for tp, meta in offsets.items()
            if meta.offset >= 0
        }

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
