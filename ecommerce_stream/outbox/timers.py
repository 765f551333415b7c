"""The outbox's leader-only timers: the relay's poll (the fallback to the after-commit
wake-up), the audit alarm, and the cleanup of relayed rows."""

from __future__ import annotations

import logging
from datetime import timedelta

from ecommerce_stream.app import app, settings
from ecommerce_stream.settings import Role
from ecommerce_stream.wiring import outbox_audit, relay

log = logging.getLogger(__name__)

PROCESSED_RETENTION = timedelta(days=1)
CLEANUP_INTERVAL_SECONDS = 3600.0


@app.timer(interval=settings.outbox_polling_interval, role=Role.RELAY, on_leader=True)
async def relay_outbox() -> None:
    """Publish what the after-commit wake-up missed (another worker's orders, failed retries)."""
    relay.poll()


@app.timer(interval=settings.outbox_audit_interval, role=Role.RELAY, on_leader=True)
async def audit_outbox() -> None:
    """Check that relayed events reached ClickHouse; relay again (and raise the alarm) if not."""
    if not settings.outbox_audit:
        return
    try:
        await outbox_audit.run()
    except Exception as error:  # a store away: the next pass reads afresh
        log.warning("outbox audit pass failed: %r", error)


@app.timer(interval=CLEANUP_INTERVAL_SECONDS, role=Role.RELAY, on_leader=True)
async def clean_outbox() -> None:
    """Delete relayed rows after a day; unprocessed rows are never touched."""
    try:
        await relay.delete_processed(PROCESSED_RETENTION)
    except Exception as error:  # MySQL away: the next hour's pass catches up
        log.warning("outbox cleanup failed: %r", error)
