"""The outbox audit, an alarm: every relayed event is checked against the analytics ledger
once the pipeline is certainly done with it, and an event whose order version never arrived is
logged as an error, counted, and relayed again.

Nothing upstream should skip a record (the consumer commits only what it processed:
docs/pipeline.md), so a requeue here means a bug or a fault upstream that needs finding. The
outbox records every event published and the ledger every order version applied; comparing the
two catches a loss wherever it happened (relay, transformer or sink). The audit sees the ledger
only through the `versions_in_ledger` function the wiring gives it."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from faust.types import TP

from ecommerce_stream import metrics
from ecommerce_stream.events.ordering import newest_per_order
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.outbox.relay import retry_delay
from ecommerce_stream.stores.mysql import MySQL

log = logging.getLogger(__name__)

Offsets = Mapping[TP, int]


@dataclass(frozen=True, slots=True)
class EndOffsets:
    """The topics' end offsets, and the MySQL time read just before them: an outbox row marked
    processed by then was acknowledged by the brokers by then, so its offset is below these."""

    taken_at: datetime
    events: Offsets  # order.events
    rows: Offsets  # orders_analytics


def _reached(committed: Offsets, ends: Offsets) -> bool:
    return all(committed.get(tp, 0) >= end for tp, end in ends.items())


class DeliveryWatermark:
    """The latest moment before which every published event has been through the pipeline.

    Fed one reading per audit pass: the consumer group's committed offsets, then the end
    offsets. Once the committed `order.events` offsets reach an earlier reading's ends, the
    events published before it were transformed, and their rows sent before those commits (Faust
    flushes its producer before committing), so before this reading's `orders_analytics` ends.
    Once the committed `orders_analytics` offsets reach those too, the rows were loaded: the
    earlier reading's time is then safe to audit up to."""

    def __init__(self, keep: int = 100) -> None:
        # Oldest first; dropping the oldest loses nothing, a newer reading reached implies it.
        self._untransformed: deque[EndOffsets] = deque(maxlen=keep)
        self._unloaded: deque[tuple[datetime, Offsets]] = deque(maxlen=keep)

    def advance(self, committed: Offsets, ends: EndOffsets) -> datetime | None:
        """Take a reading (committed offsets read before `ends`); return the newly safe time."""
        safe = None
        while self._unloaded and _reached(committed, self._unloaded[0][1]):
            safe = self._unloaded.popleft()[0]
        transformed = None
        while self._untransformed and _reached(committed, self._untransformed[0].events):
            transformed = self._untransformed.popleft()
        if transformed is not None:
            self._unloaded.append((transformed.taken_at, ends.rows))
        self._untransformed.append(ends)
        return safe


def lost_events(
    relayed: Sequence[outbox.RelayedEvent], applied: Mapping[str, int]
) -> list[outbox.RelayedEvent]:
    """The newest relayed event of each order whose version ClickHouse has not reached (an event
    carries the order's whole state, so the newest one per order is enough)."""
    newest = newest_per_order(relayed).values()
    return [event for event in newest if applied.get(event.order_id, 0) < event.version]


def _record(event: outbox.RelayedEvent) -> str:
    if event.partition is None:
        return "order.events (partition and offset not kept)"
    return f"order.events partition {event.partition} offset {event.offset}"


def _offsets_of(committed: Offsets, partition: int | None) -> str:
    """The group's committed offsets of that partition number, in both topics."""
    found = [f"{tp.topic}[{tp.partition}]={offset}" for tp, offset in committed.items()]
    if partition is not None:
        found = [
            f"{tp.topic}[{tp.partition}]={offset}"
            for tp, offset in committed.items()
            if tp.partition == partition
        ]
    return ", ".join(sorted(found)) or "none"


class OutboxAudit:
    def __init__(
        self,
        mysql: MySQL,
        committed_offsets: Callable[[], Awaitable[Offsets]],
        end_offsets: Callable[[], Awaitable[tuple[Offsets, Offsets]]],
        versions_in_ledger: Callable[[Collection[str]], Awaitable[Mapping[str, int]]],
        chunk: int = 2000,
    ) -> None:
        self._mysql = mysql
        self._committed_offsets = committed_offsets
        self._end_offsets = end_offsets
        self._versions_in_ledger = versions_in_ledger
        self._chunk = chunk
        self._watermark = DeliveryWatermark()

    async def run(self) -> int:
        """One pass: take a reading, then check what became safe. Returns events requeued."""
        committed = await self._committed_offsets()
        async with self._mysql.cursor() as cur:
            taken_at = await outbox.clock(cur)
        events, rows = await self._end_offsets()
        safe = self._watermark.advance(committed, EndOffsets(taken_at, events, rows))
        if safe is None:
            return 0
        requeued = 0
        async with self._mysql.cursor() as cur:
            bookmark = await outbox.audit_bookmark(cur)
        while True:
            async with self._mysql.cursor() as cur:
                relayed = await outbox.relayed_between(cur, bookmark, safe, self._chunk)
            if not relayed:
                return requeued
            applied = await self._versions_in_ledger({event.order_id for event in relayed})
            lost = lost_events(relayed, applied)
            async with self._mysql.transaction() as cur:
                for event in lost:
                    # An alarm, not a repair loop: something upstream skipped this record.
                    log.error(
                        "order %s version %d was relayed to %s but never reached ClickHouse"
                        " (group offsets then: %s); relaying it again",
                        event.order_id,
                        event.version,
                        _record(event),
                        _offsets_of(committed, event.partition),
                    )
                    await outbox.requeue(cur, event.id, retry_delay(event.attempts + 1))
                if lost:
                    await outbox.count_requeued(cur, len(lost))
                bookmark = outbox.AuditBookmark(relayed[-1].processed_at, relayed[-1].id)
                await outbox.save_audit_bookmark(cur, bookmark)
            metrics.outbox_audit_checked.inc(len(relayed))
            metrics.outbox_audit_requeued.inc(len(lost))
            requeued += len(lost)
            if len(relayed) < self._chunk:
                return requeued
