"""HTTP shapes of the orders API (pydantic): bodies, parameters and answers, camelCase on the
wire, unknown body fields refused (no mass assignment of id, version, deletedAt, ...)."""

from __future__ import annotations

from typing import Self

from pydantic import ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ecommerce_stream.orders import domain
from ecommerce_stream.orders.domain import MAX_ITEMS, MAX_QUANTITY, OrderStatus
from ecommerce_stream.wire import (
    MAX_ID,
    ApiModel,
    Body,
    Money,
    Params,
    UtcTimestamp,
)

# At least one visible character; no control character but tab and line breaks (NUL, ESC, ...
# are never part of an address, and trouble for whatever prints or forwards it).
_CONTROL = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F"
ADDRESS_PATTERN = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"


class OrderItemIn(Body):
    product_id: int = Field(gt=0, le=MAX_ID)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    price: Money | None = Field(None, description="Unit price; the catalog price if omitted.")


class CreateOrder(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "userId": 1,
                    "shippingAddress": "Seoul, Teheran-ro 1",
                    "totalAmount": 50000,
                    "items": [{"productId": 102, "quantity": 2, "price": 25000}],
                }
            ]
        }
    )

    user_id: int = Field(gt=0, le=MAX_ID)
    status: OrderStatus = Field(
        OrderStatus.PENDING,
        strict=False,  # the JSON string names the enum member
        description="Anything but PENDING needs a service or admin bearer token.",
    )
    shipping_address: str = Field(
        min_length=1,
        max_length=500,
        pattern=ADDRESS_PATTERN,
        description="Stored and returned as sent. At least one visible character; no control"
        " characters but tab and line breaks.",
    )
    total_amount: Money | None = Field(
        None, description="If given, must equal the sum of quantity × price to the cent."
    )
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
    version: int = Field(description="1 when created, +1 on every change.")
    created_at: UtcTimestamp
    updated_at: UtcTimestamp

    @classmethod
    def of(cls, order: domain.Order) -> Self:
        """The order as the API shows it."""
        return cls(**_answer_fields(cls, order))


class AdminOrder(Order):
    """An order as admins see it: soft-deleted ones too, with who deleted them and when."""

    deleted_at: UtcTimestamp | None
    deleted_by: str | None


def _answer_fields(answer: type[Order], order: domain.Order) -> dict[str, object]:
    fields: dict[str, object] = {
        "items": [
            OrderItemOut(
                product_id=line.product_id,
                product_name=line.product_name,
                quantity=line.quantity,
                price=line.price,
            )
            for line in order.lines
        ]
    }
    for name in answer.model_fields.keys() - fields.keys():
        fields[name] = getattr(order, name)
    return fields


class ChangeStatus(Body):
    status: OrderStatus = Field(strict=False)


class Page(Params):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class IdempotencyHeaders(Params):
    # SkipJsonSchema: an absent header is not a "null" one.
    idempotency_key: str | SkipJsonSchema[None] = Field(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]+$",
        description="A retry with the same key returns the first order and creates nothing.",
    )
