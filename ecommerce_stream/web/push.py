"""Server push to open pages over WebSockets: a page opens a channel and is sent the newest
message of each kind, coalesced to at most one message of a kind per `min_interval` however
often they are published; the number of channels is bounded, and a page that stops reading is
disconnected instead of having messages queued for it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, web

from ecommerce_stream import metrics
from ecommerce_stream.errors import BadRequest, Unavailable

log = logging.getLogger(__name__)

# A ping every HEARTBEAT_SECONDS; a page whose browser has not answered within half of it (it
# stopped reading, or the network went away) is disconnected by aiohttp.
HEARTBEAT_SECONDS = 10.0
# A message that cannot be handed to the socket in this long (its buffers are full: the page
# does not read) ends the channel too, before the heartbeat would.
SEND_TIMEOUT_SECONDS = 5.0
# Pages send nothing but control frames; anything larger is no page of ours.
MAX_INCOMING_BYTES = 1024


class _Channel:
    """One open page: the newest message of each kind not yet sent, never a queue, and when
    each kind was last sent (each kind is paced on its own, so that a health report never holds
    up the news that the figures changed)."""

    def __init__(self) -> None:
        self.pending: dict[str, str] = {}
        self.sent_at: dict[str, float] = {}
        self.ready = asyncio.Event()

    def offer(self, kind: str, text: str) -> None:
        self.pending[kind] = text
        self.ready.set()

    def take_due(self, now: float, min_interval: float) -> tuple[list[str], float | None]:
        """The messages whose kind may be sent again at `now`, and how long until the next
        pending one may (None: nothing left pending)."""
        due = [
            kind
            for kind in self.pending
            if now - self.sent_at.get(kind, -min_interval) >= min_interval
        ]
        taken = [self.pending.pop(kind) for kind in due]
        self.sent_at.update(dict.fromkeys(due, now))
        if not self.pending:
            self.ready.clear()
            return taken, None
        return taken, min(self.sent_at[kind] + min_interval for kind in self.pending) - now


class PushHub:
    """The push channels of this process. `publish` is synchronous and cheap: it only marks
    each channel, whose own task sends when the channel's pace allows."""

    def __init__(
        self,
        max_channels: int,
        min_interval: float,
        heartbeat: float = HEARTBEAT_SECONDS,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self._max_channels = max_channels
        self._min_interval = min_interval
        self._heartbeat = heartbeat
        self._send_timeout = send_timeout
        self._channels: dict[_Channel, web.WebSocketResponse] = {}

    @property
    def open_channels(self) -> int:
        return len(self._channels)

    def publish(self, kind: str, data: Any) -> None:
        """Send `{"type": kind, "data": data}` to every open channel (`data`: JSON-able)."""
        if not self._channels:
            return
        text = json.dumps({"type": kind, "data": data}, separators=(",", ":"))
        for channel in self._channels:
            channel.offer(kind, text)

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        """The view of the channel's path: upgrade, then push until either side closes."""
        socket = web.WebSocketResponse(heartbeat=self._heartbeat, max_msg_size=MAX_INCOMING_BYTES)
        if not socket.can_prepare(request).ok:
            raise BadRequest("this path is a WebSocket: open it with an Upgrade: websocket request")
        if len(self._channels) >= self._max_channels:
            metrics.push_channels_refused.inc()
            raise Unavailable(
                f"this server already serves {self._max_channels} live channels: poll, and try"
                " again later"
            )
        await socket.prepare(request)
        channel = _Channel()
        self._channels[channel] = socket
        metrics.push_channels.set(len(self._channels))
        sender = asyncio.ensure_future(self._send(channel, socket, request))
        try:
            # Reading is what answers the heartbeat's pings and sees the page close.
            async for _ in socket:
                pass
        finally:
            # aiohttp cancels this handler when it drops a page that did not answer its ping.
            if isinstance(socket.exception(), TimeoutError):
                metrics.push_channels_dropped.inc()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            del self._channels[channel]
            metrics.push_channels.set(len(self._channels))
        return socket

    async def _send(
        self, channel: _Channel, socket: web.WebSocketResponse, request: web.Request
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await channel.ready.wait()
            due, wait = channel.take_due(loop.time(), self._min_interval)
            for text in due:
                try:
                    async with asyncio.timeout(self._send_timeout):
                        await socket.send_str(text)
                except TimeoutError:
                    # The page stopped reading: drop the connection rather than queue for it.
                    metrics.push_channels_dropped.inc()
                    log.info("dropping a push channel whose page does not read")
                    if request.transport is not None:
                        request.transport.abort()
                    return
                except ConnectionError:
                    return  # closing: the reading side ends the channel
                metrics.push_messages.inc()
            if wait is not None:
                await asyncio.sleep(wait)

    async def close_all(self) -> None:
        """Close every channel as the server goes away (1001): the pages reconnect elsewhere
        or later instead of holding the shutdown up."""
        await asyncio.gather(
            *(
                socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
                for socket in list(self._channels.values())
            ),
            return_exceptions=True,
        )
