"""The flat analytics row of `orders_analytics` (one per order version), as a Faust Record."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import faust


class OrderAnalyticsRow(
    faust.Record, coerce=True, serializer="json", namespace="ecommerce_stream.OrderAnalyticsRow"
):
    order_id: str
    user_id: int
    user_name: str
    status: str
    total_amount: Decimal
    item_count: int
    product_ids: list[int]
    created_at: datetime
    updated_at: datetime
    event_type: str  # CREATED | UPDATED | DELETED | RESTORED
    is_deleted: bool
    deleted_at: datetime | None
    version: int
    # Payments are out of scope (SPEC §9): the columns exist and stay empty.
    payment_method: str | None = None
    payment_status: str | None = None

    def to_clickhouse(self) -> dict[str, object]:
        """The row as ClickHouse's JSONEachRow input wants it."""
        return {
            "order_id": self.order_id,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "status": self.status,
            "total_amount": str(self.total_amount),
            "item_count": self.item_count,
            "product_ids": list(self.product_ids),
            "created_at": _clickhouse_time(self.created_at),
            "updated_at": _clickhouse_time(self.updated_at),
            "event_type": self.event_type,
            "is_deleted": int(self.is_deleted),
            "deleted_at": _clickhouse_time(self.deleted_at) if self.deleted_at else None,
            "version": self.version,
            "payment_method": self.payment_method,
            "payment_status": self.payment_status,
        }


# DateTime64 parses 'YYYY-MM-DD hh:mm:ss.ffffff' in the column's (UTC) zone.
CLICKHOUSE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _clickhouse_time(value: datetime) -> str:
    return value.strftime(CLICKHOUSE_TIME_FORMAT)


def from_clickhouse_time(text: str) -> datetime:
    """A time as `to_clickhouse` spelled it, back as a UTC datetime."""
    return datetime.strptime(text, CLICKHOUSE_TIME_FORMAT).replace(tzinfo=UTC)
