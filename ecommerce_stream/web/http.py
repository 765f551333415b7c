"""Reading JSON requests into pydantic models and writing pydantic models as JSON responses."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from aiohttp import web
from faust.web import Response
from pydantic import BaseModel, TypeAdapter

from ecommerce_stream.errors import BadRequest, UnsupportedMediaType

ModelT = TypeVar("ModelT", bound=BaseModel)


async def read_model(request: Any, model: type[ModelT]) -> ModelT:
    """Parse and validate the JSON body; any flaw raises before anything is written."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "the body must be JSON (Content-Type: application/json)",
            [{"field": "Content-Type", "message": f"got {request.content_type or 'nothing'}"}],
        )
    body: bytes = await request.read()
    return model.model_validate_json(body)


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


def query_int(request: Any, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer", [{"field": name, "message": raw}]) from None
    if not minimum <= value <= maximum:
        raise BadRequest(
            f"{name} must be between {minimum} and {maximum}",
            [{"field": name, "message": f"got {value}"}],
        )
    return value


def path_int(raw: str, name: str) -> int:
    """A positive integer id from the URL path; anything else is the client's mistake (400)."""
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"{name} must be a positive integer", [{"field": name, "message": raw}])
    return int(raw)
