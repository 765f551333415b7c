"""HTTP shapes of users and products."""

from __future__ import annotations

from ecommerce_stream.wire import ApiModel, Money, UtcTimestamp


class User(ApiModel):
    id: int
    name: str
    email: str
    created_at: UtcTimestamp


class Product(ApiModel):
    id: int
    name: str
    price: Money
    category: str
    created_at: UtcTimestamp
