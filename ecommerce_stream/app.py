"""The Faust application: configuration, the shared stores, and the `ecommerce-stream` entry point.

Agents, timers, tables, views and commands live in the domain packages named in
`DOMAIN_PACKAGES`, which autodiscovery scans."""

from __future__ import annotations

from typing import Any

import faust
from faust.sensors.prometheus import setup_prometheus_sensors

from ecommerce_stream.settings import get_settings
from ecommerce_stream.stores.clickhouse import make_clickhouse
from ecommerce_stream.stores.kafka import Transport as KafkaTransport
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.web.errors import json_errors, serve_parser_errors_as_json, server_log
from ecommerce_stream.web.http import IDLE_CONNECTION_TIMEOUT_SECONDS, MAX_REQUEST_BODY_BYTES

settings = get_settings()

# The packages whose agents, timers, tables, views and commands the app registers. Faust 0.15
# scans `origin` as well, here the whole ecommerce_stream package: what keeps other code out of
# the worker is that it lives outside that package (bench/, tests/).
DOMAIN_PACKAGES = [
    "ecommerce_stream.orders",
    "ecommerce_stream.outbox",
    "ecommerce_stream.analytics",
    "ecommerce_stream.catalog",
    "ecommerce_stream.health",
    "ecommerce_stream.web",
    "ecommerce_stream.stores",
]

app = faust.App(
    settings.kafka_consumer_group_id,
    broker=settings.kafka_broker_urls,
    broker_client_id=settings.kafka_client_id,
    autodiscover=DOMAIN_PACKAGES,
    origin="ecommerce_stream",
    store="memory://",
    datadir=str(settings.faust_data_dir),
    topic_partitions=settings.kafka_topic_partitions,
    topic_replication_factor=settings.kafka_replication_factor,
    # The relay marks an outbox row processed on this ack: it must mean "replicated".
    producer_acks=-1,
    consumer_auto_offset_reset="earliest",
    consumer_group_instance_id=settings.kafka_group_instance_id or None,
    # A worker that died (kill -9) hands its partitions over after 10 s, not Faust's 60 s.
    broker_session_timeout=10.0,
    broker_heartbeat_interval=2.0,
    web_port=settings.port,
    web_host="localhost",
    web_application_options={
        "client_max_size": MAX_REQUEST_BODY_BYTES,
        "middlewares": [json_errors],
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
    app.conf.broker_consumer, app, fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms
)

# Faust's stream metrics and the project's own (ecommerce_stream/metrics.py) at /metrics.
setup_prometheus_sensors(app, name_prefix="faust")

mysql = MySQL(settings)
clickhouse = make_clickhouse(settings)


@app.on_before_shutdown.connect
async def _close_mysql(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
    await mysql.close()


def main() -> None:
    """Console script `ecommerce-stream`: Faust's own CLI plus the project's commands."""
    app.main()
