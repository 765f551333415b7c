"""The queries behind the analytics API, over the aggregate tables the materialized views
fill from the ledger (clickhouse/README.md): `sales_rollups`, a grain per question, and
`user_analytics`. Read-only."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Hashable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from ecommerce_stream.analytics.schema import AnalyticsSchema, from_micros
from ecommerce_stream.analytics.schemas import (
    DailySales,
    HourlySales,
    Stats,
    StatusBreakdown,
    UserAnalytics,
)
from ecommerce_stream.stores.clickhouse import Row
from ecommerce_stream.wire import to_money

ROLLUPS = "sales_rollups"
# The key columns before user_id that the `customer` grain leaves at zero: named in the query,
# the primary key finds the one customer's rows instead of scanning every customer's.
CUSTOMER_KEY_PREFIX = "day = toDate(0) AND hour = toDateTime(0) AND status = ''"
# users/{id} reads this many rows from each end of a customer's orders, more while deleted
# orders are all it finds there.
EDGE_ROWS = 64
EDGE_ROWS_GROWTH = 16


# Answers kept at most (one per endpoint and arguments asked since the last write).
MAX_KEPT_ANSWERS = 256
AnswerT = TypeVar("AnswerT")


class AnalyticsQueries:
    """Each answer is kept until the next write to the tables, when the schema can tell
    (`AnalyticsSchema.state`): dashboards and pollers between two sink inserts cost one query,
    and leave the one ClickHouse lane to the sink."""

    def __init__(self, schema: AnalyticsSchema) -> None:
        self._schema = schema
        self._clickhouse = schema.clickhouse
        self._db = schema.db
        self._kept: dict[tuple[Hashable, ...], Any] = {}
        self._kept_state: tuple[int, int] | None = None

    async def _answer(
        self, read: Callable[..., Awaitable[AnswerT]], *arguments: Hashable
    ) -> AnswerT:
        """`read(*arguments)`, or what it returned for the same arguments since the last write."""
        await self._schema.ensure()
        state = self._schema.state
        if state is None:
            return await read(*arguments)
        key = (read.__name__, *arguments)
        if state != self._kept_state:
            self._kept, self._kept_state = {}, state
        elif key in self._kept:
            return cast(AnswerT, self._kept[key])
        answer = await read(*arguments)
        # Kept only if no write began meanwhile: the answer describes this state.
        if self._schema.state == state and len(self._kept) < MAX_KEPT_ANSWERS:
            self._kept[key] = answer
        return answer

    async def stats(self) -> Stats:
        return await self._answer(self._stats)

    async def _stats(self) -> Stats:
        db = self._db
        [totals] = await self._clickhouse.query(
            "SELECT sum(user_orders) AS orders, sum(user_spent) AS revenue,"
            " countIf(user_orders > 0) AS customers FROM ("
            "SELECT user_id, sum(order_count) AS user_orders, sum(amount) AS user_spent"
            f" FROM {db}.{ROLLUPS} WHERE grain = 'customer' GROUP BY user_id)"
        )
        [products] = await self._clickhouse.query(
            "SELECT countIf(product_orders > 0) AS products FROM ("
            f"SELECT product_id, sum(order_count) AS product_orders FROM {db}.{ROLLUPS}"
            " WHERE grain = 'product' GROUP BY product_id)"
        )
        orders = int(totals["orders"])
        revenue = Decimal(totals["revenue"])
        return Stats(
            total_orders=orders,
            total_revenue=revenue,
            average_order_value=average(revenue, orders),
            total_products=int(products["products"]),
            total_users=int(totals["customers"]),
        )

    async def daily_sales(self, first_day: date, last_day: date) -> list[DailySales]:
        """Days (in ANALYTICS_TZ) of `first_day`..`last_day` that have live orders."""
        return await self._answer(self._daily_sales, first_day, last_day)

    async def _daily_sales(self, first_day: date, last_day: date) -> list[DailySales]:
        rows = await self._clickhouse.query(
            "SELECT day, sum(user_orders) AS orders, sum(user_revenue) AS revenue,"
            " countIf(user_orders > 0) AS customers FROM ("
            "SELECT day, user_id, sum(order_count) AS user_orders, sum(amount) AS user_revenue"
            f" FROM {self._db}.{ROLLUPS} WHERE grain = 'customer_day'"
            f" AND day BETWEEN '{first_day.isoformat()}' AND '{last_day.isoformat()}'"
            " GROUP BY day, user_id)"
            " GROUP BY day HAVING orders > 0 ORDER BY day"
        )
        return [
            DailySales(
                date=row["day"],
                order_count=int(row["orders"]),
                total_revenue=Decimal(row["revenue"]),
                average_order_value=average(Decimal(row["revenue"]), int(row["orders"])),
                unique_customers=int(row["customers"]),
            )
            for row in rows
        ]

    async def hourly_sales(self, since: datetime, until: datetime, limit: int) -> list[HourlySales]:
        """The newest `limit` hour buckets starting in [since, until) that have live orders,
        oldest first."""
        return await self._answer(self._hourly_sales, since, until, limit)

    async def _hourly_sales(
        self, since: datetime, until: datetime, limit: int
    ) -> list[HourlySales]:
        rows = await self._clickhouse.query(
            "SELECT * FROM ("
            "SELECT toUnixTimestamp(hour) AS hour_start, sum(order_count) AS orders,"
            f" sum(amount) AS revenue FROM {self._db}.{ROLLUPS} WHERE grain = 'hour'"
            f" AND hour >= toDateTime({int(since.timestamp())})"
            f" AND hour < toDateTime({int(until.timestamp())})"
            f" GROUP BY hour_start HAVING orders > 0 ORDER BY hour_start DESC LIMIT {int(limit)})"
            " ORDER BY hour_start"
        )
        return [
            HourlySales(
                hour=datetime.fromtimestamp(int(row["hour_start"]), UTC),
                order_count=int(row["orders"]),
                total_revenue=Decimal(row["revenue"]),
            )
            for row in rows
        ]

    async def order_status(self, first_day: date, last_day: date) -> list[StatusBreakdown]:
        return await self._answer(self._order_status, first_day, last_day)

    async def _order_status(self, first_day: date, last_day: date) -> list[StatusBreakdown]:
        rows = await self._clickhouse.query(
            "SELECT status, sum(order_count) AS orders, sum(amount) AS amount"
            f" FROM {self._db}.{ROLLUPS} WHERE grain = 'status_day'"
            f" AND day BETWEEN '{first_day.isoformat()}' AND '{last_day.isoformat()}'"
            " GROUP BY status HAVING orders > 0 ORDER BY status"
        )
        return [
            StatusBreakdown(
                status=row["status"],
                order_count=int(row["orders"]),
                total_amount=Decimal(row["amount"]),
            )
            for row in rows
        ]

    async def user_analytics(self, user_id: int) -> UserAnalytics:
        """Count and sum from the per-customer totals; the first and last live order read from
        each end of the customer's orders in key order, so the cost does not grow with them."""
        return await self._answer(self._user_analytics, user_id)

    async def _user_analytics(self, user_id: int) -> UserAnalytics:
        [totals] = await self._clickhouse.query(
            "SELECT sum(order_count) AS orders, sum(amount) AS spent"
            f" FROM {self._db}.{ROLLUPS} WHERE grain = 'customer' AND {CUSTOMER_KEY_PREFIX}"
            f" AND user_id = {int(user_id)}"
        )
        orders = int(totals["orders"])
        first = last = None
        if orders > 0:
            first, last = await self._first_and_last_live_order(int(user_id))
        return UserAnalytics(
            user_id=user_id,
            order_count=orders,
            total_spent=Decimal(totals["spent"]),
            first_order_at=None if first is None else from_micros(first),
            last_order_at=None if last is None else from_micros(last),
        )

    async def _first_and_last_live_order(self, user_id: int) -> tuple[int | None, int | None]:
        """createdAt (µs) of the customer's oldest and newest live order. Deleted orders at
        either end are stepped over by reading further, EDGE_ROWS at first, more each round,
        and only at an end not settled yet."""
        limit = EDGE_ROWS
        settled: dict[bool, int | None] = {}  # newest? → createdAt of the live order there
        while True:
            pending = [newest for newest in (False, True) if newest not in settled]
            edges = [self._edge_rows(user_id, newest, limit) for newest in pending]
            rows = await self._clickhouse.query(" UNION ALL ".join(f"({q})" for q in edges))
            for newest in pending:
                at_end = [row for row in rows if bool(row["newest"]) == newest]
                decided, at = _edge_live_order(at_end, limit, newest)
                if decided:
                    settled[newest] = at
            if len(settled) == 2:
                return settled[False], settled[True]
            limit *= EDGE_ROWS_GROWTH

    def _edge_rows(self, user_id: int, newest: bool, limit: int) -> str:
        """SQL: the first `limit` rows of the customer's orders from the oldest or newest end."""
        direction = "DESC" if newest else "ASC"
        return (
            f"SELECT {int(newest)} AS newest, toUnixTimestamp64Micro(created_at) AS at, order_id,"
            f" live FROM {self._db}.user_analytics WHERE user_id = {user_id}"
            f" ORDER BY user_id {direction}, created_at {direction}, order_id {direction}"
            f" LIMIT {limit}"
        )


def _order_key(row: Row) -> tuple[int, str]:
    return int(row["at"]), str(row["order_id"])


def _edge_live_order(rows: list[Row], limit: int, newest: bool) -> tuple[bool, int | None]:
    """From the rows read at one end of a customer's orders (at most `limit`): whether that
    settles the end, and the first live order's createdAt there. An order's rows are adjacent in
    key order, but a full read may have cut the last order's rows short: it settles nothing."""
    complete = len(rows) < limit
    orders = [
        (at, sum(int(row["live"]) for row in group))
        for (at, _), group in itertools.groupby(
            sorted(rows, key=_order_key, reverse=newest), key=_order_key
        )
    ]
    for at, live in orders if complete else orders[:-1]:
        if live > 0:
            return True, at
    return complete, None


def average(total: Decimal, count: int) -> Decimal:
    return to_money(total / count) if count else Decimal("0.00")
