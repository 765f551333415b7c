"""HTTP bodies of the orders API (pydantic): camelCase on the wire, unknown fields refused."""

from __future__ import annotations

from pydantic import Field

from ecommerce_stream.orders.domain import MAX_ITEMS, MAX_QUANTITY, OrderStatus
from ecommerce_stream.wire import ApiModel, Money, UtcTimestamp


class OrderItemIn(ApiModel):
    product_id: int = Field(gt=0)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    price: Money | None = None


class CreateOrder(ApiModel):
    user_id: int = Field(gt=0)
    status: OrderStatus = OrderStatus.PENDING
    shipping_address: str = Field(min_length=1, max_length=500)
    total_amount: Money | None = None
    items: list[OrderItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class OrderItemOut(ApiModel):
    product_id: int
    product_name: str
    quantity: int
    price: Money


class Order(ApiModel):
    id: str
    user_id: int
    status: OrderStatus
    total_amount: Money
    shipping_address: str
    items: list[OrderItemOut]
    version: int
    created_at: UtcTimestamp
    updated_at: UtcTimestamp


class ChangeStatus(ApiModel):
    status: OrderStatus
