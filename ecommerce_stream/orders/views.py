"""HTTP views of the orders API (/api/orders) and of the admin API (/admin/orders)."""

from __future__ import annotations

from faust.web import Request, Response
from pydantic import TypeAdapter

from ecommerce_stream.app import app
from ecommerce_stream.errors import Conflict, Gone, NotFound
from ecommerce_stream.orders.domain import OrderStatus
from ecommerce_stream.orders.schemas import (
    AdminOrder,
    ChangeStatus,
    CreateOrder,
    IdempotencyHeaders,
    Order,
    Page,
)
from ecommerce_stream.settings import Role
from ecommerce_stream.web.auth import acting_admin, require_status_authority
from ecommerce_stream.web.http import (
    ApiView,
    json_model,
    no_content,
    read_headers,
    read_model,
    read_path,
    read_query,
)
from ecommerce_stream.web.openapi import endpoint
from ecommerce_stream.wire import OrderPath, UserPath
from ecommerce_stream.wiring import order_service as orders

_order_list = TypeAdapter(list[Order])


@app.page("/api/orders", role=Role.API)
class OrdersView(ApiView):
    @endpoint(
        body=CreateOrder,
        headers=IdempotencyHeaders,
        responses={201: Order, 200: Order},
        errors=[Conflict],
        service="optional",
    )
    async def post(self, request: Request) -> Response:
        """Take an order: order, items and its OrderCreated event in one transaction.

        201 with the new order; 200 with the first order when the Idempotency-Key was seen
        before with the same body (422 with another body, 409 if that order was deleted).
        An order in another status than PENDING needs a service or admin token (401, 403)."""
        body = await read_model(request, CreateOrder)
        if body.status is not OrderStatus.PENDING:
            require_status_authority(request)
        key = read_headers(request, IdempotencyHeaders).idempotency_key
        order, created = await orders.create(body, key)
        return json_model(Order.of(order), status=201 if created else 200)


@app.page("/api/orders/{order_id}", role=Role.API)
class OrderView(ApiView):
    @endpoint(path=OrderPath, responses={200: Order}, errors=[NotFound])
    async def get(self, request: Request, order_id: str) -> Response:
        """A live order (404 once soft-deleted)."""
        order = await orders.get(read_path(OrderPath, order_id=order_id).order_id)
        return json_model(Order.of(order))


@app.page("/api/orders/user/{user_id}", role=Role.API)
class UserOrdersView(ApiView):
    @endpoint(path=UserPath, query=Page, responses={200: list[Order]}, errors=[NotFound])
    async def get(self, request: Request, user_id: str) -> Response:
        """A user's live orders, newest first (404 for an unknown user)."""
        user = read_path(UserPath, user_id=user_id)
        page = read_query(request, Page)
        listed = await orders.list_for_user(user.user_id, limit=page.limit, offset=page.offset)
        return json_model([Order.of(order) for order in listed], adapter=_order_list)


@app.page("/api/orders/{order_id}/status", role=Role.API)
class OrderStatusView(ApiView):
    @endpoint(
        path=OrderPath,
        body=ChangeStatus,
        responses={200: Order},
        errors=[NotFound, Conflict],
        service="required",
    )
    async def patch(self, request: Request, order_id: str) -> Response:
        """Move the order along the status state machine (409 for a forbidden transition).

        Needs a service or admin bearer token (401 without, 403 with another one)."""
        require_status_authority(request)
        path = read_path(OrderPath, order_id=order_id)
        body = await read_model(request, ChangeStatus)
        return json_model(Order.of(await orders.change_status(path.order_id, body.status)))


@app.page("/admin/orders/{order_id}", role=Role.API)
class AdminOrderView(ApiView):
    @endpoint(path=OrderPath, admin=True, responses={200: AdminOrder}, errors=[NotFound])
    async def get(self, request: Request, order_id: str) -> Response:
        """Any order, soft-deleted ones included, with deletedAt and deletedBy."""
        acting_admin(request)  # a read changes nothing, so nothing is audited
        path = read_path(OrderPath, order_id=order_id)
        return json_model(AdminOrder.of(await orders.admin_get(path.order_id)))

    @endpoint(path=OrderPath, admin=True, responses={204: None}, errors=[NotFound])
    async def delete(self, request: Request, order_id: str) -> Response:
        """Soft-delete the order and emit OrderDeleted; deleting it again changes nothing."""
        admin_id = acting_admin(request)
        await orders.soft_delete(read_path(OrderPath, order_id=order_id).order_id, admin_id)
        return no_content()


@app.page("/admin/orders/{order_id}/restore", role=Role.API)
class AdminRestoreView(ApiView):
    @endpoint(path=OrderPath, admin=True, responses={200: Order}, errors=[NotFound, Conflict, Gone])
    async def post(self, request: Request, order_id: str) -> Response:
        """Undo a soft delete within SOFT_DELETE_RETENTION_DAYS and emit OrderRestored.

        409 if the order is not deleted, 410 once the retention window has passed."""
        admin_id = acting_admin(request)
        path = read_path(OrderPath, order_id=order_id)
        return json_model(Order.of(await orders.restore(path.order_id, admin_id)))
