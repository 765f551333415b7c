"""Every drill's verdict is `reconcile` finding 0 differences: here it is shown finding them.
A lost order, a double count, a wrong status and a wrong day are written straight into the
ClickHouse ledger behind a running worker; each is reported, on the endpoints it must affect,
`ecommerce-stream reconcile` exits 1, and undoing it brings reconcile back to 0."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.clickhouse import ClickHouse, make_clickhouse
from ecommerce_stream.stores.mysql import MySQL
from tests.faults.conftest import STACK_DIR, Load, Worker

CLI = str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream")
ALL_ENDPOINTS = {"stats", "daily-sales", "hourly-sales", "order-status", "users"}


@dataclass(frozen=True)
class Injection:
    name: str
    # (sign, REPLACE list) of rows copied from the order's live ledger row; undone by the
    # same rows with the opposite sign.
    rows: tuple[tuple[int, str], ...]
    affects: set[str]
    may_affect: frozenset[str] = frozenset()


INJECTIONS = [
    Injection("a lost order", ((-1, ""),), ALL_ENDPOINTS),
    Injection("an order counted twice", ((1, ""),), ALL_ENDPOINTS),
    Injection("a wrong status", ((-1, ""), (1, ", 'CANCELLED' AS status")), {"order-status"}),
    Injection(
        "a wrong day",
        ((-1, ""), (1, ", created_at - INTERVAL 1 DAY AS created_at")),
        {"daily-sales", "hourly-sales"},
        # The customer's first order moves a day back if it was this one.
        frozenset({"users"}),
    ),
]


@pytest.fixture
async def worker(settings: Settings, clickhouse_url: str) -> AsyncIterator[Worker]:
    shared = Worker(
        "worker-reconcile",
        settings.port,
        {"CLICKHOUSE_HOST": clickhouse_url, "FAUST_DATA_DIR": str(STACK_DIR / "reconcile")},
    )
    shared.start()
    await shared.ready()
    yield shared
    shared.stop()


@pytest.fixture
async def clickhouse(settings: Settings, clickhouse_url: str) -> AsyncIterator[ClickHouse]:
    client = make_clickhouse(settings.model_copy(update={"clickhouse_host": clickhouse_url}))
    yield client
    await client.close()


async def _write_ledger(
    clickhouse: ClickHouse, database: str, live_row: str, rows: tuple[tuple[int, str], ...]
) -> None:
    for sign, replace in rows:
        await clickhouse.execute(
            # From a subquery: ClickHouse would read `sign` in the WHERE as the new alias.
            f"INSERT INTO {database}.order_changes SELECT * REPLACE ({sign} AS sign{replace})"
            f" FROM (SELECT * FROM {database}.order_changes WHERE {live_row} LIMIT 1)"
        )


async def _live_row(clickhouse: ClickHouse, database: str, order_id: str) -> str:
    """A condition matching the order's live ledger row as the sink wrote it (injected copies
    share its version, so the version alone would not do)."""
    [row] = await clickhouse.query(
        f"SELECT version, status, toUnixTimestamp64Micro(created_at) AS created"
        f" FROM {database}.order_changes WHERE order_id = '{order_id}' AND sign = 1"
        " ORDER BY version DESC LIMIT 1"
    )
    return (
        f"order_id = '{order_id}' AND sign = 1 AND version = {int(row['version'])}"
        f" AND status = '{row['status']}'"
        f" AND toUnixTimestamp64Micro(created_at) = {int(row['created'])}"
    )


def _endpoints(differences: list[reconciliation.Difference]) -> set[str]:
    return {
        d.endpoint.split("?")[0].removeprefix("/api/analytics/").split("/")[0] for d in differences
    }


async def test_reconcile_reports_each_injected_difference(
    worker: Worker, mysql: MySQL, settings: Settings, clickhouse: ClickHouse
) -> None:
    load = Load(worker.url, rate=10)
    await load.run(seconds=2)
    assert load.accepted
    zone = ZoneInfo(settings.analytics_tz)
    assert await reconciliation.reconcile(mysql, worker.url, zone, wait=60) == []
    database = settings.clickhouse_database
    live_row = await _live_row(clickhouse, database, load.accepted[0])

    for injection in INJECTIONS:
        await _write_ledger(clickhouse, database, live_row, injection.rows)

        found = _endpoints(await reconciliation.reconcile(mysql, worker.url, zone))
        assert injection.affects <= found <= injection.affects | injection.may_affect, (
            injection.name,
            found,
        )
        if injection is INJECTIONS[0]:
            cli = await asyncio.to_thread(
                subprocess.run,
                [CLI, "reconcile", "--url", worker.url],
                env=dict(os.environ),
                capture_output=True,
                text=True,
                check=False,
            )
            assert cli.returncode == 1, cli.stdout + cli.stderr
            assert "DIFF /api/analytics/stats" in cli.stdout

        undone = tuple((-sign, replace) for sign, replace in injection.rows)
        await _write_ledger(clickhouse, database, live_row, undone)
        assert (
            await asyncio.wait_for(reconciliation.reconcile(mysql, worker.url, zone, wait=10), 30)
            == []
        ), f"undoing {injection.name}"
