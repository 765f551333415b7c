"""`orders_analytics`' TTL follows SOFT_DELETE_RETENTION_DAYS: a soft-deleted row older than the
retention goes at the next merge, a younger one stays, and a changed setting reaches a table
that already exists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from ecommerce_stream.analytics.schema import AnalyticsSchema
from tests.integration.conftest import RETENTION_DAYS, SEOUL, Analytics

Retain = Callable[[int], Coroutine[Any, Any, None]]


@pytest.fixture
async def retain(analytics: Analytics) -> AsyncIterator[Retain]:
    """Start the shared engine's schema with another retention, as a restarted worker would;
    the session's retention is back afterwards."""
    engine = analytics.schema.clickhouse

    async def restart_with(days: int) -> None:
        await AnalyticsSchema(engine, SEOUL.key, retention_days=days).ensure()

    yield restart_with
    await restart_with(RETENTION_DAYS)
    await engine.execute(f"TRUNCATE TABLE {engine.database}.orders_analytics")


async def _kept_after_a_merge(analytics: Analytics, deleted_days_ago: list[int]) -> list[int]:
    """Insert one soft-deleted row per age (and one live row), merge, and say which ages stay."""
    engine = analytics.schema.clickhouse
    table = f"{engine.database}.orders_analytics"
    await engine.execute(f"TRUNCATE TABLE {table}")
    ages = ", ".join(
        f"('deleted-{days}', 1, now64(6) - INTERVAL {days} DAY - INTERVAL 1 HOUR)"
        for days in deleted_days_ago
    )
    await engine.execute(
        f"INSERT INTO {table} (order_id, is_deleted, deleted_at) VALUES {ages}, ('live', 0, NULL)"
    )
    await engine.execute(f"OPTIMIZE TABLE {table} FINAL")
    rows = await engine.query(f"SELECT order_id FROM {table} ORDER BY order_id")
    ids = [row["order_id"] for row in rows]
    assert "live" in ids
    return sorted(int(order_id.split("-")[1]) for order_id in ids if order_id != "live")


async def test_deleted_rows_expire_after_the_retention_setting(
    analytics: Analytics, retain: Retain
) -> None:
    await retain(3)
    assert await _kept_after_a_merge(analytics, [1, 2, 3, 4, 8]) == [1, 2]
    # A longer retention on the next start keeps what the shorter one would have dropped.
    await retain(5)
    assert await _kept_after_a_merge(analytics, [1, 2, 3, 4, 8]) == [1, 2, 3, 4]
