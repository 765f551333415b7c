"""A flood of malformed JSON: 2,000 requests, 50 at a time, against the endpoints that read a
body. Every answer is a 400 JSON error (never a 5xx), nothing is written, the worker's memory
stays where it was, and it goes on taking orders."""

from __future__ import annotations

import asyncio
import collections
import itertools
from pathlib import Path

import aiohttp

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.orders_support import create_order, service_headers, table_counts

REQUESTS = 2_000
CONCURRENCY = 50
WARM_UP = 200
MAX_RSS_GROWTH_MB = 50

MALFORMED = [
    b"{not json",
    b'{"userId": 1,',
    b'{"userId": 1}}',
    b'"unterminated',
    b'{"userId": 1, "items": [}',
    b"\xff\xfe{}",
    b"",
    b"[" * 50_000,  # past the parser's nesting limit
    b'{"a":' * 20_000,
    b'{"shippingAddress": "' + b"x" * 100_000,  # a large unterminated string
]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


async def _flood(
    app_server: str, count: int, targets: list[tuple[str, str]], token: dict[str, str]
) -> collections.Counter[str]:
    """Send `count` malformed bodies; tally the answers as "<status> <content type> <code>"."""
    answers: collections.Counter[str] = collections.Counter()
    bodies = itertools.cycle(itertools.product(MALFORMED, targets))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(app_server, connector=connector) as session:
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def send(body: bytes, target: tuple[str, str]) -> None:
            method, path = target
            headers = {"Content-Type": "application/json", **token}
            async with semaphore, session.request(method, path, data=body, headers=headers) as r:
                code = (
                    (await r.json())["error"]["code"]
                    if r.content_type == "application/json"
                    else ""
                )
                answers[f"{r.status} {r.content_type} {code}"] += 1

        await asyncio.gather(*(send(*next(bodies)) for _ in range(count)))
    return answers


async def test_a_burst_of_malformed_json_changes_nothing(
    app_server: str,
    http: aiohttp.ClientSession,
    mysql: MySQL,
    settings: Settings,
    worker_pid: int,
) -> None:
    order = await create_order(http)
    targets = [("POST", "/api/orders"), ("PATCH", f"/api/orders/{order['id']}/status")]
    # The token too: a status change is then refused for its body, not for want of authority.
    token = service_headers(settings)
    await _flood(app_server, WARM_UP, targets, token)  # first-use allocations are not growth
    before_rows, before_rss = await table_counts(mysql), _rss_mb(worker_pid)

    answers = await _flood(app_server, REQUESTS, targets, token)

    after_rss = _rss_mb(worker_pid)
    assert answers == {"400 application/json malformed_json": REQUESTS}
    assert await table_counts(mysql) == before_rows
    assert after_rss - before_rss < MAX_RSS_GROWTH_MB
    assert (await create_order(http))["version"] == 1  # still taking orders
    print(
        f"\n{REQUESTS} malformed bodies, {CONCURRENCY} at a time: {dict(answers)};"
        f" worker RSS {before_rss:.1f} MB before, {after_rss:.1f} MB after"
    )
