"""JSON wire types shared by every HTTP API: camelCase models, exact money, UTC timestamps, the
one spelling of an order id, and the bases of request bodies (strict) and of path, query and
header parameter models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

# DECIMAL(12,2): the largest amount a money column holds.
MAX_MONEY = Decimal("9999999999.99")
CENT = Decimal("0.01")
# INT UNSIGNED: the largest user or product id.
MAX_ID = 2**32 - 1


def to_money(amount: Decimal) -> Decimal:
    """An amount in whole cents, half a cent rounded up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _as_utc(value: datetime) -> datetime:
    # MySQL DATETIME columns come back naive; the schema stores them in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso_utc(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exact_cents(value: object) -> object:
    """Money as it was written: a JSON number (read as an exact Decimal, never a float) that is
    a finite multiple of 0.01. Nothing is rounded: 1e-400 is refused, not taken for 0.00."""
    if isinstance(value, float):  # a programming mistake: bodies are read by parse_json
        raise PydanticCustomError("money_float", "Money must be read as Decimal, not float")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PydanticCustomError("money_type", "Input should be a number")
    amount = Decimal(value)
    if not amount.is_finite():
        raise PydanticCustomError("money_finite", "Input should be a finite number")
    # From the digits, not by arithmetic: Decimal arithmetic rounds to its context's precision.
    _, digits, exponent = amount.as_tuple()
    below_cents = -int(exponent) - 2
    if below_cents > 0 and any(digits[-below_cents:]):
        raise PydanticCustomError(
            "money_cents", "Input should be a multiple of 0.01 (at most 2 decimal places)"
        )
    return amount.copy_abs() if amount.is_zero() else amount  # -0 is 0, not "-0.0" in answers


# Exact Decimal inside; a JSON number with at most 2 decimals outside.
Money = Annotated[
    Decimal,
    BeforeValidator(_exact_cents),
    Field(ge=0, le=MAX_MONEY),
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema(
        {"type": "number", "minimum": 0, "maximum": float(MAX_MONEY), "multipleOf": 0.01},
        mode="validation",
    ),
]
# Totals over many orders outgrow DECIMAL(12,2): same wire form, no digit limit.
MoneySum = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
]
UtcTimestamp = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(_iso_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Body(ApiModel):
    """A JSON request body, read by web/http.py as exact JSON (numbers as Decimal or int) and
    validated strictly: JSON types are not coerced (true is no integer, "2" no number, 2.0 no
    integer either). A field that must take a JSON string for another type (an enum) says so
    with `Field(strict=False)`."""

    model_config = ConfigDict(strict=True)


class Params(ApiModel):
    """Query or header parameters: camelCase names (or an explicit alias such as a header's);
    parameters the endpoint does not know are ignored, as HTTP clients add their own."""

    model_config = ConfigDict(extra="ignore")


class PathParams(BaseModel):
    """Path parameters: the field names are the route's `{placeholders}`, hence no aliases."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# Order ids are UUIDs in the one spelling the API hands out: lowercase, hyphenated. No other
# spelling names an order (the id columns compare exactly too: sql/0010).
ORDER_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _canonical_order_id(value: str) -> str:
    if not re.fullmatch(ORDER_ID_PATTERN, value):
        raise ValueError("an order id is a UUID in lowercase hex digits, hyphenated 8-4-4-4-12")
    return value


OrderId = Annotated[
    str,
    AfterValidator(_canonical_order_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ORDER_ID_PATTERN,
            "description": "A lowercase, hyphenated UUID, as the API returns it.",
        }
    ),
]


class OrderPath(PathParams):
    """The `{order_id}` of every route that names an order (orders, admin, analytics)."""

    order_id: OrderId


class UserPath(PathParams):
    """The `{user_id}` of every route that names a customer (catalog, orders, analytics)."""

    user_id: int = Field(gt=0, le=MAX_ID)
