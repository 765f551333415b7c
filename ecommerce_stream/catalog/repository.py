"""SQL reads of `users` and `products`, and the demo seed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ecommerce_stream.catalog.schemas import Product, User
from ecommerce_stream.stores.mysql import MySQL, Statements

DEMO_USERS: list[tuple[int, str, str]] = [
    (1, "Kim Minjun", "minjun.kim@example.com"),
    (2, "Lee Seoyeon", "seoyeon.lee@example.com"),
    (3, "Park Jiho", "jiho.park@example.com"),
    (4, "Choi Yuna", "yuna.choi@example.com"),
    (5, "Jung Hyunwoo", "hyunwoo.jung@example.com"),
    (6, "Alice Martin", "alice.martin@example.com"),
    (7, "Bob Smith", "bob.smith@example.com"),
    (8, "Carla Rossi", "carla.rossi@example.com"),
]

DEMO_PRODUCTS: list[tuple[int, str, Decimal, str]] = [
    (101, "Laptop", Decimal("1299000.00"), "Electronics"),
    (102, "Wireless Mouse", Decimal("25000.00"), "Electronics"),
    (103, "Mechanical Keyboard", Decimal("89000.00"), "Electronics"),
    (104, "27-inch Monitor", Decimal("329000.00"), "Electronics"),
    (105, "Coffee Maker", Decimal("79000.00"), "Home"),
    (106, "Desk Lamp", Decimal("32000.00"), "Home"),
    (107, "Running Shoes", Decimal("119000.00"), "Sports"),
    (108, "Yoga Mat", Decimal("28500.50"), "Sports"),
    (109, "Backpack", Decimal("59000.00"), "Accessories"),
    (110, "Water Bottle", Decimal("12900.90"), "Accessories"),
]


async def seed_demo_catalog(mysql: MySQL) -> tuple[int, int]:
    """Insert the demo users and products that are missing; a second run changes nothing
    (and, unlike INSERT IGNORE, says nothing)."""
    async with mysql.transaction() as cur:
        users = await cur.executemany(
            "INSERT INTO users (id, name, email) VALUES (%s, %s, %s)"
            " ON DUPLICATE KEY UPDATE id = id",
            DEMO_USERS,
        )
        products = await cur.executemany(
            "INSERT INTO products (id, name, price, category) VALUES (%s, %s, %s, %s)"
            " ON DUPLICATE KEY UPDATE id = id",
            DEMO_PRODUCTS,
        )
    return int(users or 0), int(products or 0)


async def list_users(mysql: MySQL) -> list[User]:
    rows = await mysql.fetch_all("SELECT id, name, email, created_at FROM users ORDER BY id")
    return [User.model_validate(row) for row in rows]


async def get_user(mysql: MySQL, user_id: int) -> User | None:
    row = await mysql.fetch_one(
        "SELECT id, name, email, created_at FROM users WHERE id = %s", (user_id,)
    )
    return None if row is None else User.model_validate(row)


async def list_products(mysql: MySQL) -> list[Product]:
    rows = await mysql.fetch_all(
        "SELECT id, name, price, category, created_at FROM products ORDER BY id"
    )
    return [Product.model_validate(row) for row in rows]


async def get_product(mysql: MySQL, product_id: int) -> Product | None:
    row = await mysql.fetch_one(
        "SELECT id, name, price, category, created_at FROM products WHERE id = %s", (product_id,)
    )
    return None if row is None else Product.model_validate(row)


@dataclass(frozen=True)
class OrderCatalog:
    """What a new order needs from the catalog: its customer's name (None: no such user) and
    those of its products that exist."""

    user_name: str | None
    products: dict[int, Product]


class CatalogLookup:
    """The catalog reads an order's use cases make, on their unit of work's statements."""

    def __init__(self, statements: Statements) -> None:
        self._sql = statements

    async def user_name(self, user_id: int) -> str | None:
        rows = await self._sql.read("SELECT name FROM users WHERE id = %s", (user_id,))
        return str(rows[0]["name"]) if rows else None

    async def order_catalog(self, user_id: int, product_ids: Iterable[int]) -> OrderCatalog:
        """One round trip: a row per product found, or one row of NULLs if none is, on the
        user's row; no row at all if the user does not exist."""
        ids = sorted(set(product_ids))
        placeholders = ", ".join(["%s"] * len(ids))
        rows = await self._sql.read(
            "SELECT u.name AS user_name, p.id, p.name, p.price, p.category, p.created_at"
            f" FROM users AS u LEFT JOIN products AS p ON p.id IN ({placeholders})"
            " WHERE u.id = %s",
            (*ids, user_id),
        )
        return OrderCatalog(
            user_name=str(rows[0]["user_name"]) if rows else None,
            products={
                row["id"]: Product.model_validate(
                    {k: v for k, v in row.items() if k != "user_name"}
                )
                for row in rows
                if row["id"] is not None
            },
        )
