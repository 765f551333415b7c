"""Fixtures of the security tests: the log and process of the worker this session started."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Worker


@pytest.fixture(scope="session")
def app_log(worker: Worker) -> Path:
    """The worker's log file (stdout and stderr)."""
    return worker.log_path


@pytest.fixture(scope="session")
def worker_pid(worker: Worker) -> int:
    return worker.pid
