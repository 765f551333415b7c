"""Reading requests into pydantic models and writing pydantic models as JSON responses.

A flaw in the body is a 400 (not JSON), 408 (too slow), 415 (not sent as JSON) or 422 (breaks a
rule); a flaw in a path, query or header parameter is a 400. Each raises before anything is
written."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import pydantic
from aiohttp import web
from faust.web import Response
from pydantic import BaseModel, TypeAdapter

from ecommerce_stream.errors import (
    BadRequest,
    MalformedJson,
    RequestTimeout,
    UnsupportedMediaType,
    ValidationFailed,
)
from ecommerce_stream.web.errors import validation_details

ModelT = TypeVar("ModelT", bound=BaseModel)

# Larger bodies are refused with 413 before they are read (aiohttp's client_max_size).
MAX_REQUEST_BODY_BYTES = 256 * 1024
# aiohttp waits for a body as long as the client keeps the connection open: a client that sends
# its headers and then stalls or trickles would hold a handler forever. Our bodies are a few KiB;
# even the largest allowed arrives in this time at 26 KB/s.
BODY_READ_TIMEOUT_SECONDS = 10.0
# A connection is closed when its request line and headers are not complete this long after it
# opened or after its previous answer (aiohttp's keep-alive timeout, set in app.py).
IDLE_CONNECTION_TIMEOUT_SECONDS = 30.0


async def read_model(request: Any, model: type[ModelT]) -> ModelT:
    """Parse and validate the JSON body."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "the body must be JSON (Content-Type: application/json)",
            [{"field": "Content-Type", "message": f"got {request.content_type or 'nothing'}"}],
        )
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT_SECONDS):
            body: bytes = await request.read()
    except TimeoutError:
        raise RequestTimeout(
            f"the body did not arrive within {BODY_READ_TIMEOUT_SECONDS:g} seconds"
        ) from None
    try:
        return model.model_validate_json(body)
    except pydantic.ValidationError as error:
        details = validation_details(error)
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise MalformedJson("the body is not valid JSON", details) from None
        raise ValidationFailed("the request is not valid", details) from None


def read_path(model: type[ModelT], **params: str) -> ModelT:
    """The view's path parameters (its keyword arguments) as `model`."""
    return _read_params(model, params, "path")


def read_query(request: Any, model: type[ModelT]) -> ModelT:
    return _read_params(model, request.query, "query")


def read_headers(request: Any, model: type[ModelT]) -> ModelT:
    # Header names are case-insensitive: look each declared one up rather than copy them all.
    names = [field.alias or name for name, field in model.model_fields.items()]
    present = {name: request.headers[name] for name in names if name in request.headers}
    return _read_params(model, present, "header")


def _read_params(model: type[ModelT], values: Mapping[str, str], where: str) -> ModelT:
    try:
        return model.model_validate(dict(values))
    except pydantic.ValidationError as error:
        raise BadRequest(f"a {where} parameter is not valid", validation_details(error)) from None


def json_model(
    value: Any, *, status: int = 200, adapter: TypeAdapter[Any] | None = None
) -> Response:
    """A pydantic model (or, with `adapter`, a list of them) as a camelCase JSON response."""
    if adapter is not None:
        body = adapter.dump_json(value, by_alias=True)
    else:
        body = value.model_dump_json(by_alias=True)
    # Faust's aiohttp driver passes aiohttp responses through; its type is the abstract one.
    return cast(Response, web.Response(body=body, status=status, content_type="application/json"))


def no_content() -> Response:
    return cast(Response, web.Response(status=204))
