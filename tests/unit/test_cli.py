"""The console script lists the project's commands, the pipeline's agents, the relay's timers
and the table."""

from __future__ import annotations

import subprocess

from ecommerce_stream.settings import PROJECT_ROOT

CLI = str(PROJECT_ROOT / ".venv" / "bin" / "ecommerce-stream")
# Registered by the domain packages (beside Faust's own commands, which `agents` replaces).
PROJECT_COMMANDS = {"agents", "migrate", "seed", "purge-deleted", "reconcile", "rebuild-analytics"}


def _run(*args: str) -> str:
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=True).stdout


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
