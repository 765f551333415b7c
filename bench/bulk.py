"""Loads many orders straight into MySQL (no outbox rows: they are history, not news) and times
`ecommerce-stream rebuild-analytics` on them."""

from __future__ import annotations

import asyncio
import random
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiomysql

from bench.orders import PRICES, STATUSES, USER_IDS, order_lines, uuid_string
from bench.process import run_command
from ecommerce_stream.progress import progress_bar
from ecommerce_stream.settings import Settings

CHUNK_ORDERS = 50_000
SPREAD = timedelta(days=90)


@dataclass(frozen=True)
class BulkLoad:
    orders: int
    items: int
    seconds: float

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds


@dataclass(frozen=True)
class Rebuild:
    orders: int
    seconds: float  # as rebuild-analytics reports it: the reload, without process start-up
    wall_seconds: float  # the whole command, process start-up included

    @property
    def rows_per_second(self) -> float:
        return self.orders / self.seconds


def _write_chunk(
    rng: random.Random, ids: list[str], now: datetime, orders_file: Path, items_file: Path
) -> int:
    """Tab-separated rows for LOAD DATA."""
    spread = SPREAD.total_seconds()
    items = 0
    with orders_file.open("w") as orders_out, items_file.open("w") as items_out:
        for order_id in ids:
            lines = order_lines(rng)
            total = sum((PRICES[p] * q for p, q in lines), Decimal("0"))
            at = (now - timedelta(seconds=rng.random() * spread)).strftime("%Y-%m-%d %H:%M:%S.%f")
            orders_out.write(
                f"{order_id}\t{rng.choice(USER_IDS)}\t{rng.choice(STATUSES)}\t{total}\t"
                f"Bench street {rng.randint(1, 9999)}\t1\t{at}\t{at}\n"
            )
            for product_id, quantity in lines:
                items_out.write(f"{order_id}\t{product_id}\t{quantity}\t{PRICES[product_id]}\n")
            items += len(lines)
    return items


async def load_orders(settings: Settings, count: int) -> BulkLoad:
    """`count` orders spread over the last 90 days, the demo users and products, 1–3 lines."""
    rng = random.Random()  # fresh ids on every run: a second load into one database must not clash
    now = datetime.now(UTC)
    # Sorted ids: InnoDB then appends to the primary key and to the items' order_id index
    # instead of splitting pages all over them (twice as fast on 1M orders).
    ids = sorted(uuid_string(rng) for _ in range(count))
    conn = await aiomysql.connect(
        host=settings.mysql_host,
        port=settings.mysql_port,
        user=settings.mysql_user,
        password=settings.mysql_password.get_secret_value(),
        db=settings.mysql_database,
        local_infile=True,
        autocommit=False,
    )
    started = time.perf_counter()
    items = 0
    try:
        async with conn.cursor() as cur:
            # The generated rows are valid by construction; checking each key is wasted time.
            await cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
            with (
                tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp,
                progress_bar(total=count, unit=" orders", desc="bulk load into MySQL") as bar,
            ):
                orders_file, items_file = Path(tmp, "orders.tsv"), Path(tmp, "items.tsv")
                for offset in range(0, count, CHUNK_ORDERS):
                    chunk = ids[offset : offset + CHUNK_ORDERS]
                    items += await asyncio.to_thread(
                        _write_chunk, rng, chunk, now, orders_file, items_file
                    )
                    await cur.execute(
                        f"LOAD DATA LOCAL INFILE '{orders_file}' INTO TABLE orders"
                        " (id, user_id, status, total_amount, shipping_address, version,"
                        " created_at, updated_at)"
                    )
                    await cur.execute(
                        f"LOAD DATA LOCAL INFILE '{items_file}' INTO TABLE order_items"
                        " (order_id, product_id, quantity, price)"
                    )
                    await conn.commit()
                    bar.update(len(chunk))
    finally:
        conn.close()
    return BulkLoad(orders=count, items=items, seconds=time.perf_counter() - started)


_REBUILT = re.compile(r"rebuilt the analytics of (\d+) orders in ([\d.]+)s")


async def rebuild_analytics(env: dict[str, str], log_path: Path) -> Rebuild:
    """Runs `ecommerce-stream rebuild-analytics` (no worker may hold the chDB directory)."""
    started = time.perf_counter()
    output = await run_command(["rebuild-analytics"], env, log_path)
    wall = time.perf_counter() - started
    found = _REBUILT.search(output)
    if found is None:
        raise RuntimeError(f"rebuild-analytics said nothing of its result; see {log_path}")
    return Rebuild(orders=int(found[1]), seconds=float(found[2]), wall_seconds=wall)
