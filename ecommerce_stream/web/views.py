"""Static pages (the shop at `/`, the dashboard at `/dashboard.html`, assets in `/static/`) and
the OpenAPI document at `/api/openapi.json`."""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import version
from typing import Any, cast

from aiohttp import web
from faust.web import Request, Response, View

from ecommerce_stream.app import app
from ecommerce_stream.settings import PROJECT_ROOT
from ecommerce_stream.web.openapi import build_document, endpoint

WEB_DIR = PROJECT_ROOT / "web"


@app.page("/")
class ShopPage(View):
    async def get(self, request: Request) -> Response:
        return cast(Response, web.FileResponse(WEB_DIR / "index.html"))


@app.page("/dashboard.html")
class DashboardPage(View):
    async def get(self, request: Request) -> Response:
        return cast(Response, web.FileResponse(WEB_DIR / "dashboard.html"))


app.web.add_static("/static/", WEB_DIR / "static")


@cache
def _openapi_document() -> bytes:
    # Built on first request: by then autodiscovery has registered every view.
    document = build_document(
        app.web.views, title="ecommerce-stream", version=version("ecommerce-stream")
    )
    return json.dumps(document).encode()


@app.page("/api/openapi.json")
class OpenApiView(View):
    @endpoint(responses={200: dict[str, Any]})
    async def get(self, request: Request) -> Response:
        """This API as an OpenAPI 3.1 document."""
        body = _openapi_document()
        return cast(Response, web.Response(body=body, content_type="application/json"))
