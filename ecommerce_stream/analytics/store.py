"""Reads and writes of the analytics tables in ClickHouse."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal

from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.analytics.schemas import Stats
from ecommerce_stream.stores.clickhouse import ClickHouse


class AnalyticsStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse
        self._db = clickhouse.database
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    async def ensure_schema(self) -> None:
        """Apply `clickhouse/` once per process, by the process that owns the store."""
        if not self._schema_ready:
            async with self._schema_lock:
                if not self._schema_ready:
                    await self._clickhouse.apply_ddl()
                    self._schema_ready = True

    async def insert_rows(self, rows: Sequence[OrderAnalyticsRow]) -> None:
        await self.ensure_schema()
        await self._clickhouse.insert(
            f"{self._db}.orders_analytics", [row.to_clickhouse() for row in rows]
        )

    async def stats(self) -> Stats:
        await self.ensure_schema()
        [row] = await self._clickhouse.query(
            "SELECT count() AS orders, sum(total_amount) AS revenue,"
            " uniqExact(user_id) AS users, length(groupUniqArrayArray(product_ids)) AS products"
            f" FROM {self._db}.orders_analytics FINAL WHERE is_deleted = 0"
        )
        orders = int(row["orders"])
        revenue = Decimal(row["revenue"])
        return Stats(
            total_orders=orders,
            total_revenue=revenue,
            average_order_value=(revenue / orders).quantize(Decimal("0.01"))
            if orders
            else Decimal(0),
            total_products=int(row["products"]),
            total_users=int(row["users"]),
        )

    async def newest_row_age_seconds(self) -> float | None:
        await self.ensure_schema()
        [row] = await self._clickhouse.query(
            "SELECT count() AS rows, dateDiff('millisecond', max(ingested_at), now64(3)) AS age_ms"
            f" FROM {self._db}.orders_analytics"
        )
        return None if int(row["rows"]) == 0 else int(row["age_ms"]) / 1000
