"""HTTP views of the analytics API, read from ClickHouse."""

from __future__ import annotations

from faust.web import Request, Response, View

from ecommerce_stream.analytics.agents import analytics_store, applied_versions
from ecommerce_stream.analytics.schemas import ClickHouseHealth
from ecommerce_stream.app import app, clickhouse
from ecommerce_stream.errors import NotFound
from ecommerce_stream.web.http import json_model


@app.page("/api/analytics/stats")
class StatsView(View):
    async def get(self, request: Request) -> Response:
        """Totals over every live order."""
        return json_model(await analytics_store.stats())


@app.page("/api/analytics/health")
class ClickHouseHealthView(View):
    async def get(self, request: Request) -> Response:
        try:
            health = ClickHouseHealth(status="ok", version=await clickhouse.version())
        except Exception as error:
            return json_model(
                ClickHouseHealth(status="down", error=type(error).__name__), status=503
            )
        return json_model(health)


@app.page("/api/analytics/versions/{order_id}")
class AppliedVersionView(View):
    """The transformer's table: the last order version it turned into an analytics row."""

    @app.table_route(table=applied_versions, match_info="order_id")  # type: ignore[arg-type]
    async def get(self, request: Request, order_id: str) -> Response:
        version = applied_versions.get(order_id)
        if version is None:
            raise NotFound(f"no version applied yet for order {order_id}")
        return self.json({"orderId": order_id, "version": version})
