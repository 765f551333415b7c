"""Domain errors. They carry a machine code and a message; the web layer alone maps them to HTTP.

A class's docstring is its description in the OpenAPI document."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error the client can act on."""

    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequest(DomainError):
    """A malformed request: a path, query or header parameter, or a body that is not JSON."""

    code = "bad_request"


class NotFound(DomainError):
    """No such resource."""

    code = "not_found"


class ValidationFailed(DomainError):
    """The body is well-formed but breaks a rule; nothing was written."""

    code = "validation_failed"


class RequestTimeout(DomainError):
    """The body did not arrive in time (a stalled or trickling client); the connection is
    closed."""

    code = "request_timeout"


class UnsupportedMediaType(DomainError):
    """The body is not sent as application/json."""

    code = "unsupported_media_type"


class UnsupportedContentEncoding(UnsupportedMediaType):
    """The body is compressed (a Content-Encoding other than identity)."""

    code = "unsupported_content_encoding"


class Conflict(DomainError):
    """The resource's current state forbids this change."""

    code = "conflict"


class Gone(DomainError):
    """The resource is past the point where this is possible."""

    code = "gone"


class Unauthorized(DomainError):
    """No bearer token was sent."""

    code = "unauthorized"

    def __init__(
        self, message: str, details: list[dict[str, Any]] | None = None, *, realm: str
    ) -> None:
        super().__init__(message, details)
        self.realm = realm  # what the token is for, named in WWW-Authenticate


class Forbidden(DomainError):
    """The bearer token is wrong."""

    code = "forbidden"


class Unavailable(DomainError):
    """A backing store is unavailable; retry later."""

    code = "service_unavailable"


class MalformedJson(BadRequest):
    """The body is not valid JSON (UTF-8, no NaN, no key named twice in one object)."""

    code = "malformed_json"


class MalformedHttp(BadRequest):
    """The request is not valid HTTP: a bad header line, one over 8 KiB, bad framing or body
    coding. The connection is closed."""

    code = "malformed_http"
