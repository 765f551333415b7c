"""The one place that turns errors into the JSON error shape and an HTTP status."""

from __future__ import annotations

import logging
from typing import Any

import pydantic
import pymysql
from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from ecommerce_stream import errors
from ecommerce_stream.wire import ApiModel

log = logging.getLogger(__name__)


class _WithoutRequestBytes(logging.Filter):
    """aiohttp logs a request it cannot parse (a line too long, a bad header) with a traceback
    quoting the offending line, which may be an Authorization header and its token. Such a
    request is the client's mistake: one line naming the error, without the bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else None
            record.msg = "refused a malformed HTTP request from %s: %s %s"
            record.args = (remote, error.code, type(error).__name__)
            record.exc_info = record.exc_text = None
        return True


# The web server's connection-level log (aiohttp's handler_args["logger"], app.py).
server_log = logging.getLogger("ecommerce_stream.web.server")
server_log.addFilter(_WithoutRequestBytes())

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.RequestTimeout: 408,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.UnsupportedMediaType: 415,
    errors.ValidationFailed: 422,
    errors.Unavailable: 503,
}


class ErrorDetail(ApiModel):
    field: str | None = None
    message: str


class ErrorBody(ApiModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorResponse(ApiModel):
    """Every 4xx and 5xx answer of the API."""

    error: ErrorBody


def status_of(error_type: type[errors.DomainError]) -> int:
    """The status of an error class or of its nearest mapped base class (500 for none: a bare
    DomainError is a programming mistake)."""
    return next((STATUS_OF[cls] for cls in error_type.__mro__ if cls in STATUS_OF), 500)


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> web.Response:
    body = ErrorResponse(
        error=ErrorBody(
            code=code,
            message=message,
            details=[ErrorDetail.model_validate(item) for item in details or []],
        )
    )
    return web.Response(
        body=body.model_dump_json(by_alias=True), status=status, content_type="application/json"
    )


def validation_details(error: pydantic.ValidationError) -> list[dict[str, Any]]:
    """pydantic's findings as error details, one per offending field (camelCase paths)."""
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
        response = error_response(status_of(type(error)), error.code, error.message, error.details)
        if isinstance(error, errors.Unauthorized):
            # RFC 9110: a 401 names the scheme that would be accepted.
            response.headers[hdrs.WWW_AUTHENTICATE] = 'Bearer realm="admin"'
        elif isinstance(error, errors.RequestTimeout):
            # The rest of a slow body would arrive as the next request: hang up instead.
            response.force_close()
        return response
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = error.reason.lower().replace(" ", "_")
        response = error_response(error.status, code, error.text or error.reason)
        # Keep what the status promises, e.g. a 405's Allow: only the body becomes JSON.
        for name, value in error.headers.items():
            if name not in (hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH):
                response.headers[name] = value
        return response
    except (pymysql.err.OperationalError, pymysql.err.InterfaceError, ConnectionError) as error:
        log.warning("store unavailable: %s", error)
        return error_response(503, "service_unavailable", "a backing store is unavailable")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
