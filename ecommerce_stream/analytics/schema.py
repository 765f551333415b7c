"""The analytics tables in ClickHouse as a whole: applying `clickhouse/`, repairing the
aggregates after a crash or a change of ANALYTICS_TZ, and rebuilding them from the ledger or
from MySQL. Also the SQL spelling helpers the ledger and the queries share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from ecommerce_stream.analytics.mapping import ledger_state_sql
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.clickhouse import ClickHouse

log = logging.getLogger(__name__)

LEDGER = "order_changes"
LEDGER_COPY = "order_changes_rebuild"
# Every table a materialized view writes from the ledger; a rebuild empties and refills them.
VIEW_TARGETS = ("orders_analytics", "sales_rollups", "user_analytics")
# Which tables hold the aggregates (schema_settings): a worker that finds another value, or
# none beside a ledger that has rows, fills the new ones from the ledger as it starts.
AGGREGATES_LAYOUT = "sales_rollups"
# Order ids are lowercase UUIDs: their first hex digit splits them into 16 even slices.
_HEX = "0123456789abcdef"
_ID_SLICES = [(digit, _HEX[i + 1] if i < 15 else "g") for i, digit in enumerate(_HEX)]
LEDGER_COLUMNS = (
    "order_id, version, sign, user_id, user_name, status, total_amount, item_count, product_ids,"
    " created_at, updated_at, event_type, is_deleted, deleted_at, payment_method, payment_status"
)
# Present while an embedded engine is open: found at start-up, it means the last run died,
# possibly between the ledger insert and its materialized views.
RUNNING_MARKER = "ecommerce-stream.running"


@dataclass(frozen=True)
class MySQLSource:
    """Where ClickHouse itself reads MySQL from (its `mysql()` table function)."""

    host_port: str
    database: str
    user: str
    password: str

    @classmethod
    def of(cls, settings: Settings) -> MySQLSource:
        """The database those settings connect to."""
        return cls(
            host_port=f"{settings.mysql_host}:{settings.mysql_port}",
            database=settings.mysql_database,
            user=settings.mysql_user,
            password=settings.mysql_password.get_secret_value(),
        )

    def table(self, name: str) -> str:
        args = (self.host_port, self.database, name, self.user, self.password)
        return f"mysql({', '.join(quote(arg) for arg in args)})"

    def redact(self, text: str) -> str:
        """`text` without the password, as given or as `table()` quotes it: a ClickHouse error
        may quote the failing query."""
        if not self.password:
            return text
        for spelling in (quote(self.password)[1:-1], self.password):
            text = text.replace(spelling, "***")
        return text


class WriteLock:
    """An asyncio lock that counts: `count` grows as each hold begins and as it ends, so an
    answer read while it stayed the same saw no write."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.count = 0

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        self.count += 1

    async def __aexit__(self, *exc: object) -> None:
        self.count += 1
        self._lock.release()


class AnalyticsSchema:
    """Owns the tables' life cycle. `writer` is the one lock every writer of the ledger holds
    (the sink's batches, the rebuilds): a batch's read of the applied states and its insert
    must not interleave with another write. `generation` grows whenever the ledger is emptied,
    so whoever keeps figures about it knows they are stale."""

    def __init__(self, clickhouse: ClickHouse, analytics_tz: str, *, retention_days: int) -> None:
        self.clickhouse = clickhouse
        self.db = clickhouse.database
        self.writer = WriteLock()
        self.generation = 0
        self._tz = analytics_tz
        # `clickhouse/`'s placeholders: the bucketing zone, and how long deleted rows are kept.
        self._ddl_variables = {"tz": analytics_tz, "retention_days": str(retention_days)}
        self._ready = False
        self._marked_running = False
        self._preparing: asyncio.Future[None] | None = None

    @classmethod
    def of(cls, clickhouse: ClickHouse, settings: Settings) -> AnalyticsSchema:
        """The schema as those settings want it: ANALYTICS_TZ, SOFT_DELETE_RETENTION_DAYS."""
        return cls(
            clickhouse, settings.analytics_tz, retention_days=settings.soft_delete_retention_days
        )

    @property
    def state(self) -> tuple[int, int] | None:
        """Changes whenever the tables may have: (generation, writes), when every write comes
        through this process (the embedded engine, which no other process opens); None for a
        server, which other workers write too."""
        if self.clickhouse.local_data_dir is None:
            return None
        return self.generation, self.writer.count

    async def ensure(self) -> None:
        """Once per process: apply `clickhouse/`, then rebuild the aggregates if the bucketing
        time zone changed or the previous run died with the embedded engine open. Callers
        share one preparation, shielded: a caller that gives up (a health probe's timeout)
        must not cancel a repair half-way."""
        if self._ready:
            return
        failed = (
            self._preparing is not None
            and self._preparing.done()
            and (self._preparing.cancelled() or self._preparing.exception() is not None)
        )
        if self._preparing is None or failed:
            self._preparing = asyncio.ensure_future(self._prepare())
        await asyncio.shield(self._preparing)

    async def _prepare(self) -> None:
        await self.clickhouse.apply_ddl(self._ddl_variables)
        if await self._built_tz() not in (None, self._tz):
            await self._recreate_views()
            await self._rebuild_views("ANALYTICS_TZ changed")
        elif await self._rebuild_pending() or self._previous_run_died():
            await self._rebuild_views("the previous run did not stop cleanly")
        elif await self._setting("aggregates") != AGGREGATES_LAYOUT and await self.ledger_size():
            await self._rebuild_views("the aggregates moved to new tables")
        await self._record("analytics_tz", self._tz)
        await self._record("aggregates", AGGREGATES_LAYOUT)
        self._mark_running()
        self._ready = True

    async def rebuild(self) -> int:
        """Compact the ledger to one state row per order and refill every aggregate from it."""
        await self.ensure()
        async with self.writer:
            await self._rebuild_views("requested")
        return await self.ledger_size()

    async def ledger_size(self) -> int:
        rows = await self.clickhouse.query(f"SELECT count() AS n FROM {self.db}.{LEDGER}")
        return int(rows[0]["n"])

    async def rebuild_from_mysql(
        self, mysql: MySQLSource, progress: Callable[[int], object] = lambda rows: None
    ) -> int:
        """Replace the whole ledger with one state row per MySQL order, read by ClickHouse
        itself (its `mysql()` table function), which refills every aggregate. Loads in 16
        slices of the order-id space, calling `progress(orders)` after each. Returns the
        orders loaded. Run it with no sink writing (workers stopped)."""
        await self.ensure()
        orders, items, users, audit_trail = (
            mysql.table(name) for name in ("orders", "order_items", "users", "admin_audit")
        )
        loaded = 0
        async with self.writer:
            await self.empty_ledger_and_views()
            for low, high in _ID_SLICES:
                # Simple comparisons on the id are pushed down to MySQL, slice by slice.
                in_slice = f"{{column}} >= '{low}' AND {{column}} < '{high}'"
                select = ledger_state_sql(orders, items, users, audit_trail, in_slice)
                await self.clickhouse.execute(
                    f"INSERT INTO {self.db}.{LEDGER} ({LEDGER_COLUMNS}) {select}"
                )
                size = await self.ledger_size()
                progress(size - loaded)
                loaded = size
        return loaded

    async def count_source_orders(self, mysql: MySQLSource) -> int:
        rows = await self.clickhouse.query(f"SELECT count() AS n FROM {mysql.table('orders')}")
        return int(rows[0]["n"])

    async def _rebuild_views(self, reason: str) -> None:
        """Crash-safe: the compacted copy is made first and marked; a rebuild interrupted after
        that resumes from the copy instead of from the (then empty) ledger."""
        log.warning("rebuilding the ClickHouse aggregates from the ledger: %s", reason)
        db = self.db
        if not await self._rebuild_pending():
            await self.clickhouse.execute(f"DROP TABLE IF EXISTS {db}.{LEDGER_COPY}")
            await self.clickhouse.execute(f"CREATE TABLE {db}.{LEDGER_COPY} AS {db}.{LEDGER}")
            # Each order's newest state row, as a +1 (live) or 0 (deleted) row of its own.
            await self.clickhouse.execute(
                f"INSERT INTO {db}.{LEDGER_COPY}"
                " SELECT * REPLACE (toInt8(if(is_deleted = 1, 0, 1)) AS sign) FROM ("
                f"SELECT * FROM {db}.{LEDGER} ORDER BY order_id, version DESC, sign DESC"
                " LIMIT 1 BY order_id)"
            )
            await self._record("rebuild", "copied")
        await self.empty_ledger_and_views()
        await self.clickhouse.execute(f"INSERT INTO {db}.{LEDGER} SELECT * FROM {db}.{LEDGER_COPY}")
        await self._record("rebuild", "done")
        await self.clickhouse.execute(f"DROP TABLE IF EXISTS {db}.{LEDGER_COPY}")

    async def empty_ledger_and_views(self) -> None:
        for table in (LEDGER, *VIEW_TARGETS):
            await self.clickhouse.execute(f"TRUNCATE TABLE {self.db}.{table}")
        self.generation += 1

    async def _recreate_views(self) -> None:
        """Bucketing is baked into the views and tables: drop them, apply the DDL anew."""
        for table in VIEW_TARGETS[1:]:
            await self.clickhouse.execute(f"DROP TABLE IF EXISTS {self.db}.{table}_mv")
            await self.clickhouse.execute(f"DROP TABLE IF EXISTS {self.db}.{table}")
        await self.clickhouse.apply_ddl(self._ddl_variables)

    async def _setting(self, name: str) -> str | None:
        rows = await self.clickhouse.query(
            f"SELECT value FROM {self.db}.schema_settings FINAL WHERE name = {quote(name)}"
        )
        return str(rows[0]["value"]) if rows else None

    async def _built_tz(self) -> str | None:
        return await self._setting("analytics_tz")

    async def _rebuild_pending(self) -> bool:
        return await self._setting("rebuild") == "copied"

    async def _record(self, name: str, value: str) -> None:
        await self.clickhouse.insert(f"{self.db}.schema_settings", [{"name": name, "value": value}])

    def _previous_run_died(self) -> bool:
        data_dir = self.clickhouse.local_data_dir
        return data_dir is not None and (data_dir / RUNNING_MARKER).exists()

    def _mark_running(self) -> None:
        data_dir = self.clickhouse.local_data_dir
        if data_dir is not None:
            (data_dir / RUNNING_MARKER).touch()
            self._marked_running = True

    def mark_stopped(self) -> None:
        """Called after the engine closed cleanly: the next start needs no repair."""
        data_dir = self.clickhouse.local_data_dir
        if data_dir is not None and self._marked_running:
            (data_dir / RUNNING_MARKER).unlink(missing_ok=True)
            self._marked_running = False


def quote(value: str) -> str:
    """A ClickHouse string literal (the values are order ids and setting names)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def id_list(order_ids: Collection[str]) -> str:
    """Order ids as the inside of a ClickHouse `IN (...)`."""
    return ", ".join(quote(order_id) for order_id in sorted(order_ids))


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
