"""HTTP views of the catalog: users and products."""

from __future__ import annotations

from faust.web import Request, Response, View
from pydantic import TypeAdapter

from ecommerce_stream.app import app, mysql
from ecommerce_stream.catalog import repository as catalog
from ecommerce_stream.catalog.schemas import Product, User
from ecommerce_stream.errors import NotFound
from ecommerce_stream.web.http import json_model, path_int

_users = TypeAdapter(list[User])
_products = TypeAdapter(list[Product])


@app.page("/api/users")
class UsersView(View):
    async def get(self, request: Request) -> Response:
        return json_model(await catalog.list_users(mysql), adapter=_users)


@app.page("/api/users/{user_id}")
class UserView(View):
    async def get(self, request: Request, user_id: str) -> Response:
        user = await catalog.get_user(mysql, path_int(user_id, "userId"))
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return json_model(user)


@app.page("/api/products")
class ProductsView(View):
    async def get(self, request: Request) -> Response:
        return json_model(await catalog.list_products(mysql), adapter=_products)


@app.page("/api/products/{product_id}")
class ProductView(View):
    async def get(self, request: Request, product_id: str) -> Response:
        product = await catalog.get_product(mysql, path_int(product_id, "productId"))
        if product is None:
            raise NotFound(f"product {product_id} not found")
        return json_model(product)
