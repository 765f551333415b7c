"""ClickHouse access: the embedded chDB engine by default, a ClickHouse server over HTTP when
`CLICKHOUSE_HOST` is a URL. Both speak the same SQL and exchange rows as JSONEachRow."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from string import Template
from typing import Any, ClassVar, TextIO

from ecommerce_stream import metrics
from ecommerce_stream.settings import PROJECT_ROOT, Settings

DDL_DIR = PROJECT_ROOT / "clickhouse"
Row = dict[str, Any]

# Decimals come back as strings so money stays exact to the cent end to end.
_OUTPUT_SETTINGS = (
    "SETTINGS output_format_json_quote_decimals = 1, output_format_json_quote_64bit_integers = 0"
)


# Parts smaller than this are one file each in the embedded engine
# (clickhouse/embedded/0001_small_parts.sql says why).
PACKED_PART_MAX_BYTES = 10 * 1024 * 1024


def sql_statements(text: str) -> list[str]:
    """The statements of a DDL file: ended by `;` at the end of a line, or the file's end."""
    return [part.strip() for part in re.split(r";[ \t]*$", text, flags=re.M) if part.strip()]


class InjectedFault(RuntimeError):
    """A failure switched on for a drill (FAULT_INJECTION_DIR)."""


class DataDirInUse(RuntimeError):
    """The embedded engine's directory is owned by another running process."""


class ClickHouse(ABC):
    """Blocking drivers behind an executor: no ClickHouse call ever runs on the event loop."""

    # Folders of `clickhouse/` only this engine applies, and their placeholders.
    own_ddl_folders: ClassVar[tuple[str, ...]] = ()
    own_ddl_variables: ClassVar[Mapping[str, str]] = {}

    def __init__(self, settings: Settings) -> None:
        self.database = settings.clickhouse_database
        self._fault_file = (
            settings.fault_injection_dir / "clickhouse-inserts"
            if settings.fault_injection_dir
            else None
        )
        # One thread: chDB sessions are not meant for concurrent use, and a single
        # ordered lane also keeps a server client's requests simple.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def execute(self, sql: str) -> None:
        await self._run(self._execute_blocking, sql)

    async def query(self, sql: str) -> list[Row]:
        metrics.clickhouse_queries.inc()
        raw: bytes = await self._run(
            self._query_blocking, f"{sql} FORMAT JSONEachRow {_OUTPUT_SETTINGS}"
        )
        return [json.loads(line) for line in raw.splitlines() if line]

    async def insert(self, table: str, rows: Sequence[Row]) -> None:
        if self._fault_file is not None and self._fault_file.exists():
            raise InjectedFault(f"ClickHouse inserts are failing on purpose ({self._fault_file})")
        if rows:
            body = "\n".join(json.dumps(row, default=str) for row in rows)
            await self._run(self._insert_blocking, table, body)

    async def version(self) -> str:
        rows = await self.query("SELECT version() AS version")
        return str(rows[0]["version"])

    async def apply_ddl(self, variables: dict[str, str], ddl_dir: Path = DDL_DIR) -> list[str]:
        """Run every `clickhouse/*.sql` in name order, then this engine's own folder's, with
        `${name}` placeholders filled from `variables` (and `${database}` and the engine's
        own); each file is idempotent (IF NOT EXISTS), its statements ended by `;` lines."""
        applied = []
        folders = [ddl_dir, *(ddl_dir / name for name in self.own_ddl_folders)]
        values = {"database": self.database, **self.own_ddl_variables, **variables}
        for path in [path for folder in folders for path in sorted(folder.glob("*.sql"))]:
            for statement in sql_statements(Template(path.read_text()).substitute(values)):
                await self.execute(statement)
            applied.append(str(path.relative_to(ddl_dir)))
        return applied

    async def close(self) -> None:
        await self._run(self._close_blocking)
        self._executor.shutdown(wait=True)

    @property
    def local_data_dir(self) -> Path | None:
        """The data directory when the engine runs inside this process, else None."""
        return None

    @abstractmethod
    def _execute_blocking(self, sql: str) -> None: ...

    @abstractmethod
    def _query_blocking(self, sql: str) -> bytes: ...

    @abstractmethod
    def _insert_blocking(self, table: str, json_each_row: str) -> None: ...

    @abstractmethod
    def _close_blocking(self) -> None: ...


class EmbeddedClickHouse(ClickHouse):
    """chDB with its data in `CLICKHOUSE_DATA_DIR`; that directory belongs to this one process."""

    own_ddl_folders: ClassVar[tuple[str, ...]] = ("embedded",)
    own_ddl_variables: ClassVar[Mapping[str, str]] = {
        "packed_part_max_bytes": str(PACKED_PART_MAX_BYTES)
    }

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._data_dir = settings.clickhouse_data_dir
        self._session: Any = None
        self._lock_file: TextIO | None = None

    @property
    def local_data_dir(self) -> Path | None:
        return self._data_dir

    def _session_blocking(self) -> Any:
        if self._session is None:
            from chdb import session  # imported late: loading the engine takes a moment

            self._data_dir.mkdir(parents=True, exist_ok=True)
            self._lock_data_dir()
            try:
                self._session = session.Session(str(self._data_dir))
            except BaseException:
                self._close_blocking()  # let go of the lock, or a retry blames this process
                raise
        return self._session

    def _lock_data_dir(self) -> None:
        """Two engines on one directory would corrupt it: the second one fails, clearly."""
        lock = (self._data_dir / ".owner.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip() or "another process"
            lock.close()
            raise DataDirInUse(
                f"{self._data_dir} is in use by {owner}: one process owns an embedded ClickHouse;"
                " stop it first (or use a ClickHouse server, CLICKHOUSE_HOST)"
            ) from None
        lock.truncate(0)
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        self._lock_file = lock

    def _execute_blocking(self, sql: str) -> None:
        self._session_blocking().query(sql)

    def _query_blocking(self, sql: str) -> bytes:
        result: bytes = self._session_blocking().query(sql).bytes()
        return result

    def _insert_blocking(self, table: str, json_each_row: str) -> None:
        self._session_blocking().query(f"INSERT INTO {table} FORMAT JSONEachRow\n{json_each_row}")

    def _close_blocking(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None


class ServerClickHouse(ClickHouse):
    """A ClickHouse server reached with clickhouse-connect over HTTP(S)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._settings = settings
        self._client: Any = None

    def _client_blocking(self) -> Any:
        if self._client is None:
            import clickhouse_connect

            s = self._settings
            self._client = clickhouse_connect.get_client(
                dsn=s.clickhouse_host,
                username=s.clickhouse_user,
                password=s.clickhouse_password.get_secret_value(),
            )
        return self._client

    def _execute_blocking(self, sql: str) -> None:
        self._client_blocking().command(sql)

    def _query_blocking(self, sql: str) -> bytes:
        result: bytes = self._client_blocking().raw_query(sql)
        return result

    def _insert_blocking(self, table: str, json_each_row: str) -> None:
        self._client_blocking().raw_insert(
            table, insert_block=json_each_row.encode(), fmt="JSONEachRow"
        )

    def _close_blocking(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class NoClickHouseHere(RuntimeError):
    """This process reads no ClickHouse: the embedded chDB belongs to the process that runs
    the sink, and no server is configured."""


class AbsentClickHouse(ClickHouse):
    """Stands in a process without ClickHouse of its own (ROLES without the sink, no server):
    every call fails at once, so the process never opens the embedded engine's directory,
    which would take it from the process that owns it."""

    @staticmethod
    def _refuse() -> NoClickHouseHere:
        return NoClickHouseHere(
            "this process has no ClickHouse: with the embedded chDB only the process that runs"
            " the sink reads it (ROLES); set CLICKHOUSE_HOST to share a server"
        )

    def _execute_blocking(self, sql: str) -> None:
        raise self._refuse()

    def _query_blocking(self, sql: str) -> bytes:
        raise self._refuse()

    def _insert_blocking(self, table: str, json_each_row: str) -> None:
        raise self._refuse()

    def _close_blocking(self) -> None:
        pass


def make_clickhouse(settings: Settings) -> ClickHouse:
    if settings.clickhouse_is_server:
        return ServerClickHouse(settings)
    if not settings.reads_clickhouse:
        return AbsentClickHouse(settings)
    return EmbeddedClickHouse(settings)
