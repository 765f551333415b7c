"""The worker's consumer never commits past a record it did not process, even when a fetch
lands while a rebalance's seek is under way (Faust #596, docs/upstream/faust-rebalance-gap.md).

Faust's own drain loop, getmany and commit bookkeeping run for real here; only the Kafka client
under them is a fake that behaves as aiokafka does: it fetches from each partition's position
and moves the position past what it returns, and `seek_to_committed` seeks one partition at a
time with a round trip per partition, during which fetches go on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import faust
import pytest
from aiokafka.structs import ConsumerRecord
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message
from prometheus_client import REGISTRY

from ecommerce_stream.stores.kafka import Consumer, Transport
from tests.conftest import poll

TOPIC = "events"
EVENTS = TP(TOPIC, 0)
OTHER = TP(TOPIC, 1)
IDLE = TP(TOPIC, 2)  # a partition with no records: a fetch for it waits
LOG_END = 40
COMMITTED = 10
FETCH_SIZE = 10


class FakeKafka:
    """The consumer thread's interface over an in-memory log of LOG_END records a partition."""

    def __init__(
        self,
        consumer: faust_aiokafka.Consumer,
        log_start: int,
        committed: Mapping[TP, int | None],
    ) -> None:
        self.consumer = consumer
        self.log_start = log_start
        self.committed = committed
        # aiokafka starts an assigned partition at its committed offset, or (never committed,
        # `earliest`) at the log start.
        self.position = {tp: offset or log_start for tp, offset in committed.items()}
        self.missing: set[int] = set()  # offsets of EVENTS the log does not hold
        self.skips: dict[int, int] = {}  # a fetch of EVENTS from key starts at value, once
        self._moved = asyncio.Event()
        self._seeking = False
        self._fetched_in_seek = asyncio.Event()
        self._delivered_in_seek = asyncio.Event()
        self._seek_done = asyncio.Event()
        self._in_flight = 0  # fetches waiting for records
        self._landed = asyncio.Event()  # a fetch returned

    def _records(self, tp: TP) -> list[ConsumerRecord[bytes, bytes]]:
        start = self.position[tp]
        if tp == EVENTS:
            start = self.skips.pop(start, start)
        offsets = [o for o in range(start, LOG_END) if tp != EVENTS or o not in self.missing]
        taken = offsets[:FETCH_SIZE]
        if taken:
            self.position[tp] = taken[-1] + 1
        return [
            ConsumerRecord(tp.topic, tp.partition, o, 0, 0, b"k", b"v", None, 1, 1, ())
            for o in taken
        ]

    async def getmany(
        self, active_partitions: set[TP] | None, timeout: float
    ) -> Mapping[TP, list[ConsumerRecord[bytes, bytes]]]:
        if self._seeking and self._fetched_in_seek.is_set():
            # Faust asks again once it delivered the fetch that landed during the seek; this
            # one is still in flight when the seek ends.
            self._delivered_in_seek.set()
            await self._seek_done.wait()
        if not self.consumer.flow_active:  # as Faust's aiokafka driver checks
            return {}
        self._in_flight += 1
        try:
            records = await self._wait_for_records(active_partitions, timeout)
        finally:
            self._in_flight -= 1
            self._landed.set()
        if self._seeking:
            self._fetched_in_seek.set()
        return records

    async def _wait_for_records(
        self, active_partitions: set[TP] | None, timeout: float
    ) -> dict[TP, list[ConsumerRecord[bytes, bytes]]]:
        records = self._fetch(active_partitions)
        if not records:
            self._moved.clear()
            try:
                await asyncio.wait_for(self._moved.wait(), timeout)
            except TimeoutError:
                return {}
            # aiokafka reads Faust's set of active partitions as it is now, not as it was.
            records = self._fetch(active_partitions)
        return records

    async def fetching(self) -> bool:
        return self._in_flight > 0

    def _fetch(
        self, active_partitions: set[TP] | None
    ) -> dict[TP, list[ConsumerRecord[bytes, bytes]]]:
        tps = [tp for tp in (EVENTS, OTHER) if active_partitions and tp in active_partitions]
        return {tp: batch for tp in tps if (batch := self._records(tp))}

    async def seek_to_committed(self) -> Mapping[TP, int | None]:
        self._seeking = True
        self._seek_done.clear()
        self._fetched_in_seek.clear()
        self._delivered_in_seek.clear()
        self._landed.clear()
        try:
            for tp in (EVENTS, OTHER):
                # aiokafka awaits each partition's committed offset (a round trip) while its
                # fetcher goes on; it seeks only a partition that has one.
                await asyncio.sleep(0)
                offset = self.committed[tp]
                if offset:
                    self.position[tp] = offset
                    self._moved.set()
                # A fetch in flight lands now, whatever Faust's flow; and while the flow is on,
                # Faust fetches, delivers and asks again.
                if tp == EVENTS and self._in_flight:
                    await self._landed.wait()
                if tp == EVENTS and self.consumer.flow_active:
                    await self._delivered_in_seek.wait()
            return self.committed
        finally:
            self._seeking = False
            self._seek_done.set()

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        for tp, offset in partitions.items():
            self.position[tp] = offset
        self._moved.set()

    def seek(self, partition: TP, offset: int) -> None:
        self.position[partition] = offset
        self._moved.set()

    async def earliest_offsets(self, *partitions: TP) -> Mapping[TP, int]:
        return {tp: self.log_start for tp in partitions}

    def assignment(self) -> set[TP]:
        return {EVENTS, OTHER}

    def highwater(self, tp: TP) -> int:
        return LOG_END


class Run:
    """One consumer over a fake client, its drain loop running, and a stream that holds what
    it was given until the test processes it (as a busy agent does)."""

    def __init__(self, consumer: faust_aiokafka.Consumer, kafka: FakeKafka) -> None:
        self.start = {tp: offset or kafka.log_start for tp, offset in kafka.committed.items()}
        self.consumer = consumer
        self.kafka = kafka
        self.queued: list[Message] = []  # the stream's queue
        self.processed: dict[TP, list[int]] = {EVENTS: [], OTHER: []}
        self.commits: dict[TP, list[int]] = {EVENTS: [], OTHER: []}
        self.unprocessed_at_commit: dict[TP, list[int]] = {EVENTS: [], OTHER: []}

    async def deliver(self, message: Message) -> None:
        self.queued.append(message)

    def process_queued(self) -> None:
        for message in self.queued:
            self.processed[message.tp].append(message.offset)
            self.consumer.ack(message)
        self.queued.clear()

    async def read_to_end(self) -> bool:
        """Everything fetched so far was processed and each partition was read to the end,
        its last record delivered too (a fetch moves the position before Faust's drain loop
        hands the records over); a commit is made at each call, as Faust's commit timer would."""
        self.process_queued()
        for tp in (EVENTS, OTHER):
            self.commits[tp].append(self.commit_offset(tp))
            self.unprocessed_at_commit[tp].append(self.first_unprocessed(tp))
        return all(
            self.kafka.position[tp] == LOG_END and LOG_END - 1 in self.processed[tp]
            for tp in (EVENTS, OTHER)
        )

    def commit_offset(self, tp: TP) -> int:
        """Where the next commit would leave the partition."""
        offset = self.consumer._filter_committable_offsets({tp}).get(tp)
        if offset is not None:
            self.consumer._committed_offset[tp] = offset
        committed: int | None = self.consumer._committed_offset[tp]
        return self.start[tp] if committed is None else committed

    def first_unprocessed(self, tp: TP) -> int:
        done = set(self.processed[tp])
        return next(o for o in range(self.start[tp], LOG_END + 1) if o not in done)


@pytest.fixture
async def app() -> faust.App:
    app = faust.App("gap-test", broker="kafka://127.0.0.1:9", autodiscover=False)
    app.transport = Transport(app.conf.broker_consumer, app, fetch_max_wait_ms=100)
    app.topics.add(app.topic(TOPIC))
    await app.topics._update_indices()  # makes the topic one whose records are acked
    return app


@asynccontextmanager
async def started(
    app: faust.App,
    consumer_class: type[faust_aiokafka.Consumer],
    log_start: int = 0,
    other_committed: int | None = COMMITTED,
) -> AsyncIterator[Run]:
    consumer = consumer_class(
        app.transport, callback=_unset, on_partitions_revoked=_unset, on_partitions_assigned=_unset
    )
    kafka = FakeKafka(consumer, log_start, {EVENTS: COMMITTED, OTHER: other_committed})
    consumer._thread = kafka  # type: ignore[assignment]
    run = Run(consumer, kafka)
    consumer.callback = run.deliver
    fetcher = faust.Service()
    drain = asyncio.create_task(consumer._drain_messages(fetcher))
    try:
        yield run
    finally:
        await fetcher.stop()
        drain.cancel()
        await asyncio.gather(drain, return_exceptions=True)


async def _unset(*args: Any) -> None:
    raise AssertionError("not called in these tests")


async def _recover(run: Run) -> None:
    """What Faust's recovery does once a rebalance assigned the partitions (tables/recovery.py,
    on_recovery_completed): resume them, seek them to the committed offsets, then clear the
    streams' queues and resume the flow."""
    run.consumer.resume_partitions({EVENTS, OTHER})
    await run.consumer.perform_seek()
    run.queued.clear()  # app.flow_control.resume() clears every stream's queue
    run.consumer.resume_flow()


async def test_a_partition_never_committed_is_read_from_its_start_after_the_seek(
    app: faust.App,
) -> None:
    # A fetch in flight when the seek begins lands during it; Faust drops its records (the flow
    # is stopped) and seeks back to the committed offsets, but aiokafka seeks no partition
    # without one: faust-streaming's own consumer then never reads OTHER's first records again
    # and commits past them (seen in the churn drill as the first 8 records of a partition).
    async with started(app, Consumer, other_committed=None) as run:
        run.consumer.resume_partitions({IDLE})  # a fetch starts and waits for records
        await poll(run.kafka.fetching, timeout=10, interval=0.01)
        await _recover(run)
        await poll(run.read_to_end, timeout=10, interval=0.01)

        assert sorted(set(run.processed[OTHER])) == list(range(0, LOG_END))
        for commit, unprocessed in zip(
            run.commits[OTHER], run.unprocessed_at_commit[OTHER], strict=True
        ):
            assert commit <= unprocessed, "committed past a record never processed"
        assert run.commits[OTHER][-1] == LOG_END


def jumps(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "ecommerce_kafka_offset_jumps_total", {"topic": TOPIC, "outcome": outcome}
        )
        or 0.0
    )


async def test_a_fetch_during_the_rebalance_seek_loses_nothing(app: faust.App) -> None:
    # Run against faust-streaming's own consumer, this test fails: a gap [11, 21) is
    # registered and the commit moves to 40 with 10..19 never processed.
    async with started(app, Consumer) as run:
        await _recover(run)
        await poll(run.read_to_end, timeout=10, interval=0.01)

        for tp in (EVENTS, OTHER):
            assert not run.consumer._gap[tp], "a gap was registered on a topic without gaps"
            for commit, unprocessed in zip(
                run.commits[tp], run.unprocessed_at_commit[tp], strict=True
            ):
                assert commit <= unprocessed, "committed past a record never processed"
            assert sorted(set(run.processed[tp])) == list(range(COMMITTED, LOG_END))
            assert run.commits[tp][-1] == LOG_END


async def test_faust_alone_still_commits_past_unprocessed_records(app: faust.App) -> None:
    """The same race with faust-streaming's own consumer: the day this fails, upstream has
    fixed #596, and stores/kafka.py's consumer can go."""
    async with started(app, faust_aiokafka.Consumer) as run:
        await _recover(run)
        await poll(run.read_to_end, timeout=10, interval=0.01)

        assert run.first_unprocessed(EVENTS) == COMMITTED, "records 10..19 were never processed"
        assert max(run.commits[EVENTS]) > COMMITTED, "and Faust committed past them"


async def test_a_record_ahead_of_the_next_unread_is_read_again(app: faust.App) -> None:
    read_again, holes = jumps("read_again"), jumps("hole")
    async with started(app, Consumer) as run:
        run.kafka.skips = {20: 30}  # the client skips ahead, as after the race above
        await _recover(run)

        await poll(run.read_to_end, timeout=10, interval=0.01)

        assert sorted(set(run.processed[EVENTS])) == list(range(COMMITTED, LOG_END))
        assert run.commits[EVENTS][-1] == LOG_END
        assert not run.consumer._gap[EVENTS]
    assert (jumps("read_again") - read_again, jumps("hole") - holes) == (1, 0)


async def test_offsets_the_log_no_longer_holds_are_passed_over(app: faust.App) -> None:
    read_again, holes = jumps("read_again"), jumps("hole")
    async with started(app, Consumer, log_start=25) as run:
        run.kafka.missing = set(range(COMMITTED, 25))  # expired by retention
        await _recover(run)

        await poll(run.read_to_end, timeout=10, interval=0.01)

        assert run.processed[EVENTS] == list(range(25, LOG_END))
        assert run.commits[EVENTS][-1] == LOG_END
    assert (jumps("read_again") - read_again, jumps("hole") - holes) == (0, 1)


async def test_offsets_missing_when_read_again_are_passed_over(app: faust.App) -> None:
    read_again, holes = jumps("read_again"), jumps("hole")
    async with started(app, Consumer) as run:
        run.kafka.missing = {20, 21}  # e.g. transaction markers written by another producer
        await _recover(run)

        await poll(run.read_to_end, timeout=10, interval=0.01)

        expected = [o for o in range(COMMITTED, LOG_END) if o not in {20, 21}]
        assert sorted(set(run.processed[EVENTS])) == expected
        assert run.commits[EVENTS][-1] == LOG_END
    # Read again once, then passed over as a hole.
    assert (jumps("read_again") - read_again, jumps("hole") - holes) == (1, 1)
