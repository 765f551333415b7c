"""`ecommerce-stream seed`: the demo users and products."""

from __future__ import annotations

from ecommerce_stream.app import app
from ecommerce_stream.catalog.repository import seed_demo_catalog
from ecommerce_stream.wiring import mysql


@app.command()
async def seed(self: object) -> None:
    """Insert the demo users and products that are missing (safe to run again)."""
    users, products = await seed_demo_catalog(mysql)
    await mysql.close()
    print(f"seeded {users} new users and {products} new products")
