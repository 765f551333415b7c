"""Builds every object the agents, timers, views and commands share, once: the stores, the
outbox relay and its audit, the order use cases, the analytics ledger, schema and queries, and
the dashboards' live channels with the notices that feed them.
The only module that knows which concrete class plays which role; it closes them on shutdown."""

from __future__ import annotations

from functools import partial
from typing import Any

from ecommerce_stream import metrics
from ecommerce_stream.analytics.changes import tell_dashboards
from ecommerce_stream.analytics.ledger import AnalyticsLedger
from ecommerce_stream.analytics.queries import AnalyticsQueries
from ecommerce_stream.analytics.schema import AnalyticsSchema
from ecommerce_stream.app import app, settings
from ecommerce_stream.orders.service import OrderService
from ecommerce_stream.orders.unit_of_work import mysql_units_of_work
from ecommerce_stream.outbox.audit import Offsets, OutboxAudit
from ecommerce_stream.outbox.publisher import EventPublisher
from ecommerce_stream.outbox.relay import OutboxRelay
from ecommerce_stream.settings import Role
from ecommerce_stream.stores.clickhouse import make_clickhouse
from ecommerce_stream.stores.kafka import (
    BroadcastReader,
    CoalescedNotices,
    GroupOffsets,
    records_being_resent,
)
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.topics import (
    ANALYTICS_CHANGES,
    ORDER_EVENTS,
    ORDERS_ANALYTICS,
    OUTBOX_COMMITS,
    outbox_commits_topic,
    partitions_of,
)
from ecommerce_stream.web.forward import Forwarder
from ecommerce_stream.web.push import PushHub

COMMIT_NOTICE_LEAST_INTERVAL_SECONDS = 0.01

mysql = MySQL(settings)
clickhouse = make_clickhouse(settings)

analytics_schema = AnalyticsSchema.of(clickhouse, settings)
analytics_ledger = AnalyticsLedger(analytics_schema)
analytics_queries = AnalyticsQueries(analytics_schema)

# A worker that runs the sink (STREAM_URL): an API process without ClickHouse of its own
# passes analytics reads there, and one outside the stream group takes the pipeline figures
# of its health report from there.
stream_worker = Forwarder(settings.stream_url) if settings.stream_url else None
analytics_forwarder = None if settings.reads_clickhouse else stream_worker
versions_forwarder = None if app.runs(Role.TRANSFORM) else stream_worker
pipeline_source = None if settings.joins_stream_group else stream_worker


def _relays() -> bool:
    """The relay runs in the stream group's leader, if this process has the relay role (an API
    process leads only a group of API processes)."""
    return app.runs(Role.RELAY) and app.is_leader()


# The dashboards' live channels on this process, and the notices that feed them: every process
# reads every notice, whichever process's sink committed the batch.
push_hub = PushHub(settings.push_max_channels, settings.push_min_interval)
analytics_change_reader = BroadcastReader(
    settings.kafka_brokers,
    f"{settings.kafka_client_id}-changes",
    ANALYTICS_CHANGES,
    tell_dashboards(push_hub),
)

event_publisher = EventPublisher(settings, ORDER_EVENTS)
# A commit in a process that does not relay (an API process) wakes the relaying one through
# Kafka: a notice on outbox.commits, which every relay process reads. At most one every 10 ms:
# a notice per commit cost the API process, Kafka and the relay (a pass per notice) about 1 ms
# of CPU per order at 250 orders/s, and the POST tail with it; one every 20 ms held most orders
# at 50/s (20 ms apart) up to 20 ms (docs/benchmarks.md).
outbox_commit_notices = CoalescedNotices(
    partial(outbox_commits_topic.send, value=b""),
    prepare=outbox_commits_topic.maybe_declare,
    least_interval=COMMIT_NOTICE_LEAST_INTERVAL_SECONDS,
)
relay = OutboxRelay(
    mysql,
    event_publisher.publish,
    settings.outbox_batch_size,
    _relays,
    wake_up=settings.outbox_wake_up,
    wake_elsewhere=outbox_commit_notices.notify,
)
outbox_commit_reader = BroadcastReader(
    settings.kafka_brokers,
    f"{settings.kafka_client_id}-commits",
    OUTBOX_COMMITS,
    lambda _notice: relay.wake(),
)
# Every commit that wrote an event wakes the relay.
order_service = OrderService(
    mysql_units_of_work(mysql, relay.notify), retention_days=settings.soft_delete_retention_days
)

metrics.records_being_resent.set_function(records_being_resent)

group_offsets = GroupOffsets(
    settings.kafka_brokers, f"{settings.kafka_client_id}-audit", settings.kafka_consumer_group_id
)


async def _committed_offsets() -> Offsets:
    return await group_offsets.committed(
        [*partitions_of(ORDER_EVENTS), *partitions_of(ORDERS_ANALYTICS)]
    )


async def _end_offsets() -> tuple[Offsets, Offsets]:
    events, rows = partitions_of(ORDER_EVENTS), partitions_of(ORDERS_ANALYTICS)
    ends = await app.consumer.highwaters(*events, *rows)
    return {tp: ends[tp] for tp in events}, {tp: ends[tp] for tp in rows}


# The audit sees Kafka and the ledger only through these three functions.
outbox_audit = OutboxAudit(
    mysql, _committed_offsets, _end_offsets, analytics_ledger.versions_in_ledger
)


@app.on_before_shutdown.connect
async def _close(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
    await push_hub.close_all()
    await outbox_commit_notices.close()
    await event_publisher.close()
    if stream_worker is not None:
        await stream_worker.close()
    await group_offsets.close()
    await mysql.close()
    await clickhouse.close()
    analytics_schema.mark_stopped()
