"""`ecommerce-stream bench`: run the benchmarks against the stack this profile points at
(`make bench` starts a fresh one); workers are started and stopped by the command itself."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pymysql
from faust.cli import option

from ecommerce_stream.app import app, settings
from ecommerce_stream.bench.plan import FULL, QUICK, TINY
from ecommerce_stream.bench.runner import Benchmark
from ecommerce_stream.settings import PROJECT_ROOT


def _port_taken(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


@app.command(
    option("--quick", is_flag=True, default=False, help="A short run (under 3 minutes)."),
    option("--tiny", is_flag=True, default=False, help="A few orders per stage (the smoke test)."),
    option(
        "--out",
        default=str(PROJECT_ROOT / "bench" / "results"),
        help="Where the JSON, Markdown, PNG and profile files go.",
    ),
    option("--worker-pid-file", default="", help="Record the running worker's pid here."),
)
async def bench(self: object, quick: bool, tiny: bool, out: str, worker_pid_file: str) -> None:
    """Freshness, throughput, API and analytics latency, rebuild rate and a profile, beside the
    original design and the raw limits, all in one run; needs its own stack (make bench)."""
    if _port_taken(settings.port):
        sys.exit(
            f"bench: something already serves on port {settings.port}; the benchmark starts its"
            " own workers on a stack of its own (make bench)"
        )
    # INSERT IGNORE of the demo catalog and DROP ... IF EXISTS warn; the bench reports its own.
    warnings.filterwarnings("ignore", category=pymysql.Warning)
    plan = TINY if tiny else QUICK if quick else FULL
    await Benchmark(
        settings, plan, Path(out), Path(worker_pid_file) if worker_pid_file else None
    ).run()
