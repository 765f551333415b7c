"""JSON wire types shared by every HTTP API: camelCase models, exact money, UTC timestamps, and
the bases of path, query and header parameter models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

# DECIMAL(12,2): the largest amount a money column holds.
MAX_MONEY = Decimal("9999999999.99")
# INT UNSIGNED: the largest user or product id.
MAX_ID = 2**32 - 1


def _as_utc(value: datetime) -> datetime:
    # MySQL DATETIME columns come back naive; the schema stores them in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso_utc(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Exact Decimal inside; a JSON number with at most 2 decimals outside. The validation schema
# says "number" even though a numeric string is tolerated: numbers are the contract.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
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


class Params(ApiModel):
    """Query or header parameters: camelCase names (or an explicit alias such as a header's);
    parameters the endpoint does not know are ignored, as HTTP clients add their own."""

    model_config = ConfigDict(extra="ignore")


class PathParams(BaseModel):
    """Path parameters: the field names are the route's `{placeholders}`, hence no aliases."""

    model_config = ConfigDict(extra="forbid", frozen=True)
