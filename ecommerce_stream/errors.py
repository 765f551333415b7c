"""Domain errors. They carry a machine code and a message; the web layer alone maps them to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequest(DomainError):
    code = "bad_request"


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_failed"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"


class Conflict(DomainError):
    code = "conflict"


class Gone(DomainError):
    code = "gone"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class Unavailable(DomainError):
    code = "service_unavailable"
