"""The admin API under attack: only a constant-time comparison decides on the token, a refusal
says how to authenticate, no token (right or wrong) ever reaches a log or an answer, and every
change names its admin in the audit table, the order row and the outbox event."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from multidict import CIMultiDict
from pydantic import SecretStr

from ecommerce_stream.errors import Forbidden
from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.web import auth
from tests.orders_support import (
    NAMED_ADMIN_TOKENS,
    admin_headers,
    create_order,
    events_of,
    table_counts,
)


def _request(authorization: str) -> SimpleNamespace:
    return SimpleNamespace(
        headers=CIMultiDict({"Authorization": authorization, "X-Admin-Id": "alice"})
    )


def _recording_compare_digest(
    monkeypatch: pytest.MonkeyPatch, verdict: bool
) -> list[tuple[bytes, bytes]]:
    """Replace hmac.compare_digest by one answering `verdict`; the list of what it compared."""
    compared: list[tuple[bytes, bytes]] = []

    def compare_digest(presented: bytes, expected: bytes) -> bool:
        compared.append((presented, expected))
        return verdict

    monkeypatch.setattr(auth.hmac, "compare_digest", compare_digest)
    return compared


def test_only_a_constant_time_comparison_decides_on_the_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_only = settings.model_copy(update={"admin_token_hashes": {}})
    token = settings.admin_token.get_secret_value()
    # If anything but hmac.compare_digest (say, ==) took part, one of these would go the other way.
    compared = _recording_compare_digest(monkeypatch, False)
    with pytest.raises(Forbidden):
        auth.acting_admin(_request(f"Bearer {token}"), shared_only)
    _recording_compare_digest(monkeypatch, True)
    assert auth.acting_admin(_request("Bearer not-the-token"), shared_only) == "alice"
    assert compared == [(token.encode(), token.encode())]


def test_a_named_admins_token_is_compared_with_every_hash_by_compare_digest_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    named_only = settings.model_copy(update={"admin_token": SecretStr("")})
    admins = settings.admin_token_hashes
    hashes = [digest.encode() for digests in admins.values() for digest in digests]
    assert len(hashes) >= 3, "the test profile (Makefile) sets ADMIN_TOKEN_HASHES"
    (token, *_) = NAMED_ADMIN_TOKENS["ada"]
    request = SimpleNamespace(headers=CIMultiDict({"Authorization": f"Bearer {token}"}))
    compared = _recording_compare_digest(monkeypatch, False)
    with pytest.raises(Forbidden):
        auth.acting_admin(request, named_only)
    # Every hash, the matching one first included: the time taken says nothing of which matched.
    digest = auth.token_hash(token.encode()).encode()
    assert compared == [(digest, expected) for expected in hashes]
    _recording_compare_digest(monkeypatch, True)
    wrong = SimpleNamespace(headers=CIMultiDict({"Authorization": "Bearer not-a-token"}))
    assert auth.acting_admin(wrong, named_only) == next(iter(admins))


async def test_a_401_says_a_bearer_token_is_needed(http: aiohttp.ClientSession) -> None:
    async with http.get(f"/admin/orders/{uuid.uuid4()}") as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"]["code"] == "unauthorized"


async def test_no_token_reaches_an_answer_or_the_log(
    http: aiohttp.ClientSession, settings: Settings, app_log: Path
) -> None:
    token = settings.admin_token.get_secret_value()
    wrong = [f"wrong-{uuid.uuid4()}", f"{token}x", token[:-1], "w" * 8000]
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"
    calls = [
        ("GET", path, admin_headers(settings)),
        ("DELETE", path, admin_headers(settings)),
        ("POST", f"{path}/restore", {"Authorization": f"bearer {token}", "X-Admin-Id": "bob"}),
        ("GET", path, {"Authorization": f"Bearer {token}"}),  # 400: no X-Admin-Id
        ("GET", path, {"Authorization": f"Bearer {token}", "X-Admin-Id": "tab\there"}),
        ("GET", f"/admin/orders/{uuid.uuid4()}", admin_headers(settings)),  # 404
        ("GET", path, {"Authorization": token, "X-Admin-Id": "alice"}),  # 401: no scheme
        *[("DELETE", path, {"Authorization": f"Bearer {w}", "X-Admin-Id": "eve"}) for w in wrong],
    ]
    statuses = []
    for method, target, headers in calls:
        async with http.request(method, target, headers=headers) as response:
            statuses.append(response.status)
            answer = str(response.headers) + await response.text()
            for secret in [token, *wrong]:
                assert secret not in answer, f"{method} {target} answered with a token"
    assert statuses == [200, 204, 200, 400, 400, 404, 401] + [403] * len(wrong)

    log = app_log.read_text(errors="replace")
    assert log, "the worker writes its log there"
    for secret in [token, *wrong]:
        assert secret not in log


async def _audit(mysql: MySQL, order_id: str) -> list[tuple[str, str, int]]:
    rows = await mysql.fetch_all(
        "SELECT action, admin_id, order_version FROM admin_audit WHERE order_id = %s ORDER BY id",
        (order_id,),
    )
    return [(row["action"], row["admin_id"], row["order_version"]) for row in rows]


async def test_every_admin_change_names_its_admin_everywhere(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    # X-Admin-Id is free text within printable ASCII: SQL and HTML in it are kept literally.
    first, second = "ops\\%_/* */bot", "o'brien\"; DROP TABLE orders; --"
    third = "<script>alert(1)</script>"
    order = await create_order(http)
    path = f"/admin/orders/{order['id']}"

    async def call(method: str, target: str, headers: dict[str, str]) -> int:
        async with http.request(method, target, headers=headers) as response:
            return response.status

    assert await call("DELETE", path, admin_headers(settings, first)) == 204
    assert await call("POST", f"{path}/restore", admin_headers(settings, second)) == 200
    assert await call("DELETE", path, admin_headers(settings, third)) == 204
    before = await table_counts(mysql)
    # Neither a repeated delete nor a refused caller changes or records anything.
    assert await call("DELETE", path, admin_headers(settings, "repeat")) == 204
    refused = {"Authorization": "Bearer wrong", "X-Admin-Id": "mallory"}
    assert await call("POST", f"{path}/restore", refused) == 403
    assert await table_counts(mysql) == before

    assert await _audit(mysql, order["id"]) == [
        ("DELETE", first, 2),
        ("RESTORE", second, 3),
        ("DELETE", third, 4),
    ]
    row = await mysql.fetch_one("SELECT deleted_by FROM orders WHERE id = %s", (order["id"],))
    assert row == {"deleted_by": third}
    async with http.get(path, headers=admin_headers(settings)) as response:
        assert (await response.json())["deletedBy"] == third
    events = await events_of(mysql, order["id"])
    assert [(e["eventType"], e.get("deletedBy"), e.get("restoredBy")) for e in events] == [
        ("OrderCreated", None, None),
        ("OrderDeleted", first, None),
        ("OrderRestored", None, second),
        ("OrderDeleted", third, None),
    ]
