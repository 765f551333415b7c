"""Validation of the CreateOrder and ChangeStatus bodies as the API reads them (exact JSON, then
strict types): camelCase, bounds, unknown fields, exact money, no coercion."""

from decimal import Decimal

import pytest

from ecommerce_stream.errors import MalformedJson, ValidationFailed
from ecommerce_stream.orders.domain import OrderStatus
from ecommerce_stream.orders.schemas import ChangeStatus, CreateOrder
from ecommerce_stream.web.http import decode_body

VALID = (
    b'{"userId": 1, "shippingAddress": "Seoul", "totalAmount": 50000.10,'
    b' "items": [{"productId": 101, "quantity": 2, "price": 25000.05}]}'
)


def test_valid_body_parses_money_exactly() -> None:
    order = decode_body(VALID, CreateOrder)
    assert order.total_amount == Decimal("50000.10")
    assert order.items[0].price == Decimal("25000.05")
    assert order.status is OrderStatus.PENDING


def _body(items: str = '[{"productId": 1, "quantity": 1}]', **fields: str) -> bytes:
    extra = "".join(f', "{name}": {value}' for name, value in fields.items())
    return f'{{"userId": 1, "shippingAddress": "x", "items": {items}{extra}}}'.encode()


def _item(quantity: str = "1", price: str = "1") -> bytes:
    return _body(f'[{{"productId": 1, "quantity": {quantity}, "price": {price}}}]')


@pytest.mark.parametrize(
    "body",
    [
        _body("[]"),
        _item(quantity="0"),
        _item(quantity="1001"),
        _item(price="-1"),
        _item(price="1.001"),
        _body(status='"LOST"'),
        _body(status='"pending"'),
        _body(version="7"),
        _body(id='"chosen-by-client"'),
        b'{"userId": 1, "shippingAddress": "", "items": [{"productId": 1, "quantity": 1}]}',
        b'{"shippingAddress": "x", "items": [{"productId": 1, "quantity": 1}]}',
        # Types are not coerced: no boolean is an integer, no string a number, nor 2.0 an int.
        b'{"userId": true, "shippingAddress": "x", "items": [{"productId": 1, "quantity": 1}]}',
        b'{"userId": "1", "shippingAddress": "x", "items": [{"productId": 1, "quantity": 1}]}',
        _item(quantity="true"),
        _item(quantity='"2"'),
        _item(quantity="2.0"),
        _item(quantity="2e0"),
        _item(price='"25000"'),
        _item(price="true"),
        b'{"userId": 1, "shippingAddress": 12, "items": [{"productId": 1, "quantity": 1}]}',
        _body(status="1"),
        # Money is never rounded: these are no multiples of 0.01, however small or large.
        _item(price="1e-400"),
        _item(price="0.0000000000000000000000000000001"),
        _item(price="1e400"),
        _item(price="10000000000"),
    ],
)
def test_invalid_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        decode_body(body, CreateOrder)


@pytest.mark.parametrize(
    ("price", "exact"),
    [("2.50", "2.5"), ("2.500", "2.5"), ("12.34e2", "1234"), ("1.2345e2", "123.45"), ("-0", "0")],
)
def test_money_is_taken_by_its_exact_value(price: str, exact: str) -> None:
    item = decode_body(_item(price=price), CreateOrder).items[0]
    assert item.price == Decimal(exact)
    assert str(item.price) != "-0"


@pytest.mark.parametrize(
    "body",
    [
        _item(price="NaN"),
        _item(price="Infinity"),
        b'{"userId": 1, "userId": 2, "shippingAddress": "x", "items": []}',
        _body('[{"productId": 1, "quantity": 1, "quantity": 1}]'),
    ],
)
def test_bodies_that_are_no_exact_json_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson):
        decode_body(body, CreateOrder)


def test_a_status_change_names_a_status_exactly() -> None:
    assert decode_body(b'{"status": "SHIPPED"}', ChangeStatus).status is OrderStatus.SHIPPED
    for body in [b'{"status": "shipped"}', b'{"status": 3}', b'{"status": null}', b"{}"]:
        with pytest.raises(ValidationFailed):
            decode_body(body, ChangeStatus)


def test_more_than_100_items_are_refused() -> None:
    items = ",".join('{"productId": 101, "quantity": 1}' for _ in range(101))
    with pytest.raises(ValidationFailed):
        decode_body(
            f'{{"userId": 1, "shippingAddress": "x", "items": [{items}]}}'.encode(), CreateOrder
        )
