"""The outbox audit through the running stack: an event the outbox says was published but that
never reached ClickHouse is found and relayed again, and the analytics become exact."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.orders.models import OrderDeleted, new_event
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll


async def test_an_event_lost_after_publishing_is_relayed_again(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings, app_server: str
) -> None:
    body = {
        "userId": 3,
        "shippingAddress": "Audit street 1",
        "items": [{"productId": 102, "quantity": 1}],
    }
    async with http.post(f"{app_server}/api/orders", json=body) as response:
        assert response.status == 201
        order = await response.json()
    zone = ZoneInfo(settings.analytics_tz)
    assert await reconciliation.reconcile(mysql, app_server, zone, wait=30) == []

    # A soft delete whose event the outbox marks published, though no broker ever saw it: what
    # a consumer committing past an unprocessed message leaves behind.
    deleted = new_event(
        OrderDeleted,
        order_id=order["id"],
        version=order["version"] + 1,
        deletedAt=datetime.now(UTC),
        deletedBy="audit-test",
    )
    async with mysql.transaction() as cur:
        await cur.execute(
            "UPDATE orders SET deleted_at = %s, deleted_by = 'audit-test', version = %s"
            " WHERE id = %s",
            (deleted.deletedAt.replace(tzinfo=None), deleted.version, order["id"]),
        )
        await outbox.add_events(cur, [deleted])
        await cur.execute(
            "UPDATE outbox SET processed = TRUE, processed_at = UTC_TIMESTAMP(6)"
            " WHERE event_id = %s",
            (deleted.eventId,),
        )

    # The relay never sends it; only the audit can: until then the order still counts.
    assert await reconciliation.reconcile(mysql, app_server, zone, wait=60) == []

    async def relayed_again() -> bool:
        row = await mysql.fetch_one(
            "SELECT processed, attempts FROM outbox WHERE event_id = %s", (deleted.eventId,)
        )
        assert row is not None and row["attempts"] == 1  # requeued once, by the audit
        return bool(row["processed"])

    await poll(relayed_again, timeout=30)
