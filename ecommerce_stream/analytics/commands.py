"""`ecommerce-stream reconcile`: do the analytics endpoints agree with MySQL, exactly?"""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

from faust.cli import option

from ecommerce_stream.analytics import reconcile as reconciliation
from ecommerce_stream.app import app, mysql, settings


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
