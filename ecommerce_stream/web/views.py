"""The static pages: the shop at `/`, the dashboard at `/dashboard.html`, assets under `/static/`."""

from __future__ import annotations

from aiohttp import web
from faust.web import Request, Response, View

from ecommerce_stream.app import app
from ecommerce_stream.settings import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"


@app.page("/")
class ShopPage(View):
    async def get(self, request: Request) -> Response:
        return web.FileResponse(WEB_DIR / "index.html")  # type: ignore[return-value]


@app.page("/dashboard.html")
class DashboardPage(View):
    async def get(self, request: Request) -> Response:
        return web.FileResponse(WEB_DIR / "dashboard.html")  # type: ignore[return-value]


app.web.add_static("/static/", WEB_DIR / "static")
