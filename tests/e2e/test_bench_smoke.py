"""`make bench`'s plumbing on tiny numbers, on a stack of its own.

The benchmark starts and stops workers, wipes its stores and floods its topics, so it never
runs against the test session's stack: two workers on the same topics and database would
consume each other's events and both relay the same outbox, and a chDB directory belongs to
one process. This test runs devstack/bench.sh itself, as `make bench` does, with its own
MariaDB, Kafka, app port and data directory, and results written to a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.analytics_queries import endpoints
from bench.plan import FRESHNESS_RATES
from bench.report import CHARTS
from ecommerce_stream.settings import PROJECT_ROOT, Settings

SMOKE_TIMEOUT_SECONDS = 300
# Beside the test profile's own ports (MariaDB 3317+slot, Kafka 19092+100·slot, app 3100+slot),
# so parallel test slots never meet, and clear of make run / bench / test-faults.
MYSQL_SHIFT, KAFKA_SHIFT, APP_SHIFT = 40, 50, 50


def _smoke_env(settings: Settings) -> dict[str, str]:
    kafka_port = int(settings.kafka_brokers.split(",")[0].rsplit(":", 1)[1]) + KAFKA_SHIFT
    stack_dir = PROJECT_ROOT / ".stack" / f"bench-smoke-{settings.port}"
    return {
        **os.environ,
        "STACK_DIR": str(stack_dir),
        "MYSQL_HOST": "127.0.0.1",
        "MYSQL_PORT": str(settings.mysql_port + MYSQL_SHIFT),
        "KAFKA_PORT": str(kafka_port),
        "KAFKA_BROKERS": f"127.0.0.1:{kafka_port}",
        "KAFKA_LOCAL_BROKERS": "1",
        "KAFKA_REPLICATION_FACTOR": "1",
        "PORT": str(settings.port + APP_SHIFT),
        "CLICKHOUSE_DATA_DIR": str(stack_dir / "chdb"),
        "FAUST_DATA_DIR": str(stack_dir / "faust"),
    }


def _figure(results: dict[str, Any], path: str) -> Any:
    value: Any = results
    for key in path.split("."):
        assert isinstance(value, dict) and key in value, f"{path}: no {key!r}"
        value = value[key]
    return value


def _ladder_rung(results: dict[str, Any], mode: str, rate: int) -> dict[str, Any]:
    rungs = [r for r in results[mode]["freshness"] if r["rate"] == rate]
    assert rungs, f"no {rate}/s freshness rung for {mode}"
    return dict(rungs[0])


REQUIRED_NUMBERS = [
    "raw.mariadb.per_second",
    "raw.kafka.per_second",
    "raw.kafka.message_bytes",
    "raw.chdb.plain_rows_per_second",
    "raw.chdb.ledger_rows_per_second",
    "raw.chdb.ledger_sink_batch_rows_per_second",
    "raw.chdb.ledger_one_row_per_insert_rows_per_second",
    "raw.chdb.plain_one_row_per_insert_rows_per_second",
    "raw.slowest_per_second",
    "bulk_load.orders",
    "bulk_load.orders_per_second",
    "rebuild.rows_per_second",
    "ours.sustained_orders_per_second",
    "split.sustained_orders_per_second",
    "original.sustained_orders_per_second",
    "ratios.sustained_vs_slowest_raw",
    "profile.summaries.worker.samples",
    "profile_split.summaries.API.samples",
    "profile_split.summaries.stream.samples",
    "machine.nproc",
    "machine.memory_gib",
    "wall_seconds",
    *[
        f"{api}.{kind}.{figure}"
        for api in ("api", "api_split")
        for kind in (
            "post_open.50",
            "post_open.200",
            "get_at_rate",
            "post_saturation",
            "get_saturation",
        )
        for figure in ("p50", "p95", "p99", "max", "requests_per_second")
    ],
    *[
        f"start.{mode}.{figure}"
        for mode in ("ours", "split")
        for figure in (
            "first_minute.p99",
            "first_minute.max",
            "at_rest.total_core_share",
        )
    ],
    *[f"ratios.freshness_{q}_at_{rate}" for rate in FRESHNESS_RATES for q in ("p50", "p99")],
    *[f"pixel.{mode}.{q}" for mode in ("push", "poll") for q in ("p50", "p95", "p99")],
]


@pytest.fixture(scope="module")
def bench_results(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench-results")
    run = subprocess.run(
        [str(PROJECT_ROOT / "devstack" / "bench.sh"), "--quick", "--tiny", "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=_smoke_env(settings),
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
    )
    assert run.returncode == 0, f"bench failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    return out


def test_bench_writes_every_figure(bench_results: Path) -> None:
    [json_path] = bench_results.glob("*.json")
    results = json.loads(json_path.read_text())
    assert results["plan"]["name"] == "tiny"
    for path in REQUIRED_NUMBERS:
        assert isinstance(_figure(results, path), int | float), path
    for mode in ("ours", "split", "original"):
        for rate in FRESHNESS_RATES:
            rung = _ladder_rung(results, mode, rate)
            assert rung["accepted"] > 0, (mode, rate)
            for q in ("p50", "p95", "p99"):
                assert isinstance(rung["freshness"][q], float), (mode, rate, q)
    for mode, processes in (("ours", ["worker"]), ("split", ["API", "stream"]), ("original", [])):
        assert results[mode]["ladder"], f"no throughput rung for {mode}"
        cpu = results[mode]["ladder"][0]["cpu"]
        assert 0 < cpu["busy_share"] <= 1, cpu
        for process in processes:
            assert cpu[process] > 0, (mode, process, cpu)
    for mode in ("ours", "split"):
        first_minute = results["start"][mode]["first_minute"]
        assert first_minute["errors"] == 0 and first_minute["n"] > 0, first_minute
        assert 0 < results["start"][mode]["at_rest"]["total_core_share"] < 2
    assert set(results["stage_seconds"]) >= {
        "profiling the worker",
        "profiling the API and stream processes",
    }
    for name in endpoints(datetime.now(UTC)):
        assert isinstance(results["analytics"][name]["p99"], float), name
    assert {t["key"] for t in results["targets"]} >= {
        "freshness_p50_50_ours",
        "freshness_p50_50_split",
        "sustained_split",
        "post_p99_50_split",
        "post_p99_200_split",
        "first_minute_p99_split",
        "at_rest_cpu_split",
        "rebuild",
        "pixel_p50",
        "pixel_p99",
    }
    # The tiny ladder has no 200/s rung: the CPU target alone stays unmeasured.
    assert all(
        t["measured"] is not None
        for t in results["targets"]
        if not t["key"].startswith("cpu_per_order")
    )
    for key, process in (
        ("profile", "worker"),
        ("profile_split", "API"),
        ("profile_split", "stream"),
    ):
        assert results[key]["summaries"][process]["stages"], f"no stage in {key} of {process}"


def test_bench_writes_the_table_charts_and_profile(bench_results: Path) -> None:
    [json_path] = bench_results.glob("*.json")
    stem = json_path.stem
    table = (bench_results / f"{stem}.md").read_text()
    assert "| goal | target | measured | met |" in table
    assert "CPU time per order on our ladder, one process" in table
    assert "CPU time per order on our ladder, API and stream processes" in table
    assert "| live channel (push) |" in table and "| polling every 2 s |" in table
    for chart in CHARTS:
        png = bench_results / f"{stem}-{chart}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"({stem}-{chart}.png)" in table
    for process in ("worker", "api", "stream"):
        assert (bench_results / f"{stem}-profile-{process}.raw.txt").stat().st_size > 0
        summary = (bench_results / f"{stem}-profile-{process}.txt").read_text()
        assert "share of samples by pipeline stage" in summary, process
    # Only a full run replaces the results the README links to.
    assert not (bench_results / "latest.md").exists()
