"""JSON wire types shared by every HTTP API: camelCase models, exact money, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


def _as_utc(value: datetime) -> datetime:
    # MySQL DATETIME columns come back naive; the schema stores them in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso_utc(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Exact Decimal inside; a JSON number with at most 2 decimals outside.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
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
]


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )
