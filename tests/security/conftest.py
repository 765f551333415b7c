"""Fixtures of the security tests: the worker's log and process, when this session started it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Worker


@pytest.fixture(scope="session")
def app_log(worker: Worker) -> Path:
    """The worker's log file (stdout and stderr)."""
    if worker.log_path is None:
        pytest.skip("the worker was already running: its log is not this session's")
    return worker.log_path


@pytest.fixture(scope="session")
def worker_pid(worker: Worker) -> int:
    if worker.pid is None:
        pytest.skip("the worker was already running: its process is not this session's")
    return worker.pid
