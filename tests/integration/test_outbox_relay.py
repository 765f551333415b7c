"""The relay's rules against real MariaDB, with a fake broker: nothing skipped (even a row that
commits late with a lower id), nothing marked before its ack, failures retried with backoff;
the cleanup deletes relayed rows only, and only after a day."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from ecommerce_stream.events.records import OrderStatusChanged
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.outbox.relay import OutboxRelay
from ecommerce_stream.outbox.timers import PROCESSED_RETENTION
from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.events_support import order_event


@dataclass(frozen=True)
class Ack:
    partition: int
    offset: int


class FakeBroker:
    """Acks every message (one partition, offsets counted from 0), or refuses the ones whose
    order id is in `refuse`."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes]] = []
        self.refuse: set[str] = set()

    async def publish(self, order_id: str, payload: bytes) -> Awaitable[Ack]:
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        if order_id in self.refuse:
            future.set_exception(ConnectionError("broker unavailable"))
        else:
            self.published.append((order_id, payload))
            future.set_result(Ack(partition=0, offset=len(self.published) - 1))
        return future


def _event(order_id: str, version: int = 2) -> OrderStatusChanged:
    return order_event(OrderStatusChanged, order_id, version)


async def _write(mysql: MySQL, *order_ids: str) -> None:
    async with mysql.transaction() as cur:
        await outbox.add_events(cur, [_event(order_id) for order_id in order_ids])


async def _pending(mysql: MySQL) -> list[dict[str, object]]:
    return await mysql.fetch_all(
        "SELECT aggregate_id, processed, attempts, last_error, available_at > UTC_TIMESTAMP(6)"
        " AS backing_off FROM outbox WHERE processed = FALSE ORDER BY id"
    )


async def test_a_row_committed_late_with_a_lower_id_is_still_relayed(scratch_mysql: MySQL) -> None:
    broker = FakeBroker()
    relay = OutboxRelay(scratch_mysql, broker.publish, batch_size=10, is_leader=lambda: True)
    pool = await scratch_mysql.pool()
    async with pool.acquire() as slow:
        await slow.begin()
        async with slow.cursor() as cur:
            await outbox.add_events(cur, [_event("slow-order")])  # takes the lower id
            await _write(scratch_mysql, "fast-order")  # commits first, higher id
            assert await relay.drain() == 1
        await slow.commit()

    assert await relay.drain() == 1
    assert [order_id for order_id, _ in broker.published] == ["fast-order", "slow-order"]
    assert await _pending(scratch_mysql) == []


async def test_every_row_is_relayed_across_batches_and_only_once(scratch_mysql: MySQL) -> None:
    broker = FakeBroker()
    relay = OutboxRelay(scratch_mysql, broker.publish, batch_size=7, is_leader=lambda: True)
    await _write(scratch_mysql, *[f"order-{i}" for i in range(30)])

    assert await relay.drain() == 30
    assert await relay.drain() == 0
    assert sorted(order_id for order_id, _ in broker.published) == sorted(
        f"order-{i}" for i in range(30)
    )
    # Each row keeps where its record landed, for the outbox audit's alarm.
    landed = await scratch_mysql.fetch_all(
        "SELECT aggregate_id, published_partition, published_offset FROM outbox"
    )
    offset_of = {order_id: offset for offset, (order_id, _) in enumerate(broker.published)}
    assert {
        (row["aggregate_id"], row["published_partition"], row["published_offset"]) for row in landed
    } == {(order_id, 0, offset) for order_id, offset in offset_of.items()}


async def test_a_refused_publish_is_kept_counted_and_retried_later(scratch_mysql: MySQL) -> None:
    broker = FakeBroker()
    broker.refuse = {"unlucky"}
    relay = OutboxRelay(scratch_mysql, broker.publish, batch_size=10, is_leader=lambda: True)
    await _write(scratch_mysql, "lucky", "unlucky")

    assert await relay.drain() == 1
    [row] = await _pending(scratch_mysql)
    assert row["aggregate_id"] == "unlucky" and row["attempts"] == 1
    assert "broker unavailable" in str(row["last_error"]) and row["backing_off"] == 1
    assert await relay.drain() == 0  # still backing off: not hammered

    broker.refuse = set()
    await scratch_mysql.fetch_all("UPDATE outbox SET available_at = UTC_TIMESTAMP(6)")
    assert await relay.drain() == 1
    assert await _pending(scratch_mysql) == []


async def test_the_wake_up_relays_only_on_the_leader(scratch_mysql: MySQL) -> None:
    broker = FakeBroker()
    leader = False
    relay = OutboxRelay(scratch_mysql, broker.publish, batch_size=10, is_leader=lambda: leader)
    await _write(scratch_mysql, "order-1")

    relay.notify()
    await asyncio.sleep(0)  # let a (wrongly) scheduled drain start
    assert await relay.drain() == 1 and broker.published  # only the explicit drain published
    leader = True
    await _write(scratch_mysql, "order-2")
    relay.notify()

    async def relayed() -> bool:
        return len(broker.published) == 2

    await poll(relayed, timeout=5)


class HeldBroker(FakeBroker):
    """Acks only once `release` is set: holds the relay's pass in the middle of publishing."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(self, order_id: str, payload: bytes) -> Awaitable[Ack]:
        self.sending.set()
        await self.release.wait()
        return await super().publish(order_id, payload)


async def test_a_poll_during_a_pass_makes_the_pass_take_the_new_rows(
    scratch_mysql: MySQL,
) -> None:
    broker = HeldBroker()
    relay = OutboxRelay(scratch_mysql, broker.publish, batch_size=10, is_leader=lambda: True)
    await _write(scratch_mysql, "first")
    running = asyncio.ensure_future(relay.drain())
    await broker.sending.wait()
    await _write(scratch_mysql, "second")
    relay.poll()  # returns at once: it only asks the running pass to go round again
    broker.release.set()
    assert await running == 2, "the running pass went round again for the row written meanwhile"
    assert [order_id for order_id, _ in broker.published] == ["first", "second"]


async def test_the_cleanup_deletes_only_rows_relayed_more_than_a_day_ago(
    scratch_mysql: MySQL,
) -> None:
    relay = OutboxRelay(scratch_mysql, FakeBroker().publish, batch_size=10, is_leader=lambda: True)
    await _write(scratch_mysql, "relayed-25h", "relayed-23h", "pending-3d", "failing-3d")
    # Ages as the rows would have them; the unrelayed ones are old too, and kept.
    await scratch_mysql.fetch_all(
        "UPDATE outbox SET created_at = UTC_TIMESTAMP(6) - INTERVAL 3 DAY,"
        " processed = aggregate_id LIKE 'relayed-%%',"
        " processed_at = CASE aggregate_id"
        "  WHEN 'relayed-25h' THEN UTC_TIMESTAMP(6) - INTERVAL 25 HOUR"
        "  WHEN 'relayed-23h' THEN UTC_TIMESTAMP(6) - INTERVAL 23 HOUR END,"
        " attempts = IF(aggregate_id = 'failing-3d', 9, 0)"
    )

    assert await relay.delete_processed(PROCESSED_RETENTION) == 1

    left = await scratch_mysql.fetch_all("SELECT aggregate_id FROM outbox ORDER BY aggregate_id")
    assert [row["aggregate_id"] for row in left] == ["failing-3d", "pending-3d", "relayed-23h"]
    assert timedelta(days=1) == PROCESSED_RETENTION
