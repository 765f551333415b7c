"""The sink's memory of the state rows it wrote (analytics/ledger.py RecentStates): what it may
answer without asking ClickHouse, and when it must ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ecommerce_stream.analytics.ledger import (
    CLOCK_SKEW_MARGIN,
    RecentStates,
    ledger_rows,
    state_row,
)
from ecommerce_stream.analytics.models import OrderAnalyticsRow

BEGAN = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
LATER = BEGAN + CLOCK_SKEW_MARGIN + timedelta(seconds=1)


def row(order_id: str, created_at: datetime, version: int = 1) -> OrderAnalyticsRow:
    return OrderAnalyticsRow(
        order_id=order_id,
        user_id=1,
        user_name="Kim",
        status="PENDING",
        total_amount=Decimal("10.00"),
        item_count=1,
        product_ids=[101],
        created_at=created_at,
        updated_at=created_at,
        event_type="CREATED" if version == 1 else "UPDATED",
        is_deleted=False,
        deleted_at=None,
        version=version,
    )


def write(recent: RecentStates, rows: list[OrderAnalyticsRow], writes: int) -> None:
    """One batch written under a writer lock whose count was `writes` inside the hold."""
    known, unknown = recent.known(rows, (0, writes), BEGAN)
    assert not unknown, "the test writes only orders the memory may answer for"
    recent.wrote(ledger_rows(rows, known), (0, writes + 1))


def test_a_server_clickhouse_is_always_asked() -> None:
    recent = RecentStates()
    rows = [row("a", LATER)]
    recent.wrote([state_row(rows[0])], None)
    assert recent.known(rows, None, BEGAN) == ({}, {"a"})


def test_orders_created_before_the_memory_began_are_asked_about() -> None:
    recent = RecentStates()
    early = row("early", BEGAN + CLOCK_SKEW_MARGIN - timedelta(seconds=1))
    new = row("new", LATER)
    known, unknown = recent.known([early, new], (0, 1), BEGAN)
    assert known == {} and unknown == {"early"}  # "new" can have no state yet


def test_a_written_state_is_answered_from_memory_and_the_next_version_retracts_it() -> None:
    recent = RecentStates()
    first = row("a", LATER)
    write(recent, [first], writes=1)
    known, unknown = recent.known([row("a", LATER, version=2)], (0, 3), BEGAN)
    assert unknown == set() and known["a"] == state_row(first)
    changes = ledger_rows([row("a", LATER, version=2)], known)
    assert [(c["version"], c["sign"]) for c in changes] == [(2, -1), (2, 1)]


def test_a_duplicate_of_a_written_version_adds_nothing() -> None:
    recent = RecentStates()
    first = row("a", LATER)
    write(recent, [first], writes=1)
    known, _ = recent.known([first], (0, 3), BEGAN)
    assert ledger_rows([first], known) == []


def test_another_writer_in_between_makes_it_start_over() -> None:
    recent = RecentStates()
    write(recent, [row("a", LATER)], writes=1)
    # Someone else held the lock (a rebuild): the count grew by more than this hold's one.
    later_begin = LATER + timedelta(minutes=1)
    known, unknown = recent.known([row("a", LATER, version=2)], (0, 5), later_begin)
    assert known == {} and unknown == {"a"}


def test_a_new_generation_makes_it_start_over() -> None:
    recent = RecentStates()
    write(recent, [row("a", LATER)], writes=1)
    known, unknown = recent.known([row("a", LATER, version=2)], (1, 3), LATER)
    assert known == {} and unknown == {"a"}


def test_after_a_failed_write_every_order_is_asked_about_again() -> None:
    recent = RecentStates()
    write(recent, [row("a", LATER)], writes=1)
    recent.forget(LATER)
    known, unknown = recent.known([row("a", LATER, version=2)], (0, 3), LATER)
    assert known == {} and unknown == {"a"}


def test_orders_it_let_go_of_and_older_ones_are_asked_about() -> None:
    recent = RecentStates(kept=2)
    stamps = [LATER + timedelta(seconds=i) for i in range(3)]
    for i, stamp in enumerate(stamps):
        write(recent, [row(f"o{i}", stamp)], writes=1 + 2 * i)
    # o0 was let go of: its state is in ClickHouse only, and so may be any order created
    # before it that the memory never saw.
    unseen_older = row("unseen", stamps[0] - timedelta(milliseconds=1))
    unseen_newer = row("fresh", stamps[2] + timedelta(seconds=1))
    known, unknown = recent.known(
        [row("o0", stamps[0], 2), row("o2", stamps[2], 2), unseen_older, unseen_newer],
        (0, 7),
        BEGAN,
    )
    assert set(known) == {"o2"} and unknown == {"o0", "unseen"}
