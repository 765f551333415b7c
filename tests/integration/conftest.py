"""Fixtures for tests that need a database of their own, out of reach of the running app."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from ecommerce_stream.analytics.ledger import AnalyticsLedger
from ecommerce_stream.analytics.queries import AnalyticsQueries
from ecommerce_stream.analytics.schema import AnalyticsSchema
from ecommerce_stream.catalog.repository import seed_demo_catalog
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.clickhouse import ClickHouse, EmbeddedClickHouse
from ecommerce_stream.stores.migrations import apply_mysql_migrations
from ecommerce_stream.stores.mysql import MySQL


@pytest.fixture
async def scratch_mysql(settings: Settings, mysql: MySQL) -> AsyncIterator[MySQL]:
    """A freshly migrated and seeded database `<db>_<random>`, dropped afterwards: the app's
    relay never sees its outbox."""
    name = f"{settings.mysql_database}_{uuid.uuid4().hex[:12]}"
    await mysql.fetch_all(f"CREATE DATABASE `{name}`")
    scratch_settings = settings.model_copy(update={"mysql_database": name})
    await asyncio.to_thread(apply_mysql_migrations, scratch_settings)
    scratch = MySQL(scratch_settings)
    await seed_demo_catalog(scratch)
    yield scratch
    await scratch.close()
    await mysql.fetch_all(f"DROP DATABASE `{name}`")


SEOUL = ZoneInfo("Asia/Seoul")  # buckets away from UTC on purpose
RETENTION_DAYS = 7


@dataclass(frozen=True)
class Analytics:
    """The analytics objects over one ClickHouse, as the wiring builds them."""

    schema: AnalyticsSchema
    ledger: AnalyticsLedger
    queries: AnalyticsQueries

    @classmethod
    def on(cls, engine: ClickHouse, zone: ZoneInfo = SEOUL) -> Analytics:
        schema = AnalyticsSchema(engine, zone.key, retention_days=RETENTION_DAYS)
        return cls(schema, AnalyticsLedger(schema), AnalyticsQueries(schema))


@pytest.fixture(scope="session")
async def analytics(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Analytics]:
    """An embedded ClickHouse of the tests' own (not the running app's), with the schema."""
    data_dir = tmp_path_factory.mktemp("chdb")
    engine = EmbeddedClickHouse(Settings(_env_file=None, clickhouse_data_dir=data_dir))
    built = Analytics.on(engine)
    await built.schema.ensure()
    yield built
    await engine.close()
