"""A short py-spy profile of the worker under load: the raw stacks are saved with the results,
and summed here into the pipeline stage each sample was in and the hottest functions."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# The first of these found in a sample's stack (innermost first) names its stage.
# A thread sampled in one of these (innermost frame) is waiting, not working.
IDLE_LEAVES = ("EpollSelector.select", "thread.py:_worker", "Condition.wait", "Event.wait")
IDLE = "idle (event loop or a pool thread waiting)"
STAGES = (
    # chDB runs in the ClickHouse executor thread, whose stack does not show who asked.
    ("chDB engine: inserts", ("._insert_blocking",)),
    ("chDB engine: queries", ("._query_blocking", "._execute_blocking")),
    ("ClickHouse sink (ledger insert)", ("analytics/ledger.py:apply", "sink_to_clickhouse")),
    ("analytics API (stats polls)", ("analytics/views.py", "analytics/queries.py")),
    ("transformer", ("transform_order_events", "analytics/mapping.py", "events/")),
    ("outbox relay", ("outbox/relay.py", "outbox/publisher.py")),
    ("POST /api/orders (MySQL tx)", ("orders/service.py", "orders/views.py")),
    ("health and /metrics", ("health/pipeline.py", "prometheus")),
    ("Faust/aiokafka internals", ("faust/", "aiokafka/", "mode/")),
    ("aiohttp server", ("aiohttp/",)),
)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


async def record(pid: int, seconds: float, out: Path) -> None:
    """py-spy's raw (collapsed) stacks of every thread but idle ones, 100 samples a second."""
    binary = py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed (make bench installs it: pip install .[bench])")
    process = await asyncio.create_subprocess_exec(
        binary,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "100",
        "--format",
        "raw",
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {stderr.decode(errors='replace')[-500:]}")


def _frames(stack: str) -> list[str]:
    """Frames outermost first, each 'function (path:line)' as py-spy writes them."""
    return [frame for frame in stack.split(";") if frame]


def _short(frame: str) -> str:
    """'function (…/site-packages/pkg/mod.py:12)' → 'pkg/mod.py:function'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "ecommerce_stream/", "lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{name}"


def summarize(raw: Path, top: int = 15) -> dict[str, Any]:
    """Samples per stage, and the functions most often on top of the stack (self time) and
    anywhere in it (inclusive time)."""
    stages: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in _frames(stack)]
        total += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        stages[_stage(frames)] += count
    return {
        "samples": total,
        "stages": {name: n / total for name, n in stages.most_common()} if total else {},
        "self": [(name, n / total) for name, n in own.most_common(top)] if total else [],
        "inclusive": [(name, n / total) for name, n in inclusive.most_common(top)] if total else [],
    }


def _stage(frames: list[str]) -> str:
    if frames and any(leaf in frames[-1] for leaf in IDLE_LEAVES):
        return IDLE
    for name, needles in STAGES:
        if any(needle in frame for frame in frames for needle in needles):
            return name
    return "other"


def as_text(summary: dict[str, Any]) -> str:
    lines = [f"py-spy samples: {summary['samples']} (100/s, all non-idle threads)", ""]
    lines.append("share of samples by pipeline stage:")
    lines += [f"  {share:6.1%}  {name}" for name, share in summary["stages"].items()]
    lines += ["", "hottest functions (self):"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary["self"]]
    lines += ["", "hottest functions (inclusive):"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary["inclusive"]]
    return "\n".join(lines) + "\n"
