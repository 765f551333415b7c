"""Live dashboards: the sink's notice after each committed batch goes to Kafka, and every
process reads every notice (the sink's process may not be the one a dashboard is connected to)."""

from __future__ import annotations

import asyncio
import logging

from ecommerce_stream.analytics.changes import change_notice
from ecommerce_stream.app import app
from ecommerce_stream.retry import retry_until_done
from ecommerce_stream.settings import Role
from ecommerce_stream.topics import analytics_changes_topic
from ecommerce_stream.wiring import analytics_change_reader, analytics_schema

log = logging.getLogger(__name__)


async def announce_change(rows: int) -> None:
    """Tell every process that a batch of `rows` ledger rows is now in ClickHouse. A notice
    that cannot be sent is logged, not retried: it only speeds a dashboard up, and the
    dashboard's next notice or poll brings the same figures."""
    try:
        await analytics_changes_topic.send(value=change_notice(analytics_schema.generation, rows))
    except Exception as error:
        log.warning("could not announce an analytics change: %r", error)


# A rebuild runs with no worker: the command waits this long for Kafka to take its notice.
REBUILD_NOTICE_TIMEOUT_SECONDS = 10.0


async def announce_rebuild(orders: int) -> bool:
    """After `rebuild-analytics` (its own process, no worker running): every open dashboard
    refreshes at once instead of at the next order. Waits for Kafka's acknowledgement, then
    stops the producer the command started; False (and a log line) if Kafka did not take it."""
    try:
        async with asyncio.timeout(REBUILD_NOTICE_TIMEOUT_SECONDS):
            await analytics_changes_topic.maybe_declare()
            notice = change_notice(analytics_schema.generation, orders)
            await (await analytics_changes_topic.send(value=notice))
        return True
    except Exception as error:
        log.warning("could not tell open dashboards of the rebuild: %r", error)
        return False
    finally:
        await app.producer.stop()


@app.task(role=Role.API)
async def read_analytics_changes() -> None:
    """In every API process: the dashboards connected here learn of each batch any sink
    commits."""
    await retry_until_done(
        "declaring the analytics.changes topic", analytics_changes_topic.maybe_declare
    )
    await retry_until_done("reading analytics change notices", analytics_change_reader.run)
