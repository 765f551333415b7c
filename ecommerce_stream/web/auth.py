"""Who may do what needs authority. `/admin/*` takes the bearer token of a named admin
(ADMIN_TOKEN_HASHES), who is then the acting admin, or the shared ADMIN_TOKEN with an X-Admin-Id
naming the acting admin (unauthenticated: anyone holding that token may write any name but a
named admin's). A status change (PATCH .../status, or an order created in another status than
PENDING) takes SERVICE_TOKEN or an admin token, unless STATUS_CHANGES_NEED_TOKEN=false opens it
for a demo."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, SecretStr

from ecommerce_stream.errors import Forbidden, Unauthorized
from ecommerce_stream.settings import AdminName, Settings, get_settings
from ecommerce_stream.web.http import read_headers
from ecommerce_stream.wire import Params

ADMIN_ID_HEADER = "X-Admin-Id"
ADMIN_ID_DESCRIPTION = (
    "The acting admin, recorded with every change (deleted_by, events, audit). Required with"
    " ADMIN_TOKEN; with a named admin's token it may be left out, and must be that admin."
)
ADMIN_TOKENS = "a named admin's token or ADMIN_TOKEN"


class AdminHeaders(Params):
    """With the shared ADMIN_TOKEN: the acting admin must be named."""

    admin_id: AdminName = Field(alias=ADMIN_ID_HEADER, description=ADMIN_ID_DESCRIPTION)


class NamedAdminHeaders(Params):
    """With a named admin's token: the header may be left out (the token names the admin).
    The OpenAPI document shows this one, the weaker of the two: a client of either kind of
    token reads that the header is optional and when it is needed."""

    admin_id: AdminName | None = Field(
        None, alias=ADMIN_ID_HEADER, description=ADMIN_ID_DESCRIPTION
    )


def token_hash(token: bytes) -> str:
    """What ADMIN_TOKEN_HASHES holds of a token: its SHA-256 in hex. A fast hash is enough for
    a token of 256 random bits (no guess list reaches it, so neither salt nor a slow hash adds
    anything), and it keeps every admin request cheap."""
    return hashlib.sha256(token).hexdigest()


def _presented_token(request: Any, *, realm: str, names: str) -> bytes:
    """The bearer token as sent (header text may hold undecodable bytes); 401 without one."""
    authorization: str = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"this needs Authorization: Bearer <{names}>", realm=realm)
    return token.strip().encode("utf-8", "surrogateescape")


def _is_one_of(presented: bytes, accepted: Sequence[SecretStr]) -> bool:
    """Whether the token is one of `accepted` (unset ones never match). compare_digest takes as
    long whatever the first differing byte: a token can't be guessed byte by byte from response
    times. Every candidate is compared, so the time says nothing of which one matched."""
    expected = [secret.get_secret_value().encode() for secret in accepted]
    matches = [bool(value) and hmac.compare_digest(presented, value) for value in expected]
    return any(matches)


def _named_admin(presented: bytes, admins: Mapping[str, Sequence[str]]) -> str | None:
    """The admin whose token this is, comparing its hash with every configured one."""
    digest = token_hash(presented).encode()
    owners = [
        name
        for name, digests in admins.items()
        for expected in digests
        if hmac.compare_digest(digest, expected.encode())
    ]
    return owners[0] if owners else None


def acting_admin(request: Any, settings: Settings | None = None) -> str:
    """The acting admin of an authorised admin request. 401 without a token, 403 with a wrong
    one (or when no admin is configured); then, with a named admin's token, 403 if X-Admin-Id
    names someone else; with ADMIN_TOKEN, 400 without a valid X-Admin-Id and 403 if it names a
    named admin (who acts only through their own tokens)."""
    settings = settings or get_settings()
    presented = _presented_token(request, realm="admin", names=ADMIN_TOKENS)
    named = _named_admin(presented, settings.admin_token_hashes)
    if named is None and not _is_one_of(presented, [settings.admin_token]):
        raise Forbidden(f"the bearer token is not {ADMIN_TOKENS}")
    if named is not None:
        claimed = read_headers(request, NamedAdminHeaders).admin_id
        if claimed not in (None, named):
            raise Forbidden(f"{ADMIN_ID_HEADER} names another admin than the token's")
        return named
    admin_id = read_headers(request, AdminHeaders).admin_id
    if admin_id in settings.admin_token_hashes:
        raise Forbidden(f"{ADMIN_ID_HEADER} names an admin who acts only with their own tokens")
    return admin_id


def require_status_authority(request: Any, settings: Settings | None = None) -> None:
    """Refuse a status change (401, 403) to a caller without the service or an admin token."""
    settings = settings or get_settings()
    if not settings.status_changes_need_token:
        return
    names = f"SERVICE_TOKEN, {ADMIN_TOKENS}"
    presented = _presented_token(request, realm="orders", names=names)
    if _named_admin(presented, settings.admin_token_hashes) is None and not _is_one_of(
        presented, [settings.service_token, settings.admin_token]
    ):
        raise Forbidden(f"the bearer token is not {names}")
