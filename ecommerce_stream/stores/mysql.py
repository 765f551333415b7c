"""The aiomysql connection pool and the transaction helper every repository uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiomysql

from ecommerce_stream.settings import Settings

Row = dict[str, Any]


class MySQL:
    """A lazily created pool, so importing the app never needs a running database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: aiomysql.Pool | None = None
        self._pool_lock = asyncio.Lock()

    async def pool(self) -> aiomysql.Pool:
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    s = self.settings
                    self._pool = await aiomysql.create_pool(
                        host=s.mysql_host,
                        port=s.mysql_port,
                        user=s.mysql_user,
                        password=s.mysql_password.get_secret_value(),
                        db=s.mysql_database,
                        minsize=1,
                        maxsize=s.mysql_pool_size,
                        autocommit=True,
                        charset="utf8mb4",
                        cursorclass=aiomysql.DictCursor,
                        # Every timestamp in the schema is UTC, whatever the server's zone.
                        init_command="SET time_zone = '+00:00'",
                        pool_recycle=300,
                    )
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiomysql.Connection]:
        pool = await self.pool()
        async with pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def cursor(self) -> AsyncIterator[aiomysql.DictCursor]:
        """A cursor in autocommit mode, for single reads and writes."""
        async with self.connection() as conn, conn.cursor() as cur:
            yield cur

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiomysql.DictCursor]:
        """Commit when the block ends, roll back if it raises."""
        async with self.connection() as conn:
            await conn.begin()
            try:
                async with conn.cursor() as cur:
                    yield cur
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise

    async def fetch_all(self, sql: str, args: Any = None) -> list[Row]:
        async with self.cursor() as cur:
            await cur.execute(sql, args)
            return list(await cur.fetchall())

    async def fetch_one(self, sql: str, args: Any = None) -> Row | None:
        async with self.cursor() as cur:
            await cur.execute(sql, args)
            row: Row | None = await cur.fetchone()
            return row

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            await self._pool.wait_closed()
            self._pool = None


class Statements:
    """The statements of one transaction on one connection, sent in as few round trips as the
    work allows: every round trip is a socket write on each side, the largest single cost of
    an order (docs/benchmarks.md).

    Writes are held and go to the server together with the COMMIT, and with the START
    TRANSACTION if no locking read needed it sooner: placing an order is one catalog read and
    one round trip for BEGIN, the order, its items, its event and COMMIT. The server runs the
    statements in order and stops at the first that fails; the error is raised from `commit`,
    and the transaction, begun, is rolled back. A read waits for the held writes to be sent
    first, so it sees them. Values are escaped by the driver exactly as `execute` escapes them.
    Reads before the first write or locking read run in autocommit: a single statement is
    consistent on its own."""

    def __init__(self, cursor: aiomysql.Cursor) -> None:
        self._cur = cursor
        self._held: list[str] = []
        self.begun = False

    def write(self, sql: str, args: Sequence[Any] | None = None) -> None:
        self._held.append(self._cur.mogrify(sql, args))

    def write_rows(self, insert: str, rows: Sequence[Sequence[Any]]) -> None:
        """One multi-row INSERT from an `INSERT ... VALUES (%s, ...)` template."""
        if not rows:
            return
        head, values = insert.split(" VALUES ", 1)
        self._held.append(
            f"{head} VALUES " + ", ".join(self._cur.mogrify(values, row) for row in rows)
        )

    async def read(
        self, sql: str, args: Sequence[Any] | None = None, *, locking: bool = False
    ) -> list[Row]:
        """The rows of a SELECT; `locking` (FOR UPDATE) begins the transaction first."""
        await self._send(
            [*self._pending(begin=locking or bool(self._held)), self._cur.mogrify(sql, args)]
        )
        rows: list[Row] = await self._cur.fetchall()
        return rows

    async def commit(self) -> None:
        if self.begun or self._held:
            await self._send([*self._pending(begin=True), "COMMIT"])
        self.begun = False

    async def rollback(self) -> None:
        """Held writes were never sent: only a begun transaction has anything to undo."""
        self._held.clear()
        if self.begun:
            self.begun = False
            await self._cur.execute("ROLLBACK")

    def _pending(self, *, begin: bool) -> list[str]:
        statements = ["START TRANSACTION"] if begin and not self.begun else []
        statements += self._held
        self._held = []
        if statements:
            self.begun = True
        return statements

    async def _send(self, statements: list[str]) -> None:
        # No arguments: every statement is already escaped, and a % in it is a value's.
        await self._cur.execute("; ".join(statements))
        while await self._cur.nextset():  # each statement's result in turn: raises its error
            pass
