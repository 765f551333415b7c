"""`ecommerce-stream purge-deleted`: hard-delete orders past the soft-delete retention."""

from __future__ import annotations

from ecommerce_stream.app import app, settings
from ecommerce_stream.wiring import mysql, order_service


@app.command()
async def purge_deleted(self: object) -> None:
    """Hard-delete MySQL orders soft-deleted more than SOFT_DELETE_RETENTION_DAYS ago (their
    items and idempotency keys with them). Safe to run again, e.g. daily from cron."""
    purged = await order_service.purge_deleted()
    await mysql.close()
    print(
        f"purged {purged} orders deleted more than {settings.soft_delete_retention_days} days ago"
    )
