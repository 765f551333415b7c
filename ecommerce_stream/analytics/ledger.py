"""The ledger (`order_changes`): every order version the sink applied, as signed rows.

`-1` rows retract the previous live state, `+1` rows add the new live state, `0` rows record a
deleted state. Any sign-weighted sum over it telescopes to the order's newest state, so
aggregates built by summing it count each live order exactly once (clickhouse/README.md has the
proof). `ledger_rows` is that rule as pure code; `AnalyticsLedger` writes it and keeps the
figures about it (versions applied, freshness)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ecommerce_stream import metrics
from ecommerce_stream.analytics.models import OrderAnalyticsRow, from_clickhouse_time
from ecommerce_stream.analytics.schema import (
    LEDGER,
    LEDGER_COLUMNS,
    AnalyticsSchema,
    from_micros,
    id_list,
)
from ecommerce_stream.events.ordering import newest_per_order

LedgerRow = dict[str, Any]
MARKS_MAX_AGE_SECONDS = 10.0
# How many orders' applied states the sink keeps in memory (about 1 KB each).
RECENT_STATES_KEPT = 10_000
# An order created this long after the memory began cannot have been written by another
# writer before it: the margin covers clocks of the hosts that stamp created_at running ahead.
CLOCK_SKEW_MARGIN = timedelta(seconds=30)


def ledger_rows(
    batch: Iterable[OrderAnalyticsRow], applied: Mapping[str, LedgerRow]
) -> list[LedgerRow]:
    """The rows to append for a batch, given each order's applied state row (`applied`: the
    ledger row of its newest version with sign 1 or 0). Versions not newer than the applied
    one are duplicates or stale replays and add nothing."""
    out: list[LedgerRow] = []
    # Several versions of one order in a batch: the older ones cancel out.
    for order_id, row in newest_per_order(batch).items():
        previous = applied.get(order_id)
        if previous is not None and row.version <= int(previous["version"]):
            continue
        if previous is not None and int(previous["sign"]) == 1:
            out.append({**previous, "version": row.version, "sign": -1})
        out.append(state_row(row))
    return out


def state_row(row: OrderAnalyticsRow) -> LedgerRow:
    """The ledger row that records an order version as its state: +1 live, 0 deleted."""
    return {**row.to_clickhouse(), "sign": 0 if row.is_deleted else 1}


class RecentStates:
    """The state rows this process wrote last, so that a batch need not ask ClickHouse what it
    has just written (a query cost the embedded engine about a quarter of an insert). Only
    trusted while this process is the only writer and nobody else held the writer lock since
    its last write (`state`, from `AnalyticsSchema.state`). It also knows which orders have
    none: one created after the memory began, and after every order it let go of, that it did
    not write was never written by anyone."""

    def __init__(self, kept: int = RECENT_STATES_KEPT) -> None:
        self._kept = kept
        self._states: OrderedDict[str, LedgerRow] = OrderedDict()  # the newest last
        self._began: datetime | None = None
        self._horizon: datetime | None = None  # the newest created_at let go of
        self._state_after_write: tuple[int, int] | None = None

    def known(
        self, rows: Iterable[OrderAnalyticsRow], state: tuple[int, int] | None, now: datetime
    ) -> tuple[dict[str, LedgerRow], set[str]]:
        """(the applied state rows it knows, the order ids to ask ClickHouse about); called
        holding the writer lock, `state` read under it."""
        rows = list(rows)
        if state is None:
            return {}, {row.order_id for row in rows}
        generation, writes = state
        # The lock's count grew by one as this hold began: anything more is another writer.
        if self._began is None or self._state_after_write != (generation, writes - 1):
            self.forget(now)
        assert self._began is not None
        trusted_after = max(self._began + CLOCK_SKEW_MARGIN, self._horizon or self._began)
        known: dict[str, LedgerRow] = {}
        unknown: set[str] = set()
        for row in rows:
            if (applied := self._states.get(row.order_id)) is not None:
                known[row.order_id] = applied
            elif _aware(row.created_at) <= trusted_after:
                unknown.add(row.order_id)
        return known, unknown

    def wrote(self, changes: Iterable[LedgerRow], state: tuple[int, int] | None) -> None:
        """Remember the state rows just written; `state` read after the writer lock let go."""
        if state is None:
            return
        for change in changes:
            if change["sign"] >= 0:
                self._states[change["order_id"]] = change
                self._states.move_to_end(change["order_id"])
        while len(self._states) > self._kept:
            _, oldest = self._states.popitem(last=False)
            created = from_clickhouse_time(oldest["created_at"])
            self._horizon = created if self._horizon is None else max(self._horizon, created)
        self._state_after_write = state

    def forget(self, now: datetime) -> None:
        """Start over: after a failed write, or when another writer may have written."""
        self._states.clear()
        self._began, self._horizon, self._state_after_write = now, None, None


def _count_lookups(
    rows: Sequence[OrderAnalyticsRow], known: Collection[str], asked: Collection[str]
) -> None:
    orders = len({row.order_id for row in rows})
    metrics.sink_state_lookups.labels("memory").inc(len(known))
    metrics.sink_state_lookups.labels("clickhouse").inc(len(asked))
    metrics.sink_state_lookups.labels("none").inc(orders - len(known) - len(asked))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class AnalyticsLedger:
    def __init__(self, schema: AnalyticsSchema) -> None:
        self._schema = schema
        self._clickhouse = schema.clickhouse
        self._db = schema.db
        self._recent = RecentStates()
        # (newest applied_at, newest updated_at), the ledger generation they describe, and
        # when they were read.
        self._marks: tuple[datetime | None, datetime | None] | None = None
        self._marks_generation = -1
        self._marks_read_at = 0.0

    async def apply(self, rows: Sequence[OrderAnalyticsRow]) -> int:
        """Append the batch's new versions to the ledger in one insert (one atomic part);
        duplicates and stale versions are skipped. Returns the ledger rows written."""
        await self._schema.ensure()
        started = time.perf_counter()
        async with self._schema.writer:
            known, unknown = self._recent.known(rows, self._schema.state, datetime.now(UTC))
            changes = ledger_rows(rows, {**known, **await self.applied_states(unknown)})
            _count_lookups(rows, known, unknown)
            try:
                await self._clickhouse.insert(f"{self._db}.{LEDGER}", changes)
            except BaseException:
                self._recent.forget(datetime.now(UTC))  # the part may or may not be there
                raise
        self._recent.wrote(changes, self._schema.state)
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

    async def versions_in_ledger(self, order_ids: Collection[str]) -> dict[str, int]:
        """Each order's newest version in the ledger; an order left out has none there."""
        if not order_ids:
            return {}
        await self._schema.ensure()
        rows = await self._clickhouse.query(
            f"SELECT order_id, max(version) AS version FROM {self._db}.{LEDGER}"
            f" WHERE order_id IN ({id_list(order_ids)}) GROUP BY order_id"
        )
        return {row["order_id"]: int(row["version"]) for row in rows}

    async def applied_states(self, order_ids: Collection[str]) -> dict[str, LedgerRow]:
        """Each order's state row: the ledger row of its newest version with sign 1 or 0."""
        if not order_ids:
            return {}
        rows = await self._clickhouse.query(
            f"SELECT {LEDGER_COLUMNS} FROM {self._db}.{LEDGER}"
            f" WHERE order_id IN ({id_list(order_ids)})"
            " ORDER BY order_id, version DESC, sign DESC LIMIT 1 BY order_id"
        )
        return {row["order_id"]: row for row in rows}

    async def newest_visible_change(self) -> datetime | None:
        """When the newest order change that ClickHouse shows was made."""
        return (await self._ledger_marks())[1]

    async def newest_row_age_seconds(self) -> float | None:
        applied_at = (await self._ledger_marks())[0]
        return None if applied_at is None else (datetime.now(UTC) - applied_at).total_seconds()

    async def _ledger_marks(self) -> tuple[datetime | None, datetime | None]:
        """(newest applied_at, newest updated_at) of the ledger. Kept up to date by this
        process's own inserts and read from ClickHouse only now and then (other workers may
        share it): a full scan every second would hold the one ClickHouse lane the sink needs."""
        if (
            self._marks is None
            or self._marks_generation != self._schema.generation
            or time.monotonic() - self._marks_read_at > MARKS_MAX_AGE_SECONDS
        ):
            await self._schema.ensure()
            [row] = await self._clickhouse.query(
                "SELECT count() AS rows, toUnixTimestamp64Micro(max(applied_at)) AS applied,"
                f" toUnixTimestamp64Micro(max(updated_at)) AS changed FROM {self._db}.{LEDGER}"
            )
            empty = int(row["rows"]) == 0
            self._marks = (
                None if empty else from_micros(row["applied"]),
                None if empty else from_micros(row["changed"]),
            )
            self._marks_generation = self._schema.generation
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
