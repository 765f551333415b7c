"""The transformer (order.events → orders_analytics) and the ClickHouse sink agents."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from faust import StreamT

from ecommerce_stream import metrics
from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.analytics.store import AnalyticsStore
from ecommerce_stream.analytics.transform import (
    InvalidEvent,
    decode_event,
    row_from_created,
    row_from_order,
)
from ecommerce_stream.app import app, clickhouse, mysql, settings
from ecommerce_stream.catalog import repository as catalog
from ecommerce_stream.orders import repository as orders
from ecommerce_stream.orders.models import OrderCreated, OrderEvent
from ecommerce_stream.stores.clickhouse import DataDirInUse
from ecommerce_stream.topics import dead_letter_topic, order_events_topic, orders_analytics_topic

log = logging.getLogger(__name__)

analytics_store = AnalyticsStore(clickhouse, settings.analytics_tz)

# Order id → the highest version already turned into an analytics row. Changelog-backed, so a
# restarted worker still drops stale versions before they cost a MySQL read.
applied_versions = app.Table(
    "order-versions", key_type=str, value_type=int, default=int, help="Last version per order."
)

MAX_RETRY_DELAY_SECONDS = 30.0
MAX_SINK_PAUSE_SECONDS = 0.25
ResultT = TypeVar("ResultT")


async def retry_until_done(
    what: str, attempt: Callable[[], Awaitable[ResultT]], first_delay: float = 0.1
) -> ResultT:
    """Transient failures (a store restarting) pause the stream; they never drop its data."""
    delay = first_delay
    while True:
        try:
            return await attempt()
        except Exception as error:
            log.warning("%s failed, retrying in %.1fs: %r", what, delay, error)
            await asyncio.sleep(delay)
            delay = min(MAX_RETRY_DELAY_SECONDS, delay * 2)


@app.task
async def prepare_clickhouse() -> None:
    """Apply the `clickhouse/` DDL (and any pending repair) as the worker starts."""
    try:
        await analytics_store.ensure_schema()
    except DataDirInUse as error:
        await app.crash(error)  # another process owns the embedded engine: nothing to retry
    except Exception:
        await retry_until_done("preparing ClickHouse", analytics_store.ensure_schema)


@app.on_before_shutdown.connect
async def _close_clickhouse(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
    await clickhouse.close()
    analytics_store.mark_stopped()


async def _analytics_row(event: OrderEvent) -> OrderAnalyticsRow | None:
    if isinstance(event, OrderCreated):
        return row_from_created(event)
    # Status changes, deletes and restores: the live order is the truth for the full row.
    async with mysql.cursor() as cur:
        order = await orders.get_order(cur, event.orderId)
        if order is None:
            return None  # purged after its retention: nothing left to describe
        user_name = await catalog.user_name(cur, order.user_id) or ""
    return row_from_order(order, user_name, event)


@app.agent(order_events_topic)
async def transform_order_events(stream: StreamT[bytes]) -> None:
    """Each order version becomes one flat row; versions older than the last sent are dropped."""
    async for message in stream.events():
        try:
            event = decode_event(message.value)
        except InvalidEvent as error:
            log.warning("dead-lettering message at %s: %s", message.message.tp, error)
            metrics.dead_letters.inc()
            await dead_letter_topic.send(
                key=message.message.key,
                value=message.message.value or b"",
                headers={"reason": str(error).encode()[:1000]},
            )
            continue
        # Strictly older only: the table's changelog and the output row are not written
        # atomically, so after a crash the newest version is sent again (the sink drops it
        # if it had arrived) rather than risk dropping a row that never left.
        if event.version < applied_versions[event.orderId]:
            continue
        row = await retry_until_done(
            f"reading order {event.orderId}", partial(_analytics_row, event)
        )
        if row is None or row.version < applied_versions[event.orderId]:
            continue
        await orders_analytics_topic.send(key=row.order_id, value=row)
        applied_versions[event.orderId] = row.version


@app.agent(orders_analytics_topic)
async def sink_to_clickhouse(stream: StreamT[OrderAnalyticsRow]) -> None:
    """Batched inserts into the ledger; a batch's offsets are committed only after ClickHouse
    took it, and a redelivered batch is recognised by version and adds nothing.

    An insert costs ClickHouse about the same whatever its size (a part per table and view), so
    under load the sink takes bigger batches instead of more of them: after a batch of several
    rows it waits as long as the insert took (longer on a busier machine) before taking the
    next. A lone row, the quiet case, goes in at once."""
    async for batch in stream.take(settings.sink_batch_size, within=settings.sink_batch_seconds):
        started = time.monotonic()
        await retry_until_done(
            f"inserting {len(batch)} rows into ClickHouse",
            partial(analytics_store.apply, batch),
        )
        if len(batch) > 1:
            await asyncio.sleep(min(MAX_SINK_PAUSE_SECONDS, time.monotonic() - started))
