"""`ecommerce-stream purge-deleted`: hard-delete orders past the soft-delete retention."""

from __future__ import annotations

from ecommerce_stream.app import app, mysql, settings
from ecommerce_stream.orders.service import purge_deleted as purge


@app.command()
async def purge_deleted(self: object) -> None:
    """Hard-delete MySQL orders soft-deleted more than SOFT_DELETE_RETENTION_DAYS ago (their
    items and idempotency keys with them). Safe to run again, e.g. daily from cron."""
    purged = await purge(mysql, settings.soft_delete_retention_days)
    await mysql.close()
    print(
        f"purged {purged} orders deleted more than {settings.soft_delete_retention_days} days ago"
    )
