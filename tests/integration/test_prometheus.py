"""A real Prometheus (Debian's package) runs ops/prometheus/prometheus.yml against the test
worker: it scrapes /metrics, the project's series come back through its HTTP API, every alert
rule evaluates without error, and every series the alert rules and the Grafana dashboard read is
served by the worker (the dashboard's queries return data)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ecommerce_stream.settings import PROJECT_ROOT, Settings
from tests.conftest import Worker, poll
from tests.orders_support import create_order
from tests.prometheus_support import (
    GRAFANA_RANGE,
    PROMETHEUS_CONFIG,
    SYNTHETIC_SERIES,
    alert_rules,
    binary,
    dashboard_queries,
    metric_names,
)

START_TIMEOUT_SECONDS = 30
# Scrapes and evaluations every second, so the test waits seconds rather than minutes.
INTERVAL = "1s"


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# The compose file's first job; the test worker (every role) stands for both of its jobs.
JOB = "ecommerce-stream-api"


@pytest.fixture(scope="module")
def prometheus(worker: Worker, settings: Settings) -> Iterator[str]:
    """Prometheus on PROMETHEUS_PORT (the Makefile derives it from the test slot), its data in
    the stack folder, the compose file's configuration aimed at the test worker."""
    home = Path(os.environ.get("STACK_DIR", PROJECT_ROOT / ".stack" / "test")) / "prometheus"
    home.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"] = {"scrape_interval": INTERVAL, "evaluation_interval": INTERVAL}
    config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / name) for name in config["rule_files"]]
    job = config["scrape_configs"][0]
    assert job["job_name"] == JOB
    del job["dns_sd_configs"]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{settings.port}"]}]
    config["scrape_configs"] = [job]
    config_path = home / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    address = f"127.0.0.1:{os.environ.get('PROMETHEUS_PORT', '9190')}"
    url = f"http://{address}"
    log_path = home / "prometheus.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                binary("prometheus"),
                f"--config.file={config_path}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address={address}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _ready(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Prometheus did not start; log:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=30)


async def _api(prometheus: str, path: str, **params: str) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{prometheus}/api/v1/{path}", params=params) as response,
    ):
        body = await response.json()
        assert body["status"] == "success", body
        return body["data"]


async def _query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    data = await _api(prometheus, "query", query=expr)
    result: list[dict[str, Any]] = data["result"]
    return result


async def test_prometheus_scrapes_the_worker_and_finds_the_project_series(
    prometheus: str,
) -> None:
    async def scraped() -> list[dict[str, Any]]:
        return await _query(prometheus, f'up{{job="{JOB}"}} == 1')

    async def stores_up() -> list[dict[str, Any]] | None:
        found = await _query(prometheus, f'ecommerce_store_up{{job="{JOB}"}} == 1')
        return found if len(found) == 3 else None

    (target,) = await poll(scraped, timeout=30)
    up = await poll(stores_up, timeout=30)
    assert {series["metric"]["store"] for series in up} == {"mysql", "kafka", "clickhouse"}
    assert {series["metric"]["instance"] for series in up} == {target["metric"]["instance"]}
    (backlog,) = await _query(prometheus, f'ecommerce_outbox_backlog{{job="{JOB}"}}')
    assert backlog["metric"]["instance"] == target["metric"]["instance"]


async def test_every_alert_rule_is_loaded_and_evaluates_without_error(prometheus: str) -> None:
    expected = {rule["alert"] for rule in alert_rules()}

    async def evaluated() -> dict[str, dict[str, Any]] | None:
        groups = (await _api(prometheus, "rules", type="alert"))["groups"]
        rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
        done = all(rule["health"] != "unknown" for rule in rules.values())
        return rules if done and set(rules) == expected else None

    rules = await poll(evaluated, timeout=30)
    assert {name: rule["health"] for name, rule in rules.items()} == dict.fromkeys(expected, "ok")


async def test_every_series_of_the_rules_and_the_dashboard_is_served(
    prometheus: str, http: aiohttp.ClientSession
) -> None:
    # Labelled series appear with their first sample: an order, an analytics answer, a request.
    await create_order(http)
    async with http.get("/api/analytics/stats") as response:
        assert response.status == 200
    async with http.get("/metrics") as response:
        served = {
            sample.name
            for family in text_string_to_metric_families(await response.text())
            for sample in family.samples
        }
    queries = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    for expr in queries:
        names = metric_names(expr)
        assert names, expr
        assert names - SYNTHETIC_SERIES <= served, f"{expr} reads a series /metrics lacks"

    for expr in dashboard_queries():
        instant = expr.replace(GRAFANA_RANGE, "1m")

        async def answered(instant: str = instant) -> list[dict[str, Any]]:
            return await _query(prometheus, instant)

        await poll(answered, timeout=30, interval=0.5)
