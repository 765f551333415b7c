"""Kafka plumbing with fake sends: notices coalesced while one is in flight, and acks that
wait for the delivery of what an event produced (a refused record is sent again, its event
acked only once Kafka took it)."""

from __future__ import annotations

import asyncio
from typing import Any

from ecommerce_stream.stores import kafka
from ecommerce_stream.stores.kafka import AckOnDelivery, CoalescedNotices


class FakeSends:
    """Each send returns a future the test settles, as the brokers would."""

    def __init__(self) -> None:
        self.deliveries: list[asyncio.Future[str]] = []

    async def __call__(self) -> asyncio.Future[str]:
        delivery: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.deliveries.append(delivery)
        return delivery


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_notices_asked_for_while_one_is_in_flight_become_one_more() -> None:
    sends, prepared = FakeSends(), []

    async def prepare() -> None:
        prepared.append(True)

    notices = CoalescedNotices(sends, prepare)
    notices.notify()
    notices.notify()  # before the first notice left: that one covers it
    await _settle()
    assert len(sends.deliveries) == 1 and prepared == [True]
    for _ in range(9):
        notices.notify()
    await _settle()
    assert len(sends.deliveries) == 1
    sends.deliveries[0].set_result("acked")
    await _settle()
    assert len(sends.deliveries) == 2  # the nine asked meanwhile: one notice
    sends.deliveries[1].set_result("acked")
    await _settle()
    assert len(sends.deliveries) == 2 and prepared == [True]


async def test_a_notice_that_fails_is_dropped_and_the_next_is_sent() -> None:
    sends = FakeSends()

    async def prepare() -> None:
        pass

    notices = CoalescedNotices(sends, prepare)
    notices.notify()
    await _settle()
    sends.deliveries[0].set_exception(ConnectionError("no broker"))
    await _settle()
    notices.notify()
    await _settle()
    assert len(sends.deliveries) == 2


async def test_a_notice_asked_for_under_load_waits_for_the_least_interval() -> None:
    sends = FakeSends()

    async def prepare() -> None:
        pass

    least_interval = 0.05
    loop = asyncio.get_running_loop()
    notices = CoalescedNotices(sends, prepare, least_interval=least_interval)
    notices.notify()  # after a quiet spell: at once
    await _settle()
    first_left = loop.time()
    assert len(sends.deliveries) == 1
    sends.deliveries[0].set_result("acked")
    notices.notify()
    notices.notify()
    await _settle()
    assert len(sends.deliveries) == 1  # the interval has not passed yet

    async def second_sent() -> None:
        while len(sends.deliveries) < 2:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(second_sent(), timeout=1.0)
    assert loop.time() - first_left >= least_interval * 0.9
    sends.deliveries[1].set_result("acked")
    await _settle()
    assert len(sends.deliveries) == 2  # both asks covered by the one notice


class FakeEvent:
    def __init__(self, offset: int) -> None:
        self.message = type("Message", (), {"tp": "order.events[0]", "offset": offset})()


class FakeStream:
    def __init__(self) -> None:
        self.acked: list[int] = []

    async def ack(self, event: Any) -> bool:
        self.acked.append(event.message.offset)
        return True


async def test_an_event_is_acked_only_once_its_record_is_delivered() -> None:
    stream, sends = FakeStream(), FakeSends()
    acks = AckOnDelivery(stream, "orders_analytics")  # type: ignore[arg-type]
    for offset in range(3):
        await acks.send(FakeEvent(offset), sends)  # type: ignore[arg-type]
    await _settle()
    assert stream.acked == []
    sends.deliveries[2].set_result("acked")
    sends.deliveries[0].set_result("acked")
    await _settle()
    assert sorted(stream.acked) == [0, 2]


async def test_a_refused_record_is_sent_again_and_its_event_acked_only_then(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(kafka, "FIRST_RESEND_SECONDS", 0.001)
    stream, sends = FakeStream(), FakeSends()
    acks = AckOnDelivery(stream, "orders_analytics")  # type: ignore[arg-type]
    failures_before = kafka.metrics.produce_failures.labels("orders_analytics")._value.get()
    await acks.send(FakeEvent(7), sends)  # type: ignore[arg-type]
    sends.deliveries[0].set_exception(TimeoutError("the broker did not answer"))
    while len(sends.deliveries) < 2:
        await asyncio.sleep(0.001)
    assert stream.acked == [] and kafka.records_being_resent() == 1
    sends.deliveries[1].set_exception(TimeoutError("still frozen"))
    while len(sends.deliveries) < 3:
        await asyncio.sleep(0.001)
    assert stream.acked == []
    sends.deliveries[2].set_result("acked")
    await _settle()
    assert stream.acked == [7] and kafka.records_being_resent() == 0
    failures = kafka.metrics.produce_failures.labels("orders_analytics")._value.get()
    assert failures - failures_before == 2


async def test_a_send_that_cannot_even_be_queued_is_sent_again(monkeypatch: Any) -> None:
    monkeypatch.setattr(kafka, "FIRST_RESEND_SECONDS", 0.001)
    stream = FakeStream()
    calls = 0

    async def send() -> asyncio.Future[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TimeoutError("no metadata")
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        done.set_result("acked")
        return done

    acks = AckOnDelivery(stream, "orders_analytics")  # type: ignore[arg-type]
    await acks.send(FakeEvent(3), send)  # type: ignore[arg-type]
    while not stream.acked:
        await asyncio.sleep(0.001)
    assert stream.acked == [3] and calls == 2
