"""Publishes outbox rows to `order.events` and marks them processed once the brokers acked.

At least once: a crash between the ack and the mark republishes the row, which the
transformer drops by version. No row is ever skipped: each pass reads every unprocessed row."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ecommerce_stream import metrics
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.retry import backoff_delay
from ecommerce_stream.stores.mysql import MySQL

log = logging.getLogger(__name__)


class Delivery(Protocol):
    """The brokers' acknowledgement of one record (aiokafka's RecordMetadata)."""

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...


# send(key, value) -> an awaitable that resolves when the brokers acknowledged the message.
Publish = Callable[[str, bytes], Awaitable[Awaitable[Delivery]]]

MAX_BACKOFF_SECONDS = 60.0


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed publish: 0.5 s, 1 s, 2 s, ... capped at 60 s."""
    return timedelta(seconds=backoff_delay(attempts, first=0.5, cap=MAX_BACKOFF_SECONDS))


class OutboxRelay:
    def __init__(
        self,
        mysql: MySQL,
        publish: Publish,
        batch_size: int,
        is_leader: Callable[[], bool],
        *,
        wake_up: bool = True,
        wake_elsewhere: Callable[[], None] | None = None,
    ) -> None:
        self._mysql = mysql
        self._wake_up = wake_up
        self._wake_elsewhere = wake_elsewhere
        self._publish = publish
        self._batch_size = batch_size
        self._is_leader = is_leader
        self._lock = asyncio.Lock()
        self._again = False
        self._wakeups: set[asyncio.Task[int]] = set()
        # Passes that went through to an empty outbox: the first one makes the worker ready.
        self.passes_done = 0

    def notify(self) -> None:
        """Called after every commit that wrote an event: relay now, not at the next poll; a
        process that does not relay wakes the one that does (`wake_elsewhere`)."""
        if not self._wake_up:
            return
        if self._is_leader():
            self.poll()
        elif self._wake_elsewhere is not None:
            self._wake_elsewhere()

    def wake(self) -> None:
        """Another process committed an event: relay now, if this process is the relaying
        one (a notice never travels further)."""
        if self._wake_up and self._is_leader():
            self.poll()

    def poll(self) -> None:
        """Start a pass in the background, or, while one runs, ask it to go round once more:
        the timer never waits behind a pass (nor overruns a short polling interval)."""
        if self._lock.locked():
            # The running pass will go round once more and pick the new row up.
            self._again = True
            return
        task = asyncio.ensure_future(self.drain_or_log())
        self._wakeups.add(task)
        task.add_done_callback(self._wakeups.discard)

    async def drain(self) -> int:
        """Relay until no due row is left; one pass at a time. Returns rows published."""
        published = 0
        async with self._lock:
            while True:
                self._again = False
                sent, full = await self._relay_batch()
                published += sent
                if not (full or self._again):
                    self.passes_done += 1
                    return published

    async def drain_or_log(self) -> int:
        """`drain` for the timer and the wake-up: a store being down is logged, and the rows
        wait for the next pass; it must never take the worker down."""
        try:
            return await self.drain()
        except Exception as error:
            log.warning("outbox relay pass failed, retrying at the next poll: %r", error)
            return 0

    async def _relay_batch(self) -> tuple[int, bool]:
        started = time.perf_counter()
        async with self._mysql.cursor() as cur:
            rows = await outbox.fetch_pending(cur, self._batch_size)
        if not rows:
            return 0, False
        acks = []
        for row in rows:
            try:
                acks.append(await self._publish(row.aggregate_id, row.payload))
            except Exception as error:  # a send that could not even be queued
                acks.append(_failed(error))
        results = await asyncio.gather(*acks, return_exceptions=True)
        done = [
            outbox.Published(row.id, result.partition, result.offset)
            for row, result in zip(rows, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        # Each mark stands on its own (a lost one only republishes a row): no transaction,
        # which would cost two more round trips a pass.
        async with self._mysql.cursor() as cur:
            await outbox.mark_processed(cur, done)
            now = datetime.now(UTC)
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    log.warning("outbox row %s not published: %r", row.id, result)
                    await outbox.mark_failed(
                        cur, row.id, repr(result), now + retry_delay(row.attempts + 1)
                    )
        metrics.relay_batch_rows.observe(len(rows))
        metrics.relay_batch_seconds.observe(time.perf_counter() - started)
        metrics.relay_failures.inc(len(rows) - len(done))
        return len(done), len(rows) == self._batch_size and len(done) == len(rows)

    async def delete_processed(self, older_than: timedelta, batch: int = 10_000) -> int:
        cutoff = datetime.now(UTC) - older_than
        async with self._mysql.cursor() as cur:
            return await outbox.delete_processed_before(cur, cutoff, batch)


async def _failed(error: BaseException) -> Delivery:
    raise error
