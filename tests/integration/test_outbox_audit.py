"""The outbox audit against real MariaDB, with fake offsets and a fake ClickHouse: it waits for
the committed offsets, checks every relayed row once (across chunks, past ties in
`processed_at`), requeues only what ClickHouse lacks, and leaves purged orders alone."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pytest
from faust.types import TP

from ecommerce_stream.events.records import OrderStatusChanged
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.outbox.audit import Offsets, OutboxAudit
from ecommerce_stream.stores.mysql import MySQL
from tests.events_support import order_event

EVENTS, ROWS = TP("order.events", 0), TP("orders_analytics", 0)


class FakePipeline:
    """End offsets that never move, committed offsets the test sets, versions ClickHouse has."""

    def __init__(self) -> None:
        self.committed: dict[TP, int] = {EVENTS: 0, ROWS: 0}
        self.applied: dict[str, int] = {}
        self.asked: list[str] = []

    async def committed_offsets(self) -> Offsets:
        return dict(self.committed)

    async def end_offsets(self) -> tuple[Offsets, Offsets]:
        return {EVENTS: 10}, {ROWS: 10}

    async def versions_in_ledger(self, order_ids: Collection[str]) -> Mapping[str, int]:
        self.asked += order_ids
        return {
            order_id: self.applied[order_id] for order_id in order_ids if order_id in self.applied
        }


async def _relayed_orders(mysql: MySQL, count: int) -> list[str]:
    """`count` orders at version 2, each with its status change marked relayed in one pass."""
    order_ids = [f"00000000-0000-0000-0000-{index:012d}" for index in range(count)]
    async with mysql.transaction() as cur:
        for order_id in order_ids:
            await cur.execute(
                "INSERT INTO orders (id, user_id, status, total_amount, shipping_address,"
                " version, created_at, updated_at) VALUES (%s, 1, 'CONFIRMED', 10, 'Audit st',"
                " 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                (order_id,),
            )
        events = [
            order_event(OrderStatusChanged, order_id, 2, status="CONFIRMED")
            for order_id in order_ids
        ]
        await outbox.add_events(cur, events)
        await cur.execute(
            "UPDATE outbox SET processed = TRUE, processed_at = UTC_TIMESTAMP(6),"
            " published_partition = 0, published_offset = id"
        )  # one relay pass: one time for every row
    return order_ids


async def _requeued(mysql: MySQL) -> list[str]:
    rows = await mysql.fetch_all(
        "SELECT aggregate_id FROM outbox WHERE processed = FALSE AND attempts = 1"
        " ORDER BY aggregate_id"
    )
    return [str(row["aggregate_id"]) for row in rows]


async def test_lost_events_are_requeued_once_the_pipeline_is_past_them(
    scratch_mysql: MySQL, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = FakePipeline()
    audit = OutboxAudit(
        scratch_mysql,
        pipeline.committed_offsets,
        pipeline.end_offsets,
        pipeline.versions_in_ledger,
        chunk=3,
    )
    order_ids = await _relayed_orders(scratch_mysql, 8)
    pipeline.applied = {order_id: 2 for order_id in order_ids}
    pipeline.applied[order_ids[1]] = 1  # its status change never arrived
    del pipeline.applied[order_ids[6]]  # nothing of it arrived
    await scratch_mysql.fetch_all("DELETE FROM orders WHERE id = %s", (order_ids[7],))  # purged
    del pipeline.applied[order_ids[7]]

    for _ in range(3):  # the offsets show nothing done yet: nothing may be judged
        assert await audit.run() == 0
    assert pipeline.asked == []

    pipeline.committed = {EVENTS: 10, ROWS: 10}
    assert await audit.run() == 0  # the transformer is past the readings; the sink, not yet known
    async with scratch_mysql.cursor() as cur:
        assert (await outbox.audit_tally(cur)).requeued_total == 0
    assert await audit.run() == 2
    assert await _requeued(scratch_mysql) == [order_ids[1], order_ids[6]]
    assert sorted(pipeline.asked) == sorted(order_ids[:7])  # in chunks of 3, each once
    async with scratch_mysql.cursor() as cur:
        tally = await outbox.audit_tally(cur)
    assert tally.requeued_total == 2 and tally.last_requeued_at is not None
    alarms = [r for r in caplog.records if r.name == "ecommerce_stream.outbox.audit"]
    assert [r.levelname for r in alarms] == ["ERROR", "ERROR"]
    for order_id, record in zip((order_ids[1], order_ids[6]), alarms, strict=True):
        [row] = await scratch_mysql.fetch_all(
            "SELECT published_offset FROM outbox WHERE aggregate_id = %s", (order_id,)
        )
        message = record.getMessage()
        assert order_id in message
        assert f"order.events partition 0 offset {row['published_offset']}" in message
        assert "order.events[0]=10" in message and "orders_analytics[0]=10" in message

    assert await audit.run() == 0  # the bookmark moved past them
    assert sorted(pipeline.asked) == sorted(order_ids[:7])
