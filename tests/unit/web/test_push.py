"""The push hub on an in-process aiohttp server: what a page gets, how often, how many pages may
connect, and what happens to a page that stops reading."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from ecommerce_stream import metrics
from ecommerce_stream.web.errors import json_errors
from ecommerce_stream.web.push import PushHub

MIN_INTERVAL = 0.2


def _hub(**overrides: Any) -> PushHub:
    return PushHub(**{"max_channels": 5, "min_interval": MIN_INTERVAL, **overrides})


async def _client(hub: PushHub) -> TestClient[web.Request, web.Application]:
    app = web.Application(middlewares=[json_errors])
    app.router.add_get("/live", hub.serve)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def hub_and_client() -> AsyncIterator[
    tuple[PushHub, TestClient[web.Request, web.Application]]
]:
    hub = _hub()
    client = await _client(hub)
    yield hub, client
    await hub.close_all()
    await client.close()


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def _gauge() -> float:
    return float(metrics.push_channels._value.get())


async def test_a_published_message_reaches_every_open_page(hub_and_client: Any) -> None:
    hub, client = hub_and_client
    first, second = await client.ws_connect("/live"), await client.ws_connect("/live")
    await _until(lambda: hub.open_channels == 2)
    assert _gauge() == 2
    hub.publish("changed", {"generation": 0, "rows": 3})
    for page in (first, second):
        message = await page.receive_json(timeout=2)
        assert message == {"type": "changed", "data": {"generation": 0, "rows": 3}}
    await first.close()
    await _until(lambda: hub.open_channels == 1)
    assert _gauge() == 1


async def test_a_burst_is_coalesced_into_few_messages_ending_with_the_newest(
    hub_and_client: Any,
) -> None:
    hub, client = hub_and_client
    page = await client.ws_connect("/live")
    await _until(lambda: hub.open_channels == 1)
    received: list[tuple[float, dict[str, Any]]] = []

    async def read() -> None:
        while not received or received[-1][1]["data"] != {"rows": 200}:
            message = await page.receive_json(timeout=2)
            if message["type"] == "changed":
                received.append((time.monotonic(), message))

    reading = asyncio.ensure_future(read())
    started = time.monotonic()
    for rows in range(1, 201):
        hub.publish("changed", {"rows": rows})
        hub.publish("health", {"n": rows})
        await asyncio.sleep(0.005)  # a second of notices at 200 a second
    await reading
    elapsed = time.monotonic() - started
    # One round per interval at most (plus the first, sent at once), the newest always last.
    assert len(received) <= elapsed / MIN_INTERVAL + 1, (len(received), elapsed)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(received)]
    assert all(gap >= MIN_INTERVAL * 0.9 for gap in gaps), gaps
    assert received[0][1]["data"]["rows"] < 20, "the first change is sent at once"


async def test_pages_over_the_bound_are_refused_with_503_and_counted() -> None:
    hub = _hub(max_channels=1)
    client = await _client(hub)
    try:
        refused_before = metrics.push_channels_refused._value.get()
        page = await client.ws_connect("/live")
        await _until(lambda: hub.open_channels == 1)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/live")
        assert refused.value.status == 503
        assert metrics.push_channels_refused._value.get() == refused_before + 1
        await page.close()
        await _until(lambda: hub.open_channels == 0)
        again = await client.ws_connect("/live")  # a freed place is taken again
        await _until(lambda: hub.open_channels == 1)
        await again.close()
    finally:
        await hub.close_all()
        await client.close()


async def test_a_plain_request_gets_a_json_400(hub_and_client: Any) -> None:
    _, client = hub_and_client
    response = await client.get("/live")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_a_page_that_stops_reading_is_disconnected() -> None:
    # The page never reads, so it never answers a ping: it is dropped within one heartbeat and
    # a half, however much was published meanwhile.
    hub = _hub(heartbeat=0.4)
    client = await _client(hub)
    try:
        dropped_before = metrics.push_channels_dropped._value.get()
        page = await client.ws_connect("/live", autoping=False, heartbeat=None)
        await _until(lambda: hub.open_channels == 1)
        for rows in range(50):
            hub.publish("changed", {"rows": rows, "padding": "x" * 512})
            await asyncio.sleep(0.02)
        await _until(lambda: hub.open_channels == 0, timeout=3)
        assert metrics.push_channels_dropped._value.get() == dropped_before + 1
        await page.close()
    finally:
        await client.close()


async def test_closing_the_hub_tells_every_page_the_server_goes_away(hub_and_client: Any) -> None:
    hub, client = hub_and_client
    page = await client.ws_connect("/live")
    await _until(lambda: hub.open_channels == 1)
    await hub.close_all()
    message = await page.receive(timeout=2)
    assert message.type == WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.GOING_AWAY
    await _until(lambda: hub.open_channels == 0)
