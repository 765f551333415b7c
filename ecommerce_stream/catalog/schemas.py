"""HTTP shapes of users and products, and their path parameters."""

from __future__ import annotations

from pydantic import Field

from ecommerce_stream.wire import MAX_ID, ApiModel, Money, PathParams, UtcTimestamp


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


class ProductPath(PathParams):
    product_id: int = Field(gt=0, le=MAX_ID)
