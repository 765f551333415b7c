"""The analytics contract against a real (embedded) ClickHouse: whatever the duplicates,
reorderings, status changes, deletes and restores, the aggregates equal what the orders'
newest states say, to the cent. The reference model is plain Python over those states."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ecommerce_stream import metrics
from ecommerce_stream.analytics.ledger import CLOCK_SKEW_MARGIN
from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.analytics.queries import EDGE_ROWS
from ecommerce_stream.analytics.reconcile import LiveOrder, expected_answers, live_orders, user_ids
from ecommerce_stream.analytics.schema import RUNNING_MARKER, MySQLSource
from ecommerce_stream.orders.domain import OrderStatus
from ecommerce_stream.orders.schemas import CreateOrder
from ecommerce_stream.stores.mysql import MySQL
from tests.integration.conftest import SEOUL, Analytics
from tests.orders_support import order_service

BASE = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)
STATUSES = [status.value for status in OrderStatus]
ALL_DAYS = (date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture
def store(analytics: Analytics) -> Analytics:
    return analytics


async def _empty(store: Analytics) -> None:
    await store.schema.empty_ledger_and_views()


def _history(
    rng: random.Random, index: int, changes: int, base_time: datetime = BASE
) -> list[OrderAnalyticsRow]:
    """One order's versions: created, then status changes, deletes and restores."""
    created_at = base_time + timedelta(hours=rng.randrange(0, 72), minutes=rng.randrange(60))
    base = dict(
        order_id=f"order-{index}",
        user_id=rng.randrange(1, 4),
        user_name="someone",
        total_amount=Decimal(rng.randrange(1, 10_000_00)) / 100,
        item_count=rng.randrange(1, 5),
        product_ids=sorted(rng.sample(range(101, 106), rng.randrange(1, 3))),
        created_at=created_at,
        updated_at=created_at,
        deleted_at=None,
    )
    rows = [
        OrderAnalyticsRow(
            **base, status="PENDING", event_type="CREATED", is_deleted=False, version=1
        )
    ]
    status, deleted = "PENDING", False
    for version in range(2, changes + 2):
        kind = rng.choice(["status", "status", "delete" if not deleted else "restore"])
        if kind == "status":
            status, event_type = rng.choice(STATUSES), "UPDATED"
        elif kind == "delete":
            deleted, event_type = True, "DELETED"
        else:
            deleted, event_type = False, "RESTORED"
        rows.append(
            OrderAnalyticsRow(
                **{**base, "deleted_at": BASE if deleted else None},
                status=status,
                event_type=event_type,
                is_deleted=deleted,
                version=version,
            )
        )
    return rows


def _deliveries(rng: random.Random, rows: list[OrderAnalyticsRow]) -> list[list[OrderAnalyticsRow]]:
    """At-least-once delivery: every row at least once, some twice, out of order, in batches."""
    delivered = rows + [row for row in rows if rng.random() < 0.3]
    rng.shuffle(delivered)
    batches, start = [], 0
    while start < len(delivered):
        size = rng.randrange(1, 6)
        batches.append(delivered[start : start + size])
        start += size
    return batches


def _live(rows: list[OrderAnalyticsRow]) -> list[LiveOrder]:
    """Each order's newest version, if it is not deleted: what MySQL would call live."""
    newest: dict[str, OrderAnalyticsRow] = {}
    for row in rows:
        if row.order_id not in newest or row.version > newest[row.order_id].version:
            newest[row.order_id] = row
    return [
        LiveOrder(
            r.order_id, r.user_id, r.status, r.total_amount, r.created_at, frozenset(r.product_ids)
        )
        for r in newest.values()
        if not r.is_deleted
    ]


async def _assert_exact(
    store: Analytics, rows: list[OrderAnalyticsRow], zone: ZoneInfo = SEOUL
) -> None:
    expected = expected_answers(_live(rows), zone, user_ids=(1, 2, 3))
    assert await store.queries.stats() == expected.stats
    created = [row.created_at for row in rows]
    days = (min(ALL_DAYS[0], min(created).date()), max(ALL_DAYS[1], max(created).date()))
    assert await store.queries.daily_sales(*days) == expected.daily
    assert await store.queries.order_status(*days) == expected.statuses
    span = (min(created) - timedelta(days=1), max(created) + timedelta(days=1))
    assert await store.queries.hourly_sales(*span, limit=10_000) == expected.hourly
    for user_id, user in expected.users.items():
        assert await store.queries.user_analytics(user_id) == user


async def _deliver_random_history(
    store: Analytics,
    rng: random.Random,
    orders: int,
    changes: Callable[[], int],
    base_time: datetime = BASE,
) -> list[OrderAnalyticsRow]:
    """Empty the store, then apply `orders` orders' histories with at-least-once delivery."""
    await _empty(store)
    rows = [row for i in range(orders) for row in _history(rng, i, changes(), base_time)]
    for batch in _deliveries(rng, rows):
        await store.ledger.apply(batch)
    return rows


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), orders=st.integers(1, 6), changes=st.integers(0, 5))
async def test_aggregates_are_exact_under_any_delivery(
    store: Analytics, seed: int, orders: int, changes: int
) -> None:
    rng = random.Random(seed)

    rows = await _deliver_random_history(store, rng, orders, lambda: rng.randrange(changes + 1))

    await _assert_exact(store, rows)


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), orders=st.integers(1, 6), changes=st.integers(0, 5))
async def test_aggregates_are_exact_when_the_sink_answers_from_its_memory(
    store: Analytics, seed: int, orders: int, changes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders created after the sink's memory of what it wrote began (new orders, as most
    are): the applied states come from that memory, and must be as exact as ClickHouse's."""
    rng = random.Random(seed)
    asked: list[str] = []
    ask = store.ledger.applied_states

    async def recorded(order_ids: Collection[str]) -> dict[str, Any]:
        asked.extend(order_ids)
        return await ask(order_ids)

    monkeypatch.setattr(store.ledger, "applied_states", recorded)
    later = datetime.now(UTC) + CLOCK_SKEW_MARGIN + timedelta(hours=1)

    rows = await _deliver_random_history(
        store, rng, orders, lambda: rng.randrange(changes + 1), base_time=later
    )

    await _assert_exact(store, rows)
    assert asked == [], "orders the sink itself wrote were asked of ClickHouse"


def _with(row: OrderAnalyticsRow, **changes: object) -> OrderAnalyticsRow:
    return OrderAnalyticsRow(**{**row.asdict(), **changes})


async def test_customer_edges_step_over_many_deleted_orders(store: Analytics) -> None:
    """More deleted orders at both ends of a customer's history than the first read takes.
    Merges are held off, so each deleted order keeps its +1 and -1 rows in separate parts."""
    await _empty(store)
    creates, changes, deletes = [], [], []
    for index in range(3 * EDGE_ROWS):
        created_at = BASE + timedelta(minutes=index)
        history = _history(random.Random(index), index, 0)
        created = _with(history[0], user_id=1, created_at=created_at, updated_at=created_at)
        changed = _with(created, status="CONFIRMED", event_type="UPDATED", version=2)
        creates.append(created)
        changes.append(changed)
        if index < EDGE_ROWS + 5 or index >= 2 * EDGE_ROWS + 10:
            deletes.append(
                _with(changed, is_deleted=True, deleted_at=BASE, event_type="DELETED", version=3)
            )
    await store.schema.clickhouse.execute("SYSTEM STOP MERGES analytics.user_analytics")
    try:
        for batch in (creates, changes, deletes):
            await store.ledger.apply(batch)

        user = await store.queries.user_analytics(1)
    finally:
        await store.schema.clickhouse.execute("SYSTEM START MERGES analytics.user_analytics")

    assert user == expected_answers(_live(creates + changes + deletes), SEOUL, (1,)).users[1]
    assert user.first_order_at == BASE + timedelta(minutes=EDGE_ROWS + 5)
    assert user.last_order_at == BASE + timedelta(minutes=2 * EDGE_ROWS + 9)


async def test_rebuild_compacts_the_ledger_and_keeps_every_answer(store: Analytics) -> None:
    rows = await _deliver_random_history(store, random.Random(7), 20, lambda: 4)

    ledger_rows = await store.schema.rebuild()

    assert ledger_rows == 20  # one state row per order
    await _assert_exact(store, rows)


async def test_a_run_that_died_mid_insert_is_repaired_at_start(store: Analytics) -> None:
    rows = await _deliver_random_history(store, random.Random(11), 10, lambda: 3)
    # A crash between the ledger part and its views: one aggregate never got the rows.
    await store.schema.clickhouse.execute("TRUNCATE TABLE analytics.sales_rollups")
    assert (await store.queries.stats()).total_orders == 0
    data_dir = store.schema.clickhouse.local_data_dir
    assert data_dir is not None and (data_dir / RUNNING_MARKER).exists()

    restarted = Analytics.on(store.schema.clickhouse)
    await restarted.schema.ensure()

    await _assert_exact(restarted, rows)


async def test_a_store_of_the_one_table_per_grain_layout_moves_to_the_rollups(
    store: Analytics,
) -> None:
    rows = await _deliver_random_history(store, random.Random(13), 10, lambda: 3)
    engine = store.schema.clickhouse
    # What an older version left: its own aggregate tables, none of the rollups, a clean stop.
    await engine.execute(
        "CREATE TABLE analytics.daily_sales (day Date, user_id UInt64, order_count Int64)"
        " ENGINE = SummingMergeTree ORDER BY (day, user_id)"
    )
    await engine.execute(
        "CREATE MATERIALIZED VIEW analytics.daily_sales_mv TO analytics.daily_sales AS SELECT"
        " toDate(created_at) AS day, user_id, sum(sign) AS order_count"
        " FROM analytics.order_changes GROUP BY day, user_id"
    )
    await engine.execute("TRUNCATE TABLE analytics.sales_rollups")
    await engine.execute("TRUNCATE TABLE analytics.schema_settings")
    store.schema.mark_stopped()

    restarted = Analytics.on(engine)
    await restarted.schema.ensure()

    await _assert_exact(restarted, rows)
    left = await engine.query(
        "SELECT name FROM system.tables WHERE database = 'analytics' AND name LIKE 'daily_sales%'"
    )
    assert left == []


def _version(row: OrderAnalyticsRow) -> int:
    return row.version


async def test_an_answer_is_read_once_between_writes_and_afresh_after_each(
    store: Analytics,
) -> None:
    rows = await _deliver_random_history(store, random.Random(19), 6, lambda: 1)
    queries_before = metrics.clickhouse_queries._value.get()

    first, second = await store.queries.stats(), await store.queries.stats()

    assert first == second
    assert metrics.clickhouse_queries._value.get() - queries_before == 2  # one stats read
    newest = {row.order_id: row for row in sorted(rows, key=_version)}
    live = next(row for row in newest.values() if not row.is_deleted)
    deleted = OrderAnalyticsRow(**{**live.asdict(), "version": live.version + 1})
    deleted.is_deleted = True
    await store.ledger.apply([deleted])
    after = await store.queries.stats()
    assert after.total_orders == first.total_orders - 1


async def test_the_embedded_engine_writes_small_parts_as_one_file(store: Analytics) -> None:
    await _deliver_random_history(store, random.Random(17), 5, lambda: 2)

    parts = await store.schema.clickhouse.query(
        "SELECT DISTINCT table, part_storage_type FROM system.parts WHERE active"
        " AND database = 'analytics' AND table IN ('order_changes', 'sales_rollups')"
        " ORDER BY table"
    )

    assert parts == [
        {"table": "order_changes", "part_storage_type": "Packed"},
        {"table": "sales_rollups", "part_storage_type": "Packed"},
    ]


async def test_rebuild_from_mysql_answers_what_mysql_says(
    store: Analytics, scratch_mysql: MySQL
) -> None:
    service = order_service(scratch_mysql)
    rng = random.Random(5)
    created = []
    for _ in range(12):
        body = {
            "userId": rng.randrange(1, 9),
            "shippingAddress": "Gwangju",
            "items": [{"productId": rng.randrange(101, 111), "quantity": rng.randrange(1, 3)}],
        }
        order, _ = await service.create(CreateOrder.model_validate(body))
        created.append(order.id)
    for order_id in created[:5]:
        await service.change_status(order_id, OrderStatus.CONFIRMED)
    for order_id in created[3:7]:
        await service.soft_delete(order_id, "rebuild-test")
    await service.restore(created[6], "rebuild-test")

    loaded = await store.schema.rebuild_from_mysql(MySQLSource.of(scratch_mysql.settings))

    assert loaded == 12
    expected = expected_answers(
        await live_orders(scratch_mysql), SEOUL, await user_ids(scratch_mysql)
    )
    assert await store.queries.stats() == expected.stats
    assert await store.queries.daily_sales(*ALL_DAYS) == expected.daily
    assert await store.queries.order_status(*ALL_DAYS) == expected.statuses
    for user_id, user in expected.users.items():
        assert await store.queries.user_analytics(user_id) == user


# A zone with daylight saving, one with a half-hour offset, and one with both.
ZONES = ["America/New_York", "Asia/Kolkata", "Australia/Adelaide"]
# Local days around midnight, the daylight-saving changes of 2026 among them.
NEAR_MIDNIGHT_DAYS = [date(2026, 3, 8), date(2026, 4, 5), date(2026, 10, 4), date(2026, 11, 1)]


def _orders_near_midnight(zone: ZoneInfo) -> list[OrderAnalyticsRow]:
    """Orders a tenth of a second either side of local midnight, and at 01:30 and 02:30 local
    (times a daylight-saving change repeats or skips), each later moved to another status."""
    instants = []
    for day in NEAR_MIDNIGHT_DAYS:
        midnight = datetime.combine(day, time(0), zone)
        instants += [midnight - timedelta(milliseconds=100), midnight + timedelta(milliseconds=100)]
        instants += [datetime.combine(day, time(hour, 30), zone) for hour in (1, 2)]
        instants += [datetime.combine(day, time(1, 30, fold=1), zone)]
    rows = []
    for index, local in enumerate(instants):
        created_at = local.astimezone(UTC)
        base = dict(
            order_id=f"midnight-{index}",
            user_id=1 + index % 3,
            user_name="night owl",
            total_amount=Decimal(1000 + index) / 100,
            item_count=1,
            product_ids=[101 + index % 5],
            created_at=created_at,
            updated_at=created_at,
            deleted_at=None,
            is_deleted=False,
        )
        rows.append(OrderAnalyticsRow(**base, status="PENDING", event_type="CREATED", version=1))
        rows.append(OrderAnalyticsRow(**base, status="CONFIRMED", event_type="UPDATED", version=2))
    return rows


@pytest.fixture
async def seoul_again(store: Analytics) -> AsyncIterator[None]:
    """The session's engine is bucketed in SEOUL again afterwards (another rebuild)."""
    yield
    await Analytics.on(store.schema.clickhouse).schema.ensure()


@pytest.mark.parametrize("zone", [ZoneInfo(key) for key in ZONES], ids=ZONES)
async def test_a_new_analytics_tz_rebuilds_every_bucket(
    store: Analytics, seoul_again: None, zone: ZoneInfo
) -> None:
    rows = _orders_near_midnight(zone)
    await _empty(store)
    for version in (1, 2):
        await store.ledger.apply([row for row in rows if row.version == version])
    await _assert_exact(store, rows, SEOUL)

    # The worker restarted with ANALYTICS_TZ=zone: the same ledger, bucketed anew.
    restarted = Analytics.on(store.schema.clickhouse, zone)
    await restarted.schema.ensure()
    await _assert_exact(restarted, rows, zone)
    # New orders after the change land in the new zone's buckets too.
    later = [
        OrderAnalyticsRow(**{**row.asdict(), "order_id": f"{row.order_id}-later"})
        for row in rows[:4]
    ]
    await restarted.ledger.apply(later)
    await _assert_exact(restarted, rows + later, zone)
