"""HTTP views of the orders API."""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View
from pydantic import TypeAdapter

from ecommerce_stream.app import app, mysql
from ecommerce_stream.errors import BadRequest
from ecommerce_stream.orders.schemas import ChangeStatus, CreateOrder, Order
from ecommerce_stream.orders.service import OrderService
from ecommerce_stream.outbox.agents import relay
from ecommerce_stream.web.http import json_model, path_int, query_int, read_model

MAX_IDEMPOTENCY_KEY_LENGTH = 255

orders = OrderService(mysql, after_commit=relay.notify)
_order_list = TypeAdapter(list[Order])


def _idempotency_key(request: Any) -> str | None:
    key: str | None = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise BadRequest(f"Idempotency-Key must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    return key


@app.page("/api/orders")
class OrdersView(View):
    async def post(self, request: Request) -> Response:
        """Take an order: order, items and its OrderCreated event in one transaction."""
        body = await read_model(request, CreateOrder)
        order, created = await orders.create(body, _idempotency_key(request))
        return json_model(order, status=201 if created else 200)


@app.page("/api/orders/{order_id}")
class OrderView(View):
    async def get(self, request: Request, order_id: str) -> Response:
        return json_model(await orders.get(order_id))


@app.page("/api/orders/user/{user_id}")
class UserOrdersView(View):
    async def get(self, request: Request, user_id: str) -> Response:
        """A user's live orders, newest first."""
        limit = query_int(request, "limit", default=50, minimum=1, maximum=200)
        offset = query_int(request, "offset", default=0, minimum=0, maximum=1_000_000)
        listed = await orders.list_for_user(path_int(user_id, "userId"), limit=limit, offset=offset)
        return json_model(listed, adapter=_order_list)


@app.page("/api/orders/{order_id}/status")
class OrderStatusView(View):
    async def patch(self, request: Request, order_id: str) -> Response:
        body = await read_model(request, ChangeStatus)
        return json_model(await orders.change_status(order_id, body.status))
