"""Kafka plumbing Faust lacks: a consumer that never commits past a record it did not process,
a transport with a shorter consumer fetch wait, acks that wait for what was produced from a
record, the consumer group's committed offsets, a reader that gives every process every message
of a topic, and a sender of tiny coalesced notices.

Faust builds its consumer with `fetch_max_wait_ms=1500` and no setting to change it. aiokafka
keeps one fetch request in flight per broker, and leaves out of it the partitions whose records
the app has not consumed yet. Between two agents of one worker that is a stall: the fetch in
flight names only `orders_analytics` partitions, the transformer finishes its `order.events`
records and waits for more, but `orders_analytics` gets nothing until the transformer sends it
something, so the broker holds the fetch for the full 1.5 s. Under load that put up to 1.5 s
into most orders' way to ClickHouse. KAFKA_FETCH_MAX_WAIT_MS bounds the stall, at the cost of a
few empty fetches a second when idle."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiokafka
from aiokafka.admin import AIOKafkaAdminClient
from faust.transport.consumer import ensure_TP
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, EventT, Message, StreamT

from ecommerce_stream import metrics
from ecommerce_stream.retry import backoff_delay
from ecommerce_stream.stores.reads import Hole, PartitionReads, Verdict, next_commit

log = logging.getLogger(__name__)


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer: aiokafka.AIOKafkaConsumer = super()._create_worker_consumer(transport)
        # Read by the consumer's fetcher when it starts, which has not happened yet.
        assert isinstance(self.transport, Transport), "made by Transport.Consumer only"
        consumer._fetch_max_wait_ms = self.transport.fetch_max_wait_ms
        return consumer


class Consumer(faust_aiokafka.Consumer):
    """Faust's consumer, made to keep at-least-once across rebalances (Faust issue #596; the
    whole story is in docs/upstream/faust-rebalance-gap.md):

    - No record reaches a stream while `perform_seek` runs: Faust resumes the partitions before
      it seeks them, so records fetched between aiokafka's seek of a partition and Faust's
      bookkeeping of it went into the streams' queues, which the recovery then clears.
    - On a topic that cannot have gaps, a record ahead of the partition's next unread offset is
      never delivered and never taken for a gap: the partition is sought back to the first
      unread record, which is read again. Only offsets the log does not hold (expired, or
      missing when read again) are passed over, as holes.
    - A partition the group never committed is sought to where the reset policy starts it
      (the log start, for `earliest`): aiokafka's `seek_to_committed` leaves such a partition
      where it is, so records fetched and dropped during the seek were never read again.
    - The commit of such a topic moves only through an unbroken run of processed offsets (or
      holes) from where reading started; Faust's own check lets the first record go (#606), and
      skips the check altogether for a partition never committed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reads: PartitionReads[TP] = PartitionReads()
        self._holes: defaultdict[TP, list[Hole]] = defaultdict(list)
        self._gapless: dict[str, bool] = {}  # by topic: asked for every record
        # Where each partition was read from at the last seek (its committed offset, or where
        # the reset policy starts a partition the group never committed): the commit's floor.
        self._read_from: dict[TP, int] = {}

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _without_gaps(self, tp: TP) -> bool:
        """Offsets of this partition run without gaps: not a table's compacted changelog, and
        no transaction markers (those come only with exactly-once processing)."""
        gapless = self._gapless.get(tp.topic)
        if gapless is None:
            gapless = self._gapless[tp.topic] = (
                not self.in_transaction
                and not self._is_changelog_tp(tp)
                and self.app.topics.acks_enabled_for(tp.topic)
            )
        return gapless

    async def perform_seek(self) -> None:
        # Faust's callers resume the flow themselves, right as they clear the streams' queues;
        # it is given back here only if the seek fails, so a failure cannot stall the worker.
        was_active = self.flow_active
        self.stop_flow()
        try:
            await super().perform_seek()
        except BaseException:
            if was_active:
                self.resume_flow()
            raise

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        read_from = {
            ensure_TP(tp): offset
            for tp, offset in committed.items()
            if offset is not None and offset >= 0
        }
        # Only our own streams: a table's changelog is positioned by Faust's recovery.
        never = [
            tp for tp in map(ensure_TP, committed) if tp not in read_from and self._without_gaps(tp)
        ]
        if never:
            starts = await self._reset_positions(never)
            await self.seek_wait(starts)
            read_from.update(starts)
        log.info("reading from: %s", _by_partition(read_from))
        for tp, offset in read_from.items():
            self._reads.seek(tp, offset)
            self._read_from[tp] = offset
        return committed

    async def _reset_positions(self, partitions: list[TP]) -> dict[TP, int]:
        """Where the reset policy starts partitions the group never committed."""
        if self.app.conf.consumer_auto_offset_reset == "latest":
            return dict(await self.highwaters(*partitions))
        return dict(await self.earliest_offsets(*partitions))

    async def seek(self, partition: TP, offset: int) -> None:
        await super().seek(partition, offset)
        self._reads.seek(ensure_TP(partition), offset)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        self._gapless.clear()  # subscriptions may change between generations
        self._reads.forget(revoked)
        for tp in revoked:
            self._holes.pop(tp, None)
            self._read_from.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        sought_back: set[TP] = set()
        async for tp, message in super().getmany(timeout):
            if tp in sought_back:
                continue  # the rest of this fetch is ahead too: it comes again, in order
            if not self._without_gaps(tp):
                yield tp, message
                continue
            verdict = self._reads.judge(tp, message.offset)
            if verdict is Verdict.ALREADY_READ:
                continue
            if verdict is Verdict.AHEAD and await self._seek_back(tp, message.offset):
                sought_back.add(tp)
                continue
            self._reads.delivered(tp, message.offset)
            # Faust's drain loop compares each record with its own read offset and takes a jump
            # for a gap: the continuity was judged here, so it is told there was none.
            self._read_offset[tp] = message.offset
            yield tp, message

    async def _seek_back(self, tp: TP, ahead: int) -> bool:
        """A record at `ahead` came before the next unread one: seek back to read the skipped
        records again (True: deliver nothing of this fetch), or, if the log does not hold
        them, pass them over as a hole (False: deliver the record)."""
        next_unread = self._reads.next_unread(tp)
        assert next_unread is not None, "judged AHEAD only against a known offset"
        try:
            log_start = (await self.earliest_offsets(tp)).get(tp, 0)
        except Exception as error:  # judged again on the next fetch
            log.warning("%s: cannot read the log start, holding the partition: %r", tp, error)
            return True
        first_held = max(next_unread, log_start)
        if first_held > next_unread:
            self._pass_over(tp, Hole(next_unread, first_held), "expired by retention before")
        if first_held == ahead:
            return False
        if self._reads.sought_back_before(tp, first_held, ahead):
            self._pass_over(tp, Hole(first_held, ahead), "missing when read again, before")
            return False
        log.warning(
            "%s: offset %d arrived while %d was the next unread; reading again from %d",
            tp,
            ahead,
            next_unread,
            first_held,
        )
        metrics.kafka_offset_jumps.labels(tp.topic, "read_again").inc()
        try:
            await self.seek_wait({tp: first_held})
        except Exception as error:  # e.g. revoked meanwhile: judged again on the next fetch
            log.warning("%s: seeking back to %d failed: %r", tp, first_held, error)
            return True
        self._reads.sought_back(tp, first_held, ahead)
        return True

    def _pass_over(self, tp: TP, hole: Hole, why: str) -> None:
        log.error("%s: offsets %d..%d %s being read", tp, hole.begin, hole.end - 1, why)
        metrics.kafka_offset_jumps.labels(tp.topic, "hole").inc()
        self._holes[tp].append(hole)

    def _new_offset(self, tp: TP) -> int | None:
        if not self._without_gaps(tp):
            return super()._new_offset(tp)
        acked = self._acked[tp]
        acked.sort()
        committed = self._committed_offset[tp]  # Faust keeps None for a commit at offset 0
        floor = self._read_from.get(tp) if committed is None else committed
        offset, used = next_commit(floor, acked, self._holes.get(tp, ()))
        self._acked_index[tp].difference_update(acked[:used])
        del acked[:used]
        if offset is not None and tp in self._holes:
            self._holes[tp] = [hole for hole in self._holes[tp] if hole.end > offset]
        return offset


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer

    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fetch_max_wait_ms = fetch_max_wait_ms


def _by_partition(offsets: Mapping[Any, int | None]) -> str:
    ordered = sorted(offsets.items())
    return ", ".join(f"{tp.topic}[{tp.partition}]={offset}" for tp, offset in ordered)


class GroupOffsets:
    """The offsets a consumer group committed, over all partitions: a worker's own consumer
    knows only the partitions assigned to it."""

    def __init__(self, bootstrap_servers: str, client_id: str, group_id: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._group_id = group_id
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()

    async def committed(self, partitions: Iterable[TP]) -> dict[TP, int]:
        """Partition → committed offset; a partition the group never committed is left out."""
        async with self._lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self._bootstrap_servers, client_id=self._client_id
                )
                await admin.start()
                self._admin = admin
        offsets = await self._admin.list_consumer_group_offsets(
            self._group_id,
            partitions=[aiokafka.TopicPartition(tp.topic, tp.partition) for tp in partitions],
        )
        return {
            TP(tp.topic, tp.partition): meta.offset
            for tp, meta in offsets.items()
            if meta.offset >= 0
        }

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


# The metadata naming a topic's partitions comes within a round trip or two of the start.
ASSIGNMENT_TIMEOUT_SECONDS = 30.0
ASSIGNMENT_POLL_SECONDS = 0.05


class BroadcastReader:
    """Every message of a topic published after it started, to every process that runs one:
    no consumer group (a group hands each message to one member only), all partitions
    assigned, read from their ends, nothing committed."""

    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str,
        topic: str,
        on_message: Callable[[bytes], None],
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._topic = topic
        self._on_message = on_message
        # Set once positioned at the ends: every message published from then on is read.
        self.reading = asyncio.Event()

    async def run(self) -> None:
        """Read until cancelled; raises if Kafka cannot be reached (the caller retries)."""
        # Subscribed without a group, aiokafka assigns every partition of the topic itself
        # (and any added later); with nothing committed, reading starts at the ends.
        consumer = aiokafka.AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=self._bootstrap_servers,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
        )
        await consumer.start()
        try:
            async with asyncio.timeout(ASSIGNMENT_TIMEOUT_SECONDS):
                while not consumer.assignment():
                    await asyncio.sleep(ASSIGNMENT_POLL_SECONDS)
            for partition in consumer.assignment():
                await consumer.position(partition)  # resolves "the end" now
            self.reading.set()
            async for record in consumer:
                if record.value is not None:
                    self._on_message(record.value)
        finally:
            self.reading.clear()
            await consumer.stop()


# send() -> a future the brokers' acknowledgement resolves (Faust's topic.send, aiokafka's).
Send = Callable[[], Awaitable[Awaitable[Any]]]
FIRST_RESEND_SECONDS = 0.5
# Resends back off no further: once Kafka takes records again, they go within seconds.
MAX_RESEND_SECONDS = 10.0
# Every record being sent again, by any AckOnDelivery of this process.
_resends: set[asyncio.Task[None]] = set()


def records_being_resent() -> int:
    """Records Kafka refused after the producer's retries, being sent again now."""
    return len(_resends)


class AckOnDelivery:
    """Acks each event of a manually acked stream (`stream.noack()`) only once the record
    produced from it is acknowledged by the brokers, so the source offset is never committed
    ahead of its output. A record the producer gave up on (its retries and request timeout
    spent) is counted, logged and sent again, with backoff, until Kafka takes it; its event
    stays unacked meanwhile, so a worker that dies first has it redelivered."""

    def __init__(self, stream: StreamT[Any], topic: str) -> None:
        self._stream = stream
        self._topic = topic
        metrics.produce_failures.labels(topic)  # the series exists at 0 from the start
        self._delivered: deque[EventT[Any]] = deque()
        self._acking: asyncio.Task[None] | None = None
        self._resends: set[asyncio.Task[None]] = set()

    async def send(self, event: EventT[Any], send: Send) -> None:
        """Produce with `send` (called again for a resend); `event` is acked once delivered."""
        try:
            delivery = await send()
        except Exception as error:  # not even queued (e.g. no metadata within the timeout)
            self._resend(event, send, error)
            return
        future = asyncio.ensure_future(delivery)
        future.add_done_callback(lambda done: self._settled(event, send, done))

    async def ack(self, event: EventT[Any]) -> None:
        """An event that produced nothing (a stale version) is acked in its turn."""
        await self._stream.ack(event)

    def close(self) -> None:
        for task in [*self._resends, *([self._acking] if self._acking else [])]:
            task.cancel()

    def _settled(self, event: EventT[Any], send: Send, delivery: asyncio.Future[Any]) -> None:
        if delivery.cancelled():
            return  # the worker is stopping: the event stays unacked and is read again
        error = delivery.exception()
        if error is None:
            self._acked_soon(event)
        else:
            self._resend(event, send, error)

    def _acked_soon(self, event: EventT[Any]) -> None:
        # One task acks every delivery settled meanwhile, not one task per record.
        self._delivered.append(event)
        if self._acking is None or self._acking.done():
            self._acking = asyncio.ensure_future(self._ack_delivered())

    async def _ack_delivered(self) -> None:
        while self._delivered:
            await self._stream.ack(self._delivered.popleft())

    def _resend(self, event: EventT[Any], send: Send, error: BaseException) -> None:
        task = asyncio.ensure_future(self._resend_until_taken(event, send, error))
        for tasks in (self._resends, _resends):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _resend_until_taken(
        self, event: EventT[Any], send: Send, error: BaseException
    ) -> None:
        failures = 0
        while True:
            failures += 1
            metrics.produce_failures.labels(self._topic).inc()
            delay = backoff_delay(failures, first=FIRST_RESEND_SECONDS, cap=MAX_RESEND_SECONDS)
            log.error(
                "Kafka did not take a record for %s (from %s@%d): %r; its offset stays"
                " uncommitted, sending it again in %.1f s",
                self._topic,
                event.message.tp,
                event.message.offset,
                error,
                delay,
            )
            await asyncio.sleep(delay)
            try:
                await (await send())
            except Exception as again:
                error = again
                continue
            self._acked_soon(event)
            return


class CoalescedNotices:
    """Messages that only say "something happened", sent with `send` in the background: at
    most one is in flight, and however many `notify` calls come meanwhile, one more follows
    it, at least `least_interval` seconds after the last one started (under load one notice
    covers many; after a quiet spell one leaves at once). A notice that cannot be sent is
    dropped (the reader has a slower way to find out). `prepare` (declaring the topic) runs
    before the first notice, until it succeeds once."""

    def __init__(
        self, send: Send, prepare: Callable[[], Awaitable[Any]], least_interval: float = 0.0
    ) -> None:
        self._send = send
        self._prepare: Callable[[], Awaitable[Any]] | None = prepare
        self._least_interval = least_interval
        self._last_started = float("-inf")
        self._sending: asyncio.Task[None] | None = None
        self._again = False

    async def prepare(self) -> None:
        """Run `prepare` now (a worker warming up), not with the first notice."""
        if self._prepare is not None:
            await self._prepare()
            self._prepare = None

    def notify(self) -> None:
        if self._sending is not None and not self._sending.done():
            self._again = True
            return
        self._sending = asyncio.ensure_future(self._send_while_asked())

    async def _send_while_asked(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wait = self._last_started + self._least_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            # Asked before this point: the notice about to leave covers it.
            self._again = False
            self._last_started = loop.time()
            try:
                await self.prepare()
                await (await self._send())
            except Exception as error:
                log.debug("a notice could not be sent: %r", error)
            if not self._again:
                return

    async def close(self) -> None:
        if self._sending is not None:
            self._sending.cancel()
