"""The catalog API over HTTP against the running app and the seeded demo catalog."""

from __future__ import annotations

import aiohttp
import pytest

from ecommerce_stream.catalog.repository import DEMO_PRODUCTS, DEMO_USERS


async def test_users_are_listed_and_found(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/users") as response:
        assert response.status == 200
        users = await response.json()
    assert [(u["id"], u["name"], u["email"]) for u in users] == DEMO_USERS
    assert set(users[0]) == {"id", "name", "email", "createdAt"}
    async with http.get("/api/users/3") as response:
        assert response.status == 200
        assert await response.json() == users[2]


async def test_products_are_listed_and_found_with_exact_prices(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/products") as response:
        assert response.status == 200
        products = await response.json()
    assert [(p["id"], p["name"], p["category"]) for p in products] == [
        (id_, name, category) for id_, name, _, category in DEMO_PRODUCTS
    ]
    assert [p["price"] for p in products] == [float(price) for _, _, price, _ in DEMO_PRODUCTS]
    async with http.get("/api/products/108") as response:
        assert response.status == 200
        assert (await response.json())["price"] == 28500.50


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/users/999999", 404, "not_found"),
        ("/api/products/999999", 404, "not_found"),
        ("/api/users/abc", 400, "bad_request"),
        ("/api/products/-1", 400, "bad_request"),
        ("/api/products/4294967296", 400, "bad_request"),
    ],
)
async def test_bad_or_unknown_ids_are_refused(
    http: aiohttp.ClientSession, path: str, status: int, code: str
) -> None:
    async with http.get(path) as response:
        assert (response.status, (await response.json())["error"]["code"]) == (status, code)
