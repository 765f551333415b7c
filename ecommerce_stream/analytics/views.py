"""HTTP views of the analytics API: every answer comes from the ClickHouse aggregates."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar, cast
from zoneinfo import ZoneInfo

from aiohttp import web
from faust.web import Request, Response
from pydantic import TypeAdapter

from ecommerce_stream import metrics
from ecommerce_stream.analytics.schemas import (
    FIRST_DAY,
    LAST_DAY,
    MAX_HOURS,
    AppliedVersion,
    ClickHouseHealth,
    DailySales,
    DateRangeQuery,
    HourlyQuery,
    HourlySales,
    Stats,
    StatusBreakdown,
    UserAnalytics,
)
from ecommerce_stream.analytics.tables import transformed_versions
from ecommerce_stream.app import app, settings
from ecommerce_stream.errors import BadRequest, NotFound, Unavailable
from ecommerce_stream.settings import Role
from ecommerce_stream.web.http import ApiView, json_model, read_path, read_query
from ecommerce_stream.web.openapi import endpoint
from ecommerce_stream.wire import OrderPath, UserPath
from ecommerce_stream.wiring import (
    analytics_forwarder,
    clickhouse,
    push_hub,
    versions_forwarder,
)
from ecommerce_stream.wiring import analytics_queries as queries

DEFAULT_DAYS = 30
DEFAULT_HOURS = 24
ALL_TIME = (FIRST_DAY, LAST_DAY)

_daily = TypeAdapter(list[DailySales])
_hourly = TypeAdapter(list[HourlySales])
_statuses = TypeAdapter(list[StatusBreakdown])
_zone = ZoneInfo(settings.analytics_tz)
AnswerT = TypeVar("AnswerT")


async def _timed(endpoint_name: str, query: Awaitable[AnswerT]) -> AnswerT:
    """Time the ClickHouse query behind an endpoint, per endpoint, for /metrics."""
    with metrics.analytics_query_seconds.labels(endpoint=endpoint_name).time():
        return await query


def _today() -> date:
    return datetime.now(_zone).date()


def _day_range(query: DateRangeQuery, default_days: int) -> tuple[date, date]:
    try:
        return query.days(_today(), default_days)
    except ValueError as error:  # e.g. only startDate, and it lies in the future
        raise BadRequest(str(error), [{"field": "startDate", "message": str(error)}]) from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), _zone)


class AnalyticsView(ApiView):
    """Answered from ClickHouse here, or, in an API process whose ClickHouse is the embedded
    chDB of another process, by that process (`STREAM_URL`)."""

    forwarder = analytics_forwarder


@app.page("/api/analytics/daily-sales", role=None)
class DailySalesView(AnalyticsView):
    @endpoint(query=DateRangeQuery, responses={200: list[DailySales]})
    async def get(self, request: Request) -> Response:
        """Orders, revenue, average order value and customers per day (default: last 30 days)."""
        first, last = _day_range(read_query(request, DateRangeQuery), DEFAULT_DAYS)
        return json_model(
            await _timed("daily-sales", queries.daily_sales(first, last)), adapter=_daily
        )


@app.page("/api/analytics/hourly-sales", role=None)
class HourlySalesView(AnalyticsView):
    @endpoint(query=HourlyQuery, responses={200: list[HourlySales]})
    async def get(self, request: Request) -> Response:
        """Orders and revenue per hour: the last `limit` hours (24), or the hours of the days
        `startDate`..`endDate`."""
        query = read_query(request, HourlyQuery)
        if query.start_date is None and query.end_date is None:
            hours = query.limit or DEFAULT_HOURS
            until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
                hours=1
            )
            since = until - timedelta(hours=hours)
        else:
            first, last = _day_range(query, 1)
            since, until = _start_of(first), _start_of(last + timedelta(days=1))
            hours = query.limit or min(MAX_HOURS, int((until - since) / timedelta(hours=1)))
        sales = await _timed("hourly-sales", queries.hourly_sales(since, until, hours))
        return json_model(sales, adapter=_hourly)


@app.page("/api/analytics/order-status", role=None)
class StatusBreakdownView(AnalyticsView):
    @endpoint(query=DateRangeQuery, responses={200: list[StatusBreakdown]})
    async def get(self, request: Request) -> Response:
        """Live orders and their amounts per status; a missing date leaves that side open
        (no dates: all time)."""
        query = read_query(request, DateRangeQuery)
        first, last = query.start_date or ALL_TIME[0], query.end_date or ALL_TIME[1]
        return json_model(
            await _timed("order-status", queries.order_status(first, last)),
            adapter=_statuses,
        )


@app.page("/api/analytics/stats", role=None)
class StatsView(AnalyticsView):
    @endpoint(responses={200: Stats})
    async def get(self, request: Request) -> Response:
        """Totals over every live order."""
        return json_model(await _timed("stats", queries.stats()))


@app.page("/api/analytics/users/{user_id}", role=None)
class UserAnalyticsView(AnalyticsView):
    @endpoint(path=UserPath, responses={200: UserAnalytics})
    async def get(self, request: Request, user_id: str) -> Response:
        """One customer's live orders: count, total spent, first and last order."""
        path = read_path(UserPath, user_id=user_id)
        return json_model(await _timed("users", queries.user_analytics(path.user_id)))


@app.page("/api/analytics/live", role=Role.API)
class LiveView(ApiView):
    @endpoint(responses={101: None}, errors=[BadRequest, Unavailable])
    async def get(self, request: Request) -> Response:
        """The dashboard's live channel (a WebSocket): figures changed, and pipeline health.

        The server sends `{"type": "changed", "data": {"generation", "rows", "committedAt"}}`
        after ClickHouse took a batch of changes (at most once per PUSH_MIN_INTERVAL), and
        `{"type": "health", "data": <GET /api/health's body>}` every 2 s. 400 without a
        WebSocket upgrade; 503 when PUSH_MAX_CHANNELS are open here (poll instead)."""
        return cast(Response, await push_hub.serve(cast(web.Request, request)))


@app.page("/api/analytics/health", role=None)
class ClickHouseHealthView(AnalyticsView):
    @endpoint(responses={200: ClickHouseHealth, 503: ClickHouseHealth})
    async def get(self, request: Request) -> Response:
        """Whether ClickHouse answers, and its version."""
        try:
            health = ClickHouseHealth(status="ok", version=await clickhouse.version())
        except Exception as error:
            down = ClickHouseHealth(status="down", error=type(error).__name__)
            return json_model(down, status=503)
        return json_model(health)


@app.page("/api/analytics/versions/{order_id}", role=None)
class AppliedVersionView(ApiView):
    """The transformer's table: the last order version it turned into an analytics row."""

    forwarder = versions_forwarder

    @endpoint(path=OrderPath, responses={200: AppliedVersion}, errors=[NotFound])
    @app.table_route(table=transformed_versions, match_info="order_id")  # type: ignore[arg-type]
    async def get(self, request: Request, order_id: str) -> Response:
        """The newest version of the order the transformer has turned into an analytics row
        (asked of the worker that owns the order's partition)."""
        order_id = read_path(OrderPath, order_id=order_id).order_id
        # Membership, not .get(): the table's default would answer 0 for any order id.
        if order_id not in transformed_versions:
            raise NotFound(f"no version applied yet for order {order_id}")
        return json_model(AppliedVersion(order_id=order_id, version=transformed_versions[order_id]))
