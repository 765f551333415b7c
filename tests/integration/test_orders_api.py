"""The orders API over HTTP against the running app and real MariaDB: the SPEC §3 shapes,
validation that refuses and writes nothing, idempotent retries, the status state machine under
concurrency."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import (
    ORDER_FIELDS,
    create_order,
    events_of,
    order_body,
    service_headers,
    table_counts,
)

UTC_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_an_order_is_created_with_catalog_prices_and_read_back(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    created = await create_order(http, shippingAddress="Seoul, Gangnam-daero 2")

    assert set(created) == ORDER_FIELDS
    assert uuid.UUID(created["id"])
    assert created["status"] == "PENDING" and created["version"] == 1
    assert created["totalAmount"] == 62900.90  # 2 × 25000.00 + 12900.90, as a JSON number
    assert created["items"] == [
        {"productId": 102, "productName": "Wireless Mouse", "quantity": 2, "price": 25000.0},
        {"productId": 110, "productName": "Water Bottle", "quantity": 1, "price": 12900.9},
    ]
    assert UTC_MILLIS.match(created["createdAt"]) and created["createdAt"] == created["updatedAt"]
    async with http.get(f"/api/orders/{created['id']}") as response:
        assert response.status == 200
        assert await response.json() == created
    stored = await mysql.fetch_one(
        "SELECT total_amount, version FROM orders WHERE id = %s", (created["id"],)
    )
    assert stored == {"total_amount": Decimal("62900.90"), "version": 1}
    assert [event["eventType"] for event in await events_of(mysql, created["id"])] == [
        "OrderCreated"
    ]


async def test_given_prices_and_an_exact_total_are_kept_to_the_cent(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    created = await create_order(
        http,
        service_headers(settings),
        totalAmount=0.30,
        items=[{"productId": 101, "quantity": 3, "price": 0.10}],
        status="CONFIRMED",
    )
    assert created["totalAmount"] == 0.3 and created["items"][0]["price"] == 0.1
    assert created["status"] == "CONFIRMED"


def _one_item(**item: Any) -> dict[str, Any]:
    return order_body(items=[{"productId": 101, "quantity": 1, **item}])


# Each of these is refused with 422 and writes nothing.
REFUSED: dict[str, Any] = {
    "unknown user": order_body(userId=999_999),
    "unknown product": _one_item(productId=999),
    "no items": order_body(items=[]),
    "101 items": order_body(items=[{"productId": 101, "quantity": 1}] * 101),
    "quantity 0": _one_item(quantity=0),
    "quantity 1001": _one_item(quantity=1001),
    "negative price": _one_item(price=-1),
    "price below a cent": _one_item(price=1.001),
    "price as text": _one_item(price="cheap"),
    "total off by a cent": order_body(totalAmount=62900.89),
    "total over DECIMAL(12,2)": order_body(items=[{"productId": 101, "quantity": 1000}] * 10),
    "unknown status": order_body(status="LOST"),
    "blank address": order_body(shippingAddress="   "),
    "client-chosen id": order_body(id=str(uuid.uuid4())),
    "client-chosen version": order_body(version=7),
    "client-chosen deletedAt": order_body(deletedAt="2020-01-01T00:00:00Z"),
    "snake_case field": {**order_body(), "user_id": 2},
    "a JSON array": [order_body()],
    # Wire types are strict: what a lax parser would coerce to a valid order is refused.
    "userId true": order_body(userId=True),
    "userId as text": order_body(userId="1"),
    "quantity as text": _one_item(quantity="2"),
    "quantity true": _one_item(quantity=True),
    "quantity 2.0": _one_item(quantity=2.0),
    "price as digits": _one_item(price="25000"),
    "price true": _one_item(price=True),
    "status 1": order_body(status=1),
    "address a number": order_body(shippingAddress=12),
}


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
async def test_invalid_orders_are_refused_and_write_nothing(
    http: aiohttp.ClientSession, mysql: MySQL, body: Any
) -> None:
    before = await table_counts(mysql)
    async with http.post("/api/orders", json=body) as response:
        assert response.status == 422, await response.text()
        error = (await response.json())["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] and error["details"]
    assert await table_counts(mysql) == before


async def test_an_unknown_product_is_named_in_the_details(http: aiohttp.ClientSession) -> None:
    body = order_body(items=[{"productId": 101, "quantity": 1}, {"productId": 999, "quantity": 1}])
    async with http.post("/api/orders", json=body) as response:
        assert response.status == 422
        details = (await response.json())["error"]["details"]
    assert details == [{"field": "items.1.productId", "message": "unknown product 999"}]


def _raw(body: dict[str, Any], more: str) -> bytes:
    """`body` as JSON text with `more` written into it as is (what no JSON encoder writes)."""
    return (json.dumps(body)[:-1] + more + "}").encode()


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b"", "application/json", 400, "malformed_json"),
        (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
        (json.dumps(order_body()).encode(), "text/plain", 415, "unsupported_media_type"),
        (json.dumps(order_body()).encode(), "", 415, "unsupported_media_type"),
        (b'{"userId": 1, "pad": "' + b"x" * (256 * 1024) + b'"}', "application/json", 413,
         "request_entity_too_large"),
        (_raw(order_body(), ', "userId": 1'), "application/json", 400, "malformed_json"),
        (_raw(order_body(), ', "userId": 2'), "application/json", 400, "malformed_json"),
        (_raw(order_body(), ', "totalAmount": NaN'), "application/json", 400, "malformed_json"),
        (_raw(order_body(), ', "x": "\\ud800"'), "application/json", 400, "malformed_json"),
        (_raw(_one_item(), ', "totalAmount": 1e-400'), "application/json", 422,
         "validation_failed"),
        (_raw(_one_item(), ', "totalAmount": 1e400'), "application/json", 422,
         "validation_failed"),
    ],
    ids=["malformed", "empty", "not utf-8", "text/plain", "no content type", "over 256 KiB",
         "a key twice, same value", "a key twice", "NaN", "lone surrogate", "1e-400", "1e400"],
)  # fmt: skip
async def test_unreadable_bodies_get_a_clear_4xx_and_write_nothing(
    http: aiohttp.ClientSession,
    mysql: MySQL,
    data: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    before = await table_counts(mysql)
    headers = {"Content-Type": content_type} if content_type else {}
    async with http.post("/api/orders", data=data, headers=headers) as response:
        assert response.status == status, await response.text()
        assert response.content_type == "application/json"
        assert (await response.json())["error"]["code"] == code
    assert await table_counts(mysql) == before


async def test_an_unknown_order_is_404(http: aiohttp.ClientSession) -> None:
    async with http.get(f"/api/orders/{uuid.uuid4()}") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"


async def test_a_users_orders_come_newest_first_in_pages(http: aiohttp.ClientSession) -> None:
    created = [(await create_order(http, userId=7))["id"] for _ in range(3)]

    async def page(query: str) -> list[str]:
        async with http.get(f"/api/orders/user/7{query}") as response:
            assert response.status == 200
            return [order["id"] for order in await response.json()]

    newest_first = await page("")
    assert newest_first[:3] == created[::-1]
    assert await page("?limit=2") == newest_first[:2]
    assert await page("?limit=2&offset=1") == newest_first[1:3]
    assert await page(f"?offset={len(newest_first)}") == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/orders/user/7?limit=0", 400),
        ("/api/orders/user/7?limit=201", 400),
        ("/api/orders/user/7?limit=ten", 400),
        ("/api/orders/user/7?offset=-1", 400),
        ("/api/orders/user/seven", 400),
        ("/api/orders/user/0", 400),
        ("/api/orders/user/999999", 404),
    ],
)
async def test_bad_listing_parameters_are_refused(
    http: aiohttp.ClientSession, path: str, status: int
) -> None:
    async with http.get(path) as response:
        assert response.status == status
        assert (await response.json())["error"]["details"] or status == 404


async def test_limit_200_is_the_largest_page(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/orders/user/7?limit=200") as response:
        assert response.status == 200


async def test_status_changes_follow_the_state_machine(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    service = service_headers(settings)
    order = await create_order(http)
    for version, status in enumerate(["CONFIRMED", "PROCESSING", "SHIPPED"], start=2):
        async with http.patch(
            f"/api/orders/{order['id']}/status", json={"status": status}, headers=service
        ) as response:
            assert response.status == 200
            changed = await response.json()
        assert (changed["status"], changed["version"]) == (status, version)
        assert changed["updatedAt"] >= changed["createdAt"]

    before = await table_counts(mysql)
    for forbidden in ["CANCELLED", "PENDING", "SHIPPED"]:
        async with http.patch(
            f"/api/orders/{order['id']}/status", json={"status": forbidden}, headers=service
        ) as response:
            assert response.status == 409
            assert (await response.json())["error"]["code"] == "conflict"
    assert await table_counts(mysql) == before

    events = await events_of(mysql, order["id"])
    assert [(e["eventType"], e["version"]) for e in events] == [
        ("OrderCreated", 1),
        ("OrderStatusChanged", 2),
        ("OrderStatusChanged", 3),
        ("OrderStatusChanged", 4),
    ]
    assert (events[-1]["fromStatus"], events[-1]["toStatus"]) == ("PROCESSING", "SHIPPED")


@pytest.mark.parametrize(
    ("body", "status"),
    [({"status": "LOST"}, 422), ({"status": "SHIPPED", "version": 9}, 422), ({}, 422)],
)
async def test_bad_status_bodies_are_refused(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings, body: dict[str, Any], status: int
) -> None:
    order = await create_order(http)
    service = service_headers(settings)
    before = await table_counts(mysql)
    path = f"/api/orders/{order['id']}/status"
    async with http.patch(path, json=body, headers=service) as response:
        assert response.status == status
    unknown = f"/api/orders/{uuid.uuid4()}/status"
    async with http.patch(unknown, json={"status": "CONFIRMED"}, headers=service) as response:
        assert response.status == 404
    assert await table_counts(mysql) == before


async def test_a_retry_with_the_same_key_returns_the_first_order(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    headers = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    async with http.post("/api/orders", json=order_body(), headers=headers) as response:
        assert response.status == 201
        first = await response.json()
    before = await table_counts(mysql)

    async with http.post("/api/orders", json=order_body(), headers=headers) as response:
        assert response.status == 200
        assert await response.json() == first
    async with http.post(
        "/api/orders", json=order_body(shippingAddress="elsewhere"), headers=headers
    ) as response:
        assert response.status == 422
        assert (await response.json())["error"]["details"][0]["field"] == "Idempotency-Key"
    assert await table_counts(mysql) == before


@pytest.mark.parametrize(
    "key",
    [
        "",
        "x" * 256,
        "with space",
        "ünïcode",
        "<img src=x onerror=alert(1)>",
        "' OR '1'='1",
        "tab\tkey",
    ],
)
async def test_malformed_idempotency_keys_are_refused(
    http: aiohttp.ClientSession, mysql: MySQL, key: str
) -> None:
    """Only 1..255 visible ASCII characters make a key; markup or SQL in one is refused too."""
    before = await table_counts(mysql)
    async with http.post(
        "/api/orders", json=order_body(), headers={"Idempotency-Key": key}
    ) as response:
        assert response.status == 400
        details = (await response.json())["error"]["details"]
    assert [detail["field"] for detail in details] == ["Idempotency-Key"]
    assert await table_counts(mysql) == before


async def test_concurrent_retries_with_one_key_make_one_order(
    http: aiohttp.ClientSession, mysql: MySQL
) -> None:
    headers = {"Idempotency-Key": f"burst-{uuid.uuid4()}"}
    before = await table_counts(mysql)

    async def post() -> tuple[int, str]:
        async with http.post("/api/orders", json=order_body(), headers=headers) as response:
            return response.status, (await response.json())["id"]

    answers = await asyncio.gather(*(post() for _ in range(20)))

    assert sorted(status for status, _ in answers) == [200] * 19 + [201]
    assert len({order_id for _, order_id in answers}) == 1
    after = await table_counts(mysql)
    assert after["orders"] == before["orders"] + 1
    assert after["outbox"] == before["outbox"] + 1
    assert after["idempotency_keys"] == before["idempotency_keys"] + 1


async def test_concurrent_status_changes_lose_no_update(
    http: aiohttp.ClientSession, mysql: MySQL, settings: Settings
) -> None:
    order = await create_order(http)
    # Every status but PENDING, over and over: which ones win depends on the lock order.
    targets = ["CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED", "COMPLETED", "REFUNDED"] * 8
    targets += ["CANCELLED", "FAILED"]

    async def patch(status: str) -> int:
        async with http.patch(
            f"/api/orders/{order['id']}/status",
            json={"status": status},
            headers=service_headers(settings),
        ) as response:
            return response.status

    statuses = await asyncio.gather(*(patch(target) for target in targets))

    accepted = statuses.count(200)
    assert accepted >= 1 and statuses.count(409) == len(targets) - accepted
    async with http.get(f"/api/orders/{order['id']}") as response:
        final = await response.json()
    assert final["version"] == 1 + accepted
    changes = (await events_of(mysql, order["id"]))[1:]
    assert len(changes) == accepted
    # The events form one unbroken path: each starts where the previous one ended.
    assert [change["version"] for change in changes] == list(range(2, accepted + 2))
    assert changes[0]["fromStatus"] == "PENDING"
    assert all(a["toStatus"] == b["fromStatus"] for a, b in itertools.pairwise(changes))
    assert changes[-1]["toStatus"] == final["status"]
