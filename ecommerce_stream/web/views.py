"""Static pages: the shop at `/`, the dashboard at `/dashboard.html`, assets in `/static/`."""

from __future__ import annotations

from typing import cast

from aiohttp import web
from faust.web import Request, Response, View

from ecommerce_stream.app import app
from ecommerce_stream.settings import PROJECT_ROOT

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
