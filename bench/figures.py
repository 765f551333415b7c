"""Percentiles of measured samples, and of the server's Prometheus histograms (from /metrics)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

# Histogram buckets: upper bound ("le") → cumulative count, for one metric and label set.
Buckets = dict[float, float]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float], qs: Sequence[float] = (50, 95, 99)) -> dict[str, float | None]:
    """{"p50": ..., "p95": ..., "p99": ..., "max": ..., "n": ...} of `values`."""
    out: dict[str, float | None] = {f"p{q:g}": percentile(values, q) for q in qs}
    out["max"] = max(values) if values else None
    out["n"] = float(len(values))
    return out


async def scrape_histogram(
    http: aiohttp.ClientSession, name: str, labels: dict[str, str] | None = None
) -> Buckets:
    """The cumulative buckets of histogram `name` (with exactly `labels`) at /metrics now."""
    async with http.get("/metrics") as response:
        text = await response.text()
    buckets: Buckets = {}
    for family in text_string_to_metric_families(text):
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name != f"{name}_bucket":
                continue
            sample_labels = {k: v for k, v in sample.labels.items() if k != "le"}
            if sample_labels == (labels or {}):
                buckets[float(sample.labels["le"])] = sample.value
    return buckets


def histogram_quantile(before: Buckets, after: Buckets, q: float) -> float | None:
    """The q-th percentile (0–100) of what was observed between two scrapes, interpolated within
    buckets as Prometheus' histogram_quantile does; None if nothing was observed."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    target = counts[-1] * q / 100
    previous_bound, previous_count = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= target:
            if math.isinf(bound):
                return previous_bound  # beyond the last finite bucket: its bound is all we know
            share = (
                (target - previous_count) / (count - previous_count)
                if count > previous_count
                else 1.0
            )
            return previous_bound + (bound - previous_bound) * share
        previous_bound, previous_count = bound, count
    return previous_bound


def histogram_summary(before: Buckets, after: Buckets) -> dict[str, float | None]:
    bounds = sorted(after)
    observed = (after[bounds[-1]] - before.get(bounds[-1], 0.0)) if bounds else 0.0
    out = {f"p{q}": histogram_quantile(before, after, q) for q in (50, 95, 99)}
    out["n"] = observed
    return out
