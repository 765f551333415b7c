"""The split layout (docs/operations.md): an API process (`ROLES=api`) taking the orders and a
stream process (relay, transformer, sink) owning the embedded chDB. The owner is killed (-9)
under load and restarted: the API process takes every order meanwhile (it needs MySQL only),
answers analytics reads with a clear 503 while the owner is away, and afterwards nothing is
lost, `reconcile` finds 0 differences and the outbox audit relayed nothing again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from tests.faults.conftest import STACK_DIR, Load, Worker, agree, rebuild_analytics, under_load

# An owner that is gone is answered for at once, not after the forward's own timeout.
UNAVAILABLE_WITHIN_SECONDS = 2.0


@pytest.fixture
async def split_layout(settings: Settings) -> AsyncIterator[tuple[Worker, Worker]]:
    """(API process, stream process), each with its own Faust data directory. The embedded
    chDB is loaded from MySQL first: the drill before may have written to another ClickHouse,
    and the stream process's outbox audit would count those orders as lost."""
    await rebuild_analytics()
    stream = Worker(
        "stream",
        settings.port,
        {
            "ROLES": "relay,transform,sink",
            "FAUST_DATA_DIR": str(STACK_DIR / "stream"),
        },
    )
    api = Worker(
        "api",
        settings.port + 1,
        {"ROLES": "api", "STREAM_URL": stream.url, "FAUST_DATA_DIR": str(STACK_DIR / "api")},
    )
    for process in (stream, api):
        process.start()
    await asyncio.gather(stream.ready(), api.ready())
    yield api, stream
    for process in (api, stream):
        process.stop()


async def _analytics_read(url: str) -> tuple[int, dict[str, object]]:
    timeout = aiohttp.ClientTimeout(total=UNAVAILABLE_WITHIN_SECONDS)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/api/analytics/stats") as response,
    ):
        assert response.content_type == "application/json", await response.text()
        return response.status, await response.json()


async def test_the_chdb_owner_killed_under_load_while_the_api_process_takes_orders(
    split_layout: tuple[Worker, Worker], mysql: MySQL, settings: Settings
) -> None:
    api, stream = split_layout
    while_away: list[tuple[int, dict[str, object]]] = []

    async def kill_and_restart_the_owner() -> None:
        stream.kill()
        while_away.append(await _analytics_read(api.url))
        stream.start()
        await stream.ready()

    load = Load(api.url, rate=30)
    repaired = await under_load(load, 30, kill_and_restart_the_owner, start_after=6)

    status, answer = while_away[0]
    assert status == 503, answer
    error = answer["error"]
    assert isinstance(error, dict) and error["code"] == "service_unavailable", answer
    assert set(load.statuses) == {201}, f"the API process refused orders: {load.statuses}"
    assert any(at > repaired for at in load.accepted_at), "the load ended before the restart"
    await agree(
        "split layout: chDB owner killed (kill -9), restarted",
        load,
        mysql,
        settings,
        api.url,
        repaired,
    )
