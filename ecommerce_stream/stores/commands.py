"""`ecommerce-stream migrate`: bring the MySQL schema up to date."""

from __future__ import annotations

import asyncio

from ecommerce_stream.app import app, settings
from ecommerce_stream.stores.migrations import apply_mysql_migrations


@app.command()
async def migrate(self: object) -> None:
    """Apply the SQL migrations in sql/ that have not run yet (safe to run again)."""
    applied = await asyncio.to_thread(apply_mysql_migrations, settings)
    print(f"applied {len(applied)} migrations: {', '.join(applied) or 'none pending'}")
