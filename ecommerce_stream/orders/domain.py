"""Order rules as plain code with no I/O: statuses and their transitions, money and totals, the
soft-delete retention window, which of several versions of an order counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol, TypeVar

from ecommerce_stream.errors import Conflict
from ecommerce_stream.wire import CENT

MAX_ITEMS = 100
MAX_QUANTITY = 1000


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    PROCESSING = "PROCESSING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"


ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.FAILED}
    ),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.FAILED: frozenset(),
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Refuse (409) what the state machine forbids, staying put included."""
    if not can_transition(current, target):
        raise Conflict(
            f"an order cannot go from {current} to {target}",
            [{"field": "status", "message": f"{current} -> {target} is not allowed"}],
        )


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Orders soft-deleted at or before this moment can no longer be restored, only purged."""
    return now - timedelta(days=retention_days)


def restorable(deleted_at: datetime, now: datetime, retention_days: int) -> bool:
    return deleted_at > retention_cutoff(now, retention_days)


def to_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def order_total(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    """Σ quantity × price over (quantity, price) lines, in exact decimal cents."""
    return to_money(sum((quantity * price for quantity, price in lines), Decimal("0")))


class Versioned(Protocol):
    """Anything describing one version of an order: an analytics row, a relayed event."""

    @property
    def order_id(self) -> str: ...

    @property
    def version(self) -> int: ...


VersionedT = TypeVar("VersionedT", bound=Versioned)


def newest_per_order(items: Iterable[VersionedT]) -> dict[str, VersionedT]:
    """Of several versions of an order only the newest counts: the version decides."""
    newest: dict[str, VersionedT] = {}
    for item in items:
        kept = newest.get(item.order_id)
        if kept is None or item.version > kept.version:
            newest[item.order_id] = item
    return newest
