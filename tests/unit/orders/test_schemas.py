"""Validation of the CreateOrder body: camelCase, bounds, unknown fields, exact money."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ecommerce_stream.orders.domain import OrderStatus
from ecommerce_stream.orders.schemas import CreateOrder

VALID = (
    b'{"userId": 1, "shippingAddress": "Seoul", "totalAmount": 50000.10,'
    b' "items": [{"productId": 101, "quantity": 2, "price": 25000.05}]}'
)


def test_valid_body_parses_money_exactly() -> None:
    order = CreateOrder.model_validate_json(VALID)
    assert order.total_amount == Decimal("50000.10")
    assert order.items[0].price == Decimal("25000.05")
    assert order.status is OrderStatus.PENDING


def _body(items: str = '[{"productId": 1, "quantity": 1}]', **fields: str) -> bytes:
    extra = "".join(f', "{name}": {value}' for name, value in fields.items())
    return f'{{"userId": 1, "shippingAddress": "x", "items": {items}{extra}}}'.encode()


@pytest.mark.parametrize(
    "body",
    [
        _body("[]"),
        _body('[{"productId": 1, "quantity": 0}]'),
        _body('[{"productId": 1, "quantity": 1001}]'),
        _body('[{"productId": 1, "quantity": 1, "price": -1}]'),
        _body('[{"productId": 1, "quantity": 1, "price": 1.001}]'),
        _body(status='"LOST"'),
        _body(version="7"),
        _body(id='"chosen-by-client"'),
        b'{"userId": 1, "shippingAddress": "", "items": [{"productId": 1, "quantity": 1}]}',
        b'{"shippingAddress": "x", "items": [{"productId": 1, "quantity": 1}]}',
    ],
)
def test_invalid_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(ValidationError):
        CreateOrder.model_validate_json(body)


def test_more_than_100_items_are_refused() -> None:
    items = ",".join('{"productId": 101, "quantity": 1}' for _ in range(101))
    with pytest.raises(ValidationError):
        CreateOrder.model_validate_json(
            f'{{"userId": 1, "shippingAddress": "x", "items": [{items}]}}'
        )
