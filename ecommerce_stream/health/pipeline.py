"""How the stores and the pipeline are doing: the figures behind `GET /api/health` and the
pipeline gauges of `/metrics`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from faust.types import TP

from ecommerce_stream import metrics
from ecommerce_stream.app import app, settings
from ecommerce_stream.health.event_loop import worst_recent_lag
from ecommerce_stream.health.windows import RisingOver
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.retry import retry_until_done
from ecommerce_stream.settings import Role
from ecommerce_stream.stores.clickhouse import NoClickHouseHere
from ecommerce_stream.stores.kafka import records_being_resent
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ, ORDERS_ANALYTICS, partitions_of
from ecommerce_stream.wire import ApiModel, UtcTimestamp
from ecommerce_stream.wiring import (
    analytics_forwarder,
    analytics_ledger,
    clickhouse,
    group_offsets,
    mysql,
    outbox_commit_notices,
    pipeline_source,
    push_hub,
    relay,
    stream_worker,
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
# Committed offsets that fell further behind over this long raise an alarm: ten of Faust's
# commit intervals, so the lag's rise and fall between two commits never does.
COMMITTED_LAG_WINDOW_SECONDS = 30.0
# The topics the stream group consumes (and whose lag the figures report).
STREAM_TOPICS = (ORDER_EVENTS, ORDERS_ANALYTICS)
# How often a worker that is not ready yet checks whether it caught up.
READINESS_CHECK_SECONDS = 0.25
# How often the gauges of /metrics are refreshed (Prometheus scrapes far less often; an idle
# worker should cost next to nothing).
GAUGES_REFRESH_SECONDS = 5.0
# Connections an API process opens before it calls itself ready, so that its first orders
# wait for none.
WARM_CONNECTIONS = 4
ValueT = TypeVar("ValueT")


# A store this process does not use: ClickHouse in a process without the sink role when the
# embedded chDB belongs to another (and no STREAM_URL to ask it through).
UNUSED = "unused"


class StoreStatus(ApiModel):
    status: str  # "ok" | "down" | "unused"
    detail: str | None = None


class WorkerStatus(ApiModel):
    # "ok" once ready, else "starting". A stream worker is ready once its partitions are
    # assigned, no rebalance runs, it caught up with what they held, and (if it relays) its
    # relay emptied the outbox once; an API process once its connections are open.
    status: str
    assigned_partitions: int
    leader: bool  # leads the stream group
    # The worst event loop lag of this process over the last 30 s.
    event_loop_lag_seconds: float


class PipelineFigures(ApiModel):
    outbox_backlog: int | None
    # Records of order.events and orders_analytics this worker's consumer has not fetched.
    consumer_lag: int | None
    # Records of order.events and orders_analytics after the group's committed offsets, over
    # every partition: what a restart would read again; and whether it kept rising lately.
    committed_lag: int | None = None
    committed_lag_rising: bool = False
    freshness_seconds: float | None  # the oldest change not yet visible in ClickHouse; 0: none
    dead_letters: int | None
    newest_analytics_row_age_seconds: float | None
    # Events the outbox audit found missing from ClickHouse and relayed again, by any worker:
    # each one means a record was skipped upstream.
    events_relayed_again: int | None = None
    last_relayed_again_at: UtcTimestamp | None = None
    # Records Kafka refused after the producer's retries, being sent again now.
    records_being_resent: int | None = None
    # The worst event loop lag over the last 30 s of the worker these figures come from.
    event_loop_lag_seconds: float | None = None


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
        if tp.topic in STREAM_TOPICS:
            position = await consumer.position(tp)
            if position is not None:
                lag += max(0, consumer.highwater(tp) - position)
    return lag


async def _committed_lag() -> int:
    """Over every partition, whichever worker reads it: the group's committed offsets (the
    log start for a partition never committed) against the ends of the logs."""
    partitions = [*partitions_of(ORDER_EVENTS), *partitions_of(ORDERS_ANALYTICS)]
    committed = await group_offsets.committed(partitions)
    ends = await app.consumer.highwaters(*partitions)
    never = [tp for tp in partitions if tp not in committed]
    starts = await app.consumer.earliest_offsets(*never) if never else {}
    lag = sum(max(0, ends[tp] - committed.get(tp, starts.get(tp, 0))) for tp in partitions)
    committed_lag_trend.observe(time.monotonic(), lag)
    return lag


committed_lag_trend = RisingOver(COMMITTED_LAG_WINDOW_SECONDS)


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
    if figures.committed_lag_rising:
        found.append(
            f"the consumer group's committed offsets have fallen further behind for"
            f" {COMMITTED_LAG_WINDOW_SECONDS:.0f} s ({figures.committed_lag} records a restart"
            " would read again): a stage stopped acknowledging (see the worker log, and"
            " ecommerce_produce_failures_total)"
        )
    last = figures.last_relayed_again_at
    if last is not None and now - last < AUDIT_ALARM_WINDOW:
        found.append(
            f"the outbox audit relayed {figures.events_relayed_again} lost event(s) again,"
            f" the last at {last.isoformat(timespec='seconds')}: a record was skipped between"
            " the relay and ClickHouse (see the worker log's ERROR lines)"
        )
    return found


class Readiness:
    """What a worker must have done once before it calls itself ready: joined its group and,
    after each rebalance, read what its partitions held when they were assigned; relayed the
    outbox once (the relaying worker); opened its connections (an API process)."""

    def __init__(self) -> None:
        self.warm = False
        self._caught_up_in: int | None = None  # the rebalance count it caught up in
        self._ends: dict[TP, int] = {}  # the ends of its partitions, read in `_ends_in`
        self._ends_in: int | None = None

    def ready(self) -> bool:
        if not settings.joins_stream_group:
            return self.warm
        assigned = bool(app.consumer and app.consumer.assignment())
        if not assigned or app.rebalancing or self._caught_up_in != app.rebalancing_count:
            return False
        relays = app.runs(Role.RELAY) and app.is_leader()
        return (not relays or relay.passes_done > 0) and (self.warm or not app.runs(Role.API))

    async def check_caught_up(self) -> None:
        """Whether the consumer has read up to where its partitions ended at assignment."""
        consumer, generation = app.consumer, app.rebalancing_count
        if app.rebalancing or not consumer.assignment():
            return
        partitions = [tp for tp in consumer.assignment() if tp.topic in STREAM_TOPICS]
        if self._ends_in != generation:
            self._ends = dict(await consumer.highwaters(*partitions)) if partitions else {}
            self._ends_in = generation
        for tp in partitions:
            position = await consumer.position(tp)
            if position is None or position < self._ends.get(tp, 0):
                return
        if generation == app.rebalancing_count and not app.rebalancing:
            self._caught_up_in = generation


readiness = Readiness()


def _worker_status() -> WorkerStatus:
    assigned = len(app.consumer.assignment()) if app.consumer else 0
    return WorkerStatus(
        status="ok" if readiness.ready() else "starting",
        assigned_partitions=assigned,
        # An API process leads only the group of API processes Faust makes it join, whose
        # leadership means nothing (the stream group's leader is the one that relays).
        leader=settings.joins_stream_group and app.is_leader(),
        event_loop_lag_seconds=worst_recent_lag(),
    )


async def _stream_worker_report() -> Health | None:
    """The health report of the worker that runs the sink (STREAM_URL), in one request: an
    API process takes ClickHouse's status (chDB is read there) and the pipeline figures (it
    sees neither the lag nor the ledger) from it. None if it cannot be had."""
    if stream_worker is None or (analytics_forwarder is None and pipeline_source is None):
        return None
    try:
        return Health.model_validate(await stream_worker.get_json("/api/health"))
    except Exception as error:
        log.debug("no health report from the stream worker: %r", error)
        return None


NO_FIGURES = PipelineFigures(
    outbox_backlog=None,
    consumer_lag=None,
    freshness_seconds=None,
    dead_letters=None,
    newest_analytics_row_age_seconds=None,
)


async def pipeline_figures() -> PipelineFigures:
    """This worker's own figures (a worker in the stream group)."""
    counts = asyncio.gather(
        _check(_outbox_backlog()),
        _check(_consumer_lag()),
        _check(_committed_lag()),
        _check(_dead_letters()),
    )
    ages = asyncio.gather(
        _check(_freshness()),
        _check(analytics_ledger.newest_row_age_seconds()),
        _check(_audit_tally()),
    )
    (
        ((_, backlog), (_, lag), (_, behind), (_, dead)),
        ((_, fresh), (_, age), (_, tally)),
    ) = await asyncio.gather(counts, ages)
    if behind is None:
        committed_lag_trend.forget()  # a gap: the rise must be seen again from here
    return PipelineFigures(
        outbox_backlog=backlog,
        consumer_lag=lag,
        committed_lag=behind,
        committed_lag_rising=committed_lag_trend.rising(),
        freshness_seconds=fresh,
        dead_letters=dead,
        newest_analytics_row_age_seconds=age,
        events_relayed_again=tally.requeued_total if tally else None,
        last_relayed_again_at=tally.last_requeued_at if tally else None,
        records_being_resent=records_being_resent(),
        event_loop_lag_seconds=worst_recent_lag(),
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


async def _clickhouse_status(stream_report: Health | None) -> StoreStatus:
    """Probed here, or as the worker that owns the embedded engine reported it."""
    if analytics_forwarder is None:
        status, _ = await _check(clickhouse.version())
        return status
    if stream_report is None:
        return StoreStatus(status="down", detail="the stream worker cannot be reached")
    return stream_report.clickhouse


async def store_statuses(stream_report: Health | None) -> StoreStatuses:
    (mysql_status, _), (kafka_status, _), clickhouse_status = await asyncio.gather(
        _check(mysql.fetch_one("SELECT 1")),
        _check(_kafka_brokers()),
        _clickhouse_status(stream_report),
    )
    return StoreStatuses(mysql_status, kafka_status, clickhouse_status)


async def _figures(stream_report: Health | None) -> PipelineFigures:
    if pipeline_source is None:
        return await latest.get()
    return NO_FIGURES if stream_report is None else stream_report.pipeline


def _stream_worker_alarms(stream_report: Health | None) -> list[str]:
    """An API process serves orders without the stream worker, but the pipeline is not
    whole until it serves too."""
    if stream_worker is None or pipeline_source is None:
        return []
    if stream_report is None:
        return [f"the stream worker at {stream_worker.base_url} cannot be reached"]
    if not stream_report.serving:
        return [f"the stream worker at {stream_worker.base_url} is {stream_report.worker.status}"]
    return []


async def health() -> Health:
    """One request to the stream worker at most (an API process), whatever it needs from it."""
    stream_report = await _stream_worker_report()
    stores, figures = await asyncio.gather(store_statuses(stream_report), _figures(stream_report))
    worker = _worker_status()
    serving = worker.status == "ok" and all(s.status in ("ok", UNUSED) for s in stores)
    raised = alarms(figures, datetime.now(UTC)) + _stream_worker_alarms(stream_report)
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


@app.task(role=None)
async def watch_readiness() -> None:
    """A stream worker is ready once it caught up: checked often until then (after every
    rebalance), so that it says so within a moment of being ready."""
    while True:
        await asyncio.sleep(READINESS_CHECK_SECONDS)
        if settings.joins_stream_group and not readiness.ready():
            try:
                await readiness.check_caught_up()
            except Exception as error:  # Kafka away: the next check asks again
                log.debug("readiness check failed: %r", error)


@app.task(role=Role.API)
async def warm_up() -> None:
    """Open the connections the first orders need before calling this process ready: a
    pool of MySQL connections and, for the relay's wake-up, Kafka's producer and topic."""
    await retry_until_done(
        "opening MySQL connections",
        lambda: asyncio.gather(*(mysql.fetch_one("SELECT 1") for _ in range(WARM_CONNECTIONS))),
    )
    if settings.outbox_wake_up and not app.runs(Role.RELAY):
        await retry_until_done("declaring outbox.commits", outbox_commit_notices.prepare)
    readiness.warm = True


@app.timer(interval=GAUGES_REFRESH_SECONDS, role=None)
async def refresh_pipeline_gauges() -> None:
    """Prometheus scrapes synchronously: keep the gauges that need a query up to date. They are
    the figures of GET /api/health, so Grafana shows what the dashboard's pipeline panel does.
    Every process keeps them: its own store probes, and (outside the stream group) the
    pipeline figures of the stream worker it reports."""
    stream_report = await _stream_worker_report()
    stores = await store_statuses(stream_report)
    figures = await latest.refresh() if pipeline_source is None else await _figures(stream_report)
    for gauge, value in (
        (metrics.outbox_backlog, figures.outbox_backlog),
        (metrics.consumer_lag, figures.consumer_lag),
        (metrics.committed_lag, figures.committed_lag),
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
    metrics.worker_ready.set(readiness.ready())


@app.timer(interval=HEALTH_PUSH_SECONDS, role=Role.API)
async def push_pipeline_health() -> None:
    """The pipeline panel's figures ride the dashboards' live channels: one check per process
    however many dashboards are open, none while no dashboard is."""
    if push_hub.open_channels:
        report = await health()
        push_hub.publish(HEALTH, report.model_dump(mode="json", by_alias=True))
