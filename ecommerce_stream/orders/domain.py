"""Order rules as plain code with no I/O: statuses and their transitions, totals, the
soft-delete retention window, and the Order aggregate that applies a change, checks those
rules, bumps its version and records the event the change raises."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ecommerce_stream.errors import Conflict, Gone, NotFound
from ecommerce_stream.events.records import (
    OrderCreated,
    OrderDeleted,
    OrderEvent,
    OrderRestored,
    OrderStatusChanged,
    new_event,
)
from ecommerce_stream.events.records import (
    OrderLine as EventLine,
)
from ecommerce_stream.wire import to_money

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


def order_total(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    """Σ quantity × price over (quantity, price) lines, in exact decimal cents."""
    return to_money(sum((quantity * price for quantity, price in lines), Decimal("0")))


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: int
    product_name: str
    quantity: int
    price: Decimal


@dataclass(eq=False)
class Order:
    """One order and its lines. Changes go through its methods, each of which bumps the version
    by exactly one and records the event that describes the order after it; the unit of work
    writes the recorded events to the outbox in the transaction that saves the order."""

    id: str
    user_id: int
    user_name: str
    status: OrderStatus
    total_amount: Decimal
    shipping_address: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_by: str | None
    lines: tuple[OrderLine, ...]
    events: list[OrderEvent] = field(default_factory=list, repr=False)

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        user_id: int,
        user_name: str,
        status: OrderStatus,
        shipping_address: str,
        lines: tuple[OrderLine, ...],
        now: datetime,
    ) -> Order:
        """A new order at version 1; its total is the sum of its lines."""
        order = cls(
            id=order_id,
            user_id=user_id,
            user_name=user_name,
            status=status,
            total_amount=order_total((line.quantity, line.price) for line in lines),
            shipping_address=shipping_address,
            version=1,
            created_at=now,
            updated_at=now,
            deleted_at=None,
            deleted_by=None,
            lines=lines,
        )
        order._record(OrderCreated)
        return order

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def change_status(self, target: OrderStatus, now: datetime) -> None:
        if self.is_deleted:
            raise NotFound(f"order {self.id} not found")
        check_transition(self.status, target)
        previous, self.status = self.status, target
        self._changed(OrderStatusChanged, now, fromStatus=previous.value, toStatus=target.value)

    def delete(self, admin_id: str, now: datetime) -> bool:
        """Soft delete; False (and no change, no event) if the order is deleted already."""
        if self.is_deleted:
            return False
        self.deleted_at, self.deleted_by = now, admin_id
        self._changed(OrderDeleted, now)
        return True

    def restore(self, admin_id: str, now: datetime, retention_days: int) -> None:
        """Undo a soft delete within the retention window."""
        if self.deleted_at is None:
            raise Conflict(f"order {self.id} is not deleted")
        if not restorable(self.deleted_at, now, retention_days):
            raise Gone(
                f"order {self.id} was deleted more than {retention_days} days ago"
                " and can no longer be restored"
            )
        self.deleted_at = self.deleted_by = None
        self._changed(OrderRestored, now, restoredBy=admin_id)

    def pull_events(self) -> list[OrderEvent]:
        """The events recorded since the last pull, oldest first."""
        events, self.events = self.events, []
        return events

    def _changed(self, event_type: type[OrderEvent], now: datetime, **change: Any) -> None:
        # The one version bump: every change is one version and one event.
        self.version += 1
        self.updated_at = now
        self._record(event_type, **change)

    def _record(self, event_type: type[OrderEvent], **change: Any) -> None:
        self.events.append(
            new_event(
                event_type,
                order_id=self.id,
                version=self.version,
                occurred_at=self.updated_at,
                userId=self.user_id,
                userName=self.user_name,
                status=self.status.value,
                totalAmount=self.total_amount,
                shippingAddress=self.shipping_address,
                items=[
                    EventLine(line.product_id, line.product_name, line.quantity, line.price)
                    for line in self.lines
                ],
                createdAt=self.created_at,
                updatedAt=self.updated_at,
                deletedAt=self.deleted_at,
                deletedBy=self.deleted_by,
                **change,
            )
        )
