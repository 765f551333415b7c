"""The transformer (order.events → orders_analytics) and the ClickHouse sink agents."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from functools import partial
from typing import Any, TypeVar, cast

from faust import Stream, StreamT
from faust.types import EventT

from ecommerce_stream import metrics
from ecommerce_stream.analytics.live import announce_change
from ecommerce_stream.analytics.mapping import row_from_event
from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.analytics.sink import InsertPacing, PacedBatches
from ecommerce_stream.analytics.tables import legacy_order_states, transformed_versions
from ecommerce_stream.app import app, settings
from ecommerce_stream.events.decoding import InvalidEvent, decode_event
from ecommerce_stream.events.upcasting import Upcaster
from ecommerce_stream.retry import retry_until_done
from ecommerce_stream.settings import Role
from ecommerce_stream.stores.clickhouse import DataDirInUse
from ecommerce_stream.stores.kafka import AckOnDelivery
from ecommerce_stream.topics import (
    ORDER_EVENTS_DLQ,
    ORDERS_ANALYTICS,
    dead_letter_topic,
    order_events_topic,
    orders_analytics_topic,
)
from ecommerce_stream.wiring import analytics_ledger, analytics_schema

log = logging.getLogger(__name__)
ValueT = TypeVar("ValueT")

upcaster = Upcaster(legacy_order_states)


@app.task(role=Role.SINK)
async def prepare_clickhouse() -> None:
    """Apply the `clickhouse/` DDL (and any pending repair) as the worker starts."""
    try:
        await analytics_schema.ensure()
    except DataDirInUse as error:
        await app.crash(error)  # another process owns the embedded engine: nothing to retry
    except Exception:
        await retry_until_done("preparing ClickHouse", analytics_schema.ensure)


@app.agent(order_events_topic, role=Role.TRANSFORM)
async def transform_order_events(stream: StreamT[bytes]) -> None:
    """Each order version becomes one flat row, from the event alone; versions older than the
    last sent are dropped, and messages that cannot be understood are dead-lettered. An event
    is acked (its offset may be committed) only once what it produced is in Kafka."""
    events = _acked_by_hand(stream)
    rows = AckOnDelivery(events, ORDERS_ANALYTICS)
    dead_letters = AckOnDelivery(events, ORDER_EVENTS_DLQ)
    try:
        async for message in events.events():
            try:
                event = decode_event(message.value, upcaster)
            except InvalidEvent as error:
                log.warning("dead-lettering message at %s: %s", message.message.tp, error)
                metrics.dead_letters.inc()
                await dead_letters.send(message, partial(_dead_letter, message, error))
                continue
            # Strictly older only: the table's changelog and the output row are not written
            # atomically, so after a crash the newest version is sent again (the sink drops
            # it if it had arrived) rather than risk dropping a row that never left.
            if event.version < transformed_versions[event.orderId]:
                await rows.ack(message)
                continue
            row = row_from_event(event)
            await rows.send(
                message, partial(orders_analytics_topic.send, key=row.order_id, value=row)
            )
            transformed_versions[event.orderId] = row.version
    finally:
        rows.close()
        dead_letters.close()


def _acked_by_hand(stream: StreamT[ValueT]) -> StreamT[ValueT]:
    """The same stream, its events acked by the agent (Faust's StreamT does not declare it)."""
    return cast("Stream[ValueT]", stream).noack()


def _dead_letter(message: EventT[bytes], error: InvalidEvent) -> Awaitable[Awaitable[Any]]:
    return dead_letter_topic.send(
        key=message.message.key,
        value=message.message.value or b"",
        headers={"reason": str(error).encode()[:1000]},
    )


@app.agent(orders_analytics_topic, role=Role.SINK)
async def sink_to_clickhouse(stream: StreamT[OrderAnalyticsRow]) -> None:
    """Paced batches into the ledger (analytics/sink.py); a batch's events are acked, so its
    offsets may be committed, only after ClickHouse took it, and a redelivered batch is
    recognised by version and adds nothing. Each batch that changed the figures is announced
    to every process's live dashboards."""
    rows = _acked_by_hand(stream)

    async def insert(batch: list[EventT[OrderAnalyticsRow]]) -> None:
        values = [cast(OrderAnalyticsRow, event.value) for event in batch]
        written = await retry_until_done(
            f"inserting {len(batch)} rows into ClickHouse",
            partial(analytics_ledger.apply, values),
        )
        if written:  # a batch of duplicates changed no figure
            await announce_change(written)
        for event in batch:
            await rows.ack(event)

    batches = PacedBatches(
        insert, settings.sink_batch_size, InsertPacing(settings.sink_batch_seconds)
    )
    # Inserts are retried until ClickHouse takes them: the loop ends only with the agent.
    inserting = asyncio.ensure_future(batches.run())
    try:
        async for event in rows.events():
            await batches.put(event)
    finally:
        inserting.cancel()
