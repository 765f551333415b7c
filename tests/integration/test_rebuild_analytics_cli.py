"""`ecommerce-stream rebuild-analytics` refuses cleanly: a chDB directory the running worker
holds is left alone with a one-line reason, and a MySQL failure never shows the password
(ClickHouse quotes the failing query, and its `mysql()` call carries the password)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

from ecommerce_stream.analytics.changes import AnalyticsChanged
from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.kafka import BroadcastReader
from ecommerce_stream.topics import ANALYTICS_CHANGES
from tests.conftest import Worker, poll

CLI = str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream")


async def _rebuild(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **environment}
    return await asyncio.to_thread(
        subprocess.run,
        [CLI, "rebuild-analytics"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_it_refuses_a_chdb_directory_the_worker_holds(
    worker: Worker, settings: Settings
) -> None:
    lock_owner = f"pid {worker.pid}"
    held = str(settings.clickhouse_data_dir)
    refused = await _rebuild(CLICKHOUSE_DATA_DIR=held)
    assert refused.returncode == 1
    # One clean line naming the owner, no traceback; the worker's analytics are untouched.
    assert refused.stderr.strip().splitlines()[-1].startswith("rebuild-analytics: ")
    assert lock_owner in refused.stderr and "stop it first" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout


async def test_a_refused_mysql_login_shows_no_password(tmp_path: Path, settings: Settings) -> None:
    tried = settings.mysql_password.get_secret_value() + "-wrong"
    failed = await _rebuild(CLICKHOUSE_DATA_DIR=str(tmp_path / "chdb"), MYSQL_PASSWORD=tried)
    assert failed.returncode == 1
    output = failed.stdout + failed.stderr
    assert "rebuild-analytics failed:" in output
    assert settings.mysql_user in output  # the error is MySQL's refusal, shown...
    assert tried not in output  # ...without the password tried
    assert settings.mysql_password.get_secret_value() not in output


async def test_a_finished_rebuild_tells_open_dashboards_to_refresh(
    worker: Worker, settings: Settings, tmp_path: Path
) -> None:
    """The notice every API process reads (analytics.changes), with the orders rebuilt: live
    dashboards refresh at once, not at the next order."""
    notices: list[bytes] = []
    reader = BroadcastReader(
        settings.kafka_brokers, "rebuild-notice-test", ANALYTICS_CHANGES, notices.append
    )
    reading = asyncio.ensure_future(reader.run())
    try:
        await asyncio.wait_for(reader.reading.wait(), timeout=20)
        # A directory of its own: the worker keeps the one it owns.
        rebuilt = await _rebuild(CLICKHOUSE_DATA_DIR=str(tmp_path / "chdb"))
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "open dashboards were told to refresh" in rebuilt.stdout
        orders = int(rebuilt.stdout.split("rebuilt the analytics of ")[1].split()[0])

        async def told() -> list[AnalyticsChanged]:
            return [AnalyticsChanged.model_validate_json(n) for n in notices]

        changed = await poll(told, timeout=20)
        assert any(notice.rows == orders for notice in changed), (changed, orders)
    finally:
        reading.cancel()
