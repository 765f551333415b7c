"""Secrets stay secret: ADMIN_TOKEN, MYSQL_PASSWORD and CLICKHOUSE_PASSWORD appear in no answer
(health, metrics, introspection, the OpenAPI document, error bodies) and in no line of the
worker's log, a MySQL failure included; settings print them masked; `.env` is git-ignored."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import aiohttp

from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.conftest import poll
from tests.orders_support import admin_headers, create_order, service_headers


def _secrets(settings: Settings) -> dict[str, str]:
    secrets = {
        "ADMIN_TOKEN": settings.admin_token.get_secret_value(),
        "SERVICE_TOKEN": settings.service_token.get_secret_value(),
        "MYSQL_PASSWORD": settings.mysql_password.get_secret_value(),
        "CLICKHOUSE_PASSWORD": settings.clickhouse_password.get_secret_value(),
    }
    # A secret such as "ecommerce" would be found in every log line by chance.
    for name, value in secrets.items():
        assert len(value) >= 12, f"{name}: the test profile (Makefile) sets one to search for"
    return secrets


def _leaked(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def test_settings_print_their_secrets_masked(settings: Settings) -> None:
    secrets = _secrets(settings)
    assert _leaked(repr(settings) + str(settings) + settings.model_dump_json(), secrets) == []


def test_the_env_file_is_ignored_by_git() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT, check=False)
    assert ignored.returncode == 0, ".env must be listed in .gitignore"
    tracked = subprocess.run(
        ["git", "ls-files", "--", ".env", "**/.env"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert tracked.stdout == ""


async def test_no_answer_holds_a_secret(
    http: aiohttp.ClientSession, settings: Settings, mysql: MySQL
) -> None:
    secrets = _secrets(settings)
    order = await create_order(http)
    async with http.get("/api/openapi.json") as response:
        document = await response.json()
    reads = [
        path.replace("{user_id}", "1").replace("{product_id}", "101")
        for path, operations in document["paths"].items()
        if "get" in operations and "{order_id}" not in path
    ]
    assert "/api/health" in reads and "/api/analytics/health" in reads
    calls: list[tuple[str, str, dict[str, object]]] = [
        *[("GET", path, {}) for path in reads],
        ("GET", "/metrics", {}),
        ("GET", "/router/", {}),
        ("GET", "/table/", {}),
        ("GET", f"/api/orders/{order['id']}", {}),
        ("GET", f"/admin/orders/{order['id']}", {"headers": admin_headers(settings)}),
        # Refusals of every kind: their bodies must not quote configuration either.
        ("POST", "/api/orders", {"data": b"{", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/api/orders", {"json": {"userId": "x"}}),
        ("POST", "/api/orders", {"data": b"{}", "headers": {"Content-Type": "text/plain"}}),
        ("PUT", "/api/orders", {}),
        ("GET", "/admin/orders/x", {}),
        ("GET", "/admin/orders/x", {"headers": {"Authorization": "Bearer guess"}}),
        ("GET", "/api/analytics/daily-sales?startDate=nope", {}),
        ("GET", "/no/such/page", {}),
    ]
    for method, path, options in calls:
        async with http.request(method, path, **options) as response:  # type: ignore[arg-type]
            assert response.status < 500, f"{method} {path}: {response.status}"
            answer = str(response.headers) + await response.text()
        assert _leaked(answer, secrets) == [], f"{method} {path}"


async def _kill_the_query_holding(mysql: MySQL, fragment: str) -> None:
    """Kill the worker's MySQL connection whose running statement contains `fragment`: the
    worker sees the server go away in the middle of a query."""

    async def blocked_thread() -> int | None:
        rows = await mysql.fetch_all("SHOW FULL PROCESSLIST")
        found = [row["Id"] for row in rows if fragment in (row["Info"] or "")]
        return found[0] if found else None

    thread = await poll(blocked_thread, timeout=20)
    await mysql.fetch_all(f"KILL {int(thread)}")


async def _logged_since(app_log: Path, offset: int, marker: str) -> str:
    """The worker's log from `offset` on, once it holds `marker`."""

    async def logged() -> str | None:
        with app_log.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        return text if marker in text else None

    text: str = await poll(logged, timeout=10)
    return text


async def test_a_mysql_failure_is_logged_without_secrets(
    http: aiohttp.ClientSession, settings: Settings, mysql: MySQL, app_log: Path
) -> None:
    secrets = _secrets(settings)
    offset = app_log.stat().st_size
    order = await create_order(http)
    # Hold the order's row lock so that the worker's status change waits inside MySQL.
    async with mysql.transaction() as cur:
        await cur.execute("SELECT id FROM orders WHERE id = %s FOR UPDATE", (order["id"],))
        patch = asyncio.create_task(
            http.patch(
                f"/api/orders/{order['id']}/status",
                json={"status": "CONFIRMED"},
                headers=service_headers(settings),
            )
        )
        await _kill_the_query_holding(mysql, f"WHERE o.id = '{order['id']}' FOR UPDATE")
        async with await patch as response:
            assert response.status == 503
            answer = str(response.headers) + await response.text()
    assert (await response.json())["error"]["code"] == "service_unavailable"
    assert _leaked(answer, secrets) == []

    assert _leaked(await _logged_since(app_log, offset, "store unavailable"), secrets) == []
    # The connection the worker lost is replaced: the order can change after all.
    async with http.patch(
        f"/api/orders/{order['id']}/status",
        json={"status": "CONFIRMED"},
        headers=service_headers(settings),
    ) as response:
        assert response.status == 200


async def test_a_malformed_request_carrying_the_token_is_logged_without_it(
    settings: Settings, app_log: Path
) -> None:
    """aiohttp refuses these before the app sees them, and would log the offending line."""
    secrets = _secrets(settings)
    bearer = f"Authorization: Bearer {secrets['ADMIN_TOKEN']}".encode()
    offset = app_log.stat().st_size
    for malformed in [
        bearer + b"\x01",  # a control character in the header
        bearer + b" " * 9000,  # a header line over 8 KiB
        bearer.replace(b":", b" :"),  # a blank before the colon
    ]:
        reader, writer = await asyncio.open_connection("127.0.0.1", settings.port)
        writer.write(b"GET /admin/orders/x HTTP/1.1\r\nHost: shop\r\n" + malformed + b"\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), timeout=30)
        writer.close()
        assert answer.startswith(b"HTTP/1.0 400 ")
    log = await _logged_since(app_log, offset, "malformed HTTP request")
    assert log.count("malformed HTTP request") == 3
    assert _leaked(log, secrets) == []
