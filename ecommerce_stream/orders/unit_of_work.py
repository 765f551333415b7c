"""The unit of work: one MySQL transaction, and the only writer of outbox rows.

Every order change goes through it, so the change and its event commit together or not at all,
and nobody can change an order and forget the event."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

import aiomysql

from ecommerce_stream.orders.models import OrderEvent
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.stores.mysql import MySQL


class UnitOfWork:
    def __init__(self, mysql: MySQL, after_commit: Callable[[], None]) -> None:
        self._mysql = mysql
        self._after_commit = after_commit
        self._events: list[OrderEvent] = []
        self._committed = False
        self._conn: aiomysql.Connection | None = None
        self.cursor: aiomysql.DictCursor

    async def __aenter__(self) -> Self:
        pool = await self._mysql.pool()
        self._conn = await pool.acquire()
        try:
            await self._conn.begin()
            self.cursor = await self._conn.cursor()
        except BaseException:
            pool.release(self._conn)
            raise
        return self

    def record(self, event: OrderEvent) -> None:
        """Queue an event; it is written to the outbox by `commit`, in this transaction."""
        self._events.append(event)

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside `async with`"
        await outbox.add_events(self.cursor, self._events)
        await self._conn.commit()
        self._committed = True
        if self._events:
            # Wakes the relay at once instead of at its next poll.
            self._after_commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        pool = await self._mysql.pool()
        try:
            if not self._committed:
                await self._conn.rollback()
            await self.cursor.close()
        finally:
            pool.release(self._conn)
            self._conn = None
