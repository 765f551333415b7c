"""The worker leaves the root logger at the level it was given: Faust's start-up spinner would
set it to DEBUG for good, and every debug call of Faust and aiokafka would then build a record
no handler prints (CPU spent on every message)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import faust
import pytest

from ecommerce_stream.app import app


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


def _debug_enabled_after_setup(worker_class: type[faust.Worker]) -> bool:
    worker = worker_class(app, loglevel="warn", stdout=io.StringIO(), stderr=io.StringIO())
    worker._setup_logging()
    return logging.getLogger("aiokafka.producer").isEnabledFor(logging.DEBUG)


def test_the_apps_worker_keeps_debug_calls_free(root_logging: None) -> None:
    assert app.conf.Worker is not faust.Worker
    assert not _debug_enabled_after_setup(app.conf.Worker)


def test_fausts_own_worker_would_enable_them(root_logging: None) -> None:
    # The reason for the subclass: if Faust stops doing this, the subclass can go.
    assert _debug_enabled_after_setup(faust.Worker)
