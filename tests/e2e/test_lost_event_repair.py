"""The outbox audit through the running stack: an event the outbox says was published but that
never reached ClickHouse is found and relayed again, the analytics become exact, and the
health check raises the alarm (the audit repairing anything means something upstream broke)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.events.records import OrderDeleted
from ecommerce_stream.outbox import repository as outbox
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.events_support import order_event_from_api


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
    user = await mysql.fetch_one("SELECT name FROM users WHERE id = %s", (order["userId"],))
    assert user is not None
    now = datetime.now(UTC)
    deleted = order_event_from_api(
        OrderDeleted,
        order,
        user["name"],
        occurredAt=now,
        updatedAt=now,
        deletedAt=now,
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

    async def alarm_raised() -> dict[str, object] | None:
        async with http.get(f"{app_server}/api/health") as response:
            health: dict[str, object] = await response.json()
            raised = response.status == 200 and health["status"] == "degraded"
            return health if raised and health["alarms"] else None

    health = await poll(alarm_raised, timeout=10)
    assert health["serving"] is True
    [alarm] = health["alarms"]
    assert "relayed 1 lost event(s) again" in alarm
    pipeline = health["pipeline"]
    assert isinstance(pipeline, dict) and pipeline["eventsRelayedAgain"] == 1
    # The operator has read it: later tests expect a quiet pipeline.
    await mysql.fetch_all(
        "UPDATE outbox_audit SET requeued_total = 0, last_requeued_at = NULL WHERE id = 1"
    )
