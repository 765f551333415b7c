"""Static pages (the shop at `/`, the dashboard at `/dashboard.html`, assets in `/static/`, npm
libraries in `/static/vendor/`) and the OpenAPI document at `/api/openapi.json`."""

from __future__ import annotations

import asyncio
import json
import mimetypes
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

from aiohttp import hdrs, web
from aiohttp.helpers import ETAG_ANY
from faust.web import Request, Response

from ecommerce_stream.app import app
from ecommerce_stream.errors import NotFound
from ecommerce_stream.settings import PROJECT_ROOT, Role
from ecommerce_stream.web.http import ApiView
from ecommerce_stream.web.openapi import build_document, endpoint

WEB_DIR = PROJECT_ROOT / "web"
STATIC_DIR = WEB_DIR / "static"
# The browser libraries pinned in web/package-lock.json, installed by `make install`. Only
# these files are served: node_modules as a whole is no public folder.
_CHART_JS = WEB_DIR / "node_modules" / "chart.js" / "dist"
VENDOR_FILES = {
    "vendor/chart.umd.min.js": _CHART_JS / "chart.umd.min.js",
    "vendor/chart.umd.min.js.map": _CHART_JS / "chart.umd.min.js.map",
}
# What /static/ serves, by URL name: found once, so a request's name is only ever a key to look
# up, never a path to resolve (no traversal, no "file name too long", no symlink surprises).
STATIC_FILES = {
    path.relative_to(STATIC_DIR).as_posix(): path
    for path in sorted(STATIC_DIR.rglob("*"))
    if path.is_file()
} | VENDOR_FILES


async def _file(request: Request, path: Path) -> Response:
    """A page or asset, whole, revalidated by its ETag (304). Not aiohttp's FileResponse: that
    answers a Range or precondition it cannot meet with an empty, non-JSON 416 or 412, after the
    view has returned. These files are small, and a server may ignore Range (RFC 9110)."""
    try:
        body, stat = await asyncio.to_thread(lambda: (path.read_bytes(), path.stat()))
    except FileNotFoundError:  # a vendored file, before `make install` has run
        raise NotFound(f"{path.name} is missing: run `make install`") from None
    etag = f"{stat.st_mtime_ns:x}-{stat.st_size:x}"
    if any(tag.value in (etag, ETAG_ANY) for tag in cast(web.Request, request).if_none_match or ()):
        response = web.Response(status=304)
    else:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        text = kind.startswith("text/")
        response = web.Response(body=body, content_type=kind, charset="utf-8" if text else None)
    response.etag = etag
    response.last_modified = stat.st_mtime
    response.headers[hdrs.CACHE_CONTROL] = "no-cache"  # revalidate: the pages change with code
    return cast(Response, response)


@app.page("/", role=Role.API)
class ShopPage(ApiView):
    async def get(self, request: Request) -> Response:
        return await _file(request, WEB_DIR / "index.html")


@app.page("/dashboard.html", role=Role.API)
class DashboardPage(ApiView):
    async def get(self, request: Request) -> Response:
        return await _file(request, WEB_DIR / "dashboard.html")


@app.page("/static/{name:.+}", role=Role.API)
class StaticFile(ApiView):
    async def get(self, request: Request, name: str) -> Response:
        path = STATIC_FILES.get(name)
        if path is None:
            raise NotFound("no such file")
        return await _file(request, path)


@cache
def _openapi_document() -> bytes:
    # Built on first request: by then autodiscovery has registered every view.
    document = build_document(
        app.web.views, title="ecommerce-stream", version=version("ecommerce-stream")
    )
    return json.dumps(document).encode()


@app.page("/api/openapi.json", role=Role.API)
class OpenApiView(ApiView):
    @endpoint(responses={200: dict[str, Any]})
    async def get(self, request: Request) -> Response:
        """This API as an OpenAPI 3.1 document."""
        body = _openapi_document()
        return cast(Response, web.Response(body=body, content_type="application/json"))
