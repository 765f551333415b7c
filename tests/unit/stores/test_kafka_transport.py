"""The worker's Kafka consumer waits at most KAFKA_FETCH_MAX_WAIT_MS per fetch, not Faust's
1.5 s (ecommerce_stream/stores/kafka.py says why)."""

from __future__ import annotations

import aiokafka

from ecommerce_stream.app import app, settings
from ecommerce_stream.stores.kafka import ConsumerThread, Transport


async def test_aiokafka_still_reads_the_fetch_wait_from_the_attribute_we_set() -> None:
    consumer = aiokafka.AIOKafkaConsumer(fetch_max_wait_ms=123)

    assert consumer._fetch_max_wait_ms == 123


async def test_the_worker_consumer_waits_at_most_the_configured_time() -> None:
    assert isinstance(app.transport, Transport)
    thread = app.consumer._thread
    assert isinstance(thread, ConsumerThread)

    consumer = thread._create_worker_consumer(app.transport)

    assert settings.joins_stream_group, "the test profile's worker runs every role"
    assert consumer._fetch_max_wait_ms == settings.kafka_fetch_max_wait_ms != 1500


def test_an_api_process_keeps_fausts_fetch_wait() -> None:
    api = settings.model_copy(update={"roles": "api", "stream_url": "http://127.0.0.1:1"})

    assert api.consumer_fetch_max_wait_ms == 1500
    assert settings.consumer_fetch_max_wait_ms == settings.kafka_fetch_max_wait_ms
