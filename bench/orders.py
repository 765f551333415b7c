"""The orders the benchmark places and bulk-loads: the demo users and products, 1–3 lines each."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ecommerce_stream.catalog.repository import DEMO_PRODUCTS, DEMO_USERS
from ecommerce_stream.events.records import OrderEvent
from ecommerce_stream.orders.domain import Order, OrderLine, OrderStatus

USER_IDS = [user_id for user_id, _, _ in DEMO_USERS]
PRICES: dict[int, Decimal] = {product_id: price for product_id, _, price, _ in DEMO_PRODUCTS}
PRODUCT_IDS = list(PRICES)
STATUSES = [status.value for status in OrderStatus]


def order_lines(rng: random.Random) -> list[tuple[int, int]]:
    """(product id, quantity) pairs: 1–3 distinct products, 1–3 of each."""
    products = rng.sample(PRODUCT_IDS, rng.randint(1, 3))
    return [(product_id, rng.randint(1, 3)) for product_id in products]


def create_order_body(rng: random.Random) -> dict[str, Any]:
    """A `CreateOrder` request; prices are left to the catalog, as the shop does."""
    return {
        "userId": rng.choice(USER_IDS),
        "shippingAddress": f"Bench street {rng.randint(1, 9999)}",
        "items": [
            {"productId": product_id, "quantity": quantity}
            for product_id, quantity in order_lines(rng)
        ],
    }


def sample_order(rng: random.Random) -> Order:
    """A typical new order, with the OrderCreated event it recorded (one outbox row and Kafka
    message)."""
    lines = order_lines(rng)
    user_id, user_name, _ = DEMO_USERS[0]
    return Order.place(
        order_id=uuid_string(rng),
        user_id=user_id,
        user_name=user_name,
        status=OrderStatus.PENDING,
        shipping_address="Bench street 1",
        lines=tuple(OrderLine(p, f"product {p}", q, PRICES[p]) for p, q in lines),
        now=datetime.now(UTC),
    )


def sample_event(rng: random.Random) -> OrderEvent:
    """A real `OrderCreated` of a typical order."""
    [event] = sample_order(rng).pull_events()
    return event


def uuid_string(rng: random.Random) -> str:
    """A lowercase UUID-shaped id (random, like uuid4), from a seeded generator."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
