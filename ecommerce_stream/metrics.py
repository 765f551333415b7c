"""Prometheus metrics of the pipeline, the stores and the HTTP API. They live in
prometheus_client's default registry and are served, beside Faust's own stream metrics, at
`/metrics`. The alert rules and the Grafana dashboard in ops/ query them by these names (a test
checks that every name they use is served)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Event loop lag: most wake-ups are a fraction of a millisecond late, a stall tens of them.
LAG_SECONDS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
ROWS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

outbox_backlog = Gauge("ecommerce_outbox_backlog", "Outbox rows not yet published to Kafka.")
consumer_lag = Gauge(
    "ecommerce_consumer_lag", "Messages of this worker's partitions not yet consumed."
)
committed_lag = Gauge(
    "ecommerce_committed_lag",
    "Messages of order.events and orders_analytics after the consumer group's committed"
    " offsets, over all partitions: what a restart would read again.",
)
freshness_seconds = Gauge(
    "ecommerce_freshness_seconds",
    "Age of the oldest committed order change not yet visible in ClickHouse (0: all visible).",
)
# The figures of the dashboard's pipeline panel (GET /api/health), refreshed every second.
dead_letter_topic_messages = Gauge(
    "ecommerce_dead_letter_topic_messages",
    "Messages in order.events.dlq, dead-lettered by any worker since the topic was created.",
)
events_relayed_again = Gauge(
    "ecommerce_events_relayed_again",
    "Events the outbox audit found missing from ClickHouse and relayed again, by any worker.",
)
newest_analytics_row_age_seconds = Gauge(
    "ecommerce_newest_analytics_row_age_seconds", "Age of the newest row in ClickHouse."
)
store_up = Gauge(
    "ecommerce_store_up", "1 while the store answers this worker's health probe, else 0.", ["store"]
)
worker_ready = Gauge(
    "ecommerce_worker_ready", "1 once partitions are assigned and no rebalance runs, else 0."
)

records_being_resent = Gauge(
    "ecommerce_records_being_resent",
    "Records produced from a consumed event that Kafka refused, being sent again now.",
)
produce_failures = Counter(
    "ecommerce_produce_failures",
    "Records produced from a consumed event that Kafka did not take after the producer's"
    " retries; each is sent again, its source offset uncommitted until it is taken.",
    ["topic"],
)
dead_letters = Counter(
    "ecommerce_dead_letters", "Messages of order.events sent to order.events.dlq."
)

relay_batch_rows = Histogram(
    "ecommerce_relay_batch_rows", "Outbox rows per relay batch.", buckets=ROWS
)
relay_batch_seconds = Histogram(
    "ecommerce_relay_batch_seconds", "Read, publish, ack and mark of one batch.", buckets=SECONDS
)
relay_failures = Counter("ecommerce_relay_failures", "Outbox rows whose publish failed.")
outbox_audit_checked = Counter(
    "ecommerce_outbox_audit_checked", "Relayed outbox rows checked against ClickHouse."
)
outbox_audit_requeued = Counter(
    "ecommerce_outbox_audit_requeued",
    "Relayed events ClickHouse never got, put back in the outbox for the relay.",
)

sink_batch_rows = Histogram(
    "ecommerce_sink_batch_rows", "Analytics rows per ClickHouse sink batch.", buckets=ROWS
)
sink_batch_seconds = Histogram(
    "ecommerce_sink_batch_seconds", "Duplicate check and insert of one batch.", buckets=SECONDS
)
sink_skipped_rows = Counter(
    "ecommerce_sink_skipped_rows", "Duplicate or stale order versions the sink ignored."
)
sink_state_lookups = Counter(
    "ecommerce_sink_state_lookups",
    "Orders of the sink's batches whose applied state it looked up, by where it found it:"
    " memory (written by this process), clickhouse (asked), none (new since the memory began).",
    ["source"],
)
change_visible_seconds = Histogram(
    "ecommerce_change_visible_seconds",
    "From an order change in MySQL to its row in ClickHouse.",
    buckets=SECONDS,
)

analytics_query_seconds = Histogram(
    "ecommerce_analytics_query_seconds",
    "Time to answer an analytics endpoint from ClickHouse.",
    ["endpoint"],
    buckets=SECONDS,
)
kafka_offset_jumps = Counter(
    "ecommerce_kafka_offset_jumps",
    "Records that arrived ahead of their partition's next unread offset: read_again (the"
    " partition was sought back) or hole (the log no longer holds the offsets passed over).",
    ["topic", "outcome"],
)

# Every answer of the HTTP server, by route template (bounded: an unknown path is "unmatched"),
# method and status; Faust's own request latency histogram does not time the request.
http_requests = Counter(
    "ecommerce_http_requests", "HTTP answers sent.", ["route", "method", "status"]
)
# Unlabelled, so it exists (at 0) from the start: an alert on the increase of a labelled series
# would miss the first error of each new route. 503 is left out: it says a store is unavailable
# or the worker is starting, which ecommerce_store_up and `up` report.
http_server_errors = Counter(
    "ecommerce_http_server_errors", "HTTP answers with a 5xx status other than 503."
)
http_request_seconds = Histogram(
    "ecommerce_http_request_seconds",
    "From the request's arrival at the app to its answer.",
    ["route", "method"],
    buckets=SECONDS,
)
clickhouse_queries = Counter(
    "ecommerce_clickhouse_queries",
    "Queries this process sent to ClickHouse (inserts and DDL not counted).",
)
analytics_change_notices = Counter(
    "ecommerce_analytics_change_notices",
    "Notices read from analytics.changes: a sink batch committed to ClickHouse (any worker's).",
)
push_channels = Gauge(
    "ecommerce_push_channels", "Live-update channels (WebSockets) open on this process."
)
push_channels_refused = Counter(
    "ecommerce_push_channels_refused",
    "Live-update channels refused because PUSH_MAX_CHANNELS were open.",
)
push_channels_dropped = Counter(
    "ecommerce_push_channels_dropped",
    "Live-update channels closed because the page stopped reading or answering pings.",
)
push_messages = Counter("ecommerce_push_messages", "Messages sent over live-update channels.")

event_loop_lag_seconds = Histogram(
    "ecommerce_event_loop_lag_seconds",
    "How late the event loop woke a task that asked to wake at a steady pace: the stall that"
    " every request and record of this process waits behind.",
    buckets=LAG_SECONDS,
)
event_loop_lag_worst_seconds = Gauge(
    "ecommerce_event_loop_lag_worst_seconds",
    "The event loop's worst lag over the last 30 s (the health report's figure).",
)
