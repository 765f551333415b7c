"""How the stores and the pipeline are doing: the figures behind `GET /api/health` and the
pipeline gauges of `/metrics`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ecommerce_stream import metrics
from ecommerce_stream.app import app
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ, ORDERS_ANALYTICS, partitions_of
from ecommerce_stream.wire import ApiModel, UtcTimestamp
from ecommerce_stream.wiring import analytics_ledger, clickhouse, mysql, push_hub

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
# How often dashboards connected to this process are sent the pipeline panel's figures.
HEALTH_PUSH_SECONDS = 2.0
# The message type they get them as (web/static/dashboard.js).
HEALTH = "health"
# An event the outbox audit had to relay again keeps the pipeline "degraded" this long: long
# enough for an operator to see it, after which the tally still shows it happened.
AUDIT_ALARM_WINDOW = timedelta(hours=1)
ValueT = TypeVar("ValueT")


class StoreStatus(ApiModel):
    status: str  # "ok" | "down"
    detail: str | None = None


class WorkerStatus(ApiModel):
    status: str  # "ok" once partitions are assigned and no rebalance is running, else "starting"
    assigned_partitions: int
    leader: bool


class PipelineFigures(ApiModel):
    outbox_backlog: int | None
    consumer_lag: int | None
    freshness_seconds: float | None  # the oldest change not yet visible in ClickHouse; 0: none
    dead_letters: int | None
    newest_analytics_row_age_seconds: float | None
    # Events the outbox audit found missing from ClickHouse and relayed again, by any worker:
    # each one means a record was skipped upstream.
    events_relayed_again: int | None = None
    last_relayed_again_at: UtcTimestamp | None = None


class Health(ApiModel):
    # "ok" when every store answers, the worker is ready and no alarm is raised, else
    # "degraded"; the HTTP status says only whether this worker can serve (503 if not).
    status: str
    serving: bool
    alarms: list[str]
    worker: WorkerStatus
    mysql: StoreStatus
    kafka: StoreStatus
    clickhouse: StoreStatus
    pipeline: PipelineFigures


async def _check(probe: Awaitable[ValueT]) -> tuple[StoreStatus, ValueT | None]:
    try:
        value = await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        log.debug("health probe failed: %r", error)
        return StoreStatus(status="down", detail=type(error).__name__), None
    return StoreStatus(status="ok"), value


async def _outbox_backlog() -> int:
    async with mysql.cursor() as cur:
        return await outbox.backlog(cur)


async def _kafka_brokers() -> int:
    producer: Any = app.producer
    client = producer._producer.client  # the aiokafka client under Faust's producer
    await client.fetch_all_metadata()
    return len(client.cluster.brokers())


async def _consumer_lag() -> int:
    consumer = app.consumer
    lag = 0
    for tp in consumer.assignment():
        if tp.topic in (ORDER_EVENTS, ORDERS_ANALYTICS):
            position = await consumer.position(tp)
            if position is not None:
                lag += max(0, consumer.highwater(tp) - position)
    return lag


async def _dead_letters() -> int:
    """Every message ever dead-lettered, by any worker: the dead-letter topic's end offsets."""
    ends = await app.consumer.highwaters(*partitions_of(ORDER_EVENTS_DLQ))
    return sum(ends.values())


async def _freshness() -> float:
    visible_through = await analytics_ledger.newest_visible_change()
    async with mysql.cursor() as cur:
        oldest = await outbox.oldest_change_not_before(cur, visible_through)
    return 0.0 if oldest is None else max(0.0, (datetime.now(UTC) - oldest).total_seconds())


async def _audit_tally() -> outbox.AuditTally:
    async with mysql.cursor() as cur:
        return await outbox.audit_tally(cur)


def alarms(figures: PipelineFigures, now: datetime) -> list[str]:
    """What an operator must look at even though every store answers."""
    found = []
    last = figures.last_relayed_again_at
    if last is not None and now - last < AUDIT_ALARM_WINDOW:
        found.append(
            f"the outbox audit relayed {figures.events_relayed_again} lost event(s) again,"
            f" the last at {last.isoformat(timespec='seconds')}: a record was skipped between"
            " the relay and ClickHouse (see the worker log's ERROR lines)"
        )
    return found


def _worker_status() -> WorkerStatus:
    assigned = len(app.consumer.assignment()) if app.consumer else 0
    ready = assigned > 0 and not app.rebalancing
    return WorkerStatus(
        status="ok" if ready else "starting", assigned_partitions=assigned, leader=app.is_leader()
    )


async def pipeline_figures() -> PipelineFigures:
    (_, backlog), (_, lag), (_, fresh), (_, dead), (_, age), (_, tally) = await asyncio.gather(
        _check(_outbox_backlog()),
        _check(_consumer_lag()),
        _check(_freshness()),
        _check(_dead_letters()),
        _check(analytics_ledger.newest_row_age_seconds()),
        _check(_audit_tally()),
    )
    return PipelineFigures(
        outbox_backlog=backlog,
        consumer_lag=lag,
        freshness_seconds=fresh,
        dead_letters=dead,
        newest_analytics_row_age_seconds=age,
        events_relayed_again=tally.requeued_total if tally else None,
        last_relayed_again_at=tally.last_requeued_at if tally else None,
    )


class _Latest:
    """The figures of the timer's last refresh: the consumer's offsets answer slowly (they go
    through the consumer's own thread), so a health request reuses them while fresh."""

    figures: PipelineFigures | None = None
    at: float = 0.0

    async def get(self, max_age: float = 3.0) -> PipelineFigures:
        if self.figures is None or time.monotonic() - self.at > max_age:
            await self.refresh()
        assert self.figures is not None
        return self.figures

    async def refresh(self) -> PipelineFigures:
        self.figures, self.at = await pipeline_figures(), time.monotonic()
        return self.figures


latest = _Latest()


async def health() -> Health:
    (mysql_status, _), (kafka_status, _), (clickhouse_status, _) = await asyncio.gather(
        _check(mysql.fetch_one("SELECT 1")), _check(_kafka_brokers()), _check(clickhouse.version())
    )
    worker = _worker_status()
    statuses = (worker, mysql_status, kafka_status, clickhouse_status)
    serving = all(s.status == "ok" for s in statuses)
    figures = await latest.get()
    raised = alarms(figures, datetime.now(UTC))
    return Health(
        status="ok" if serving and not raised else "degraded",
        serving=serving,
        alarms=raised,
        worker=worker,
        mysql=mysql_status,
        kafka=kafka_status,
        clickhouse=clickhouse_status,
        pipeline=figures,
    )


@app.timer(interval=1.0)
async def refresh_pipeline_gauges() -> None:
    """Prometheus scrapes synchronously: keep the gauges that need a query up to date."""
    figures = await latest.refresh()
    for gauge, value in (
        (metrics.outbox_backlog, figures.outbox_backlog),
        (metrics.consumer_lag, figures.consumer_lag),
        (metrics.freshness_seconds, figures.freshness_seconds),
    ):
        if value is not None:
            gauge.set(value)


@app.timer(interval=HEALTH_PUSH_SECONDS)
async def push_pipeline_health() -> None:
    """The pipeline panel's figures ride the dashboards' live channels: one check per process
    however many dashboards are open, none while no dashboard is."""
    if push_hub.open_channels:
        report = await health()
        push_hub.publish(HEALTH, report.model_dump(mode="json", by_alias=True))
