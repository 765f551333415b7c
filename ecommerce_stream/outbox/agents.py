"""The relay's timers: a leader-only poll (the fallback to the after-commit wake-up) and cleanup."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from ecommerce_stream.app import app, mysql, settings
from ecommerce_stream.outbox.publisher import EventPublisher
from ecommerce_stream.outbox.relay import OutboxRelay
from ecommerce_stream.topics import ORDER_EVENTS

log = logging.getLogger(__name__)

PROCESSED_RETENTION = timedelta(days=1)
CLEANUP_INTERVAL_SECONDS = 3600.0


publisher = EventPublisher(settings, ORDER_EVENTS)
relay = OutboxRelay(
    mysql,
    publisher.publish,
    settings.outbox_batch_size,
    app.is_leader,
    wake_up=settings.outbox_wake_up,
)


@app.on_before_shutdown.connect
async def _close_publisher(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
    await publisher.close()


@app.timer(interval=settings.outbox_polling_interval, on_leader=True)
async def relay_outbox() -> None:
    """Publish what the after-commit wake-up missed (another worker's orders, failed retries)."""
    await relay.drain_or_log()


@app.timer(interval=CLEANUP_INTERVAL_SECONDS, on_leader=True)
async def clean_outbox() -> None:
    """Delete relayed rows after a day; unprocessed rows are never touched."""
    try:
        await relay.delete_processed(PROCESSED_RETENTION)
    except Exception as error:  # MySQL away: the next hour's pass catches up
        log.warning("outbox cleanup failed: %r", error)


# Listed by `ecommerce-stream agents` beside the agents (Faust lists agents only).
TIMERS = [
    (relay_outbox, settings.outbox_polling_interval),
    (clean_outbox, CLEANUP_INTERVAL_SECONDS),
]
