"""An order's older event keeps failing to publish while its newer ones go through: the relay
does not hold the newer ones back, the older one arrives last, and the analytics end at the
newest version. Real MariaDB (the outbox), a broker that refuses one version, the real
decoding, mapping and ledger on an embedded ClickHouse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date

from ecommerce_stream.analytics.mapping import row_from_event
from ecommerce_stream.events.decoding import decode_event
from ecommerce_stream.events.upcasting import Upcaster
from ecommerce_stream.orders.domain import OrderStatus
from ecommerce_stream.orders.schemas import CreateOrder
from ecommerce_stream.outbox.relay import OutboxRelay
from ecommerce_stream.stores.mysql import MySQL
from tests.integration.conftest import Analytics
from tests.integration.test_outbox_relay import Ack
from tests.orders_support import order_service


class BrokerRefusingOneVersion:
    """Acks every event except those of version `refused`, while `refusing` is set."""

    def __init__(self, refused: int) -> None:
        self.refused = refused
        self.refusing = True
        self.published: list[bytes] = []

    async def publish(self, order_id: str, payload: bytes) -> Awaitable[Ack]:
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        if self.refusing and decode_event(payload, Upcaster({})).version == self.refused:
            future.set_exception(ConnectionError("broker unavailable"))
        else:
            self.published.append(payload)
            future.set_result(Ack(partition=0, offset=len(self.published) - 1))
        return future


async def _sink(analytics: Analytics, payloads: list[bytes]) -> None:
    """What the transformer and the sink do with what reached the topic, in its order."""
    rows = [row_from_event(decode_event(payload, Upcaster({}))) for payload in payloads]
    for row in rows:
        await analytics.ledger.apply([row])


async def _statuses(analytics: Analytics) -> dict[str, int]:
    answer = await analytics.queries.order_status(date(2000, 1, 1), date(2100, 1, 1))
    return {status.status: status.order_count for status in answer}


async def test_the_analytics_end_at_the_newest_version_when_an_older_one_fails(
    scratch_mysql: MySQL, analytics: Analytics
) -> None:
    await analytics.schema.empty_ledger_and_views()
    service = order_service(scratch_mysql)
    broker = BrokerRefusingOneVersion(refused=2)
    relay = OutboxRelay(scratch_mysql, broker.publish, batch_size=10, is_leader=lambda: True)
    body = {"userId": 1, "shippingAddress": "Busan", "items": [{"productId": 101, "quantity": 1}]}
    order, _ = await service.create(CreateOrder.model_validate(body))
    await service.change_status(order.id, OrderStatus.CONFIRMED)  # version 2: refused
    await service.change_status(order.id, OrderStatus.PROCESSING)  # version 3

    assert await relay.drain() == 2  # versions 1 and 3; version 2 waits for its retry
    [waiting] = await scratch_mysql.fetch_all(
        "SELECT attempts FROM outbox WHERE processed = FALSE AND aggregate_id = %s", (order.id,)
    )
    assert waiting["attempts"] == 1
    await _sink(analytics, broker.published)
    assert await _statuses(analytics) == {"PROCESSING": 1}

    # The broker is back and the retry is due: version 2 arrives after version 3.
    broker.refusing = False
    await scratch_mysql.fetch_all("UPDATE outbox SET available_at = UTC_TIMESTAMP(6)")
    assert await relay.drain() == 1
    versions = [decode_event(p, Upcaster({})).version for p in broker.published]
    assert versions == [1, 3, 2]
    await _sink(analytics, broker.published[-1:])
    assert await _statuses(analytics) == {"PROCESSING": 1}
    assert (await analytics.queries.stats()).total_orders == 1
