"""From analytics rows to signed ledger rows: the pure heart of exact aggregates.

The ledger (`order_changes`) holds, for each order, every version the sink applied: `-1` rows
retract the previous live state, `+1` rows add the new live state, `0` rows record a deleted
state. Any sign-weighted sum over it telescopes to the order's newest state, so aggregates
built by summing it count each live order exactly once (clickhouse/README.md has the proof)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.orders.domain import newest_per_order

LedgerRow = dict[str, Any]


def ledger_rows(
    batch: Iterable[OrderAnalyticsRow], applied: Mapping[str, LedgerRow]
) -> list[LedgerRow]:
    """The rows to append for a batch, given each order's applied state row (`applied`: the
    ledger row of its newest version with sign 1 or 0). Versions not newer than the applied
    one are duplicates or stale replays and add nothing."""
    out: list[LedgerRow] = []
    # Several versions of one order in a batch: the older ones cancel out.
    for order_id, row in newest_per_order(batch).items():
        previous = applied.get(order_id)
        if previous is not None and row.version <= int(previous["version"]):
            continue
        if previous is not None and int(previous["sign"]) == 1:
            out.append({**previous, "version": row.version, "sign": -1})
        out.append({**row.to_clickhouse(), "sign": 0 if row.is_deleted else 1})
    return out
