"""`GET /api/health`: store status plus pipeline figures (outbox backlog, lag, freshness)."""

from __future__ import annotations

import asyncio
from typing import Any

from faust.web import Request, Response, View

from ecommerce_stream.analytics.agents import analytics_store
from ecommerce_stream.app import app, clickhouse, mysql
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.topics import ORDER_EVENTS, ORDERS_ANALYTICS
from ecommerce_stream.web.http import json_model
from ecommerce_stream.wire import ApiModel

CHECK_TIMEOUT_SECONDS = 2.0


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
    newest_analytics_row_age_seconds: float | None


class Health(ApiModel):
    status: str  # "ok" when every store answers and the worker is ready, else "degraded"
    worker: WorkerStatus
    mysql: StoreStatus
    kafka: StoreStatus
    clickhouse: StoreStatus
    pipeline: PipelineFigures


async def _check(probe: Any) -> tuple[StoreStatus, Any]:
    try:
        value = await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
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


def _worker_status() -> WorkerStatus:
    assigned = len(app.consumer.assignment()) if app.consumer else 0
    ready = assigned > 0 and not app.rebalancing
    return WorkerStatus(
        status="ok" if ready else "starting", assigned_partitions=assigned, leader=app.is_leader()
    )


@app.page("/api/health")
class HealthView(View):
    async def get(self, request: Request) -> Response:
        (mysql_status, backlog), (kafka_status, _), (clickhouse_status, _) = await asyncio.gather(
            _check(_outbox_backlog()), _check(_kafka_brokers()), _check(clickhouse.version())
        )
        _, lag = await _check(_consumer_lag())
        freshness = None
        if clickhouse_status.status == "ok":
            _, freshness = await _check(analytics_store.newest_row_age_seconds())
        worker = _worker_status()
        statuses = (worker, mysql_status, kafka_status, clickhouse_status)
        health = Health(
            status="ok" if all(s.status == "ok" for s in statuses) else "degraded",
            worker=worker,
            mysql=mysql_status,
            kafka=kafka_status,
            clickhouse=clickhouse_status,
            pipeline=PipelineFigures(
                outbox_backlog=backlog,
                consumer_lag=lag,
                newest_analytics_row_age_seconds=freshness,
            ),
        )
        return json_model(health, status=200 if health.status == "ok" else 503)
