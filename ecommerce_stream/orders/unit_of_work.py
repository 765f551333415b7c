"""The unit of work: one MySQL transaction, and the only writer of outbox rows.

Every order change goes through it: it hands out the orders repository, collects the events the
orders it saw recorded, and writes them to the outbox in the same transaction on commit. So the
change and its event commit together or not at all, and no caller can forget the event."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

import aiomysql

from ecommerce_stream.catalog.repository import CatalogLookup, OrderCatalog
from ecommerce_stream.orders.domain import Order
from ecommerce_stream.orders.repository import AdminAction, IdempotencyRecord, OrdersRepository
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.stores.mysql import MySQL, Statements


class Orders(Protocol):
    """What the use cases ask of the orders' storage (orders/repository.py; a fake in tests)."""

    async def add(self, order: Order) -> None: ...
    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    async def save(self, order: Order) -> None: ...
    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> list[Order]: ...
    async def add_idempotency_key(
        self, key: str, request_hash: str, order_id: str, at: datetime
    ) -> None: ...
    async def idempotency_record(self, key: str) -> IdempotencyRecord | None: ...
    async def record_admin_actions(
        self, action: AdminAction, admin_id: str, versions: Sequence[tuple[str, int]], at: datetime
    ) -> None: ...
    async def lock_deleted_before(self, cutoff: datetime, limit: int) -> list[tuple[str, int]]: ...
    async def delete(self, order_ids: Sequence[str]) -> None: ...


class Catalog(Protocol):
    """What the use cases ask of the catalog."""

    async def user_name(self, user_id: int) -> str | None: ...
    async def order_catalog(self, user_id: int, product_ids: Iterable[int]) -> OrderCatalog: ...


class UnitOfWork(Protocol):
    @property
    def orders(self) -> Orders: ...
    @property
    def catalog(self) -> Catalog: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None:
        """Write the events of every order seen, then commit; without it, nothing is kept."""


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


def mysql_units_of_work(mysql: MySQL, after_commit: Callable[[], None]) -> UnitOfWorkFactory:
    """Units of work on that database; `after_commit` runs after each commit that wrote an
    event (the relay's wake-up)."""

    def unit_of_work(*, read_only: bool = False) -> MySQLUnitOfWork:
        return MySQLUnitOfWork(mysql, after_commit, read_only=read_only)

    return unit_of_work


class MySQLUnitOfWork:
    """A transaction on one pooled connection; `read_only`: autocommit reads, no transaction
    (a single consistent statement needs none, and BEGIN/COMMIT cost two round trips)."""

    def __init__(
        self, mysql: MySQL, after_commit: Callable[[], None], *, read_only: bool = False
    ) -> None:
        self._mysql = mysql
        self._after_commit = after_commit
        self._read_only = read_only
        self._committed = False
        self._conn: aiomysql.Connection | None = None
        self._cursor: aiomysql.DictCursor
        self._statements: Statements
        self.orders: OrdersRepository
        self.catalog: CatalogLookup

    async def __aenter__(self) -> Self:
        pool = await self._mysql.pool()
        self._conn = await pool.acquire()
        try:
            self._cursor = await self._conn.cursor()
        except BaseException:
            pool.release(self._conn)
            raise
        # The transaction begins with its first locking read or at the commit (Statements).
        self._statements = Statements(self._cursor)
        self.orders = OrdersRepository(self._statements)
        self.catalog = CatalogLookup(self._statements)
        return self

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside `async with`"
        assert not self._read_only, "a read-only unit of work commits nothing"
        events = [event for order in self.orders.seen for event in order.pull_events()]
        outbox.write_events(self._statements, events)
        await self._statements.commit()
        self._committed = True
        if events:
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
                await self._statements.rollback()
            await self._cursor.close()
        finally:
            pool.release(self._conn)
            self._conn = None
