"""HTTP shapes of the analytics API."""

from __future__ import annotations

from datetime import date

from ecommerce_stream.wire import ApiModel, MoneySum, UtcTimestamp


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


class ClickHouseHealth(ApiModel):
    status: str
    version: str | None = None
    error: str | None = None
