"""Who may call `/admin/*`: a bearer token equal to ADMIN_TOKEN, and an X-Admin-Id naming the
acting admin for the audit trail."""

from __future__ import annotations

import hmac
from typing import Any

from pydantic import Field

from ecommerce_stream.errors import Forbidden, Unauthorized
from ecommerce_stream.settings import get_settings
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


def acting_admin(request: Any) -> str:
    """The X-Admin-Id of an authorised admin request; 401 without a token, 403 with a wrong one
    (or when no ADMIN_TOKEN is configured), 400 without a valid X-Admin-Id."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the admin API needs Authorization: Bearer <ADMIN_TOKEN>")
    expected = get_settings().admin_token.get_secret_value()
    # compare_digest takes as long whatever the first differing byte: the token can't be
    # guessed byte by byte from response times. Header text may hold undecodable bytes.
    presented = token.strip().encode("utf-8", "surrogateescape")
    if not expected or not hmac.compare_digest(presented, expected.encode()):
        raise Forbidden("the bearer token is not the admin token")
    return read_headers(request, AdminHeaders).admin_id
