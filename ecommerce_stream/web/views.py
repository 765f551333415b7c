"""Static pages (the shop at `/`, the dashboard at `/dashboard.html`, assets in `/static/`, npm
libraries in `/static/vendor/`) and the OpenAPI document at `/api/openapi.json`."""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import version
from typing import Any, cast

from aiohttp import web
from faust.web import Request, Response, View

from ecommerce_stream.app import app
from ecommerce_stream.errors import NotFound
from ecommerce_stream.settings import PROJECT_ROOT
from ecommerce_stream.web.openapi import build_document, endpoint

WEB_DIR = PROJECT_ROOT / "web"
# The browser libraries pinned in web/package-lock.json, installed by `make install`. Only
# these files are served: node_modules as a whole is no public folder.
_CHART_JS = WEB_DIR / "node_modules" / "chart.js" / "dist"
VENDOR_FILES = {
    "chart.umd.min.js": _CHART_JS / "chart.umd.min.js",
    "chart.umd.min.js.map": _CHART_JS / "chart.umd.min.js.map",
}


@app.page("/")
class ShopPage(View):
    async def get(self, request: Request) -> Response:
        return cast(Response, web.FileResponse(WEB_DIR / "index.html"))


@app.page("/dashboard.html")
class DashboardPage(View):
    async def get(self, request: Request) -> Response:
        return cast(Response, web.FileResponse(WEB_DIR / "dashboard.html"))


# Registered before the /static/ folder: aiohttp tries routes in the order they were added.
@app.page("/static/vendor/{name}")
class VendorFile(View):
    async def get(self, request: Request, name: str) -> Response:
        path = VENDOR_FILES.get(name)
        if path is None or not path.is_file():
            raise NotFound(f"no vendored file {name} (has `make install` run?)")
        return cast(Response, web.FileResponse(path))


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
