"""Slow clients are cut off in bounded time: a body that stalls or trickles gets a 408 JSON
error once BODY_READ_TIMEOUT_SECONDS have passed and the connection is closed soon after;
headers that never complete (or no request at all) lose the connection after
IDLE_CONNECTION_TIMEOUT_SECONDS. The cases run side by side, so the test lasts about as long as
the longest bound."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass

import pytest

from ecommerce_stream.settings import Settings
from ecommerce_stream.stores.mysql import MySQL
from ecommerce_stream.web.http import BODY_READ_TIMEOUT_SECONDS, IDLE_CONNECTION_TIMEOUT_SECONDS
from tests.orders_support import table_counts

# aiohttp goes on reading (and discarding) an unread body for up to 10 s before it hangs up.
AIOHTTP_LINGERING_SECONDS = 10.0
# The machine is shared: bounds are generous above; below they prove which timer fired.
SLACK_SECONDS = 15.0
EARLY_SECONDS = 1.0

BODY_HEAD = (
    b"POST /api/orders HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


@dataclass
class CutOff:
    answer: bytes  # everything the server sent
    answered_after: float | None  # seconds from connecting to the first byte of the answer
    closed_after: float  # seconds from connecting to the server closing the connection


async def _slow_client(settings: Settings, head: bytes, trickle: bytes, every: float) -> CutOff:
    """Send `head`, then `trickle` one byte every `every` seconds (nothing if empty), until the
    server closes the connection; bounded by the test's own deadline."""
    reader, writer = await asyncio.open_connection("127.0.0.1", settings.port)
    started = time.monotonic()
    writer.write(head)

    async def send_slowly() -> None:
        for byte in trickle:
            await asyncio.sleep(every)  # the client's pace, not a wait for a condition
            if writer.is_closing():
                return
            writer.write(bytes([byte]))
            with contextlib.suppress(ConnectionError):  # the server hung up: the point
                await writer.drain()

    sender = asyncio.create_task(send_slowly())
    answer, answered_after = b"", None
    deadline = BODY_READ_TIMEOUT_SECONDS + AIOHTTP_LINGERING_SECONDS + 2 * SLACK_SECONDS
    try:
        async with asyncio.timeout(max(deadline, IDLE_CONNECTION_TIMEOUT_SECONDS + SLACK_SECONDS)):
            while chunk := await reader.read(65536):
                answered_after = answered_after or time.monotonic() - started
                answer += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept a slow client ({head[:40]!r}...) connected")
    finally:
        sender.cancel()
        writer.close()
    return CutOff(answer, answered_after, time.monotonic() - started)


def _json_error(answer: bytes) -> tuple[int, str, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    headers = head.decode("latin-1").lower()
    return status, headers, json.loads(body)["error"]


async def test_slow_clients_are_cut_off_in_bounded_time(settings: Settings, mysql: MySQL) -> None:
    before = await table_counts(mysql)
    (
        stalled_body,
        trickled_body,
        unread_body,
        stalled_headers,
        trickled_headers,
        silent,
    ) = await asyncio.gather(
        _slow_client(settings, BODY_HEAD + b'{"userId"', b"", 0),
        _slow_client(settings, BODY_HEAD, b'{"userId": 1, ' * 70, 0.5),
        # A view that reads no body answers at once; aiohttp then drains it for a while.
        _slow_client(settings, BODY_HEAD.replace(b"POST /api/orders", b"GET /api/users"), b"", 0),
        _slow_client(settings, b"POST /api/orders HTTP/1.1\r\nHost: sh", b"", 0),
        _slow_client(settings, b"POST /api/orders HTTP/1.1\r\n", b"X-Slow: " + b"a" * 60, 1.0),
        _slow_client(settings, b"", b"", 0),
    )

    for cut in (stalled_body, trickled_body):
        status, headers, error = _json_error(cut.answer)
        assert (status, error["code"]) == (408, "request_timeout")
        assert "connection: close" in headers
        assert cut.answered_after is not None
        assert (
            BODY_READ_TIMEOUT_SECONDS - EARLY_SECONDS
            < cut.answered_after
            < BODY_READ_TIMEOUT_SECONDS + SLACK_SECONDS
        )
        assert cut.closed_after < (
            BODY_READ_TIMEOUT_SECONDS + AIOHTTP_LINGERING_SECONDS + SLACK_SECONDS
        )

    assert unread_body.answer.startswith(b"HTTP/1.1 200 ")
    assert unread_body.answered_after is not None and unread_body.answered_after < SLACK_SECONDS
    assert unread_body.closed_after < AIOHTTP_LINGERING_SECONDS + SLACK_SECONDS

    for cut in (stalled_headers, trickled_headers, silent):
        assert cut.answer == b""  # no request was ever complete: nothing to answer
        assert (
            IDLE_CONNECTION_TIMEOUT_SECONDS - EARLY_SECONDS
            < cut.closed_after
            < IDLE_CONNECTION_TIMEOUT_SECONDS + SLACK_SECONDS
        )

    assert await table_counts(mysql) == before
    print(
        f"\nslow clients cut off: stalled body 408 after {stalled_body.answered_after:.2f} s,"
        f" closed after {stalled_body.closed_after:.2f} s; trickled body 408 after"
        f" {trickled_body.answered_after:.2f} s, closed after {trickled_body.closed_after:.2f} s;"
        f" unread body closed after {unread_body.closed_after:.2f} s; stalled headers closed"
        f" after {stalled_headers.closed_after:.2f} s; trickled headers after"
        f" {trickled_headers.closed_after:.2f} s; silent connection after"
        f" {silent.closed_after:.2f} s"
    )
