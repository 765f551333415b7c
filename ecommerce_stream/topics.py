"""The Kafka topics of the pipeline, declared once; keys are order ids everywhere."""

from __future__ import annotations

from datetime import timedelta

from faust.types import TP, TopicT

from ecommerce_stream.analytics.models import OrderAnalyticsRow
from ecommerce_stream.app import app

ORDER_EVENTS = "order.events"
ORDERS_ANALYTICS = "orders_analytics"
ORDER_EVENTS_DLQ = "order.events.dlq"
ANALYTICS_CHANGES = "analytics.changes"
OUTBOX_COMMITS = "outbox.commits"

# Raw bytes: the outbox already holds each event serialized, and the transformer decodes
# by hand so an undecodable message goes to the dead-letter topic instead of crashing it.
order_events_topic = app.topic(
    ORDER_EVENTS, key_type=str, key_serializer="raw", value_type=bytes, value_serializer="raw"
)
orders_analytics_topic = app.topic(
    ORDERS_ANALYTICS, key_type=str, key_serializer="raw", value_type=OrderAnalyticsRow
)
dead_letter_topic = app.topic(
    ORDER_EVENTS_DLQ,
    key_type=bytes,
    key_serializer="raw",
    value_type=bytes,
    value_serializer="raw",
)


def partitions_of(topic: str) -> list[TP]:
    """Every partition of a topic: as the cluster reported it to this worker's consumer, or as
    configured for a topic it does not read."""
    count = app.consumer.topic_partitions(topic) or app.conf.topic_partitions
    return [TP(topic, partition) for partition in range(count)]


def _notice_topic(name: str) -> TopicT:
    # Tiny messages only worth anything live, read from the end without a group; one partition
    # keeps them in the order they were sent.
    return app.topic(
        name,
        key_type=bytes,
        key_serializer="raw",
        value_type=bytes,
        value_serializer="raw",
        partitions=1,
        retention=timedelta(hours=1),
    )


# "The analytics changed" notices (analytics/changes.py), read by every process.
analytics_changes_topic = _notice_topic(ANALYTICS_CHANGES)

# "An outbox row was committed" notices (outbox/agents.py): a process that does not relay
# (an API process) wakes the one that does.
outbox_commits_topic = _notice_topic(OUTBOX_COMMITS)
