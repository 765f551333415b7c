"""The admin API over HTTP against the running app and real MariaDB: authentication, soft delete
and restore with their events and audit rows, the retention window, `purge-deleted`."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import aiohttp
import pytest

from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import (
    admin_headers,
    create_order,
    events_of,
    service_headers,
    table_counts,
)

CLI = str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream")


async def _admin(
    http: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str]
) -> tuple[int, Any]:
    async with http.request(method, path, headers=headers) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


async def _audit(mysql: MySQL, order_id: str) -> list[tuple[str, str, int]]:
    rows = await mysql.fetch_all(
        "SELECT action, admin_id, order_version FROM admin_audit WHERE order_id = %s ORDER BY id",
        (order_id,),
    )
    return [(row["action"], row["admin_id"], row["order_version"]) for row in rows]


async def _backdate_deletion(mysql: MySQL, order_id: str, days: int) -> None:
    """Pretend the order was soft-deleted `days` days ago."""
    async with mysql.cursor() as cur:
        await cur.execute(
            "UPDATE orders SET deleted_at = deleted_at - INTERVAL %s DAY WHERE id = %s",
            (days, order_id),
        )


def _token_headers(token: str | None, admin_id: str | None = "alice") -> dict[str, str]:
    headers = {} if token is None else {"Authorization": token}
    return headers if admin_id is None else {**headers, "X-Admin-Id": admin_id}


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST"])
@pytest.mark.parametrize(
    ("authorization", "admin_id", "status", "code"),
    [
        (None, "alice", 401, "unauthorized"),
        ("Basic YWxpY2U6c2VjcmV0", "alice", 401, "unauthorized"),
        ("Bearer ", "alice", 401, "unauthorized"),
        ("Bearer not-the-token", "alice", 403, "forbidden"),
        ("Bearer ünïcode", "alice", 403, "forbidden"),
        ("TOKEN", None, 400, "bad_request"),
        ("TOKEN", "", 400, "bad_request"),
        ("TOKEN", "a" * 101, 400, "bad_request"),
        ("TOKEN", "tab\tinside", 400, "bad_request"),
    ],
)
async def test_admin_calls_need_the_token_and_an_admin_id(
    http: aiohttp.ClientSession,
    mysql: MySQL,
    settings: Settings,
    method: str,
    authorization: str | None,
    admin_id: str | None,
    status: int,
    code: str,
) -> None:
    order = await create_order(http)
    token = settings.admin_token.get_secret_value()
    headers = _token_headers(
        authorization.replace("TOKEN", f"Bearer {token}") if authorization else None, admin_id
    )
    path = f"/admin/orders/{order['id']}" + ("/restore" if method == "POST" else "")
    before = await table_counts(mysql)

    answer = await _admin(http, method, path, headers)

    assert answer[0] == status and answer[1]["error"]["code"] == code
    assert await table_counts(mysql) == before


async def test_the_token_is_accepted_whatever_the_scheme_case(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    order = await create_order(http)
    headers = _token_headers(f"bearer {settings.admin_token.get_secret_value()}")
    assert (await _admin(http, "GET", f"/admin/orders/{order['id']}", headers))[0] == 200


async def test_soft_delete_hides_the_order_and_emits_one_event(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http, userId=5)
    path = f"/admin/orders/{order['id']}"

    assert await _admin(http, "DELETE", path, admin_headers(settings, "alice")) == (204, None)

    async with http.get(f"/api/orders/{order['id']}") as response:
        assert response.status == 404
    async with http.get("/api/orders/user/5?limit=200") as response:
        assert order["id"] not in [listed["id"] for listed in await response.json()]
    async with http.patch(
        f"/api/orders/{order['id']}/status",
        json={"status": "CONFIRMED"},
        headers=service_headers(settings),
    ) as response:
        assert response.status == 404
    status, seen = await _admin(http, "GET", path, admin_headers(settings, "bob"))
    assert status == 200
    assert (seen["deletedBy"], seen["version"], seen["status"]) == ("alice", 2, "PENDING")
    assert seen["deletedAt"].endswith("Z") and seen["updatedAt"] == seen["deletedAt"]
    events = await events_of(mysql, order["id"])
    assert [(e["eventType"], e["version"]) for e in events] == [
        ("OrderCreated", 1),
        ("OrderDeleted", 2),
    ]
    assert events[1]["deletedBy"] == "alice"
    assert await _audit(mysql, order["id"]) == [("DELETE", "alice", 2)]

    # Deleting again: 204, and nothing changes or is emitted.
    before = await table_counts(mysql)
    assert await _admin(http, "DELETE", path, admin_headers(settings, "carol")) == (204, None)
    assert await table_counts(mysql) == before
    assert (await _admin(http, "GET", path, admin_headers(settings)))[1] == seen


async def test_unknown_orders_are_404_for_admins(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    unknown = f"/admin/orders/{uuid.uuid4()}"
    for method, path in [("GET", unknown), ("DELETE", unknown), ("POST", f"{unknown}/restore")]:
        status, body = await _admin(http, method, path, admin_headers(settings))
        assert (status, body["error"]["code"]) == (404, "not_found")


async def test_restore_brings_the_order_back_and_emits_one_event(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"
    await _admin(http, "DELETE", path, admin_headers(settings, "alice"))

    status, restored = await _admin(http, "POST", f"{path}/restore", admin_headers(settings, "bob"))

    assert status == 200
    assert (restored["id"], restored["version"], restored["status"]) == (order["id"], 3, "PENDING")
    assert "deletedAt" not in restored  # the public Order shape
    async with http.get(f"/api/orders/{order['id']}") as response:
        assert response.status == 200
        assert await response.json() == restored
    seen = (await _admin(http, "GET", path, admin_headers(settings)))[1]
    assert (seen["deletedAt"], seen["deletedBy"]) == (None, None)
    events = await events_of(mysql, order["id"])
    assert [(e["eventType"], e["version"]) for e in events][1:] == [
        ("OrderDeleted", 2),
        ("OrderRestored", 3),
    ]
    assert events[2]["restoredBy"] == "bob"
    assert await _audit(mysql, order["id"]) == [("DELETE", "alice", 2), ("RESTORE", "bob", 3)]


async def test_restoring_a_live_order_is_a_conflict(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http)
    before = await table_counts(mysql)
    status, body = await _admin(
        http, "POST", f"/admin/orders/{order['id']}/restore", admin_headers(settings)
    )
    assert (status, body["error"]["code"]) == (409, "conflict")
    assert await table_counts(mysql) == before


async def test_restore_is_gone_after_the_retention_window(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"
    await _admin(http, "DELETE", path, admin_headers(settings))
    await _backdate_deletion(mysql, order["id"], settings.soft_delete_retention_days + 1)
    before = await table_counts(mysql)

    status, body = await _admin(http, "POST", f"{path}/restore", admin_headers(settings))

    assert (status, body["error"]["code"]) == (410, "gone")
    assert await table_counts(mysql) == before


async def test_purge_deleted_removes_only_orders_past_the_retention(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    key = f"purge-{uuid.uuid4()}"
    async with http.post(
        "/api/orders",
        json={"userId": 4, "shippingAddress": "x", "items": [{"productId": 103, "quantity": 1}]},
        headers={"Idempotency-Key": key},
    ) as response:
        expired = (await response.json())["id"]
    recent = (await create_order(http))["id"]
    live = (await create_order(http))["id"]
    for order_id in (expired, recent):
        await _admin(http, "DELETE", f"/admin/orders/{order_id}", admin_headers(settings))
    await _backdate_deletion(mysql, expired, settings.soft_delete_retention_days + 1)

    listing = subprocess.run([CLI, "purge-deleted"], capture_output=True, text=True, check=True)

    assert "purged" in listing.stdout

    async def rows(table: str, column: str, value: str) -> int:
        row = await mysql.fetch_one(
            f"SELECT COUNT(*) AS n FROM {table} WHERE {column} = %s", (value,)
        )
        assert row is not None
        return int(row["n"])

    assert await rows("orders", "id", expired) == 0
    assert await rows("order_items", "order_id", expired) == 0
    assert await rows("idempotency_keys", "idempotency_key", key) == 0
    assert await rows("outbox", "aggregate_id", expired) == 2  # created + deleted stay
    assert (await _audit(mysql, expired))[-1] == ("PURGE", "purge-deleted", 2)
    assert await rows("orders", "id", recent) == 1
    assert await rows("orders", "id", live) == 1
