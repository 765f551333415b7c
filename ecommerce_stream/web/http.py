"""Reading requests into pydantic models and writing pydantic models as JSON responses; the
base class of the API's views.

A flaw in the body is a 400 (not JSON), 408 (too slow), 415 (not sent as JSON, or compressed)
or 422 (breaks a rule); a flaw in a path, query or header parameter is a 400. Each raises
before anything is written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar, cast

import pydantic
import pydantic_core
from aiohttp import hdrs, web
from faust.web import Request, Response, View
from pydantic import BaseModel, TypeAdapter

from ecommerce_stream.errors import (
    BadRequest,
    MalformedJson,
    RequestTimeout,
    UnsupportedContentEncoding,
    UnsupportedMediaType,
    ValidationFailed,
)
from ecommerce_stream.web.errors import answer_for, validation_details
from ecommerce_stream.web.forward import Forwarder

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
    # Refused rather than decoded: a compressed body could unpack to far more than the body
    # limit, and nothing the API takes is large enough to gain from compression.
    codings = [
        coding.strip()
        for header in request.headers.getall(hdrs.CONTENT_ENCODING, [])
        for coding in header.split(",")
    ]
    if any(coding.lower() not in ("", "identity") for coding in codings):
        raise UnsupportedContentEncoding(
            "the body must be sent uncompressed (no Content-Encoding but identity)",
            [{"field": "Content-Encoding", "message": "only identity is accepted"}],
        )
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT_SECONDS):
            body: bytes = await request.read()
    except TimeoutError:
        raise RequestTimeout(
            f"the body did not arrive within {BODY_READ_TIMEOUT_SECONDS:g} seconds"
        ) from None
    return decode_body(body, model)


def decode_body(body: bytes, model: type[ModelT]) -> ModelT:
    """A JSON body as `model`: the JSON read exactly (see `parse_json`), then validated."""
    data = parse_json(body)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise ValidationFailed("the request is not valid", validation_details(error)) from None


# Past this many digits an integer is no id, count or amount the API takes; Python would spend
# time quadratic in the length converting it.
MAX_INTEGER_DIGITS = 100


def parse_json(body: bytes) -> Any:
    """The JSON value of `body`, exactly as written (RFC 8259): UTF-8 text; numbers with a
    fraction or exponent as Decimal (1e-400 stays 1e-400, not 0.0); no NaN or Infinity; no key
    twice in one object; no unpaired surrogate. 400 (MalformedJson) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson("the body is not UTF-8 text") from None
    try:
        # pydantic's parser first, for what it refuses that json.loads takes: unpaired
        # surrogates, and nesting past 200 levels, where json.loads would recurse to the
        # interpreter's limit (and objects finalized meanwhile would fail).
        pydantic_core.from_json(text)
        return json.loads(
            text,
            parse_float=_decimal,
            parse_int=_integer,
            parse_constant=_not_a_number,
            object_pairs_hook=_object,
        )
    except ValueError as error:
        raise MalformedJson("the body is not valid JSON", [{"message": str(error)}]) from None


def _decimal(digits: str) -> Decimal:
    try:
        return Decimal(digits)
    except InvalidOperation:  # an exponent past what Decimal holds, e.g. 1e99999999999999999999
        raise MalformedJson("a number in the body is out of range") from None


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise MalformedJson(f"a number in the body has over {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _not_a_number(name: str) -> None:
    raise MalformedJson(f"the body is not valid JSON: {name} is no JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    named = dict(pairs)
    if len(named) < len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        # Parsers differ on which of the two counts: the request means nothing for sure.
        raise MalformedJson(
            "the body names a key twice in one object",
            [{"field": twice, "message": "named more than once"}],
        )
    return named


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


ViewMethod = Callable[..., Awaitable[Response]]


class ApiView(View):
    """The base of every API view: an error it raises is answered inside it, in the JSON error
    shape (web/errors.py), so that Faust's request metrics (`/metrics`) count the status sent.
    Faust counts a view that raised as a 500, whatever the middleware then answers.

    A view whose answers another worker gives (`forwarder` set: see web/forward.py) passes
    every request there instead."""

    forwarder: ClassVar[Forwarder | None] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        implemented = {name.lower() for name in self.get_methods()}
        self.methods = {
            name: _answering_errors(self._handler_for(method)) if name in implemented else method
            for name, method in self.methods.items()
        }

    def _handler_for(self, method: ViewMethod) -> ViewMethod:
        forwarder = self.forwarder
        if forwarder is None:
            return method

        async def forwarded(request: Request, **kwargs: Any) -> Response:
            return await forwarder.forward(request)

        return forwarded


def _answering_errors(method: ViewMethod) -> ViewMethod:
    async def answered(request: Request, **kwargs: Any) -> Response:
        try:
            return await method(request, **kwargs)
        except Exception as error:
            return cast(Response, answer_for(cast(web.Request, request), error))

    return answered
