"""What a process serves and opens follows its roles: the public API only where `api` runs,
health, metrics and the analytics reads everywhere, and ClickHouse only where it is read."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.clickhouse import (
    AbsentClickHouse,
    EmbeddedClickHouse,
    NoClickHouseHere,
    make_clickhouse,
)

EVERY_PROCESS = {
    "/api/health",
    "/metrics",
    "/api/analytics/daily-sales",
    "/api/analytics/health",
    "/api/analytics/hourly-sales",
    "/api/analytics/order-status",
    "/api/analytics/stats",
    "/api/analytics/users/{user_id}",
    "/api/analytics/versions/{order_id}",
}
PUBLIC_API = {
    "/",
    "/dashboard.html",
    "/static/{name:.+}",
    "/api/openapi.json",
    "/api/orders",
    "/api/orders/{order_id}",
    "/api/orders/user/{user_id}",
    "/api/orders/{order_id}/status",
    "/admin/orders/{order_id}",
    "/admin/orders/{order_id}/restore",
    "/api/users",
    "/api/users/{user_id}",
    "/api/products",
    "/api/products/{product_id}",
    "/api/analytics/live",  # the dashboards' live channel
}

LIST_VIEWS = (
    "from ecommerce_stream.app import app\n"
    "import json\n"
    "app.discover()\n"
    "print(json.dumps(sorted(view.view_path for view in app.web.views.values())))\n"
)


def _served(roles: str) -> set[str]:
    env = {**os.environ, "ROLES": roles, "STREAM_URL": "http://127.0.0.1:9"}
    run = subprocess.run(
        [sys.executable, "-c", LIST_VIEWS],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(run.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    ("roles", "served"),
    [("all", EVERY_PROCESS | PUBLIC_API), ("api", EVERY_PROCESS | PUBLIC_API)],
)
def test_an_api_process_serves_the_public_api(roles: str, served: set[str]) -> None:
    assert _served(roles) == served


def test_a_stream_worker_serves_health_metrics_and_analytics_only() -> None:
    assert _served("relay,transform,sink") == EVERY_PROCESS


@pytest.mark.parametrize("roles", ["api", "transform"])
async def test_a_process_without_the_sink_never_opens_the_embedded_clickhouse(
    monkeypatch: pytest.MonkeyPatch, roles: str
) -> None:
    monkeypatch.setenv("ROLES", roles)
    monkeypatch.setenv("STREAM_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("CLICKHOUSE_HOST", raising=False)
    clickhouse = make_clickhouse(Settings(_env_file=None))
    assert isinstance(clickhouse, AbsentClickHouse)
    with pytest.raises(NoClickHouseHere):
        await clickhouse.version()
    await clickhouse.close()


def test_the_sink_owns_the_embedded_clickhouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLES", "relay,transform,sink")
    monkeypatch.delenv("CLICKHOUSE_HOST", raising=False)
    assert isinstance(make_clickhouse(Settings(_env_file=None)), EmbeddedClickHouse)
