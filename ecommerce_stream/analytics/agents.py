"""The transformer (order.events → orders_analytics) and the ClickHouse sink agents."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial

from faust import StreamT

from ecommerce_stream import metrics
from ecommerce_stream.analytics.live import announce_change
from ecommerce_stream.analytics.mapping import row_from_event
from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.analytics.tables import legacy_order_states, transformed_versions
from ecommerce_stream.app import app, settings
from ecommerce_stream.events.decoding import InvalidEvent, decode_event
from ecommerce_stream.events.upcasting import Upcaster
from ecommerce_stream.retry import retry_until_done
from ecommerce_stream.settings import Role
from ecommerce_stream.stores.clickhouse import DataDirInUse
from ecommerce_stream.topics import dead_letter_topic, order_events_topic, orders_analytics_topic
from ecommerce_stream.wiring import analytics_ledger, analytics_schema

log = logging.getLogger(__name__)

MAX_SINK_PAUSE_SECONDS = 0.25
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
    last sent are dropped, and messages that cannot be understood are dead-lettered."""
    async for message in stream.events():
        try:
            event = decode_event(message.value, upcaster)
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
        if event.version < transformed_versions[event.orderId]:
            continue
        row = row_from_event(event)
        await orders_analytics_topic.send(key=row.order_id, value=row)
        transformed_versions[event.orderId] = row.version


@app.agent(orders_analytics_topic, role=Role.SINK)
async def sink_to_clickhouse(stream: StreamT[OrderAnalyticsRow]) -> None:
    """Batched inserts into the ledger; a batch's offsets are committed only after ClickHouse
    took it, and a redelivered batch is recognised by version and adds nothing.

    An insert costs ClickHouse about the same whatever its size (a part per table and view), so
    under load the sink takes bigger batches instead of more of them: after a batch of several
    rows it waits as long as the insert took (longer on a busier machine) before taking the
    next. A lone row, the quiet case, goes in at once. Each batch that changed the figures is
    announced to every process's live dashboards."""
    async for batch in stream.take(settings.sink_batch_size, within=settings.sink_batch_seconds):
        started = time.monotonic()
        written = await retry_until_done(
            f"inserting {len(batch)} rows into ClickHouse", partial(analytics_ledger.apply, batch)
        )
        if written:  # a batch of duplicates changed no figure
            await announce_change(written)
        if len(batch) > 1:
            await asyncio.sleep(min(MAX_SINK_PAUSE_SECONDS, time.monotonic() - started))
