"""The OpenAPI document without any service: built from the app's registered views, it lists
every /api and /admin route, shows the camelCase models the views use, and declares the errors
each operation can answer in the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from faust.web import Request, Response, View
from pydantic import Field

from ecommerce_stream.app import app
from ecommerce_stream.errors import Conflict, NotFound
from ecommerce_stream.web.openapi import DOCUMENTED_PREFIXES, build_document, endpoint
from ecommerce_stream.wire import ORDER_ID_PATTERN, ApiModel, Params, PathParams
from tests.orders_support import ORDER_FIELDS

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app.discover()  # registers every view, as the worker does at start-up
    return build_document(app.web.views, title="test", version="0")


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def test_every_api_and_admin_route_is_listed(document: dict[str, Any]) -> None:
    routed = {
        (method, path)
        for path, view in app.web.views.items()
        if path.startswith(DOCUMENTED_PREFIXES)
        for method in view.get_methods() - {"HEAD", "OPTIONS"}
    }
    assert set(_operations(document)) == routed
    for route in [
        ("GET", "/api/health"),
        ("GET", "/api/analytics/stats"),
        ("GET", "/api/analytics/health"),
        ("GET", "/api/analytics/versions/{order_id}"),
        ("GET", "/api/openapi.json"),
        ("DELETE", "/admin/orders/{order_id}"),
    ]:
        assert route in routed
    assert not [path for path in document["paths"] if not path.startswith(DOCUMENTED_PREFIXES)]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_dict(document)
    assert len(list(schema.get_all_operations())) == len(_operations(document))


def test_the_orders_operations_are_declared_with_their_errors(document: dict[str, Any]) -> None:
    operations = _operations(document)
    create = operations["POST", "/api/orders"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateOrder"
    }
    statuses = {"200", "201", "400", "401", "403", "408", "409", "413", "415", "422", "503"}
    assert set(create["responses"]) == statuses
    # A token is needed only for an order in another status than PENDING.
    assert create["security"] == [{}, {"serviceToken": []}, {"adminToken": []}]
    assert [p["name"] for p in create["parameters"]] == ["Idempotency-Key"]
    listing = operations["GET", "/api/orders/user/{user_id}"]
    assert [(p["name"], p["in"], p["required"]) for p in listing["parameters"]] == [
        ("user_id", "path", True),
        ("limit", "query", False),
        ("offset", "query", False),
    ]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Order"},
    }
    change = operations["PATCH", "/api/orders/{order_id}/status"]
    assert set(change["responses"]) >= {"400", "401", "403", "404", "409"}
    assert change["security"] == [{"serviceToken": []}, {"adminToken": []}]
    # Every order id in a path is a lowercase UUID (anything else: 400).
    for (_, path), operation in operations.items():
        if "{order_id}" in path:
            order_id = next(p for p in operation["parameters"] if p["name"] == "order_id")
            assert order_id["schema"]["pattern"] == ORDER_ID_PATTERN, path
            assert "400" in operation["responses"], path
    for operation in operations.values():
        if operation["tags"] in (["orders"], ["catalog"]):
            assert {"503"} <= set(operation["responses"])
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == ERROR_REF


def test_admin_operations_need_the_token_and_say_when_the_admin_id_is_needed(
    document: dict[str, Any],
) -> None:
    admin = {k: v for k, v in _operations(document).items() if k[1].startswith("/admin/")}
    assert set(admin) == {
        ("GET", "/admin/orders/{order_id}"),
        ("DELETE", "/admin/orders/{order_id}"),
        ("POST", "/admin/orders/{order_id}/restore"),
    }
    for operation in admin.values():
        assert operation["security"] == [{"adminToken": []}]
        assert {"400", "401", "403", "404"} <= set(operation["responses"])
        admin_id = next(p for p in operation["parameters"] if p["name"] == "X-Admin-Id")
        # Required with ADMIN_TOKEN only: a named admin's token names the admin itself.
        assert admin_id["in"] == "header" and not admin_id.get("required", False)
        assert "Required with ADMIN_TOKEN" in admin_id["description"]
        assert "may be left out" in admin_id["description"]
        assert 100 in _max_lengths(admin_id["schema"])
    assert admin["DELETE", "/admin/orders/{order_id}"]["responses"]["204"] == {
        "description": "No Content"
    }
    assert {"409", "410"} <= set(admin["POST", "/admin/orders/{order_id}/restore"]["responses"])
    scheme = document["components"]["securitySchemes"]["adminToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def _max_lengths(schema: dict[str, Any]) -> set[int]:
    """maxLength wherever it sits: on the schema, or on a branch of anyOf (optional)."""
    branches = [schema, *schema.get("anyOf", [])]
    return {branch["maxLength"] for branch in branches if "maxLength" in branch}


def test_models_show_camel_case_and_exact_money(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["Order"]["properties"]) == ORDER_FIELDS
    assert schemas["Order"]["properties"]["createdAt"]["format"] == "date-time"
    assert schemas["Order"]["properties"]["totalAmount"]["type"] == "number"
    assert schemas["CreateOrder"]["additionalProperties"] is False
    price = schemas["OrderItemIn"]["properties"]["price"]["anyOf"][0]
    assert price["type"] == "number" and price["multipleOf"] == 0.01
    assert set(schemas["AdminOrder"]["properties"]) >= {"deletedAt", "deletedBy"}
    assert set(schemas["ErrorBody"]["properties"]) == {"code", "message", "details"}


class _Thing(ApiModel):
    thing_name: str


class _ThingPath(PathParams):
    thing_id: int = Field(gt=0)


class _ThingQuery(Params):
    sort_order: str = "asc"


class _ThingView(View):
    @endpoint(
        path=_ThingPath,
        query=_ThingQuery,
        body=_Thing,
        responses={200: _Thing},
        errors=[NotFound, Conflict],
    )
    async def put(self, request: Request, thing_id: str) -> Response:
        """Replace a thing.

        The rest of the docstring is the description."""
        raise NotImplementedError

    async def get(self, request: Request, thing_id: str) -> Response:
        raise NotImplementedError


def test_one_declaration_puts_an_endpoint_in_the_document() -> None:
    views = {
        "/api/things/{thing_id}": _ThingView(app, app.web),
        "/internal": _ThingView(app, app.web),
    }

    document = build_document(views, title="things", version="1")

    assert list(document["paths"]) == ["/api/things/{thing_id}"]
    put = document["paths"]["/api/things/{thing_id}"]["put"]
    assert put["summary"] == "Replace a thing."
    assert put["description"] == "The rest of the docstring is the description."
    assert put["operationId"] == "test_openapi._ThingView.put"
    assert [(p["name"], p["in"], p["schema"].get("type")) for p in put["parameters"]] == [
        ("thing_id", "path", "integer"),
        ("sortOrder", "query", "string"),
    ]
    statuses = {"200", "400", "404", "408", "409", "413", "415", "422", "503"}
    assert set(put["responses"]) == statuses
    assert document["components"]["schemas"]["_Thing"]["properties"]["thingName"]["type"] == (
        "string"
    )
    # Undeclared: still listed, path parameters as strings, any JSON answer.
    get = document["paths"]["/api/things/{thing_id}"]["get"]
    assert get["parameters"] == [
        {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert set(get["responses"]) == {"default"}
