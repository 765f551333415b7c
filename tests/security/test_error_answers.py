"""A client's mistake is a 4xx in the API's JSON error shape wherever it is made: a compressed
body (415), a day the analytics cannot name (400), a file /static/ does not have (404), HTTP
the server cannot parse (400) or an unknown Expect header (417), quoting none of it. /metrics
counts each under the status sent."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import zlib
from collections.abc import Callable

import aiohttp
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import order_body, service_headers, table_counts
from tests.security.hostile_http import request_bytes, send

COMPRESSED: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": ("gzip", gzip.compress),
    "deflate": ("deflate", zlib.compress),
    "gzip, not compressed": ("gzip", lambda body: body),
    "br, not compressed": ("br", lambda body: body),
    "identity, then gzip": ("identity, gzip", gzip.compress),
}


@pytest.mark.parametrize("coding", COMPRESSED.values(), ids=COMPRESSED.keys())
async def test_a_compressed_body_is_refused_with_415(
    http: aiohttp.ClientSession,
    mysql: MySQL,
    settings: Settings,
    coding: tuple[str, Callable[[bytes], bytes]],
) -> None:
    """Refused, never unpacked: a valid order, compressed, writes nothing."""
    name, compress = coding
    order_id = (await (await http.post("/api/orders", json=order_body())).json())["id"]
    before = await table_counts(mysql)
    for method, path, body in [
        ("POST", "/api/orders", order_body()),
        ("PATCH", f"/api/orders/{order_id}/status", {"status": "CANCELLED"}),
    ]:
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": name,
            **service_headers(settings),
        }
        data = compress(json.dumps(body).encode())
        async with http.request(method, path, data=data, headers=headers) as response:
            assert response.status == 415, await response.text()
            assert response.headers["Accept-Encoding"] == "identity"
            assert (await response.json())["error"]["code"] == "unsupported_content_encoding"
    assert await table_counts(mysql) == before


async def test_identity_is_no_compression(http: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "identity"}
    async with http.post("/api/orders", data=json.dumps(order_body()), headers=headers) as r:
        assert r.status == 201


@pytest.mark.parametrize("endpoint", ["daily-sales", "hourly-sales", "order-status"])
@pytest.mark.parametrize(
    "query",
    [
        "endDate=0001-01-01",
        "endDate=9999-12-31",
        "startDate=0001-01-01",
        "startDate=9999-12-31",
        "startDate=0001-01-01&endDate=0001-01-02",
        "startDate=9999-12-30&endDate=9999-12-31",
        "startDate=1969-12-31&endDate=1970-01-01",
        "endDate=2106-01-01",
    ],
)
async def test_a_day_out_of_range_is_400(
    http: aiohttp.ClientSession, endpoint: str, query: str
) -> None:
    async with http.get(f"/api/analytics/{endpoint}?{query}") as response:
        assert response.status == 400, await response.text()
        error = (await response.json())["error"]
    assert error["code"] == "bad_request"
    assert "1970-01-01 to 2105-12-31" in error["details"][0]["message"]


@pytest.mark.parametrize("endpoint", ["daily-sales", "hourly-sales", "order-status"])
async def test_the_first_and_last_days_are_answered(
    http: aiohttp.ClientSession, endpoint: str
) -> None:
    for query in ["startDate=1970-01-01&endDate=1970-01-31", "endDate=1970-01-01",
                  "startDate=2105-12-01&endDate=2105-12-31", "endDate=2105-12-31"]:  # fmt: skip
        async with http.get(f"/api/analytics/{endpoint}?{query}") as response:
            assert response.status == 200, f"{query}: {await response.text()}"
            assert isinstance(await response.json(), list)


@pytest.mark.parametrize(
    "name",
    ["nope.js", "a" * 256, "a" * 5000, "app.css/x", "APP.CSS", ".", "..%2Findex.html", "%00"],
    ids=["missing", "256 bytes", "5000 bytes", "under a file", "other case", "dot", "up", "NUL"],
)
async def test_a_file_static_does_not_have_is_a_json_404(
    http: aiohttp.ClientSession, name: str
) -> None:
    async with http.get(f"/static/{name}") as response:
        assert response.status == 404
        assert response.content_type == "application/json"
        assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "headers",
    [{"Range": ""}, {"Range": "bytes=5-1"}, {"Range": "bytes=999999-"}, {"If-Match": '"x"'},
     {"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}],
    ids=["empty range", "backwards range", "range past the end", "if-match", "unmodified since"],
)  # fmt: skip
async def test_a_range_or_precondition_is_no_empty_error(
    http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    """Pages and assets are sent whole (a server may ignore these): aiohttp's FileResponse
    answered them with an empty 416 or 412, past any error handling."""
    async with http.get("/static/app.css", headers=headers) as response:
        assert response.status == 200
        assert len(await response.read()) == int(response.headers["Content-Length"]) > 0
        etag = response.headers["ETag"]
    async with http.get("/static/app.css", headers={"If-None-Match": etag}) as response:
        assert response.status == 304


MALFORMED_AUTHORIZATION = {
    "control byte": b"Authorization: Bearer SECRET\x01",
    "NUL": b"Authorization: Bearer SECRET\x00",
    "bare CR": b"Authorization: Bearer SECRET\rx",
    "bare LF": b"Authorization: Bearer SECRET\nx:",
    "no colon": b"Authorization Bearer SECRET",
    "space in name": b"Author ization: Bearer SECRET",
    "folded": b" Authorization: Bearer SECRET",
    "over 8 KiB": b"Authorization: Bearer SECRET" + b"x" * 9000,
}


@pytest.mark.parametrize("line", MALFORMED_AUTHORIZATION.values(), ids=MALFORMED_AUTHORIZATION)
async def test_a_malformed_authorization_line_is_refused_without_echo(
    settings: Settings, line: bytes
) -> None:
    token = settings.admin_token.get_secret_value().encode()
    request = request_bytes("GET", "/api/analytics/stats", [line.replace(b"SECRET", token)])
    answer = await asyncio.to_thread(send, settings.port, request)
    assert (answer.status, answer.headers["content-type"]) == (400, "application/json")
    assert json.loads(answer.body)["error"]["code"] == "malformed_http"
    assert token not in answer.raw


@pytest.mark.parametrize("value", [b"secret-ish", b"secret-ish\x80"], ids=["text", "not UTF-8"])
async def test_an_unknown_expectation_is_a_json_417_that_quotes_nothing(
    settings: Settings, value: bytes
) -> None:
    """aiohttp checks Expect before any middleware: it quoted the value back in plain text, and
    failed with a 500 on a byte that is not UTF-8."""
    request = request_bytes("GET", "/api/analytics/stats", [b"Expect: " + value])
    answer = await asyncio.to_thread(send, settings.port, request)
    assert (answer.status, answer.headers["content-type"]) == (417, "application/json")
    assert json.loads(answer.body)["error"]["code"] == "expectation_failed"
    assert b"secret-ish" not in answer.raw


async def test_metrics_count_a_refusal_under_its_status(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    """Faust counts a view that raised as a 500; the API's views answer their errors
    themselves, so /metrics shows the 404 that was sent."""

    async def counted(status: int) -> float:
        async with http.get("/metrics") as response:
            text = await response.text()
        pattern = rf'^\w+_http_status_codes_total\{{status_code="{status}"\}} (\S+)$'
        found = re.search(pattern, text, re.M)
        return float(found.group(1)) if found else 0.0

    before = (await counted(404), await counted(500))
    async with http.get("/api/orders/0b6f2d4e-8c1a-4f3e-9d2b-5a7c6e1f0a39") as response:
        assert response.status == 404
    assert (await counted(404), await counted(500)) == (before[0] + 1, before[1])
