"""Reconciliation: what every analytics endpoint should answer, computed from MySQL's live
orders, compared with what it does answer. The reference for the analytics contract."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from pydantic import BaseModel, TypeAdapter

from ecommerce_stream.analytics.queries import average
from ecommerce_stream.analytics.schemas import (
    MAX_HOURS,
    MAX_RANGE_DAYS,
    DailySales,
    HourlySales,
    Stats,
    StatusBreakdown,
    UserAnalytics,
)
from ecommerce_stream.stores.mysql import MySQL


@dataclass(frozen=True, slots=True)
class LiveOrder:
    order_id: str
    user_id: int
    status: str
    total_amount: Decimal
    created_at: datetime  # UTC
    product_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Expected:
    stats: Stats
    daily: list[DailySales]
    hourly: list[HourlySales]
    statuses: list[StatusBreakdown]
    users: dict[int, UserAnalytics]


@dataclass(frozen=True, slots=True)
class Difference:
    endpoint: str
    expected: Any
    actual: Any


def _total(orders: Sequence[LiveOrder]) -> Decimal:
    return sum((order.total_amount for order in orders), Decimal("0"))


def expected_answers(
    orders: Iterable[LiveOrder], zone: ZoneInfo, user_ids: Iterable[int] = ()
) -> Expected:
    """Every analytics answer, from the live orders alone (pure: no store involved)."""
    live = list(orders)
    by_day: dict[date, list[LiveOrder]] = defaultdict(list)
    by_hour: dict[datetime, list[LiveOrder]] = defaultdict(list)
    by_status: dict[str, list[LiveOrder]] = defaultdict(list)
    by_user: dict[int, list[LiveOrder]] = {user_id: [] for user_id in user_ids}
    for order in live:
        local = order.created_at.astimezone(zone)
        by_day[local.date()].append(order)
        hour = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        by_hour[hour].append(order)
        by_status[order.status].append(order)
        by_user.setdefault(order.user_id, []).append(order)
    revenue = _total(live)
    return Expected(
        stats=Stats(
            total_orders=len(live),
            total_revenue=revenue,
            average_order_value=average(revenue, len(live)),
            total_products=len({p for order in live for p in order.product_ids}),
            total_users=len({order.user_id for order in live}),
        ),
        daily=[
            DailySales(
                date=day,
                order_count=len(day_orders),
                total_revenue=_total(day_orders),
                average_order_value=average(_total(day_orders), len(day_orders)),
                unique_customers=len({order.user_id for order in day_orders}),
            )
            for day, day_orders in sorted(by_day.items())
        ],
        hourly=[
            HourlySales(hour=hour, order_count=len(hour_orders), total_revenue=_total(hour_orders))
            for hour, hour_orders in sorted(by_hour.items())
        ],
        statuses=[
            StatusBreakdown(
                status=status, order_count=len(status_orders), total_amount=_total(status_orders)
            )
            for status, status_orders in sorted(by_status.items())
        ],
        users={
            user_id: UserAnalytics(
                user_id=user_id,
                order_count=len(user_orders),
                total_spent=_total(user_orders),
                first_order_at=min((o.created_at for o in user_orders), default=None),
                last_order_at=max((o.created_at for o in user_orders), default=None),
            )
            for user_id, user_orders in sorted(by_user.items())
        },
    )


async def live_orders(mysql: MySQL) -> list[LiveOrder]:
    rows = await mysql.fetch_all(
        "SELECT o.id, o.user_id, o.status, o.total_amount, o.created_at,"
        " GROUP_CONCAT(DISTINCT i.product_id) AS product_ids"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        " WHERE o.deleted_at IS NULL GROUP BY o.id"
    )
    return [
        LiveOrder(
            order_id=row["id"],
            user_id=int(row["user_id"]),
            status=row["status"],
            total_amount=row["total_amount"],
            created_at=row["created_at"].replace(tzinfo=UTC),
            product_ids=frozenset(int(p) for p in str(row["product_ids"]).split(",")),
        )
        for row in rows
    ]


async def user_ids(mysql: MySQL) -> list[int]:
    return [int(row["id"]) for row in await mysql.fetch_all("SELECT id FROM users ORDER BY id")]


def _windows(first: date, last: date, days: int) -> Iterable[tuple[date, date]]:
    while first <= last:
        end = min(last, first + timedelta(days=days - 1))
        yield first, end
        first = end + timedelta(days=1)


class _Api:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self.differences: list[Difference] = []

    async def check(self, path: str, adapter: TypeAdapter[Any], expected: Any) -> None:
        async with self._session.get(path) as response:
            body = await response.read()
            if response.status != 200:
                self.differences.append(Difference(path, expected, f"HTTP {response.status}"))
                return
        # Compared as a client sees them: the wire form (timestamps to the millisecond).
        actual, wanted = _dump(adapter.validate_json(body)), _dump(expected)
        if actual != wanted:
            self.differences.append(Difference(path, wanted, actual))


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value


async def compare_with_api(expected: Expected, base_url: str, zone: ZoneInfo) -> list[Difference]:
    """Ask every analytics endpoint, over every day, hour, status and user there is."""
    async with aiohttp.ClientSession(base_url=base_url) as session:
        api = _Api(session)
        await api.check("/api/analytics/stats", TypeAdapter(Stats), expected.stats)
        await api.check(
            "/api/analytics/order-status", TypeAdapter(list[StatusBreakdown]), expected.statuses
        )
        days = [d.date for d in expected.daily] or [datetime.now(zone).date()]
        for first, last in _windows(min(days), max(days), MAX_RANGE_DAYS):
            await api.check(
                f"/api/analytics/daily-sales?startDate={first}&endDate={last}",
                TypeAdapter(list[DailySales]),
                [d for d in expected.daily if first <= d.date <= last],
            )
        for first, last in _windows(min(days), max(days), MAX_HOURS // 24):
            await api.check(
                f"/api/analytics/hourly-sales?startDate={first}&endDate={last}&limit={MAX_HOURS}",
                TypeAdapter(list[HourlySales]),
                [h for h in expected.hourly if first <= h.hour.astimezone(zone).date() <= last],
            )
        for user_id, user in expected.users.items():
            await api.check(f"/api/analytics/users/{user_id}", TypeAdapter(UserAnalytics), user)
        return api.differences


async def reconcile(
    mysql: MySQL, base_url: str, zone: ZoneInfo, *, wait: float = 0.0
) -> list[Difference]:
    """The differences left; with `wait`, asked again until none are left or `wait` seconds
    passed (events still in flight are not differences)."""
    deadline = time.monotonic() + wait
    while True:
        expected = expected_answers(await live_orders(mysql), zone, await user_ids(mysql))
        differences = await compare_with_api(expected, base_url, zone)
        if not differences or time.monotonic() >= deadline:
            return differences
        await asyncio.sleep(0.25)
