"""Faust's aiokafka transport with a shorter consumer fetch wait.

Faust builds its consumer with `fetch_max_wait_ms=1500` and no setting to change it. aiokafka
keeps one fetch request in flight per broker, and leaves out of it the partitions whose records
the app has not consumed yet. Between two agents of one worker that is a stall: the fetch in
flight names only `orders_analytics` partitions, the transformer finishes its `order.events`
records and waits for more, but `orders_analytics` gets nothing until the transformer sends it
something, so the broker holds the fetch for the full 1.5 s. Under load that put up to 1.5 s
into most orders' way to ClickHouse. KAFKA_FETCH_MAX_WAIT_MS bounds the stall, at the cost of a
few empty fetches a second when idle."""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka


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
