"""The one mapping from an order's state to its analytics row, for the stream (from an event)
and for the rebuild from MySQL (the same rules in ClickHouse SQL, proven equal by
tests/integration/test_mapping_agrees.py).

The rules: a row per order version; `event_type` says which change made it (a soft-deleted
order is DELETED whatever came before); counts and amounts are the order's lines; the row is
live unless the order is soft-deleted."""

from __future__ import annotations

from datetime import UTC

from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.events.records import OrderEvent

ROW_EVENT_TYPE = {
    "OrderCreated": "CREATED",
    "OrderStatusChanged": "UPDATED",
    "OrderDeleted": "DELETED",
    "OrderRestored": "RESTORED",
}


def row_from_event(event: OrderEvent) -> OrderAnalyticsRow:
    """The analytics row of the order version the event describes: the event alone says it."""
    return OrderAnalyticsRow(
        order_id=event.orderId,
        user_id=event.userId,
        user_name=event.userName,
        status=event.status,
        total_amount=event.totalAmount,
        item_count=sum(line.quantity for line in event.items),
        product_ids=sorted({line.productId for line in event.items}),
        created_at=event.createdAt.astimezone(UTC),
        updated_at=event.updatedAt.astimezone(UTC),
        event_type=ROW_EVENT_TYPE[event.eventType],
        is_deleted=event.deletedAt is not None,
        deleted_at=None if event.deletedAt is None else event.deletedAt.astimezone(UTC),
        version=event.version,
    )


def ledger_state_sql(orders: str, items: str, users: str, admin_audit: str, in_slice: str) -> str:
    """ClickHouse SQL selecting, in the ledger's column order, each order's state row (sign 1
    live, 0 deleted) from MySQL's tables as read by ClickHouse (`mysql()` table functions);
    `in_slice` is a condition on `{column}` that limits the orders read. The same rules as
    `row_from_event` + the ledger's state row."""
    return (
        "SELECT o.id, o.version, toInt8(o.deleted_at IS NULL), o.user_id, u.name, o.status,"
        " o.total_amount, i.item_count, i.product_ids, o.created_at, o.updated_at,"
        # The change that made this version: MySQL keeps no event type, but a restore is in
        # the admin audit trail with the version it made.
        " multiIf(o.deleted_at IS NOT NULL, 'DELETED', o.version = 1, 'CREATED',"
        " r.restored_version = o.version, 'RESTORED', 'UPDATED'),"
        " toUInt8(o.deleted_at IS NOT NULL), o.deleted_at, NULL, NULL"
        f" FROM (SELECT * FROM {orders} WHERE {in_slice.format(column='id')}) AS o"
        f" INNER JOIN {users} AS u ON u.id = o.user_id"
        " INNER JOIN (SELECT order_id, toUInt32(sum(quantity)) AS item_count,"
        " arraySort(groupUniqArray(toUInt32(product_id))) AS product_ids"
        f" FROM {items} WHERE {in_slice.format(column='order_id')}"
        " GROUP BY order_id) AS i ON i.order_id = o.id"
        " LEFT JOIN (SELECT order_id, max(order_version) AS restored_version"
        f" FROM {admin_audit} WHERE action = 'RESTORE' AND {in_slice.format(column='order_id')}"
        " GROUP BY order_id) AS r ON r.order_id = o.id"
        # MySQL DATETIMEs are UTC wall times; read them so whatever the host zone.
        " SETTINGS session_timezone = 'UTC'"
    )
