"""The aiomysql connection pool and the transaction helper every repository uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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
