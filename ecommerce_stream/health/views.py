"""`GET /api/health`: store status plus pipeline figures."""

from __future__ import annotations

from faust.web import Request, Response, View

from ecommerce_stream.app import app
from ecommerce_stream.health.pipeline import Health, health
from ecommerce_stream.web.http import json_model
from ecommerce_stream.web.openapi import endpoint


@app.page("/api/health", role=None)
class HealthView(View):
    @endpoint(responses={200: Health, 503: Health})
    async def get(self, request: Request) -> Response:
        """MySQL, Kafka, ClickHouse and worker status; outbox backlog, consumer lag, freshness,
        dead letters, events the outbox audit relayed again; raised alarms.

        503 while a store is down or the worker is still starting (`serving` false); an alarm
        alone makes the status "degraded" with 200, since the worker still serves."""
        report = await health()
        return json_model(report, status=200 if report.serving else 503)
