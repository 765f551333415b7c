"""Named admins (ADMIN_TOKEN_HASHES) against the running app: a token acts as its admin alone,
who is recorded everywhere; an X-Admin-Id naming anyone else is refused (403) and writes
nothing; each of an admin's tokens works (rotation); the shared ADMIN_TOKEN keeps working but
cannot pose as a named admin; no named token reaches an answer or the log."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.web.auth import token_hash
from tests.orders_support import (
    NAMED_ADMIN_TOKENS,
    admin_headers,
    create_order,
    events_of,
    named_admin_headers,
    table_counts,
)

ADA_TOKEN, ADA_ROTATED_TOKEN = NAMED_ADMIN_TOKENS["ada"]
(GRACE_TOKEN,) = NAMED_ADMIN_TOKENS["grace"]


async def _call(
    http: aiohttp.ClientSession, method: str, target: str, headers: dict[str, str]
) -> int:
    async with http.request(method, target, headers=headers) as response:
        return response.status


def test_the_app_holds_only_the_hashes_of_the_test_tokens(settings: Settings) -> None:
    expected = {
        name: [token_hash(token.encode()) for token in tokens]
        for name, tokens in NAMED_ADMIN_TOKENS.items()
    }
    assert settings.admin_token_hashes == expected, "Makefile and tests/orders_support.py differ"


async def test_a_named_admins_token_acts_as_that_admin_everywhere(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"
    # No X-Admin-Id needed: the token says who acts. Either of ada's tokens does.
    assert await _call(http, "DELETE", path, named_admin_headers(ADA_TOKEN)) == 204
    restore = named_admin_headers(GRACE_TOKEN, "grace")
    assert await _call(http, "POST", f"{path}/restore", restore) == 200
    assert await _call(http, "DELETE", path, named_admin_headers(ADA_ROTATED_TOKEN, "ada")) == 204

    audit = await mysql.fetch_all(
        "SELECT action, admin_id FROM admin_audit WHERE order_id = %s ORDER BY id", (order["id"],)
    )
    assert [(row["action"], row["admin_id"]) for row in audit] == [
        ("DELETE", "ada"),
        ("RESTORE", "grace"),
        ("DELETE", "ada"),
    ]
    events = await events_of(mysql, order["id"])
    assert [(e["eventType"], e.get("deletedBy"), e.get("restoredBy")) for e in events] == [
        ("OrderCreated", None, None),
        ("OrderDeleted", "ada", None),
        ("OrderRestored", None, "grace"),
        ("OrderDeleted", "ada", None),
    ]
    async with http.get(path, headers=named_admin_headers(GRACE_TOKEN)) as response:
        assert (await response.json())["deletedBy"] == "ada"


async def test_nobody_poses_as_another_admin_and_a_refusal_writes_nothing(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"
    before = await table_counts(mysql)
    posing = [
        (named_admin_headers(ADA_TOKEN, "grace"), 403),
        (named_admin_headers(ADA_ROTATED_TOKEN, "mallory"), 403),
        (named_admin_headers(GRACE_TOKEN, "Grace"), 403),  # a name is compared exactly
        (named_admin_headers(GRACE_TOKEN, "tab\there"), 400),  # not a name at all
        # The shared token may name anyone but a named admin, who acts with their own tokens.
        (admin_headers(settings, "ada"), 403),
        (admin_headers(settings, "grace"), 403),
    ]
    for headers, status in posing:
        async with http.delete(path, headers=headers) as response:
            assert response.status == status, headers
            assert (await response.json())["error"]["message"]
    assert await table_counts(mysql) == before
    # The shared token, unchanged for existing deployments: any other name is taken as sent.
    assert await _call(http, "DELETE", path, admin_headers(settings, "alice")) == 204


async def test_a_named_token_may_change_a_status(http: aiohttp.ClientSession) -> None:
    order = await create_order(http)
    async with http.patch(
        f"/api/orders/{order['id']}/status",
        json={"status": "CONFIRMED"},
        headers=named_admin_headers(GRACE_TOKEN),
    ) as response:
        assert response.status == 200


async def test_no_named_token_reaches_an_answer_or_the_log(
    http: aiohttp.ClientSession, app_log: Path
) -> None:
    tokens = [token for tokens in NAMED_ADMIN_TOKENS.values() for token in tokens]
    wrong = [f"{ADA_TOKEN}x", ADA_TOKEN[:-1], f"wrong-{uuid.uuid4()}"]
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"
    calls = [
        ("GET", path, named_admin_headers(ADA_TOKEN)),
        ("GET", path, named_admin_headers(ADA_ROTATED_TOKEN, "grace")),  # 403
        ("GET", path, named_admin_headers(GRACE_TOKEN, "tab\there")),  # 400
        *[("GET", path, named_admin_headers(token)) for token in wrong],  # 403
    ]
    statuses = []
    for method, target, headers in calls:
        async with http.request(method, target, headers=headers) as response:
            statuses.append(response.status)
            answer = str(response.headers) + await response.text()
            assert not [token for token in tokens + wrong if token in answer]
    assert statuses == [200, 403, 400] + [403] * len(wrong)
    log = app_log.read_text(errors="replace")
    assert log, "the worker writes its log there"
    assert not [token for token in tokens + wrong if token in log]
