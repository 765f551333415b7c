"""Schemathesis against the live app, driven by its own /api/openapi.json: every phase
(examples, coverage, fuzzing, stateful) and every check except "valid data is accepted" (a valid
body may still name an unknown user: 422). No 5xx, no undocumented status or content type, no
answer that breaks its schema, no invalid request accepted. Admin operations get a valid token,
so their bodies are reached too. Bounded by a fixed seed and examples per operation."""

from __future__ import annotations

import subprocess

from ecommerce_stream.settings import PROJECT_ROOT, Settings
from tests.orders_support import admin_headers

SCHEMATHESIS = str(PROJECT_ROOT / ".venv" / "bin" / "schemathesis")
MAX_EXAMPLES = 50
SEED = 20261127


def test_the_api_keeps_its_documented_contract(app_server: str, settings: Settings) -> None:
    authorization = admin_headers(settings)["Authorization"]
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{app_server}/api/openapi.json",
            "--checks=all",
            "--exclude-checks=positive_data_acceptance",
            f"--max-examples={MAX_EXAMPLES}",
            f"--seed={SEED}",
            "--generation-database=none",
            f"--header=Authorization: {authorization}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-2_000:]
