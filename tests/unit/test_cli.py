"""The console script lists the project's commands, the pipeline's agents, the relay's timers
and the table."""

from __future__ import annotations

import os
import subprocess

import pytest

from ecommerce_stream.settings import PROJECT_ROOT

CLI = str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream")
# Registered by the domain packages (beside Faust's own commands, which `agents` replaces).
PROJECT_COMMANDS = {"agents", "migrate", "seed", "purge-deleted", "reconcile", "rebuild-analytics"}
PROJECT_COMMANDS |= {"admin-token"}


PIPELINE = {
    "transform_order_events",
    "sink_to_clickhouse",
    "relay_outbox",
    "audit_outbox",
    "clean_outbox",
    "refresh_pipeline_gauges",
}
# Every process keeps its gauges, whatever its roles.
EVERY_PROCESS = {"refresh_pipeline_gauges"}


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout


def test_agents_lists_transformer_sink_and_relay_timer() -> None:
    listing = _run("agents")
    assert "transform_order_events" in listing and "order.events" in listing
    assert "sink_to_clickhouse" in listing and "orders_analytics" in listing
    # Every timer the app defines, found by the app itself, not by a hand-kept list.
    for timer in (
        "relay_outbox",
        "audit_outbox",
        "clean_outbox",
        "refresh_pipeline_gauges",
        "push_pipeline_health",
    ):
        assert timer in listing
    assert listing.count("leader only") == 3


def test_tables_lists_the_transformer_tables() -> None:
    listing = _run("tables")
    assert "order-versions" in listing and "legacy-order-states" in listing


def test_help_lists_the_project_commands_and_no_benchmark() -> None:
    _, _, listing = _run("--help").partition("Commands:")
    commands = {line.split()[0] for line in listing.splitlines() if line.strip()}
    assert not PROJECT_COMMANDS - commands, commands
    # The benchmark is `python -m bench`, outside the app: production has no such command.
    assert not {command for command in commands if "bench" in command}


@pytest.mark.parametrize(
    ("roles", "defined"),
    [
        ("all", PIPELINE),
        ("relay,transform,sink", PIPELINE),
        ("transform", {"transform_order_events", *EVERY_PROCESS}),
        ("relay", {"relay_outbox", "audit_outbox", "clean_outbox", *EVERY_PROCESS}),
        ("api", EVERY_PROCESS),
    ],
)
def test_a_process_defines_the_agents_and_timers_of_its_roles_only(
    roles: str, defined: set[str]
) -> None:
    # An API process elsewhere forwards analytics reads; the address is never called here.
    # A relay without the sink has no ClickHouse for the audit to read: the audit is off.
    env = {"ROLES": roles, "STREAM_URL": "http://127.0.0.1:9", "OUTBOX_AUDIT": "false"}
    listing = _run("agents", env=env)
    assert {name for name in PIPELINE if name in listing} == defined, listing


def test_an_api_process_has_no_transformer_table() -> None:
    listing = _run("tables", env={"ROLES": "api", "STREAM_URL": "http://127.0.0.1:9"})
    assert "order-versions" not in listing and "legacy-order-states" not in listing
