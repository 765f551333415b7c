"""The analytics tables in ClickHouse: applying batches to the ledger, repairing the
aggregates, and the queries behind the analytics API."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from ecommerce_stream import metrics
from ecommerce_stream.analytics.ledger import LedgerRow, ledger_rows
from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.analytics.schemas import (
    DailySales,
    HourlySales,
    Stats,
    StatusBreakdown,
    UserAnalytics,
)
from ecommerce_stream.orders.domain import to_money
from ecommerce_stream.stores.clickhouse import ClickHouse, Row

log = logging.getLogger(__name__)

LEDGER = "order_changes"
LEDGER_COPY = "order_changes_rebuild"
# Every table a materialized view writes from the ledger; a rebuild empties and refills them.
VIEW_TARGETS = (
    "orders_analytics",
    "daily_sales",
    "hourly_sales",
    "order_status",
    "user_analytics",
    "customer_totals",
    "product_sales",
)
# Order ids are lowercase UUIDs: their first hex digit splits them into 16 even slices.
_HEX = "0123456789abcdef"
_ID_SLICES = [(digit, _HEX[i + 1] if i < 15 else "g") for i, digit in enumerate(_HEX)]
LEDGER_COLUMNS = (
    "order_id, version, sign, user_id, user_name, status, total_amount, item_count, product_ids,"
    " created_at, updated_at, event_type, is_deleted, deleted_at, payment_method, payment_status"
)
MARKS_MAX_AGE_SECONDS = 10.0
# users/{id} reads this many rows from each end of a customer's orders, more while deleted
# orders are all it finds there.
EDGE_ROWS = 64
EDGE_ROWS_GROWTH = 16
# Present while an embedded engine is open: found at start-up, it means the last run died,
# possibly between the ledger insert and its materialized views.
RUNNING_MARKER = "ecommerce-stream.running"


class AnalyticsStore:
    def __init__(self, clickhouse: ClickHouse, analytics_tz: str) -> None:
        self._clickhouse = clickhouse
        self._db = clickhouse.database
        self._tz = analytics_tz
        self._schema_ready = False
        self._marked_running = False
        self._preparing: asyncio.Future[None] | None = None
        self._marks: tuple[datetime | None, datetime | None] | None = None
        self._marks_read_at = 0.0
        # One batch at a time: the applied-state read and the insert must not interleave.
        self._apply_lock = asyncio.Lock()

    async def ensure_schema(self) -> None:
        """Once per process: apply `clickhouse/`, then rebuild the aggregates if the bucketing
        time zone changed or the previous run died with the embedded engine open. Callers
        share one preparation, shielded: a caller that gives up (a health probe's timeout)
        must not cancel a repair half-way."""
        if self._schema_ready:
            return
        failed = (
            self._preparing is not None
            and self._preparing.done()
            and (self._preparing.cancelled() or self._preparing.exception() is not None)
        )
        if self._preparing is None or failed:
            self._preparing = asyncio.ensure_future(self._prepare_schema())
        await asyncio.shield(self._preparing)

    async def _prepare_schema(self) -> None:
        await self._clickhouse.apply_ddl({"tz": self._tz})
        if await self._built_tz() not in (None, self._tz):
            await self._recreate_views()
            await self._rebuild_views("ANALYTICS_TZ changed")
        elif await self._rebuild_pending() or self._previous_run_died():
            await self._rebuild_views("the previous run did not stop cleanly")
        await self._record("analytics_tz", self._tz)
        self._mark_running()
        self._schema_ready = True

    async def apply(self, rows: Sequence[OrderAnalyticsRow]) -> int:
        """Append the batch's new versions to the ledger in one insert (one atomic part);
        duplicates and stale versions are skipped. Returns the ledger rows written."""
        await self.ensure_schema()
        started = time.perf_counter()
        async with self._apply_lock:
            changes = ledger_rows(rows, await self._applied_states({r.order_id for r in rows}))
            await self._clickhouse.insert(f"{self._db}.{LEDGER}", changes)
        visible_at = datetime.now(UTC)
        metrics.sink_batch_rows.observe(len(rows))
        metrics.sink_batch_seconds.observe(time.perf_counter() - started)
        applied = {(c["order_id"], c["version"]) for c in changes if c["sign"] >= 0}
        metrics.sink_skipped_rows.inc(len(rows) - len(applied))
        fresh = [row for row in rows if (row.order_id, row.version) in applied]
        for row in fresh:
            delay = (visible_at - row.updated_at).total_seconds()
            metrics.change_visible_seconds.observe(max(0.0, delay))
        self._note_applied(visible_at, fresh)
        return len(changes)

    async def newest_visible_change(self) -> datetime | None:
        """When the newest order change that ClickHouse shows was made."""
        return (await self._ledger_marks())[1]

    async def _ledger_marks(self) -> tuple[datetime | None, datetime | None]:
        """(newest applied_at, newest updated_at) of the ledger. Kept up to date by this
        process's own inserts and read from ClickHouse only now and then (other workers may
        share it): a full scan every second would hold the one ClickHouse lane the sink needs."""
        if self._marks is None or time.monotonic() - self._marks_read_at > MARKS_MAX_AGE_SECONDS:
            await self.ensure_schema()
            [row] = await self._clickhouse.query(
                "SELECT count() AS rows, toUnixTimestamp64Micro(max(applied_at)) AS applied,"
                f" toUnixTimestamp64Micro(max(updated_at)) AS changed FROM {self._db}.{LEDGER}"
            )
            empty = int(row["rows"]) == 0
            self._marks = (
                None if empty else _from_micros(row["applied"]),
                None if empty else _from_micros(row["changed"]),
            )
            self._marks_read_at = time.monotonic()
        return self._marks

    def _note_applied(self, visible_at: datetime, rows: Sequence[OrderAnalyticsRow]) -> None:
        if self._marks is not None and rows:
            newest_change = max(row.updated_at for row in rows)
            known = self._marks[1]
            self._marks = (
                visible_at,
                newest_change if known is None else max(known, newest_change),
            )

    async def applied_versions(self, order_ids: Collection[str]) -> dict[str, int]:
        """Each order's newest version in the ledger; an order left out has none applied."""
        if not order_ids:
            return {}
        await self.ensure_schema()
        rows = await self._clickhouse.query(
            f"SELECT order_id, max(version) AS version FROM {self._db}.{LEDGER}"
            f" WHERE order_id IN ({_id_list(order_ids)}) GROUP BY order_id"
        )
        return {row["order_id"]: int(row["version"]) for row in rows}

    async def _applied_states(self, order_ids: set[str]) -> dict[str, LedgerRow]:
        if not order_ids:
            return {}
        rows = await self._clickhouse.query(
            f"SELECT {LEDGER_COLUMNS} FROM {self._db}.{LEDGER}"
            f" WHERE order_id IN ({_id_list(order_ids)})"
            " ORDER BY order_id, version DESC, sign DESC LIMIT 1 BY order_id"
        )
        return {row["order_id"]: row for row in rows}

    async def rebuild(self) -> int:
        """Compact the ledger to one state row per order and refill every aggregate from it."""
        await self.ensure_schema()
        async with self._apply_lock:
            await self._rebuild_views("requested")
        rows = await self._clickhouse.query(f"SELECT count() AS n FROM {self._db}.{LEDGER}")
        return int(rows[0]["n"])

    async def rebuild_from_mysql(
        self, mysql: MySQLSource, progress: Callable[[int], object] = lambda rows: None
    ) -> int:
        """Replace the whole ledger with one state row per MySQL order, read by ClickHouse
        itself (its `mysql()` table function), which refills every aggregate. Loads in 16
        slices of the order-id space, calling `progress(orders)` after each. Returns the
        orders loaded. Run it with no sink writing (workers stopped)."""
        await self.ensure_schema()
        orders, items, users = (mysql.table(name) for name in ("orders", "order_items", "users"))
        loaded = 0
        async with self._apply_lock:
            await self._empty_ledger_and_views()
            for low, high in _ID_SLICES:
                # Simple comparisons on the id are pushed down to MySQL, slice by slice.
                in_slice = f"{{column}} >= '{low}' AND {{column}} < '{high}'"
                await self._clickhouse.execute(
                    f"INSERT INTO {self._db}.{LEDGER} ({LEDGER_COLUMNS})"
                    " SELECT o.id, o.version, toInt8(o.deleted_at IS NULL), o.user_id, u.name,"
                    " o.status, o.total_amount, i.item_count, i.product_ids, o.created_at,"
                    " o.updated_at, multiIf(o.deleted_at IS NOT NULL, 'DELETED', o.version = 1,"
                    " 'CREATED', 'UPDATED'), toUInt8(o.deleted_at IS NOT NULL), o.deleted_at,"
                    " NULL, NULL"
                    f" FROM (SELECT * FROM {orders} WHERE {in_slice.format(column='id')}) AS o"
                    f" INNER JOIN {users} AS u ON u.id = o.user_id"
                    " INNER JOIN (SELECT order_id, toUInt32(sum(quantity)) AS item_count,"
                    " arraySort(groupUniqArray(toUInt32(product_id))) AS product_ids"
                    f" FROM {items} WHERE {in_slice.format(column='order_id')}"
                    " GROUP BY order_id) AS i ON i.order_id = o.id"
                    # MySQL DATETIMEs are UTC wall times; read them so whatever the host zone.
                    " SETTINGS session_timezone = 'UTC'"
                )
                rows = await self._clickhouse.query(f"SELECT count() AS n FROM {self._db}.{LEDGER}")
                progress(int(rows[0]["n"]) - loaded)
                loaded = int(rows[0]["n"])
        return loaded

    async def count_source_orders(self, mysql: MySQLSource) -> int:
        rows = await self._clickhouse.query(f"SELECT count() AS n FROM {mysql.table('orders')}")
        return int(rows[0]["n"])

    async def _rebuild_views(self, reason: str) -> None:
        """Crash-safe: the compacted copy is made first and marked; a rebuild interrupted after
        that resumes from the copy instead of from the (then empty) ledger."""
        log.warning("rebuilding the ClickHouse aggregates from the ledger: %s", reason)
        db = self._db
        if not await self._rebuild_pending():
            await self._clickhouse.execute(f"DROP TABLE IF EXISTS {db}.{LEDGER_COPY}")
            await self._clickhouse.execute(f"CREATE TABLE {db}.{LEDGER_COPY} AS {db}.{LEDGER}")
            # Each order's newest state row, as a +1 (live) or 0 (deleted) row of its own.
            await self._clickhouse.execute(
                f"INSERT INTO {db}.{LEDGER_COPY}"
                " SELECT * REPLACE (toInt8(if(is_deleted = 1, 0, 1)) AS sign) FROM ("
                f"SELECT * FROM {db}.{LEDGER} ORDER BY order_id, version DESC, sign DESC"
                " LIMIT 1 BY order_id)"
            )
            await self._record("rebuild", "copied")
        await self._empty_ledger_and_views()
        await self._clickhouse.execute(
            f"INSERT INTO {db}.{LEDGER} SELECT * FROM {db}.{LEDGER_COPY}"
        )
        await self._record("rebuild", "done")
        await self._clickhouse.execute(f"DROP TABLE IF EXISTS {db}.{LEDGER_COPY}")

    async def _empty_ledger_and_views(self) -> None:
        for table in (LEDGER, *VIEW_TARGETS):
            await self._clickhouse.execute(f"TRUNCATE TABLE {self._db}.{table}")
        self._marks = None  # what they said of the ledger is gone with it

    async def _recreate_views(self) -> None:
        """Bucketing is baked into the views and tables: drop them, apply the DDL anew."""
        for table in VIEW_TARGETS[1:]:
            await self._clickhouse.execute(f"DROP TABLE IF EXISTS {self._db}.{table}_mv")
            await self._clickhouse.execute(f"DROP TABLE IF EXISTS {self._db}.{table}")
        await self._clickhouse.apply_ddl({"tz": self._tz})

    async def _setting(self, name: str) -> str | None:
        rows = await self._clickhouse.query(
            f"SELECT value FROM {self._db}.schema_settings FINAL WHERE name = {_quote(name)}"
        )
        return str(rows[0]["value"]) if rows else None

    async def _built_tz(self) -> str | None:
        return await self._setting("analytics_tz")

    async def _rebuild_pending(self) -> bool:
        return await self._setting("rebuild") == "copied"

    async def _record(self, name: str, value: str) -> None:
        await self._clickhouse.insert(
            f"{self._db}.schema_settings", [{"name": name, "value": value}]
        )

    def _previous_run_died(self) -> bool:
        data_dir = self._clickhouse.local_data_dir
        return data_dir is not None and (data_dir / RUNNING_MARKER).exists()

    def _mark_running(self) -> None:
        data_dir = self._clickhouse.local_data_dir
        if data_dir is not None:
            (data_dir / RUNNING_MARKER).touch()
            self._marked_running = True

    def mark_stopped(self) -> None:
        """Called after the engine closed cleanly: the next start needs no repair."""
        data_dir = self._clickhouse.local_data_dir
        if data_dir is not None and self._marked_running:
            (data_dir / RUNNING_MARKER).unlink(missing_ok=True)
            self._marked_running = False

    async def stats(self) -> Stats:
        await self.ensure_schema()
        db = self._db
        [totals] = await self._clickhouse.query(
            "SELECT sum(user_orders) AS orders, sum(user_spent) AS revenue,"
            " countIf(user_orders > 0) AS customers FROM ("
            "SELECT user_id, sum(order_count) AS user_orders, sum(total_spent) AS user_spent"
            f" FROM {db}.customer_totals GROUP BY user_id)"
        )
        [products] = await self._clickhouse.query(
            "SELECT countIf(product_orders > 0) AS products FROM ("
            f"SELECT product_id, sum(order_count) AS product_orders FROM {db}.product_sales"
            " GROUP BY product_id)"
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
        await self.ensure_schema()
        rows = await self._clickhouse.query(
            "SELECT day, sum(user_orders) AS orders, sum(user_revenue) AS revenue,"
            " countIf(user_orders > 0) AS customers FROM ("
            "SELECT day, user_id, sum(order_count) AS user_orders, sum(revenue) AS user_revenue"
            f" FROM {self._db}.daily_sales"
            f" WHERE day BETWEEN '{first_day.isoformat()}' AND '{last_day.isoformat()}'"
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
        await self.ensure_schema()
        rows = await self._clickhouse.query(
            "SELECT * FROM ("
            "SELECT toUnixTimestamp(hour) AS hour_start, sum(order_count) AS orders,"
            f" sum(revenue) AS revenue FROM {self._db}.hourly_sales"
            f" WHERE hour >= toDateTime({int(since.timestamp())})"
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
        await self.ensure_schema()
        rows = await self._clickhouse.query(
            "SELECT status, sum(order_count) AS orders, sum(total_amount) AS amount"
            f" FROM {self._db}.order_status"
            f" WHERE day BETWEEN '{first_day.isoformat()}' AND '{last_day.isoformat()}'"
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
        await self.ensure_schema()
        [totals] = await self._clickhouse.query(
            "SELECT sum(order_count) AS orders, sum(total_spent) AS spent"
            f" FROM {self._db}.customer_totals WHERE user_id = {int(user_id)}"
        )
        orders = int(totals["orders"])
        first = last = None
        if orders > 0:
            first, last = await self._first_and_last_live_order(int(user_id))
        return UserAnalytics(
            user_id=user_id,
            order_count=orders,
            total_spent=Decimal(totals["spent"]),
            first_order_at=None if first is None else _from_micros(first),
            last_order_at=None if last is None else _from_micros(last),
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

    async def newest_row_age_seconds(self) -> float | None:
        applied_at = (await self._ledger_marks())[0]
        return None if applied_at is None else (datetime.now(UTC) - applied_at).total_seconds()


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


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(int(micros) / 1_000_000, UTC)


@dataclass(frozen=True)
class MySQLSource:
    """Where ClickHouse itself reads MySQL from (its `mysql()` table function)."""

    host_port: str
    database: str
    user: str
    password: str

    def table(self, name: str) -> str:
        args = (self.host_port, self.database, name, self.user, self.password)
        return f"mysql({', '.join(_quote(arg) for arg in args)})"


def _quote(value: str) -> str:
    """A ClickHouse string literal (the values are order ids and setting names)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _id_list(order_ids: Collection[str]) -> str:
    """Order ids as the inside of a ClickHouse `IN (...)`."""
    return ", ".join(_quote(order_id) for order_id in sorted(order_ids))
