"""SQL of the `outbox` table: the unit of work's writes, the relay's reads and marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomysql

from ecommerce_stream.events.records import OrderEvent
from ecommerce_stream.stores.mysql import Statements


@dataclass(frozen=True, slots=True)
class PendingEvent:
    id: int
    aggregate_id: str
    payload: bytes
    attempts: int


INSERT_EVENT = (
    "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, payload,"
    " created_at, available_at) VALUES (%s, 'Order', %s, %s, %s, %s, %s)"
)


def write_events(statements: Statements, events: Sequence[OrderEvent]) -> None:
    """Called only by the unit of work, inside the transaction that changed the order."""
    statements.write_rows(INSERT_EVENT, [_event_row(event) for event in events])


async def add_events(cur: aiomysql.Cursor, events: Sequence[OrderEvent]) -> None:
    """The same rows through a cursor of its own transaction: for drills and tests that put
    events in the outbox by hand."""
    await cur.executemany(INSERT_EVENT, [_event_row(event) for event in events])


def _event_row(event: OrderEvent) -> tuple[Any, ...]:
    return (
        event.eventId,
        event.orderId,
        event.eventType,
        event.dumps().decode(),
        event.occurredAt.replace(tzinfo=None),
        event.occurredAt.replace(tzinfo=None),
    )


async def fetch_pending(cur: aiomysql.Cursor, limit: int) -> list[PendingEvent]:
    """Every unprocessed row that is due, oldest first. No 'highest id sent' bookmark: a row
    committed late with a lower id is still found."""
    await cur.execute(
        "SELECT id, aggregate_id, payload, attempts FROM outbox"
        " WHERE processed = FALSE AND available_at <= UTC_TIMESTAMP(6)"
        " ORDER BY id LIMIT %s",
        (limit,),
    )
    return [
        PendingEvent(
            id=row["id"],
            aggregate_id=row["aggregate_id"],
            payload=row["payload"].encode() if isinstance(row["payload"], str) else row["payload"],
            attempts=row["attempts"],
        )
        for row in await cur.fetchall()
    ]


@dataclass(frozen=True, slots=True)
class Published:
    """An outbox row the brokers acknowledged, and where its record landed."""

    id: int
    partition: int
    offset: int


async def mark_processed(cur: aiomysql.Cursor, published: Sequence[Published]) -> None:
    if published:
        # One statement for the whole batch: each row's address through a CASE on its id.
        cases = " ".join(["WHEN %s THEN %s"] * len(published))
        placeholders = ", ".join(["%s"] * len(published))
        await cur.execute(
            "UPDATE outbox SET processed = TRUE, processed_at = UTC_TIMESTAMP(6),"
            f" last_error = NULL, published_partition = CASE id {cases} END,"
            f" published_offset = CASE id {cases} END"
            f" WHERE id IN ({placeholders})",
            (
                *(value for row in published for value in (row.id, row.partition)),
                *(value for row in published for value in (row.id, row.offset)),
                *(row.id for row in published),
            ),
        )


@dataclass(frozen=True, slots=True)
class RelayedEvent:
    id: int
    order_id: str
    version: int
    processed_at: datetime
    attempts: int
    # Where the record landed (None: relayed before migration 0009 kept it).
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class AuditBookmark:
    """The outbox audit has checked every row processed up to here, in (processed_at, id)
    order: one relay pass marks many rows with the same time."""

    processed_at: datetime
    id: int


async def clock(cur: aiomysql.Cursor) -> datetime:
    """MySQL's time: `processed_at` is stamped by it, not by the worker's clock."""
    await cur.execute("SELECT UTC_TIMESTAMP(6) AS now")
    now: datetime = (await cur.fetchone())["now"]
    return now


async def audit_bookmark(cur: aiomysql.Cursor) -> AuditBookmark:
    """Where the audit stands (the migration that made the table set it to that moment)."""
    await cur.execute("SELECT checked_at, checked_id FROM outbox_audit WHERE id = 1")
    row = await cur.fetchone()
    return AuditBookmark(row["checked_at"], row["checked_id"])


async def save_audit_bookmark(cur: aiomysql.Cursor, bookmark: AuditBookmark) -> None:
    await cur.execute(
        "UPDATE outbox_audit SET checked_at = %s, checked_id = %s WHERE id = 1",
        (bookmark.processed_at, bookmark.id),
    )


async def relayed_between(
    cur: aiomysql.Cursor, after: AuditBookmark, until: datetime, limit: int
) -> list[RelayedEvent]:
    """Rows processed after the bookmark and by `until`, oldest first, with the order version
    each event carries. Orders purged since are left out: nothing is left to describe."""
    await cur.execute(
        "SELECT o.id, o.aggregate_id, o.processed_at, o.attempts, o.published_partition,"
        " o.published_offset, CAST(JSON_EXTRACT(o.payload, '$.version') AS UNSIGNED) AS version"
        " FROM outbox AS o JOIN orders ON orders.id = o.aggregate_id"
        " WHERE o.processed = TRUE AND o.processed_at <= %s"
        " AND (o.processed_at > %s OR (o.processed_at = %s AND o.id > %s))"
        " ORDER BY o.processed_at, o.id LIMIT %s",
        (until, after.processed_at, after.processed_at, after.id, limit),
    )
    return [
        RelayedEvent(
            id=row["id"],
            order_id=row["aggregate_id"],
            version=int(row["version"]),
            processed_at=row["processed_at"],
            attempts=row["attempts"],
            partition=row["published_partition"],
            offset=row["published_offset"],
        )
        for row in await cur.fetchall()
    ]


async def requeue(cur: aiomysql.Cursor, event_id: int, delay: timedelta) -> None:
    """Back to the relay: published, but lost on the way to ClickHouse."""
    await cur.execute(
        "UPDATE outbox SET processed = FALSE, processed_at = NULL, attempts = attempts + 1,"
        " last_error = 'lost after publishing; requeued by the outbox audit',"
        " available_at = UTC_TIMESTAMP(6) + INTERVAL %s MICROSECOND WHERE id = %s",
        (int(delay.total_seconds() * 1_000_000), event_id),
    )


async def count_requeued(cur: aiomysql.Cursor, requeued: int) -> None:
    """The audit's tally, shared by every worker through MySQL."""
    await cur.execute(
        "UPDATE outbox_audit SET requeued_total = requeued_total + %s,"
        " last_requeued_at = UTC_TIMESTAMP(6) WHERE id = 1",
        (requeued,),
    )


@dataclass(frozen=True, slots=True)
class AuditTally:
    requeued_total: int
    last_requeued_at: datetime | None


async def audit_tally(cur: aiomysql.Cursor) -> AuditTally:
    await cur.execute("SELECT requeued_total, last_requeued_at FROM outbox_audit WHERE id = 1")
    row = await cur.fetchone()
    return AuditTally(int(row["requeued_total"]), row["last_requeued_at"])


async def mark_failed(cur: aiomysql.Cursor, event_id: int, error: str, retry_at: datetime) -> None:
    await cur.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = %s, available_at = %s"
        " WHERE id = %s",
        (error[:2000], retry_at.replace(tzinfo=None), event_id),
    )


async def backlog(cur: aiomysql.Cursor) -> int:
    await cur.execute("SELECT COUNT(*) AS backlog FROM outbox WHERE processed = FALSE")
    row = await cur.fetchone()
    return int(row["backlog"])


async def delete_processed_before(cur: aiomysql.Cursor, cutoff: datetime, limit: int) -> int:
    deleted: int = await cur.execute(
        "DELETE FROM outbox WHERE processed = TRUE AND processed_at < %s LIMIT %s",
        (cutoff.replace(tzinfo=None), limit),
    )
    return deleted


async def oldest_change_not_before(
    cur: aiomysql.Cursor, visible_through: datetime | None
) -> datetime | None:
    """When the oldest change still on its way to ClickHouse was committed: the oldest
    unpublished row, or the oldest row newer than the newest change ClickHouse shows."""
    await cur.execute("SELECT MIN(created_at) AS at FROM outbox WHERE processed = FALSE")
    unpublished = (await cur.fetchone())["at"]
    newer = None
    if visible_through is not None:
        await cur.execute(
            "SELECT MIN(created_at) AS at FROM outbox WHERE created_at > %s",
            (visible_through.replace(tzinfo=None),),
        )
        newer = (await cur.fetchone())["at"]
    candidates = [at for at in (unpublished, newer) if at is not None]
    return min(candidates).replace(tzinfo=UTC) if candidates else None
