"""`python -m bench.chdb_raw ROWS`: chDB's insert rate in a scratch directory,
printed as one JSON line. Run in a process of its own: an engine directory (and, in practice,
the engine) belongs to one process, and the worker has its own.

Measures bulk inserts (10,000 rows a statement) into a plain MergeTree with the ledger's
columns (the raw limit) and into the real ledger with its three materialized views; and the
ledger at the sink's small batches and at one row per insert (the original design's sink),
beside the plain table at one row per insert (the cost of the views on a small insert)."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.orders import PRICES, USER_IDS, order_lines, uuid_string
from ecommerce_stream.analytics.schema import AnalyticsSchema
from ecommerce_stream.settings import get_settings
from ecommerce_stream.stores.clickhouse import EmbeddedClickHouse

BULK_BATCH = 10_000
SINK_BATCH = 50


def _rows(rng: random.Random, count: int) -> list[str]:
    """Ledger rows (sign +1) as JSONEachRow lines, the way the sink sends them."""
    now = datetime.now(UTC)
    out = []
    for _ in range(count):
        lines = order_lines(rng)
        at = (now - timedelta(seconds=rng.random() * 86400 * 90)).strftime("%Y-%m-%d %H:%M:%S.%f")
        out.append(
            json.dumps(
                {
                    "order_id": uuid_string(rng),
                    "version": 1,
                    "sign": 1,
                    "user_id": rng.choice(USER_IDS),
                    "user_name": "Bench",
                    "status": "PENDING",
                    "total_amount": str(sum(PRICES[p] * q for p, q in lines)),
                    "item_count": sum(q for _, q in lines),
                    "product_ids": sorted(p for p, _ in lines),
                    "created_at": at,
                    "updated_at": at,
                    "event_type": "CREATED",
                    "is_deleted": 0,
                    "deleted_at": None,
                    "payment_method": None,
                    "payment_status": None,
                }
            )
        )
    return out


async def _insert_rate(
    clickhouse: EmbeddedClickHouse, table: str, rows: list[str], batch: int
) -> float:
    """Rows per second, the JSON already encoded (what is timed is the engine's insert)."""
    started = time.perf_counter()
    for offset in range(0, len(rows), batch):
        body = "\n".join(rows[offset : offset + batch])
        await clickhouse.execute(f"INSERT INTO {table} FORMAT JSONEachRow\n{body}")
    return len(rows) / (time.perf_counter() - started)


async def main(total: int) -> dict[str, float | int | str]:
    rng = random.Random("chdb")
    with tempfile.TemporaryDirectory(prefix="bench-chdb-") as tmp:
        settings = get_settings().model_copy(update={"clickhouse_data_dir": Path(tmp)})
        clickhouse = EmbeddedClickHouse(settings)
        try:
            await AnalyticsSchema.of(clickhouse, settings).ensure()
            db = clickhouse.database
            await clickhouse.execute(f"CREATE TABLE {db}.plain AS {db}.order_changes")
            # Small inserts cost tens of milliseconds each: a few dozen tell the rate.
            small = SINK_BATCH * max(2, min(40, total // 5000))
            single = max(5, min(60, total // 5000))
            result: dict[str, float | int | str] = {
                "engine": await clickhouse.version(),
                "rows": total,
                "bulk_batch": BULK_BATCH,
                "plain_rows_per_second": await _insert_rate(
                    clickhouse, f"{db}.plain", _rows(rng, total), BULK_BATCH
                ),
                "ledger_rows_per_second": await _insert_rate(
                    clickhouse, f"{db}.order_changes", _rows(rng, total), BULK_BATCH
                ),
                "sink_batch": SINK_BATCH,
                "ledger_sink_batch_rows_per_second": await _insert_rate(
                    clickhouse, f"{db}.order_changes", _rows(rng, small), SINK_BATCH
                ),
                "ledger_one_row_per_insert_rows_per_second": await _insert_rate(
                    clickhouse, f"{db}.order_changes", _rows(rng, single), 1
                ),
                # Against the line above: what the three views add to each small insert.
                "plain_one_row_per_insert_rows_per_second": await _insert_rate(
                    clickhouse, f"{db}.plain", _rows(rng, single), 1
                ),
            }
        finally:
            await clickhouse.close()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1])))))
