"""HTTP views of the catalog: users and products."""

from __future__ import annotations

from faust.web import Request, Response
from pydantic import TypeAdapter

from ecommerce_stream.app import app
from ecommerce_stream.catalog import repository as catalog
from ecommerce_stream.catalog.schemas import Product, ProductPath, User
from ecommerce_stream.errors import NotFound
from ecommerce_stream.settings import Role
from ecommerce_stream.web.http import ApiView, json_model, read_path
from ecommerce_stream.web.openapi import endpoint
from ecommerce_stream.wire import UserPath
from ecommerce_stream.wiring import mysql

_users = TypeAdapter(list[User])
_products = TypeAdapter(list[Product])


@app.page("/api/users", role=Role.API)
class UsersView(ApiView):
    @endpoint(responses={200: list[User]})
    async def get(self, request: Request) -> Response:
        """Every customer, by id."""
        return json_model(await catalog.list_users(mysql), adapter=_users)


@app.page("/api/users/{user_id}", role=Role.API)
class UserView(ApiView):
    @endpoint(path=UserPath, responses={200: User}, errors=[NotFound])
    async def get(self, request: Request, user_id: str) -> Response:
        """One customer."""
        path = read_path(UserPath, user_id=user_id)
        user = await catalog.get_user(mysql, path.user_id)
        if user is None:
            raise NotFound(f"user {path.user_id} not found")
        return json_model(user)


@app.page("/api/products", role=Role.API)
class ProductsView(ApiView):
    @endpoint(responses={200: list[Product]})
    async def get(self, request: Request) -> Response:
        """Every product, by id."""
        return json_model(await catalog.list_products(mysql), adapter=_products)


@app.page("/api/products/{product_id}", role=Role.API)
class ProductView(ApiView):
    @endpoint(path=ProductPath, responses={200: Product}, errors=[NotFound])
    async def get(self, request: Request, product_id: str) -> Response:
        """One product."""
        path = read_path(ProductPath, product_id=product_id)
        product = await catalog.get_product(mysql, path.product_id)
        if product is None:
            raise NotFound(f"product {path.product_id} not found")
        return json_model(product)
