"""The SQL migration 0010 emits on each engine. MariaDB runs it in every test (make test
migrates a fresh database); no MySQL 8 server can be installed here, so its branch is checked
by the statements it sends, as docs/operations.md ("Engines: what is tested") says."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from yoyo import read_migrations

from ecommerce_stream.settings import PROJECT_ROOT

MIGRATION_ID = "0010.order_id_exact"


def _migration() -> ModuleType:
    """The module as yoyo loads it (its step() needs yoyo's collector)."""
    (migration,) = [m for m in read_migrations(str(PROJECT_ROOT / "sql")) if m.id == MIGRATION_ID]
    migration.load()
    module: ModuleType = migration.module
    return module


class RecordingConnection:
    """Answers SELECT VERSION() as the server would and keeps every other statement."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.statements: list[str] = []

    def cursor(self) -> RecordingConnection:
        return self

    def execute(self, sql: str) -> None:
        if sql != "SELECT VERSION()":
            self.statements.append(sql)

    def fetchone(self) -> tuple[Any, ...]:
        return (self.version,)


def _statements(version: str) -> list[str]:
    connection = RecordingConnection(version)
    _migration().exact_order_ids(connection)
    return connection.statements


@pytest.mark.parametrize(
    ("version", "collation"),
    [
        ("8.0.36", "utf8mb4_0900_bin"),
        ("8.4.3", "utf8mb4_0900_bin"),
        ("10.11.19-MariaDB-0+deb12u1", "utf8mb4_nopad_bin"),
    ],
)
def test_every_order_id_column_gets_the_engines_binary_no_pad_collation(
    version: str, collation: str
) -> None:
    statements = _statements(version)
    modified = [sql for sql in statements if " MODIFY " in sql]
    assert modified == [
        f"ALTER TABLE orders MODIFY id CHAR(36) CHARACTER SET utf8mb4 COLLATE {collation} NOT NULL",
        "ALTER TABLE order_items MODIFY order_id CHAR(36) CHARACTER SET utf8mb4"
        f" COLLATE {collation} NOT NULL",
        "ALTER TABLE idempotency_keys MODIFY order_id CHAR(36) CHARACTER SET utf8mb4"
        f" COLLATE {collation} NOT NULL",
        "ALTER TABLE admin_audit MODIFY order_id CHAR(36) CHARACTER SET utf8mb4"
        f" COLLATE {collation} NOT NULL",
        "ALTER TABLE outbox MODIFY aggregate_id VARCHAR(64) CHARACTER SET utf8mb4"
        f" COLLATE {collation} NOT NULL",
    ]


def test_on_mysql_8_the_foreign_keys_are_dropped_first_and_made_again_after() -> None:
    statements = _statements("8.0.36")
    drops = [i for i, sql in enumerate(statements) if "DROP FOREIGN KEY" in sql]
    adds = [i for i, sql in enumerate(statements) if "ADD CONSTRAINT fk_" in sql]
    modifies = [i for i, sql in enumerate(statements) if " MODIFY " in sql]
    assert len(drops) == len(adds) == 2
    assert max(drops) < min(modifies) and max(modifies) < min(adds)
    assert statements[-1].startswith("ALTER TABLE orders ADD CONSTRAINT ck_orders_id CHECK")
    # MySQL 8 enforces CHECK constraints (8.0.16 on) with this REGEXP syntax, as MariaDB does.
    assert "REGEXP '^[0-9a-f]{8}-" in statements[-1]
