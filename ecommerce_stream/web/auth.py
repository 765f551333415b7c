"""Who may do what needs authority: `/admin/*` takes a bearer token equal to ADMIN_TOKEN and an
X-Admin-Id naming the acting admin; a status change (PATCH .../status, or an order created in
another status than PENDING) takes SERVICE_TOKEN or ADMIN_TOKEN, unless
STATUS_CHANGES_NEED_TOKEN=false opens it for a demo."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from pydantic import Field, SecretStr

from ecommerce_stream.errors import Forbidden, Unauthorized
from ecommerce_stream.settings import Settings, get_settings
from ecommerce_stream.web.http import read_headers
from ecommerce_stream.wire import Params

ADMIN_ID_HEADER = "X-Admin-Id"
# Printable ASCII without leading or trailing blanks; 100 is the width of orders.deleted_by.
ADMIN_ID_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"


class AdminHeaders(Params):
    admin_id: str = Field(
        alias=ADMIN_ID_HEADER,
        min_length=1,
        max_length=100,
        pattern=ADMIN_ID_PATTERN,
        description="The acting admin, recorded with every change (deleted_by, events, audit).",
    )


def _require_bearer(request: Any, accepted: Sequence[SecretStr], *, realm: str, names: str) -> None:
    """401 without a bearer token, 403 unless it is one of the `accepted` (unset ones never
    match)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"this needs Authorization: Bearer <{names}>", realm=realm)
    # compare_digest takes as long whatever the first differing byte: the token can't be
    # guessed byte by byte from response times. Header text may hold undecodable bytes.
    presented = token.strip().encode("utf-8", "surrogateescape")
    expected = [secret.get_secret_value().encode() for secret in accepted]
    matches = [bool(value) and hmac.compare_digest(presented, value) for value in expected]
    if not any(matches):
        raise Forbidden(f"the bearer token is not the {names}")


def acting_admin(request: Any) -> str:
    """The X-Admin-Id of an authorised admin request; 401 without a token, 403 with a wrong one
    (or when no ADMIN_TOKEN is configured), 400 without a valid X-Admin-Id."""
    _require_bearer(request, [get_settings().admin_token], realm="admin", names="ADMIN_TOKEN")
    return read_headers(request, AdminHeaders).admin_id


def require_status_authority(request: Any, settings: Settings | None = None) -> None:
    """Refuse a status change (401, 403) to a caller without the service or admin token."""
    settings = settings or get_settings()
    if settings.status_changes_need_token:
        _require_bearer(
            request,
            [settings.service_token, settings.admin_token],
            realm="orders",
            names="SERVICE_TOKEN or ADMIN_TOKEN",
        )
