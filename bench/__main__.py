"""`python -m bench`: run the benchmarks against the stack this profile points at (`make bench`
starts a fresh one); workers are started and stopped by the benchmark itself.

A standalone entry point rather than an `ecommerce-stream` command, so that the app (and a
production install, which ships no `bench` package) never imports benchmark code."""

from __future__ import annotations

import argparse
import asyncio
import sys
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pymysql

from bench.plan import FULL, QUICK, TINY
from bench.runner import Benchmark
from ecommerce_stream.settings import PROJECT_ROOT, get_settings


def _port_taken(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Freshness, throughput, API and analytics latency, rebuild rate and a"
        " profile, beside the original design and the raw limits, all in one run; needs its own"
        " stack (make bench).",
    )
    parser.add_argument("--quick", action="store_true", help="A short run (under 3 minutes).")
    parser.add_argument(
        "--tiny", action="store_true", help="A few orders per stage (the smoke test)."
    )
    parser.add_argument(
        "--out",
        default=str(PROJECT_ROOT / "bench" / "results"),
        help="Where the JSON, Markdown, PNG and profile files go.",
    )
    parser.add_argument(
        "--worker-pid-file", default="", help="Record the running worker's pid here."
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    settings = get_settings()
    if _port_taken(settings.port):
        sys.exit(
            f"bench: something already serves on port {settings.port}; the benchmark starts its"
            " own workers on a stack of its own (make bench)"
        )
    # INSERT IGNORE of the demo catalog and DROP ... IF EXISTS warn; the bench reports its own.
    warnings.filterwarnings("ignore", category=pymysql.Warning)
    plan = TINY if args.tiny else QUICK if args.quick else FULL
    pid_file = Path(args.worker_pid_file) if args.worker_pid_file else None
    asyncio.run(Benchmark(settings, plan, Path(args.out), pid_file).run())


if __name__ == "__main__":
    main()
