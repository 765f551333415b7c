"""The one place that turns errors into the JSON error shape and an HTTP status."""

from __future__ import annotations

import logging
from typing import Any

import pydantic
import pymysql
from aiohttp import web

from ecommerce_stream import errors

log = logging.getLogger(__name__)

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.UnsupportedMediaType: 415,
    errors.ValidationFailed: 422,
    errors.Unavailable: 503,
}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message, "details": details or []}}, status=status
    )


def _validation_details(error: pydantic.ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors(include_url=False, include_input=False)
    ]


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except errors.DomainError as error:
        return error_response(STATUS_OF[type(error)], error.code, error.message, error.details)
    except pydantic.ValidationError as error:
        details = _validation_details(error)
        if any(item["type"] == "json_invalid" for item in error.errors()):
            return error_response(400, "malformed_json", "the body is not valid JSON", details)
        return error_response(422, "validation_failed", "the request is not valid", details)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = error.reason.lower().replace(" ", "_")
        return error_response(error.status, code, error.text or error.reason)
    except (pymysql.err.OperationalError, pymysql.err.InterfaceError, ConnectionError) as error:
        log.warning("store unavailable: %s", error)
        return error_response(503, "service_unavailable", "a backing store is unavailable")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
