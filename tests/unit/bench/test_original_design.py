"""The benchmark's original-design run is our worker with ordinary settings, not a mode."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from bench.runner import worker_env
from ecommerce_stream.settings import Settings


def _worker_settings(
    monkeypatch: pytest.MonkeyPatch, mode: str, profile: Mapping[str, str], run_dir: Path
) -> Settings:
    """The settings a bench worker of `mode` reads, started from the environment `profile`."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in worker_env(mode, profile, run_dir).items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_the_original_design_polls_every_5_s_without_wake_up_audit_or_sink_batches(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The profile's own values must not leak into the baseline.
    profile = {"OUTBOX_POLLING_INTERVAL": "0.2", "SINK_BATCH_SIZE": "500", "OUTBOX_AUDIT": "true"}
    settings = _worker_settings(monkeypatch, "original", profile, tmp_path)
    assert settings.outbox_polling_interval == 5.0
    assert settings.outbox_batch_size == 100
    assert settings.outbox_wake_up is False
    assert settings.sink_batch_size == 1
    assert settings.outbox_audit is False
    assert settings.clickhouse_data_dir == tmp_path / "chdb-original"


def test_our_design_runs_on_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = _worker_settings(monkeypatch, "ours", {}, tmp_path)
    defaults = Settings.model_fields
    for name in ("outbox_polling_interval", "outbox_batch_size", "sink_batch_size"):
        assert getattr(settings, name) == defaults[name].default, name
    assert settings.outbox_wake_up is True
    assert settings.outbox_audit is True
    assert settings.clickhouse_data_dir == tmp_path / "chdb-ours"
