"""The outbox audit's pure parts: when the pipeline is done with events, and which are lost."""

from __future__ import annotations

from datetime import datetime, timedelta

from faust.types import TP

from ecommerce_stream.outbox.audit import DeliveryWatermark, EndOffsets, lost_events
from ecommerce_stream.outbox.repository import RelayedEvent

EVENTS = [TP("order.events", 0), TP("order.events", 1)]
ROWS = [TP("orders_analytics", 0), TP("orders_analytics", 1)]
START = datetime(2026, 11, 27, 12, 0)


def _offsets(events: tuple[int, int], rows: tuple[int, int]) -> tuple[dict[TP, int], ...]:
    return dict(zip(EVENTS, events, strict=True)), dict(zip(ROWS, rows, strict=True))


def _reading(second: int, events: tuple[int, int], rows: tuple[int, int]) -> EndOffsets:
    return EndOffsets(START + timedelta(seconds=second), *_offsets(events, rows))


def _committed(events: tuple[int, int], rows: tuple[int, int]) -> dict[TP, int]:
    event_offsets, row_offsets = _offsets(events, rows)
    return {**event_offsets, **row_offsets}


def test_a_reading_is_safe_once_its_events_and_then_their_rows_are_committed() -> None:
    watermark = DeliveryWatermark()
    assert watermark.advance(_committed((0, 0), (0, 0)), _reading(0, (5, 5), (3, 3))) is None
    # The events of reading 0 are transformed; their rows lie below this reading's row ends.
    assert watermark.advance(_committed((5, 5), (3, 3)), _reading(5, (5, 5), (8, 8))) is None
    # Rows committed up to 8: everything published before reading 0 is in ClickHouse.
    assert watermark.advance(_committed((5, 5), (8, 8)), _reading(10, (5, 5), (8, 8))) == START


def test_one_partition_behind_holds_the_watermark() -> None:
    watermark = DeliveryWatermark()
    watermark.advance(_committed((0, 0), (0, 0)), _reading(0, (5, 5), (3, 3)))
    for second in (5, 10, 15):
        lagging = _committed((5, 4), (9, 9))  # partition 1 of order.events short by one
        assert watermark.advance(lagging, _reading(second, (5, 5), (9, 9))) is None
    watermark.advance(_committed((5, 5), (9, 9)), _reading(20, (5, 5), (9, 9)))
    assert watermark.advance(_committed((5, 5), (9, 9)), _reading(25, (5, 5), (9, 9))) == (
        START + timedelta(seconds=15)
    )


def test_rows_sent_after_an_earlier_row_reading_are_waited_for() -> None:
    watermark = DeliveryWatermark()
    watermark.advance(_committed((0, 0), (0, 0)), _reading(0, (5, 5), (3, 3)))
    watermark.advance(_committed((5, 5), (3, 3)), _reading(5, (5, 5), (8, 8)))
    # Row offsets committed up to the first reading's ends (3) are not enough: the
    # transformer's rows may lie up to 8.
    assert watermark.advance(_committed((5, 5), (3, 7)), _reading(10, (5, 5), (8, 8))) is None


def test_a_partition_never_committed_counts_as_offset_zero() -> None:
    watermark = DeliveryWatermark()
    empty = EndOffsets(START, {EVENTS[0]: 0}, {ROWS[0]: 0})
    watermark.advance({}, empty)
    watermark.advance({}, EndOffsets(START + timedelta(seconds=5), {EVENTS[0]: 0}, {ROWS[0]: 0}))
    assert watermark.advance({}, empty) == START
    unconsumed = DeliveryWatermark()
    unconsumed.advance({}, EndOffsets(START, {EVENTS[0]: 1}, {ROWS[0]: 0}))
    assert unconsumed.advance({}, EndOffsets(START, {EVENTS[0]: 1}, {ROWS[0]: 0})) is None


def _event(event_id: int, order_id: str, version: int) -> RelayedEvent:
    return RelayedEvent(event_id, order_id, version, START, attempts=0)


def test_lost_events_are_the_newest_of_each_order_clickhouse_has_not_reached() -> None:
    relayed = [
        _event(1, "a", 1),
        _event(2, "b", 1),
        _event(3, "a", 2),
        _event(4, "c", 1),
        _event(5, "b", 2),
    ]
    applied = {"a": 2, "b": 1}  # "a" is complete, "b" lacks version 2, "c" never arrived
    assert [event.id for event in lost_events(relayed, applied)] == [5, 4]


def test_a_newer_applied_version_covers_an_older_event() -> None:
    # The transformer describes an order by its live state, which may be newer than the event.
    assert lost_events([_event(1, "a", 2)], {"a": 5}) == []
