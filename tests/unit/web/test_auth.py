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
