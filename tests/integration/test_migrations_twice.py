"""Running the migrations again changes nothing: MySQL's (`ecommerce-stream migrate`, on a
database of its own) and ClickHouse's (`clickhouse/`, applied by every worker start)."""

from __future__ import annotations

import asyncio
from typing import Any

from ecommerce_stream.stores.migrations import apply_mysql_migrations
from ecommerce_stream.stores.mysql import MySQL
from tests.integration.conftest import SEOUL, Analytics


async def _mysql_schema_and_data(mysql: MySQL) -> dict[str, Any]:
    """Every table's definition and contents, except yoyo's own bookkeeping (its log grows)."""
    tables = [
        next(iter(row.values()))
        for row in await mysql.fetch_all("SHOW TABLES")
        if not next(iter(row.values())).startswith(("_yoyo", "yoyo"))
    ]
    snapshot: dict[str, Any] = {}
    for table in tables:
        [created] = await mysql.fetch_all(f"SHOW CREATE TABLE `{table}`")
        rows = await mysql.fetch_all(f"SELECT * FROM `{table}`")
        snapshot[table] = (created["Create Table"], sorted(map(repr, rows)))
    return snapshot


async def test_migrating_mysql_again_changes_nothing(scratch_mysql: MySQL) -> None:
    before = await _mysql_schema_and_data(scratch_mysql)
    assert {"orders", "order_items", "outbox", "users", "products"} <= set(before)

    applied = await asyncio.to_thread(apply_mysql_migrations, scratch_mysql.settings)

    assert applied == []
    assert await _mysql_schema_and_data(scratch_mysql) == before


async def _clickhouse_schema(analytics: Analytics) -> dict[str, str]:
    engine = analytics.schema.clickhouse
    rows = await engine.query(
        "SELECT name, create_table_query FROM system.tables"
        f" WHERE database = '{engine.database}' ORDER BY name"
    )
    return {row["name"]: row["create_table_query"] for row in rows}


async def test_applying_clickhouse_ddl_again_changes_nothing(analytics: Analytics) -> None:
    before = await _clickhouse_schema(analytics)
    assert "orders_analytics" in before and "TTL" in before["orders_analytics"]

    # A worker's start with the same settings applies every file again.
    await Analytics.on(analytics.schema.clickhouse, SEOUL).schema.ensure()

    assert await _clickhouse_schema(analytics) == before
