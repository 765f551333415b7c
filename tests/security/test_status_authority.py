"""Only a trusted caller moves an order along its statuses: PATCH /api/orders/{id}/status, and a
create in another status than PENDING, need SERVICE_TOKEN or ADMIN_TOKEN (401 without, 403 with
another token) and write nothing when refused. The shop's own calls need neither."""

from __future__ import annotations

import aiohttp
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import (
    admin_headers,
    create_order,
    order_body,
    service_headers,
    table_counts,
)

REFUSED = [({}, 401), ({"Authorization": "Bearer a-guess"}, 403), ({"Authorization": "x"}, 401)]


@pytest.mark.parametrize(("headers", "status"), REFUSED)
async def test_a_status_change_without_authority_is_refused(
    http: aiohttp.ClientSession, mysql: MySQL, headers: dict[str, str], status: int
) -> None:
    order = await create_order(http)
    before = await table_counts(mysql)
    path = f"/api/orders/{order['id']}/status"
    async with http.patch(path, json={"status": "CANCELLED"}, headers=headers) as response:
        assert response.status == status
        assert (await response.json())["error"]["code"] in ("unauthorized", "forbidden")
        if status == 401:
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="orders"'
    assert await table_counts(mysql) == before
    async with http.get(f"/api/orders/{order['id']}") as response:
        assert (await response.json())["status"] == "PENDING"


async def test_the_service_and_the_admin_token_may_change_a_status(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    order = await create_order(http)
    path = f"/api/orders/{order['id']}/status"
    admin_token = {"Authorization": admin_headers(settings)["Authorization"]}
    changes = [("CONFIRMED", service_headers(settings)), ("PROCESSING", admin_token)]
    for version, (status, headers) in enumerate(changes, start=2):
        async with http.patch(path, json={"status": status}, headers=headers) as response:
            assert response.status == 200
            changed = await response.json()
        assert (changed["status"], changed["version"]) == (status, version)


@pytest.mark.parametrize(("headers", "status"), REFUSED)
async def test_an_order_in_another_status_than_pending_needs_authority(
    http: aiohttp.ClientSession, mysql: MySQL, headers: dict[str, str], status: int
) -> None:
    before = await table_counts(mysql)
    async with http.post(
        "/api/orders", json=order_body(status="REFUNDED"), headers=headers
    ) as response:
        assert response.status == status
    assert await table_counts(mysql) == before


async def test_pending_needs_no_token_and_other_statuses_take_one(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    assert (await create_order(http, status="PENDING"))["status"] == "PENDING"
    trusted = await create_order(http, service_headers(settings), status="DELIVERED")
    assert (trusted["status"], trusted["version"]) == ("DELIVERED", 1)
