"""The Faust application and the `ecommerce-stream` entry point.

Agents, timers, tables, views and commands live in the domain packages named in
`DOMAIN_PACKAGES`, which autodiscovery scans; the objects they share are built in `wiring.py`."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import TableT
from mode.utils.times import Seconds, want_seconds

from ecommerce_stream.settings import Role, get_settings
from ecommerce_stream.stores.kafka import Transport as KafkaTransport
from ecommerce_stream.web.errors import json_errors, serve_parser_errors_as_json, server_log
from ecommerce_stream.web.http import IDLE_CONNECTION_TIMEOUT_SECONDS, MAX_REQUEST_BODY_BYTES
from ecommerce_stream.web.request_metrics import count_requests

settings = get_settings()
FunctionT = TypeVar("FunctionT")


@dataclass(frozen=True)
class DefinedTimer:
    function: Callable[..., Awaitable[None]]
    interval: float
    on_leader: bool


def _left_out(function: FunctionT) -> FunctionT:
    return function


class App(faust.App):
    """Faust's App, with two additions:

    - every agent, task, timer and table names the role it belongs to (None: every process),
      and is defined only in a process that runs that role (`ROLES`); elsewhere the function
      stays a plain function and no topic or changelog of it is subscribed;
    - it remembers every timer it defines (Faust keeps them as anonymous tasks), so
      `ecommerce-stream agents` lists them all without a hand-kept list."""

    def __init__(self, *args: Any, roles: frozenset[Role], **kwargs: Any) -> None:
        self.roles = roles
        self.defined_timers: list[DefinedTimer] = []
        super().__init__(*args, **kwargs)

    def runs(self, role: Role | None) -> bool:
        """Whether this process runs `role`; None is every process's part."""
        return role is None or role in self.roles

    def agent(  # type: ignore[override]
        self, channel: Any = None, *, role: Role, **options: Any
    ) -> Callable[..., Any]:
        if not self.runs(role):
            return _left_out
        return super().agent(channel, **options)

    def task(  # type: ignore[override]
        self, fun: Any = None, *, role: Role | None = None, **options: Any
    ) -> Any:
        """`role` None: every process (Faust's own timers come through here so)."""
        if not self.runs(role):
            return _left_out
        return super().task(fun, **options)

    def page(self, path: str, *, role: Role | None = None, **options: Any) -> Callable[..., Any]:
        """A view of a role (None: every process, e.g. health and the analytics reads, which
        a process without ClickHouse forwards; Faust's own pages) is served only where the
        role runs."""
        if not self.runs(role):
            return _left_out
        define: Callable[..., Any] = super().page(path, **options)
        return define

    def Table(  # type: ignore[override]  # the name is Faust's
        self, name: str, *, role: Role, **options: Any
    ) -> TableT[Any, Any]:
        """Defined elsewhere, the table is only built: nothing reads or writes it there."""
        if not self.runs(role):
            build: Any = self.conf.Table
            table: TableT[Any, Any] = build(self, name=name, beacon=self.tables.beacon, **options)
            return table
        return super().Table(name, **options)

    def timer(  # type: ignore[override]  # as faust.App's own: mode's is a classmethod
        self,
        interval: Seconds,
        *,
        role: Role | None,
        on_leader: bool = False,
        traced: bool = True,
        name: str | None = None,
        max_drift_correction: float = 0.1,
    ) -> Callable[..., Any]:
        if not self.runs(role):
            return _left_out
        define = super().timer(
            interval,
            on_leader=on_leader,
            traced=traced,
            name=name,
            max_drift_correction=max_drift_correction,
        )

        def remember(function: Callable[..., Awaitable[None]]) -> Any:
            self.defined_timers.append(DefinedTimer(function, want_seconds(interval), on_leader))
            return define(function)

        return remember

    def _on_autodiscovery_error(self, name: str) -> None:
        # Faust logs the error and starts anyway: a worker without that module's agents, timers
        # or views would look healthy and serve wrongly. Refuse to start instead.
        raise AutodiscoveryFailed(f"importing {name} failed: {sys.exc_info()[1]!r}")


class Worker(faust.Worker):
    """Faust's worker without its start-up spinner. The spinner's log handler sets the root
    logger to DEBUG for good, so every debug call of Faust, aiokafka and aiohttp (several per
    record) built a log record that no handler printed: 2–3 % of a busy worker's CPU."""

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None


class AutodiscoveryFailed(ImportError):
    """A module of the app could not be imported while the app was being discovered."""


# The packages whose agents, timers, tables, views and commands the app registers, and no
# others: Faust scans `origin` too, which is therefore this module, not the whole package.
DOMAIN_PACKAGES = [
    "ecommerce_stream.orders",
    "ecommerce_stream.outbox",
    "ecommerce_stream.analytics",
    "ecommerce_stream.catalog",
    "ecommerce_stream.health",
    "ecommerce_stream.web",
    "ecommerce_stream.stores",
]

app = App(
    settings.faust_app_id,
    roles=settings.role_set,
    broker=settings.kafka_broker_urls,
    broker_client_id=settings.kafka_client_id,
    autodiscover=DOMAIN_PACKAGES,
    origin="ecommerce_stream.app",
    Worker=Worker,
    store="memory://",
    datadir=str(settings.faust_data_dir),
    topic_partitions=settings.kafka_topic_partitions,
    topic_replication_factor=settings.kafka_replication_factor,
    # The relay marks an outbox row processed on this ack: it must mean "replicated".
    producer_acks=-1,
    # A send Kafka does not take in time fails, and the transformer sends it again (its source
    # offset uncommitted meanwhile): Faust's 20 minutes would hide a frozen broker that long.
    producer_request_timeout=settings.kafka_producer_timeout,
    consumer_auto_offset_reset="earliest",
    topic_disable_leader=not settings.stands_for_leader,
    consumer_group_instance_id=settings.kafka_group_instance_id or None,
    # A worker that died (kill -9) hands its partitions over after 10 s, not Faust's 60 s.
    broker_session_timeout=10.0,
    broker_heartbeat_interval=2.0,
    web_port=settings.port,
    web_host="localhost",
    web_application_options={
        "client_max_size": MAX_REQUEST_BODY_BYTES,
        # Outermost first: the request metrics see the answer json_errors makes of an error.
        "middlewares": [count_requests, json_errors],
        "handler_args": {
            # aiohttp's default (an hour) would let a client hold a connection that long by
            # sending its headers byte by byte, or nothing at all.
            "keepalive_timeout": IDLE_CONNECTION_TIMEOUT_SECONDS,
            # Logs a request it cannot parse without quoting its bytes (a token among them).
            "logger": server_log,
            # A compressed body is refused (415, web/http.py), so it is never inflated either:
            # aiohttp would unpack it as it arrives, and fail on the connection if it was not.
            "auto_decompress": False,
        },
    },
)

# A request aiohttp cannot parse is answered in the API's error shape too, quoting nothing.
serve_parser_errors_as_json()

# Faust's own consumer would hold a fetch up to 1.5 s (stores/kafka.py says why that matters).
app.transport = KafkaTransport(
    app.conf.broker_consumer, app, fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms
)

# Faust's stream metrics and the project's own (ecommerce_stream/metrics.py) at /metrics.
setup_prometheus_sensors(app, name_prefix="faust")


def main() -> None:
    """Console script `ecommerce-stream`: Faust's own CLI plus the project's commands."""
    # Before any thread starts: Linux threads take their niceness from the one creating them.
    if settings.nice:
        os.nice(settings.nice)
    app.main()
