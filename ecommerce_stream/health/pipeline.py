"""How the stores and the pipeline are doing: the figures behind `GET /api/health` and the
pipeline gauges of `/metrics`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from ecommerce_stream import metrics
from ecommerce_stream.app import app, settings
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.settings import Role
from ecommerce_stream.stores.clickhouse import NoClickHouseHere
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ, ORDERS_ANALYTICS, partitions_of
from ecommerce_stream.wire import ApiModel, UtcTimestamp
from ecommerce_stream.wiring import (
    analytics_forwarder,
    analytics_ledger,
    clickhouse,
    mysql,
    pipeline_source,
    push_hub,
)

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


# A store this process does not use: ClickHouse in a process without the sink role when the
# embedded chDB belongs to another (and no STREAM_URL to ask it through).
UNUSED = "unused"


class StoreStatus(ApiModel):
    status: str  # "ok" | "down" | "unused"
    detail: str | None = None


class WorkerStatus(ApiModel):
    # "ok" once partitions are assigned and no rebalance is running (an API process outside
    # the stream group: always), else "starting"
    status: str
    assigned_partitions: int
    leader: bool  # leads the stream group


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
    except NoClickHouseHere:
        return StoreStatus(status=UNUSED, detail="ClickHouse is read by another process"), None
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
    if not settings.joins_stream_group:
        # An API process consumes nothing, and the group of API processes Faust makes it join
        # has one leader partition for all of them: neither partitions nor that leadership
        # say anything about it (the stream group's leader is the one that relays).
        return WorkerStatus(status="ok", assigned_partitions=assigned, leader=False)
    ready = assigned > 0 and not app.rebalancing
    return WorkerStatus(
        status="ok" if ready else "starting", assigned_partitions=assigned, leader=app.is_leader()
    )


async def _clickhouse_version() -> str:
    """Asked of ClickHouse, or of the worker that owns the embedded one."""
    if analytics_forwarder is None:
        return await clickhouse.version()
    answer = await analytics_forwarder.get_json("/api/analytics/health")
    if answer.get("status") != "ok":
        raise ConnectionError(f"ClickHouse is {answer.get('status')} at the stream worker")
    return str(answer["version"])


async def pipeline_figures() -> PipelineFigures:
    if pipeline_source is not None:
        # Outside the stream group this process sees neither the lag nor (with chDB) the ledger.
        try:
            answer = await pipeline_source.get_json("/api/health")
            return PipelineFigures.model_validate(answer["pipeline"])
        except Exception as error:
            log.debug("no pipeline figures from the stream worker: %r", error)
            return PipelineFigures(
                outbox_backlog=None,
                consumer_lag=None,
                freshness_seconds=None,
                dead_letters=None,
                newest_analytics_row_age_seconds=None,
            )
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


class StoreStatuses(NamedTuple):
    mysql: StoreStatus
    kafka: StoreStatus
    clickhouse: StoreStatus


async def store_statuses() -> StoreStatuses:
    (mysql_status, _), (kafka_status, _), (clickhouse_status, _) = await asyncio.gather(
        _check(mysql.fetch_one("SELECT 1")), _check(_kafka_brokers()), _check(_clickhouse_version())
    )
    return StoreStatuses(mysql_status, kafka_status, clickhouse_status)


async def health() -> Health:
    stores = await store_statuses()
    worker = _worker_status()
    serving = worker.status == "ok" and all(s.status in ("ok", UNUSED) for s in stores)
    figures = await latest.get()
    raised = alarms(figures, datetime.now(UTC))
    return Health(
        status="ok" if serving and not raised else "degraded",
        serving=serving,
        alarms=raised,
        worker=worker,
        mysql=stores.mysql,
        kafka=stores.kafka,
        clickhouse=stores.clickhouse,
        pipeline=figures,
    )


@app.timer(interval=1.0, role=None)
async def refresh_pipeline_gauges() -> None:
    """Prometheus scrapes synchronously: keep the gauges that need a query up to date. They are
    the figures of GET /api/health, so Grafana shows what the dashboard's pipeline panel does.
    Every process keeps them: its own store probes, and (outside the stream group) the
    pipeline figures of the stream worker it reports."""
    figures, stores = await asyncio.gather(latest.refresh(), store_statuses())
    for gauge, value in (
        (metrics.outbox_backlog, figures.outbox_backlog),
        (metrics.consumer_lag, figures.consumer_lag),
        (metrics.freshness_seconds, figures.freshness_seconds),
        (metrics.dead_letter_topic_messages, figures.dead_letters),
        (metrics.events_relayed_again, figures.events_relayed_again),
        (metrics.newest_analytics_row_age_seconds, figures.newest_analytics_row_age_seconds),
    ):
        if value is not None:  # a probe that failed leaves the last value; store_up says why
            gauge.set(value)
    for name, status in stores._asdict().items():
        if status.status != UNUSED:
            metrics.store_up.labels(store=name).set(status.status == "ok")
    metrics.worker_ready.set(_worker_status().status == "ok")


@app.timer(interval=HEALTH_PUSH_SECONDS, role=Role.API)
async def push_pipeline_health() -> None:
    """The pipeline panel's figures ride the dashboards' live channels: one check per process
    however many dashboards are open, none while no dashboard is."""
    if push_hub.open_channels:
        report = await health()
        push_hub.publish(HEALTH, report.model_dump(mode="json", by_alias=True))
