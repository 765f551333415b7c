"""HTTP shapes of the analytics API."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from ecommerce_stream.wire import ApiModel, MoneySum, Params, UtcTimestamp


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic would also read "0" or "1700000000" as a timestamp."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


# The days an analytics question may name: those ClickHouse's DateTime, which holds the hour
# buckets, can hold (1970 to early 2106). Python's dates would run out a day past year 1 or
# 9999 in the range arithmetic, and ClickHouse's sooner.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2105, 12, 31)


def _answerable_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"expected a day from {FIRST_DAY} to {LAST_DAY}")
    return value


IsoDay = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_answerable_day),
    Field(description=f"A day (YYYY-MM-DD) from {FIRST_DAY} to {LAST_DAY}."),
]

MAX_RANGE_DAYS = 731  # two years: a year-over-year view, and a bound on the work per query
MAX_HOURS = 31 * 24


class DateRangeQuery(Params):
    """`startDate`..`endDate`, both inclusive days (YYYY-MM-DD) in ANALYTICS_TZ."""

    start_date: IsoDay | None = None
    end_date: IsoDay | None = None

    @model_validator(mode="after")
    def _ordered_and_bounded(self) -> Self:
        if self.start_date and self.end_date:
            if self.start_date > self.end_date:
                raise ValueError("startDate must not be after endDate")
            if self.end_date - self.start_date >= timedelta(days=MAX_RANGE_DAYS):
                raise ValueError(f"the range may span at most {MAX_RANGE_DAYS} days")
        return self

    def days(self, today: date, default_days: int) -> tuple[date, date]:
        """The range asked for; a missing end is today, a missing start `default_days` back."""
        last = self.end_date or today
        first = self.start_date or max(FIRST_DAY, last - timedelta(days=default_days - 1))
        if first > last:
            raise ValueError("startDate must not be after endDate")
        return first, last


class HourlyQuery(DateRangeQuery):
    limit: int | None = Field(None, ge=1, le=MAX_HOURS, description="Most hour buckets to return.")


class Stats(ApiModel):
    total_orders: int
    total_revenue: MoneySum
    average_order_value: MoneySum
    total_products: int
    total_users: int


class DailySales(ApiModel):
    date: date
    order_count: int
    total_revenue: MoneySum
    average_order_value: MoneySum
    unique_customers: int


class HourlySales(ApiModel):
    hour: UtcTimestamp  # the start of the hour bucket (in ANALYTICS_TZ), as a UTC instant
    order_count: int
    total_revenue: MoneySum


class StatusBreakdown(ApiModel):
    status: str
    order_count: int
    total_amount: MoneySum


class UserAnalytics(ApiModel):
    user_id: int
    order_count: int
    total_spent: MoneySum
    first_order_at: UtcTimestamp | None
    last_order_at: UtcTimestamp | None


class AppliedVersion(ApiModel):
    order_id: str
    version: int


class ClickHouseHealth(ApiModel):
    status: str
    version: str | None = None
    error: str | None = None
