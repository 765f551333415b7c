"""The status state machine and money rules, without any service."""

from decimal import Decimal

import pytest

from ecommerce_stream.orders.domain import (
    ALLOWED_TRANSITIONS,
    OrderStatus,
    can_transition,
    order_total,
    to_money,
)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (OrderStatus.PENDING, OrderStatus.CONFIRMED),
        (OrderStatus.PENDING, OrderStatus.CANCELLED),
        (OrderStatus.PENDING, OrderStatus.FAILED),
        (OrderStatus.CONFIRMED, OrderStatus.PROCESSING),
        (OrderStatus.PROCESSING, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
        (OrderStatus.DELIVERED, OrderStatus.COMPLETED),
        (OrderStatus.DELIVERED, OrderStatus.REFUNDED),
        (OrderStatus.COMPLETED, OrderStatus.REFUNDED),
    ],
)
def test_spec_transitions_are_allowed(current: OrderStatus, target: OrderStatus) -> None:
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (OrderStatus.PENDING, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
        (OrderStatus.CANCELLED, OrderStatus.PENDING),
        (OrderStatus.REFUNDED, OrderStatus.COMPLETED),
        (OrderStatus.PENDING, OrderStatus.PENDING),
    ],
)
def test_other_transitions_are_refused(current: OrderStatus, target: OrderStatus) -> None:
    assert not can_transition(current, target)


def test_every_status_has_a_rule() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(OrderStatus)
    assert len(OrderStatus) == 9


def test_total_is_exact_in_cents() -> None:
    lines = [(3, Decimal("0.10")), (1, Decimal("0.20")), (2, Decimal("12900.90"))]
    assert order_total(lines) == Decimal("25802.30")


def test_money_rounds_half_up_to_cents() -> None:
    assert to_money(Decimal("1.005")) == Decimal("1.01")
    assert to_money(Decimal("2")) == Decimal("2.00")
