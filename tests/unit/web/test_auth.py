"""Authority without any service: the admin API's bearer token, then X-Admin-Id; a status
change's service or admin token, unless a demo opens status changes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from multidict import CIMultiDict

from ecommerce_stream.errors import BadRequest, Forbidden, Unauthorized
from ecommerce_stream.settings import Settings, get_settings
from ecommerce_stream.web import auth
from ecommerce_stream.web.auth import acting_admin, require_status_authority


def _request(**headers: str) -> SimpleNamespace:
    return SimpleNamespace(
        headers=CIMultiDict({k.replace("_", "-"): v for k, v in headers.items()})
    )


def _token() -> str:
    token = get_settings().admin_token.get_secret_value()
    assert token, "the test profile (make test) sets ADMIN_TOKEN"
    return token


def test_the_right_token_and_an_admin_id_name_the_admin() -> None:
    request = _request(Authorization=f"Bearer {_token()}", X_Admin_Id="ops-bot@example.com")
    assert acting_admin(request) == "ops-bot@example.com"


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({}, Unauthorized),
        ({"Authorization": "Basic abc"}, Unauthorized),
        ({"Authorization": "Bearer"}, Unauthorized),
        ({"Authorization": "Bearer wrong", "X_Admin_Id": "alice"}, Forbidden),
        # The token is checked first: a missing admin id does not reveal whether it was right.
        ({"Authorization": "Bearer wrong"}, Forbidden),
        ({"Authorization": "Bearer TOKEN"}, BadRequest),
        ({"Authorization": "Bearer TOKEN", "X_Admin_Id": "x" * 101}, BadRequest),
        ({"Authorization": "Bearer TOKEN", "X_Admin_Id": "tab\there"}, BadRequest),
    ],
)
def test_refusals(headers: dict[str, str], refusal: type[Exception]) -> None:
    headers = {name: value.replace("TOKEN", _token()) for name, value in headers.items()}
    with pytest.raises(refusal):
        acting_admin(_request(**headers))


def test_without_a_configured_token_every_token_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "get_settings", lambda: Settings(_env_file=None, admin_token=""))
    with pytest.raises(Forbidden):
        acting_admin(_request(Authorization="Bearer anything", X_Admin_Id="alice"))


def test_a_status_change_takes_the_service_or_the_admin_token() -> None:
    settings = Settings(_env_file=None, admin_token="admin-secret", service_token="svc-secret")
    for token in ["admin-secret", "svc-secret"]:
        require_status_authority(_request(Authorization=f"Bearer {token}"), settings)
    for headers, refusal in [
        ({}, Unauthorized),
        ({"Authorization": "Bearer svc-secre"}, Forbidden),
        ({"Authorization": "Bearer admin-secret-"}, Forbidden),
    ]:
        with pytest.raises(refusal):
            require_status_authority(_request(**headers), settings)


def test_an_unset_service_token_matches_no_token() -> None:
    settings = Settings(_env_file=None, admin_token="admin-secret", service_token="")
    with pytest.raises(Forbidden):
        require_status_authority(_request(Authorization="Bearer \x00"), settings)


def test_a_demo_may_open_status_changes_to_anyone() -> None:
    settings = Settings(_env_file=None, status_changes_need_token=False)
    require_status_authority(_request(), settings)
    assert Settings(_env_file=None).status_changes_need_token  # closed unless said otherwise


ADA_TOKENS = ["ada-first-token-0123456789abcdef", "ada-second-token-0123456789abcdef"]
GRACE_TOKEN = "grace-token-0123456789abcdef"


def _named_admins(admin_token: str = "shared-secret") -> Settings:
    hashes = {
        "ada": [auth.token_hash(token.encode()) for token in ADA_TOKENS],
        "grace": [auth.token_hash(GRACE_TOKEN.encode())],
    }
    return Settings(_env_file=None, admin_token=admin_token, admin_token_hashes=hashes)


def test_the_token_hash_is_sha256_in_hex() -> None:
    expected = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert auth.token_hash(b"hello") == expected


@pytest.mark.parametrize("token", ADA_TOKENS)
def test_a_named_admins_token_names_its_admin_with_or_without_an_admin_id(token: str) -> None:
    settings = _named_admins()
    assert acting_admin(_request(Authorization=f"Bearer {token}"), settings) == "ada"
    request = _request(Authorization=f"Bearer {token}", X_Admin_Id="ada")
    assert acting_admin(request, settings) == "ada"


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({"Authorization": f"Bearer {ADA_TOKENS[0]}", "X_Admin_Id": "grace"}, Forbidden),
        ({"Authorization": f"Bearer {GRACE_TOKEN}", "X_Admin_Id": "alice"}, Forbidden),
        ({"Authorization": f"Bearer {GRACE_TOKEN}", "X_Admin_Id": "tab\there"}, BadRequest),
        ({"Authorization": f"Bearer {GRACE_TOKEN}x"}, Forbidden),
        # The shared token names anyone but a named admin.
        ({"Authorization": "Bearer shared-secret", "X_Admin_Id": "ada"}, Forbidden),
        ({"Authorization": "Bearer shared-secret"}, BadRequest),
    ],
)
def test_nobody_poses_as_a_named_admin(headers: dict[str, str], refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        acting_admin(_request(**headers), _named_admins())


def test_the_shared_token_still_names_any_other_admin() -> None:
    request = _request(Authorization="Bearer shared-secret", X_Admin_Id="alice")
    assert acting_admin(request, _named_admins()) == "alice"


def test_named_admins_alone_need_no_shared_token() -> None:
    settings = _named_admins(admin_token="")
    assert acting_admin(_request(Authorization=f"Bearer {GRACE_TOKEN}"), settings) == "grace"
    with pytest.raises(Forbidden):
        acting_admin(_request(Authorization="Bearer \x00", X_Admin_Id="alice"), settings)


def test_a_named_admins_token_may_change_a_status() -> None:
    settings = _named_admins(admin_token="")
    require_status_authority(_request(Authorization=f"Bearer {GRACE_TOKEN}"), settings)
    with pytest.raises(Forbidden):
        require_status_authority(_request(Authorization=f"Bearer {GRACE_TOKEN[:-1]}"), settings)
