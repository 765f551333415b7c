"""Counts and times every HTTP answer for `/metrics` (ecommerce_http_requests_total,
ecommerce_http_request_seconds), whatever route, view or error produced it."""

from __future__ import annotations

import asyncio
import time
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web

from ecommerce_stream import metrics

# A path no route matches is counted under this name: a client scanning for paths must not add
# a series per path it tries.
UNMATCHED_ROUTE = "unmatched"
# Likewise for a method aiohttp accepts but no route declares.
OTHER_METHOD = "other"
# A request whose client went away before the answer (nginx's name for it): no fault of ours,
# so it must not count as a 5xx.
CLIENT_CLOSED_REQUEST = 499


def route_of(request: web.Request) -> str:
    """The template of the route that took the request (`/api/orders/{order_id}`)."""
    resource = request.match_info.route.resource
    return UNMATCHED_ROUTE if resource is None else resource.canonical


@web.middleware
async def count_requests(request: web.Request, handler: Any) -> web.StreamResponse:
    """The outermost middleware: it sees the status the client is sent, error answers included."""
    started = time.perf_counter()
    # Unless an answer comes back: an exception escaped every error handler.
    status: int = HTTPStatus.INTERNAL_SERVER_ERROR
    try:
        response: web.StreamResponse = await handler(request)
        status = response.status
        return response
    except web.HTTPException as answer:
        status = answer.status
        raise
    except asyncio.CancelledError:
        status = CLIENT_CLOSED_REQUEST
        raise
    finally:
        route = route_of(request)
        method = request.method if request.method in hdrs.METH_ALL else OTHER_METHOD
        metrics.http_requests.labels(route=route, method=method, status=str(status)).inc()
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR and status != HTTPStatus.SERVICE_UNAVAILABLE:
            metrics.http_server_errors.inc()
        metrics.http_request_seconds.labels(route=route, method=method).observe(
            time.perf_counter() - started
        )
