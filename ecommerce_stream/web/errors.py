"""The one place that turns errors into the JSON error shape and an HTTP status."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import pydantic
import pymysql
from aiohttp import HttpVersion11, hdrs, web, web_server
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from faust.web.exceptions import WebError as FaustWebError

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
            # The client's mistake, answered with a 400: no error of the server's.
            record.levelno, record.levelname = logging.INFO, "INFO"
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


_STORE_DOWN = (pymysql.err.OperationalError, pymysql.err.InterfaceError, ConnectionError)


def answer_for(request: web.BaseRequest, error: Exception) -> web.Response:
    """The JSON answer to an error raised while handling `request` (a redirect is re-raised:
    it is no error)."""
    if isinstance(error, errors.DomainError):
        response = error_response(status_of(type(error)), error.code, error.message, error.details)
        if isinstance(error, errors.Unauthorized):
            # RFC 9110: a 401 names the scheme that would be accepted.
            response.headers[hdrs.WWW_AUTHENTICATE] = f'Bearer realm="{error.realm}"'
        elif isinstance(error, errors.UnsupportedContentEncoding):
            # RFC 7694: a 415 for a content coding lists the codings that are accepted.
            response.headers[hdrs.ACCEPT_ENCODING] = "identity"
        elif isinstance(error, errors.RequestTimeout):
            # The rest of a slow body would arrive as the next request: hang up instead.
            response.force_close()
        return response
    if isinstance(error, web.HTTPException):
        if error.status < 400:
            raise error
        code = error.reason.lower().replace(" ", "_")
        # The reason phrase, not aiohttp's text: that may quote the request ("Unknown Expect: ...").
        response = error_response(error.status, code, error.reason)
        # Keep what the status promises, e.g. a 405's Allow: only the body becomes JSON.
        for name, value in error.headers.items():
            if name not in (hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH):
                response.headers[name] = value
        return response
    if isinstance(error, FaustWebError):  # Faust's own, e.g. from a table route
        status = HTTPStatus(error.code)
        return error_response(status, status.phrase.lower().replace(" ", "_"), error.detail)
    if isinstance(error, HttpProcessingError):
        # The body's framing or coding broke while it was read (aiohttp's parser found it).
        return malformed_http_response(error.code if 400 <= error.code < 500 else 400, error)
    if isinstance(error, _STORE_DOWN):
        log.warning("store unavailable: %s", error)
        return error_response(503, "service_unavailable", "a backing store is unavailable")
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return error_response(500, "internal_error", "an unexpected error occurred")


def malformed_http_response(status: int, error: BaseException | None) -> web.Response:
    """A request aiohttp could not parse: named by the kind of error only. Its message quotes
    the offending bytes, which may be an Authorization header and its token."""
    kind = type(error).__name__ if error is not None else "unknown"
    response = error_response(status, errors.MalformedHttp.code, f"not valid HTTP ({kind})")
    response.force_close()
    return response


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Errors of routes that are no API view (unknown paths, Faust's own pages) as JSON."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Exception as error:
        return answer_for(request, error)


class _JsonErrorAnswers(RequestHandler):
    """What aiohttp answers before any route or middleware runs, in the API's error shape.

    It answers a request it cannot parse (a bad header line, one over 8 KiB, bad chunking,
    Content-Length with Transfer-Encoding) in plain text quoting the offending line, and an
    unknown Expect header with a plain-text 417 quoting its value (a 500 when the value holds
    a byte that is not UTF-8). It has no setting for either, so the server is given this
    handler class (serve_parser_errors_as_json)."""

    def __init__(self, manager: web.Server, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        # The app's handler, behind the one Expect check aiohttp makes before any middleware.
        self._request_handler = _refusing_unknown_expectations(manager.request_handler)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's own: logs (through server_log's filter) and refuses a second answer.
        super().handle_error(request, status, exc, message)
        if status >= 500:
            response = error_response(status, "internal_error", "an unexpected error occurred")
            response.force_close()
            return response
        return malformed_http_response(status, exc)

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        # An HTTP error raised before the middleware ran (the Expect check) arrives as itself.
        if isinstance(resp, web.HTTPException) and resp.status >= 400:
            resp = answer_for(request, resp)
        return await super().finish_response(request, resp, start_time)


def _refusing_unknown_expectations(
    handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        expect = request.headers.get(hdrs.EXPECT, "")
        if expect and expect.lower() != "100-continue" and request.version >= HttpVersion11:
            raise web.HTTPExpectationFailed()  # aiohttp's own would quote the value
        return await handler(request)

    return handle


def serve_parser_errors_as_json() -> None:
    """Make aiohttp's servers in this process answer what they refuse themselves in the API's
    error shape. aiohttp builds each connection's handler from `web_server.RequestHandler` and
    offers no hook for this (tests/security/test_error_answers.py and test_fuzz.py would notice
    a version that stopped calling it)."""
    web_server.RequestHandler = _JsonErrorAnswers  # type: ignore[attr-defined]
