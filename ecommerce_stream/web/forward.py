"""Answering a request by asking another worker of the app the same question.

An API process has no embedded ClickHouse of its own (chDB belongs to the process that runs
the sink), so it passes analytics reads to that process unchanged and hands back its answer,
status and body as they came: validation, errors and the figures are the owner's."""

from __future__ import annotations

from typing import Any, cast

import aiohttp
from aiohttp import hdrs, web
from faust.web import Request, Response

from ecommerce_stream.errors import Unavailable

# The headers that mean something to the answering view; hop-by-hop ones stay behind.
PASSED_HEADERS = (hdrs.ACCEPT, hdrs.AUTHORIZATION, hdrs.CONTENT_TYPE)
FORWARD_TIMEOUT_SECONDS = 10.0


class Forwarder:
    def __init__(self, base_url: str, *, timeout: float = FORWARD_TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop (aiohttp binds a session to it).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def forward(self, request: Request) -> Response:
        incoming = cast(web.Request, request)
        headers = {name: incoming.headers[name] for name in PASSED_HEADERS if name in incoming}
        body = await incoming.read() if incoming.body_exists else None
        try:
            async with self._client().request(
                incoming.method, self.base_url + str(incoming.rel_url), headers=headers, data=body
            ) as answer:
                content = await answer.read()
                status, content_type = answer.status, answer.content_type
        except (aiohttp.ClientError, TimeoutError) as error:
            raise self._unreachable(error) from None
        return cast(Response, web.Response(body=content, status=status, content_type=content_type))

    async def get_json(self, path: str) -> Any:
        """The JSON another worker answers to GET `path`, whatever its status."""
        try:
            async with self._client().get(self.base_url + path) as answer:
                return await answer.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise self._unreachable(error) from None

    def _unreachable(self, error: BaseException) -> Unavailable:
        return Unavailable(
            f"the worker that answers this ({self.base_url}) cannot be reached",
            [{"message": type(error).__name__}],
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
