"""What the pages load comes from the app itself, and none of it is mistaken for API."""

from __future__ import annotations

import aiohttp
import pytest


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/dashboard.html", "text/html"),
        ("/static/api.js", "javascript"),
        ("/static/app.css", "text/css"),
        ("/static/vendor/chart.umd.min.js", "javascript"),
    ],
)
async def test_the_pages_and_their_scripts_are_served_locally(
    http: aiohttp.ClientSession, path: str, content_type: str
) -> None:
    async with http.get(path) as response:
        assert response.status == 200
        assert content_type in response.content_type
        assert len(await response.read()) > 0


async def test_only_the_pinned_library_files_are_served_from_node_modules(
    http: aiohttp.ClientSession,
) -> None:
    for path in ("/static/vendor/package.json", "/static/vendor/..%2Fpackage.json"):
        async with http.get(path) as response:
            assert response.status == 404
            assert (await response.json())["error"]["code"] == "not_found"


async def test_the_openapi_document_lists_api_and_admin_routes_only(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/api/openapi.json") as response:
        paths = list((await response.json())["paths"])
    assert "/api/analytics/stats" in paths
    assert [p for p in paths if not p.startswith(("/api/", "/admin/"))] == []
