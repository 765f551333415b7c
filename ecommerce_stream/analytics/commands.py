"""`ecommerce-stream reconcile` (do the analytics endpoints agree with MySQL, exactly?) and
`ecommerce-stream rebuild-analytics` (reload ClickHouse from MySQL)."""

from __future__ import annotations

import sys
import time
from zoneinfo import ZoneInfo

from faust.cli import option

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.analytics.live import announce_rebuild
from ecommerce_stream.analytics.schema import MySQLSource
from ecommerce_stream.app import app, settings
from ecommerce_stream.progress import progress_bar
from ecommerce_stream.stores.clickhouse import DataDirInUse
from ecommerce_stream.wiring import analytics_schema, clickhouse, mysql


@app.command(
    option("--url", default=f"http://127.0.0.1:{settings.port}", help="The running app."),
    option("--wait", default=0.0, type=float, help="Seconds to keep re-checking until equal."),
)
async def reconcile(self: object, url: str, wait: float) -> None:
    """Compare every analytics answer with MySQL's live orders; exit 1 on any difference."""
    zone = ZoneInfo(settings.analytics_tz)
    differences = await reconciliation.reconcile(mysql, url, zone, wait=wait)
    await mysql.close()
    for difference in differences:
        print(
            f"DIFF {difference.endpoint}\n  mysql:      {difference.expected}\n"
            f"  clickhouse: {difference.actual}"
        )
    print(f"reconcile: {len(differences)} differences")
    if differences:
        sys.exit(1)


@app.command()
async def rebuild_analytics(self: object) -> None:
    """Reload ClickHouse from MySQL, the source of truth (stop the workers first)."""
    source = MySQLSource.of(settings)
    started = time.monotonic()
    try:
        total = await analytics_schema.count_source_orders(source)
        with progress_bar(total=total, unit=" orders", desc="rebuild-analytics") as bar:
            orders = await analytics_schema.rebuild_from_mysql(source, progress=bar.update)
    except DataDirInUse as error:
        sys.exit(f"rebuild-analytics: {error}")
    except Exception as error:
        # ClickHouse's message may quote the query, and the query holds the MySQL password.
        sys.exit(f"rebuild-analytics failed: {source.redact(str(error))}")
    finally:
        await clickhouse.close()
        analytics_schema.mark_stopped()
    elapsed = time.monotonic() - started
    print(
        f"rebuilt the analytics of {orders} orders in {elapsed:.2f}s"
        f" ({orders / elapsed:,.0f} orders/s)"
    )
    if await announce_rebuild(orders):
        print("open dashboards were told to refresh")
