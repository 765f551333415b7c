"""ADMIN_TOKEN_HASHES as the environment gives it: JSON of names and SHA-256 hashes, each hash
one admin's, and enough for production without ADMIN_TOKEN."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ecommerce_stream.settings import Settings

HASH = "a" * 64
OTHER_HASH = "b" * 64


@pytest.fixture(autouse=True)
def _no_admins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # pydantic-settings merges a dict given here with the environment's (make test sets one).
    monkeypatch.delenv("ADMIN_TOKEN_HASHES", raising=False)


def test_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TOKEN_HASHES", f'{{"ada": ["{HASH}", "{OTHER_HASH}"]}}')
    assert Settings(_env_file=None).admin_token_hashes == {"ada": [HASH, OTHER_HASH]}


@pytest.mark.parametrize(
    "admins",
    [
        {"ada": [HASH], "grace": [HASH]},  # one token, two admins
        {"ada": [HASH, HASH]},
        {"ada": []},
        {"ada": ["A" * 64]},  # the command prints lowercase hex
        {"ada": ["a" * 63]},
        {"ada": ["not-a-hash"]},
        {"ada ": [HASH]},  # no X-Admin-Id could name it
        {"x" * 101: [HASH]},
    ],
)
def test_refused(admins: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, admin_token_hashes=admins)


def test_production_takes_named_admins_instead_of_the_shared_token() -> None:
    production = {"_env_file": None, "environment": "production", "admin_token": ""}
    Settings(**production, admin_token_hashes={"ada": [HASH]})
    with pytest.raises(ValidationError, match="ADMIN_TOKEN or ADMIN_TOKEN_HASHES"):
        Settings(**production, admin_token_hashes={})
