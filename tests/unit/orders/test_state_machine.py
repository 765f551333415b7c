"""Property-based tests (hypothesis) of the order rules: the status state machine against the
SPEC §2 graph, walks through it, exact totals, and the soft-delete retention window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecommerce_stream.errors import Conflict
from ecommerce_stream.orders.domain import (
    OrderStatus,
    can_transition,
    check_transition,
    order_total,
    restorable,
    retention_cutoff,
)

S = OrderStatus
# SPEC §2, written out again here so that the code is checked against the text, not itself.
SPEC_EDGES = {
    (S.PENDING, S.CONFIRMED),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.FAILED),
    (S.CONFIRMED, S.PROCESSING),
    (S.CONFIRMED, S.CANCELLED),
    (S.PROCESSING, S.SHIPPED),
    (S.PROCESSING, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
    (S.DELIVERED, S.COMPLETED),
    (S.DELIVERED, S.REFUNDED),
    (S.COMPLETED, S.REFUNDED),
}
TERMINAL = {S.CANCELLED, S.REFUNDED, S.FAILED}
LONGEST_PATH = 6  # PENDING→CONFIRMED→PROCESSING→SHIPPED→DELIVERED→COMPLETED→REFUNDED

statuses = st.sampled_from(OrderStatus)


@given(current=statuses, target=statuses)
def test_a_transition_is_allowed_exactly_when_the_spec_draws_it(
    current: OrderStatus, target: OrderStatus
) -> None:
    allowed = (current, target) in SPEC_EDGES
    assert can_transition(current, target) is allowed
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict) as refused:
            check_transition(current, target)
        assert refused.value.details[0]["field"] == "status"


@given(targets=st.lists(statuses, max_size=40))
def test_any_sequence_of_requests_walks_the_graph_and_ends(targets: list[OrderStatus]) -> None:
    """Apply requested statuses one by one as the service does: the accepted ones form a path
    of the spec's graph, which never revisits a status and is at most 6 steps long."""
    status, visited, accepted = S.PENDING, [S.PENDING], 0
    for target in targets:
        if can_transition(status, target):
            assert (status, target) in SPEC_EDGES
            status = target
            visited.append(status)
            accepted += 1
    assert len(set(visited)) == len(visited)
    assert accepted <= LONGEST_PATH
    if status in TERMINAL:
        assert not any(can_transition(status, target) for target in OrderStatus)


@given(
    lines=st.lists(
        st.tuples(st.integers(1, 1000), st.integers(0, 10**10 - 1)), min_size=1, max_size=100
    )
)
def test_the_total_is_exact_to_the_cent(lines: list[tuple[int, int]]) -> None:
    """Σ quantity × price over prices in whole cents equals the integer sum, never a float."""
    priced = [(quantity, Decimal(cents) / 100) for quantity, cents in lines]
    expected_cents = sum(quantity * cents for quantity, cents in lines)
    assert order_total(priced) == Decimal(expected_cents) / 100
    assert order_total(priced).as_tuple().exponent == -2


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(deleted_at=moments, elapsed=st.timedeltas(timedelta(0), timedelta(days=30)),
       days=st.integers(0, 30))  # fmt: skip
def test_an_order_is_restorable_or_purgeable_never_both(
    deleted_at: datetime, elapsed: timedelta, days: int
) -> None:
    now = deleted_at + elapsed
    purgeable = deleted_at <= retention_cutoff(now, days)  # what purge-deleted removes
    assert restorable(deleted_at, now, days) is not purgeable
    assert restorable(deleted_at, now, days) is (elapsed < timedelta(days=days))
