"""HTTP shapes of the analytics API."""

from __future__ import annotations

from ecommerce_stream.wire import ApiModel, MoneySum


class Stats(ApiModel):
    total_orders: int
    total_revenue: MoneySum
    average_order_value: MoneySum
    total_products: int
    total_users: int


class ClickHouseHealth(ApiModel):
    status: str
    version: str | None = None
    error: str | None = None
