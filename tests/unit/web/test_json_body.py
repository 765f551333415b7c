"""parse_json: a request body's JSON exactly as written, or a MalformedJson (400)."""

from decimal import Decimal
from typing import Any

import pytest

from ecommerce_stream.errors import MalformedJson
from ecommerce_stream.web.http import MAX_INTEGER_DIGITS, parse_json


def test_numbers_keep_their_exact_value() -> None:
    value = parse_json(b'{"a": 1e-400, "b": 0.1, "c": 12, "d": -0.0, "e": 1E+400}')
    assert value == {
        "a": Decimal("1e-400"),
        "b": Decimal("0.1"),
        "c": 12,
        "d": Decimal("-0.0"),
        "e": Decimal("1e400"),
    }
    assert type(value["c"]) is int


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"a": 1} x',
        b"NaN",
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1, "a": 1}',
        b'[{"b": 1, "c": {"d": 2, "d": 3}}]',
        b'{"a": "\\ud800"}',
        b'{"\\udfff": 1}',
        b'["x", ["\\ud83d"]]',
        b"\xff\xfe{}",
        '{"a": "é"}'.encode("latin-1"),
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-8-sig"),
        b"[" * 100_000,
        b"[" * 5_000 + b"]" * 5_000,
        b"1" * (MAX_INTEGER_DIGITS + 1),
        b"-" + b"1" * (MAX_INTEGER_DIGITS + 1),
        b"[1e99999999999999999999]",
        b"[-1.5e-99999999999999999999]",
    ],
)
def test_what_is_no_exact_json_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson):
        parse_json(body)


def test_paired_surrogates_and_long_but_bounded_values_are_fine() -> None:
    assert parse_json(b'["\\ud83d\\ude00"]') == ["\U0001f600"]
    assert parse_json(b"1" * MAX_INTEGER_DIGITS) == int("1" * MAX_INTEGER_DIGITS)
    nested: list[Any] = []
    for _ in range(149):
        nested = [nested]
    assert parse_json(b"[" * 150 + b"]" * 150) == nested  # deep, but within the limit
