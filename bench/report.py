"""The results: one JSON file with every figure, a Markdown table of targets and ratios, and
PNG charts; the newest Markdown and charts are also copied to `latest*` for the README."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import OTHER
from bench.plan import FRESHNESS_RATES

CHARTS = ("freshness", "throughput", "latency")
# Our design in one process, ours as an API and a stream process, the original design.
MODES = ("ours", "split", "original")


@dataclass(frozen=True)
class Target:
    key: str
    goal: str
    target: float
    measured: float | None
    unit: str
    higher_is_better: bool
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        if self.higher_is_better:
            return self.measured >= self.target
        return self.measured <= self.target

    @property
    def shortfall(self) -> str:
        """By how much a missed target was missed, as a factor."""
        if self.met is not False or self.measured is None:
            return ""
        factor = (
            (self.target / self.measured if self.higher_is_better and self.measured else None)
            if self.higher_is_better
            else self.measured / self.target
        )
        return f"{factor:.1f}× short" if factor else "nothing measured"

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "met": self.met, "shortfall": self.shortfall}


def _rung(results: dict[str, Any], mode: str, rate: int) -> dict[str, Any] | None:
    for rung in results[mode]["freshness"]:
        if rung["rate"] == rate:
            return dict(rung)
    return None


def _fresh(results: dict[str, Any], mode: str, rate: int, q: str) -> float | None:
    rung = _rung(results, mode, rate)
    value = None if rung is None else rung["freshness"].get(q)
    return None if value is None else float(value)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


LAYOUTS = {"ours": "one process", "split": "API and stream processes"}
API_FIGURES = {"ours": "api", "split": "api_split"}
CPU_TARGET_RATE = 200


def cpu_per_order(results: dict[str, Any], mode: str, rate: int) -> float | None:
    """CPU ms per order of every process of the stack (app, MariaDB, Kafka, load generator) on
    the ladder's rung at `rate`, if it ran."""
    for rung in results[mode]["ladder"]:
        if rung["rate"] == rate and rung.get("cpu"):
            return float(sum(v for k, v in rung["cpu"].items() if k not in ("busy_share", OTHER)))
    return None


# POST /api/orders p99 goals at each rate of the open model (issue 23).
POST_P99_TARGETS = {"50": 0.010, "200": 0.025}


def _layout_targets(results: dict[str, Any], mode: str) -> list[Target]:
    layout = LAYOUTS[mode]
    post_open = results[API_FIGURES[mode]]["post_open"]
    start = results["start"][mode]
    first = start["first_minute"]
    return [
        Target(
            f"freshness_p50_50_{mode}",
            f"freshness p50 at 50 orders/s, {layout}",
            0.1,
            _fresh(results, mode, 50, "p50"),
            "s",
            False,
        ),
        Target(
            f"freshness_p99_50_{mode}",
            f"freshness p99 at 50 orders/s, {layout}",
            0.3,
            _fresh(results, mode, 50, "p99"),
            "s",
            False,
        ),
        Target(
            f"sustained_{mode}",
            f"sustained end-to-end throughput, {layout}",
            500.0,
            results[mode]["sustained_orders_per_second"],
            "orders/s",
            True,
        ),
        Target(
            f"cpu_per_order_{mode}",
            f"CPU per order, all processes, at {CPU_TARGET_RATE} orders/s, {layout}",
            4.0,
            cpu_per_order(results, mode, CPU_TARGET_RATE),
            "ms",
            False,
        ),
        *(
            Target(
                f"post_p99_{rate}_{mode}",
                f"POST /api/orders p99 at {rate} req/s (open model), pipeline running, {layout}",
                goal,
                post_open[rate]["p99"] if rate in post_open else None,
                "s",
                False,
            )
            for rate, goal in POST_P99_TARGETS.items()
        ),
        Target(
            f"first_minute_p99_{mode}",
            f"POST p99 in the first {first['n'] / first['rate']:.0f} s after ready,"
            f" {first['rate']} req/s, {layout}",
            0.050,
            first["p99"],
            "s",
            False,
        ),
        Target(
            f"at_rest_cpu_{mode}",
            f"app processes' CPU at rest, share of one core, {layout}",
            0.03,
            start["at_rest"]["total_core_share"],
            "%",
            False,
        ),
    ]


def targets(results: dict[str, Any]) -> list[Target]:
    """The issues' goals, each with what this run measured, for both layouts of our design."""
    analytics_p99 = [e["p99"] for e in results["analytics"].values() if e["p99"] is not None]
    orders = results["bulk_load"]["orders"]
    return [
        *_layout_targets(results, "ours"),
        *_layout_targets(results, "split"),
        Target(
            "fresher_than_original",
            "fresher than the original design (p50 at 50 orders/s, one process)",
            20.0,
            results["ratios"]["freshness_p50_at_50"],
            "×",
            True,
        ),
        Target(
            "pixel_p50",
            f"order → pixel p50 at {results['pixel']['rate']:g} orders/s (pushed)",
            0.25,
            results["pixel"]["push"]["p50"],
            "s",
            False,
        ),
        Target(
            "pixel_p99",
            f"order → pixel p99 at {results['pixel']['rate']:g} orders/s (pushed)",
            0.6,
            results["pixel"]["push"]["p99"],
            "s",
            False,
        ),
        Target(
            "sustained_vs_raw",
            "sustained throughput (best layout) / slowest raw stage",
            0.5,
            results["ratios"]["sustained_vs_slowest_raw"],
            "×",
            True,
            f"slowest raw stage: {results['raw']['slowest']}",
        ),
        Target(
            "analytics_p99",
            f"analytics p99 (worst endpoint) at {orders:,} orders",
            0.015,
            max(analytics_p99) if analytics_p99 else None,
            "s",
            False,
        ),
        Target(
            "rebuild",
            f"rebuild-analytics at {orders:,} orders",
            50_000.0,
            results["rebuild"]["rows_per_second"],
            "rows/s",
            True,
        ),
    ]


def derive(results: dict[str, Any]) -> None:
    """Ratios and the targets table, computed from the measured figures (in place)."""
    raw = results["raw"]
    stages = {
        "MariaDB order+items+outbox tx": raw["mariadb"]["per_second"],
        "aiokafka produce+consume": raw["kafka"]["per_second"],
        "chDB bulk insert": raw["chdb"]["plain_rows_per_second"],
    }
    slowest = min(stages, key=lambda name: stages[name])
    raw["slowest"] = slowest
    raw["slowest_per_second"] = stages[slowest]
    ours, original = results["ours"], results["original"]
    best_sustained = max(
        ours["sustained_orders_per_second"], results["split"]["sustained_orders_per_second"]
    )
    results["ratios"] = {
        **{
            f"freshness_{q}_at_{rate}": ratio(
                _fresh(results, "original", rate, q), _fresh(results, "ours", rate, q)
            )
            for rate in FRESHNESS_RATES
            for q in ("p50", "p95", "p99")
        },
        "sustained_vs_original": ratio(
            ours["sustained_orders_per_second"], original["sustained_orders_per_second"]
        ),
        "sustained_vs_slowest_raw": ratio(best_sustained, stages[slowest]),
        **{
            f"sustained_vs_{key}": ratio(best_sustained, value)
            for key, value in (
                ("mariadb", stages["MariaDB order+items+outbox tx"]),
                ("kafka", stages["aiokafka produce+consume"]),
                ("chdb", stages["chDB bulk insert"]),
            )
        },
    }
    results["targets"] = [t.as_json() for t in targets(results)]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"
    if unit == "×":
        return f"{value:,.2f}×" if value < 10 else f"{value:,.0f}×"
    if unit == "%":
        return f"{value:.1%}"
    return f"{value:,.0f} {unit}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:,.0f}"


def _stages(seconds: dict[str, float]) -> str:
    return "; ".join(f"{name}: {value:.0f} s" for name, value in seconds.items())


def markdown(results: dict[str, Any], stem: str) -> str:
    m = results["machine"]
    plan = results["plan"]
    out = [
        f"# Benchmark results — {results['timestamp']} ({plan['name']} run)",
        "",
        f"Machine: {m['nproc']} cores, {m['memory_gib']:.0f} GiB, shared with other test stacks;"
        f" 1-minute load average {m['load_start'][0]:.2f} at the start,"
        f" {m['load_end'][0]:.2f} at the end, {m['load_1min_mean'] or 0:.2f} on average (sampled"
        f" every 10 s); the run took {results['wall_seconds'] / 60:.1f} min"
        f" ({_stages(results.get('stage_seconds', {}))})."
        f" Versions: {', '.join(f'{k} {v}' for k, v in results['versions'].items())}.",
    ]
    if plan["name"] != "full":
        out += [
            "",
            f"**{plan['name'].capitalize()} run:** smaller numbers than the full benchmark"
            f" ({plan['bulk_orders']:,} bulk orders instead of 1,000,000,"
            f" {plan['analytics_calls']} calls per analytics endpoint,"
            f" {plan['freshness_seconds']:g} s per freshness rate). Not comparable to a full run.",
        ]
    out += ["", "## Targets", "", "| goal | target | measured | met |", "|---|---|---|---|"]
    for t in results["targets"]:
        verdict = {True: "met", False: f"**missed** ({t['shortfall']})", None: "–"}[t["met"]]
        note = f" ({t['note']})" if t["note"] else ""
        out.append(
            f"| {t['goal']}{note} | {_fmt(t['target'], t['unit'])}"
            f" | {_fmt(t['measured'], t['unit'])} | {verdict} |"
        )
    out += _freshness_section(results, stem)
    out += _pixel_section(results)
    out += _throughput_section(results, stem)
    out += _latency_section(results, stem)
    out += _raw_section(results)
    out += _profile_section(results, stem)
    out += ["", "## How it was measured", ""]
    out += [f"- {line}" for line in results["method"]]
    return "\n".join(out) + "\n"


def _freshness_section(results: dict[str, Any], stem: str) -> list[str]:
    out = [
        "",
        "## Freshness: order accepted → counted by /api/analytics/stats",
        "",
        f"![freshness]({stem}-freshness.png)",
        "",
        f"| orders/s | ours, {LAYOUTS['ours']} p50 / p95 / p99 (ms) | ours, {LAYOUTS['split']}"
        " p50 / p95 / p99 (ms) | original p50 / p95 / p99 (ms) | original ÷ ours"
        " (p50, p99) | server histogram, ours p50 / p99 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    ratios = results["ratios"]
    for rate in FRESHNESS_RATES:
        cells = []
        for mode in MODES:
            rung = _rung(results, mode, rate)
            f = rung["freshness"] if rung else {}
            cells.append(" / ".join(_ms(f.get(q)) for q in ("p50", "p95", "p99")))
        rung = _rung(results, "ours", rate)
        server = rung["server_visible"] if rung else {}
        r50, r99 = ratios[f"freshness_p50_at_{rate}"], ratios[f"freshness_p99_at_{rate}"]
        out.append(
            f"| {rate} | {cells[0]} | {cells[1]} | {cells[2]} | {_fmt(r50, '×')}, {_fmt(r99, '×')}"
            f" | {_ms(server.get('p50'))} / {_ms(server.get('p99'))} |"
        )
    return out


def _pixel_section(results: dict[str, Any]) -> list[str]:
    pixel = results["pixel"]
    out = [
        "",
        "## Order → pixel: 201 → the dashboard's Orders card shows it (headless chromium)",
        "",
        f"{pixel['accepted']} orders at {pixel['rate']:g} orders/s, watched by two dashboards at"
        " once.",
        "",
        "| dashboard | p50 / p95 / p99 (ms) | max (ms) | not shown |",
        "|---|---|---|---|",
    ]
    for mode, name in (("push", "live channel (push)"), ("poll", "polling every 2 s")):
        figures = pixel[mode]
        quantiles = " / ".join(_ms(figures.get(q)) for q in ("p50", "p95", "p99"))
        out.append(f"| {name} | {quantiles} | {_ms(figures.get('max'))} | {figures['not_shown']} |")
    return out


def _throughput_section(results: dict[str, Any], stem: str) -> list[str]:
    ratios = results["ratios"]
    out = [
        "",
        "## Sustained throughput (open-loop ladder)",
        "",
        f"![throughput]({stem}-throughput.png)",
        "",
        f"Ours: **{results['ours']['sustained_orders_per_second']:,} orders/s** in one process,"
        f" **{results['split']['sustained_orders_per_second']:,} orders/s** as an API and a stream"
        " process; original design:"
        f" {results['original']['sustained_orders_per_second']:,} orders/s"
        f" (ours ÷ original: {_fmt(ratios['sustained_vs_original'], '×')}). Ours (best layout)"
        f" as a fraction of the raw limits: MariaDB {_fmt(ratios['sustained_vs_mariadb'], '×')},"
        f" Kafka {_fmt(ratios['sustained_vs_kafka'], '×')},"
        f" chDB {_fmt(ratios['sustained_vs_chdb'], '×')}.",
        "",
        "| mode | offered/s | accepted/s | freshness p50 / p99 (ms) | outbox backlog max,"
        " growth/s | kept up? |",
        "|---|---|---|---|---|---|",
    ]
    for mode in MODES:
        for rung in results[mode]["ladder"]:
            f = rung["freshness"]
            verdict = "yes" if rung["passed"] else "no: " + "; ".join(rung["reasons"])
            out.append(
                f"| {mode} | {rung['rate']} | {rung['accepted_per_second']:,.0f}"
                f" | {_ms(f.get('p50'))} / {_ms(f.get('p99'))}"
                f" | {rung['backlog_max']}, {rung['backlog_growth_per_second']:+.0f} | {verdict} |"
            )
    out += _cpu_table(results, "ours")
    out += _cpu_table(results, "split")
    return out


def _cpu_table(results: dict[str, Any], mode: str) -> list[str]:
    """CPU ms per order by process on a ladder: what a faster pipeline has to shave, and the
    rate at which that cost would fill every core (fixed costs, such as the stats poll, weigh
    on the low rungs; the top rungs' figure is the telling one)."""
    rungs = [rung for rung in results[mode]["ladder"] if rung.get("cpu")]
    if not rungs:
        return []
    cores = results["machine"]["nproc"]
    names = [name for name in rungs[0]["cpu"] if name != "busy_share"]
    out = [
        "",
        f"CPU time per order on our ladder, {LAYOUTS[mode]} (ms, over each rung's load and drain),"
        f" how busy the machine's {cores} cores were, and the CPU ceiling: the rate at which"
        " that cost per order keeps every core busy, above which no rung can keep up for long:",
        "",
        f"| offered/s | {' | '.join(names)} | total | cores busy | CPU ceiling (orders/s) |",
        "|---" * (len(names) + 4) + "|",
    ]
    for rung in rungs:
        cpu = rung["cpu"]
        cells = " | ".join(f"{cpu[name]:.2f}" for name in names)
        total = sum(cpu[name] for name in names)
        ceiling = f"{cores * 1000 / total:,.0f}" if total else "–"
        out.append(
            f"| {rung['rate']} | {cells} | {total:.2f} | {cpu['busy_share']:.0%} | {ceiling} |"
        )
    return out


def _latency_section(results: dict[str, Any], stem: str) -> list[str]:
    out = [
        "",
        "## Orders API latency",
        "",
        f"![latency]({stem}-latency.png)",
        "",
        "Open model: requests arrive at a constant rate whatever the answers, and each latency is"
        " counted from the moment the request was due. The closed loop's clients wait for each"
        " answer before the next request, which hides queueing.",
        "",
        "| request | layout | load | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, answered_by in (("ours", "one process"), ("split", "API process")):
        out += _latency_rows(results, mode, answered_by)
    return out + _start_and_rest(results) + _analytics_and_rebuild(results)


def _latency_rows(results: dict[str, Any], mode: str, layout: str) -> list[str]:
    api = results[API_FIGURES[mode]]
    first = results["start"][mode]["first_minute"]
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("POST /api/orders", f"{rate} req/s open model", figures)
        for rate, figures in api["post_open"].items()
    ]
    rows += [
        (
            "POST /api/orders",
            f"{first['rate']} req/s open model, the first"
            f" {first['n'] / first['rate']:.0f} s after ready",
            first,
        ),
        ("GET /api/orders/{id}", f"{api['rate']} req/s open model", api["get_at_rate"]),
        (
            "POST /api/orders",
            f"{api['saturation_clients']} clients, closed loop",
            api["post_saturation"],
        ),
        (
            "GET /api/orders/{id}",
            f"{api['saturation_clients']} clients, closed loop",
            api["get_saturation"],
        ),
    ]
    out = []
    for name, load, f in rows:
        rate = f.get("requests_per_second")
        out.append(
            f"| {name} | {layout} | {load} | {'–' if rate is None else f'{rate:,.0f}'}"
            f" | {_ms(f['p50'])} | {_ms(f.get('p95'))} | {_ms(f['p99'])} | {_ms(f['max'])}"
            f" | {f.get('errors', 0)} |"
        )
    return out


def _start_and_rest(results: dict[str, Any]) -> list[str]:
    out = [
        "",
        "## At rest",
        "",
        "CPU of every app process with nothing to do, once the pipeline was quiet (share of one"
        " core).",
        "",
        "| layout | seconds | by process | all app processes |",
        "|---|---|---|---|",
    ]
    for mode, layout in LAYOUTS.items():
        rest = results["start"][mode]["at_rest"]
        by_process = ", ".join(f"{name} {share:.1%}" for name, share in rest["core_share"].items())
        out.append(
            f"| {layout} | {rest['seconds']:g} | {by_process} | {rest['total_core_share']:.1%} |"
        )
    return out


def _analytics_and_rebuild(results: dict[str, Any]) -> list[str]:
    orders = results["bulk_load"]["orders"]
    out = [
        "",
        f"## Analytics endpoints at {orders:,} orders",
        "",
        "| endpoint | calls | p50 (ms) | p99 (ms) | server histogram p50 / p99 (ms) |",
        "|---|---|---|---|---|",
    ]
    for name, f in results["analytics"].items():
        server = f["server"]
        out.append(
            f"| {name} | {f['calls']} | {_ms(f['p50'])} | {_ms(f['p99'])}"
            f" | {_ms(server.get('p50'))} / {_ms(server.get('p99'))} |"
        )
    bulk, rebuild = results["bulk_load"], results["rebuild"]
    out += [
        "",
        "## Rebuild",
        "",
        f"`ecommerce-stream rebuild-analytics` reloaded {rebuild['orders']:,} orders in"
        f" {rebuild['seconds']:.1f} s: **{rebuild['rows_per_second']:,.0f} rows/s**"
        f" ({rebuild['wall_seconds']:.1f} s with process start-up). The bulk loader put"
        f" {bulk['orders']:,} orders and {bulk['items']:,} items into MariaDB in"
        f" {bulk['seconds']:.1f} s ({bulk['orders_per_second']:,.0f} orders/s).",
    ]
    return out


def _raw_section(results: dict[str, Any]) -> list[str]:
    raw = results["raw"]
    db, kafka, chdb = raw["mariadb"], raw["kafka"], raw["chdb"]
    sustained = results["ours"]["sustained_orders_per_second"]
    return [
        "",
        "## Raw limits (same run, no app in front)",
        "",
        "| stage | rate | ours ÷ it |",
        "|---|---|---|",
        f"| MariaDB: order + items + outbox in one transaction, {db['connections']} connections"
        f" | {db['per_second']:,.0f} tx/s | {_fmt(ratio(sustained, db['per_second']), '×')} |",
        f"| aiokafka: produce (acks=all, idempotent) + consume, {kafka['message_bytes']} B"
        f" messages | {kafka['per_second']:,.0f} msg/s"
        f" | {_fmt(ratio(sustained, kafka['per_second']), '×')} |",
        f"| chDB: bulk insert, {chdb['bulk_batch']:,} rows a statement, plain MergeTree"
        f" | {chdb['plain_rows_per_second']:,.0f} rows/s"
        f" | {_fmt(ratio(sustained, chdb['plain_rows_per_second']), '×')} |",
        f"| chDB: the same into the ledger with its 3 materialized views"
        f" | {chdb['ledger_rows_per_second']:,.0f} rows/s | |",
        f"| chDB: ledger, {chdb['sink_batch']} rows an insert (a busy sink batch)"
        f" | {chdb['ledger_sink_batch_rows_per_second']:,.0f} rows/s | |",
        f"| chDB: ledger, one row an insert (the original design's sink)"
        f" | {chdb['ledger_one_row_per_insert_rows_per_second']:,.1f} rows/s | |",
        f"| chDB: plain MergeTree, one row an insert"
        f" | {chdb['plain_one_row_per_insert_rows_per_second']:,.1f} rows/s | |",
        "",
        f"Slowest raw stage: **{raw['slowest']}** ({raw['slowest_per_second']:,.0f}/s).",
    ]


def _profile_section(results: dict[str, Any], stem: str) -> list[str]:
    out = []
    for key, layout in (("profile", LAYOUTS["ours"]), ("profile_split", LAYOUTS["split"])):
        profile = results[key]
        for name, summary in profile["summaries"].items():
            file = f"{stem}-profile-{name.lower()}"
            out += [
                "",
                f"## Profile: {layout}, {name}, at {profile['rate']} orders/s"
                f" ({profile['seconds']:g} s of py-spy)",
                "",
                f"Raw stacks: `{file}.raw.txt` (py-spy's collapsed format; any flame graph tool"
                f" reads it); summary: `{file}.txt`.",
                "",
                "| stage | share of samples |",
                "|---|---|",
            ]
            out += [f"| {stage} | {share:.0%} |" for stage, share in summary["stages"].items()]
    return out


def charts(results: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    """freshness, throughput and latency PNGs (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    colors = {"ours": "tab:blue", "split": "tab:green", "original": "tab:orange"}

    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.09
    for m_index, mode in enumerate(MODES):
        for q_index, q in enumerate(("p50", "p95", "p99")):
            xs = [i + (m_index * 3 + q_index - 4) * width for i in range(len(FRESHNESS_RATES))]
            ys = [(_fresh(results, mode, rate, q) or 0.0) * 1000 for rate in FRESHNESS_RATES]
            ax.bar(
                xs, ys, width, color=colors[mode], alpha=0.45 + 0.25 * q_index, label=f"{mode} {q}"
            )
    ax.axhline(100, color="green", linestyle="--", linewidth=1, label="target p50 100 ms")
    ax.axhline(300, color="red", linestyle="--", linewidth=1, label="target p99 300 ms")
    ax.set_yscale("log")
    ax.set_xticks(range(len(FRESHNESS_RATES)), [f"{r} orders/s" for r in FRESHNESS_RATES])
    ax.set_ylabel("order accepted → visible in stats (ms)")
    ax.set_title("Freshness: ours vs the original design")
    ax.legend(fontsize=7, ncol=3)
    paths.append(_save(fig, out_dir / f"{stem}-freshness.png"))

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    top = 1
    for mode in MODES:
        ladder = results[mode]["ladder"]
        rates = [r["rate"] for r in ladder]
        top = max([top, *rates])
        left.plot(
            rates, [r["accepted_per_second"] for r in ladder], "o-", color=colors[mode], label=mode
        )
        right.plot(
            rates,
            [(r["freshness"].get("p99") or 0.0) for r in ladder],
            "o-",
            color=colors[mode],
            label=f"{mode} p99",
        )
        failed = [r for r in ladder if not r["passed"]]
        right.plot(
            [r["rate"] for r in failed],
            [(r["freshness"].get("p99") or 0.0) for r in failed],
            "x",
            color="red",
            markersize=10,
        )
    left.plot([0, top], [0, top], ":", color="grey", label="accepted = offered")
    left.set_xlabel("offered orders/s")
    left.set_ylabel("accepted orders/s")
    left.legend(fontsize=8)
    right.axhline(2.0, color="red", linestyle="--", linewidth=1, label="2 s bound (ours)")
    right.set_yscale("log")
    right.set_xlabel("offered orders/s (x: did not keep up)")
    right.set_ylabel("freshness p99 (s)")
    right.legend(fontsize=8)
    fig.suptitle("Throughput ladder")
    paths.append(_save(fig, out_dir / f"{stem}-throughput.png"))

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    api = results["api_split"]
    bars = [
        *((f"POST\n{rate}/s", figures) for rate, figures in api["post_open"].items()),
        (f"GET\n{api['rate']}/s", api["get_at_rate"]),
        ("POST\nsaturated", api["post_saturation"]),
        ("GET\nsaturated", api["get_saturation"]),
    ]
    for offset, q in ((-0.2, "p50"), (0.2, "p99")):
        left.bar(
            [i + offset for i in range(len(bars))],
            [(figures[q] or 0) * 1000 for _, figures in bars],
            0.4,
            label=q,
        )
    left.axhline(10, color="red", linestyle="--", linewidth=1, label="POST p99 target at 50/s")
    left.set_xticks(range(len(bars)), [label for label, _ in bars])
    left.set_ylabel("ms")
    left.set_title("Orders API, API process (open model)")
    left.legend(fontsize=8)
    endpoints = list(results["analytics"])
    for offset, q in ((-0.2, "p50"), (0.2, "p99")):
        right.bar(
            [i + offset for i in range(len(endpoints))],
            [(results["analytics"][e][q] or 0) * 1000 for e in endpoints],
            0.4,
            label=q,
        )
    right.axhline(25, color="red", linestyle="--", linewidth=1, label="p99 target")
    right.set_xticks(range(len(endpoints)), endpoints, fontsize=8)
    right.set_title(f"Analytics at {results['bulk_load']['orders']:,} orders")
    right.legend(fontsize=8)
    paths.append(_save(fig, out_dir / f"{stem}-latency.png"))
    return paths


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(results: dict[str, Any], out_dir: Path, stem: str, *, latest: bool) -> Path:
    """Writes <stem>.json, <stem>.md and the charts; with `latest`, copies the Markdown and
    charts to latest.md / latest-*.png (the Markdown then pointing at those copies)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    derive(results)
    json_path = out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / f"{stem}.md").write_text(markdown(results, stem))
    chart_paths = charts(results, out_dir, stem)
    if latest:
        (out_dir / "latest.md").write_text(markdown(results, "latest"))
        for path in chart_paths:
            shutil.copyfile(path, out_dir / path.name.replace(stem, "latest", 1))
        for source in out_dir.glob(f"{stem}-profile-*.txt"):
            shutil.copyfile(source, out_dir / source.name.replace(stem, "latest", 1))
    return json_path
