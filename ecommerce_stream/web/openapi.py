"""The OpenAPI 3.1 document served at /api/openapi.json, generated from the very pydantic models
the views read and write.

Adding an endpoint to the document is one declaration on its view method:

    @app.page("/api/things/{thing_id}", role=Role.API)
    class ThingView(View):
        @endpoint(path=ThingPath, query=ThingQuery, responses={200: Thing}, errors=[NotFound])
        async def get(self, request: Request, thing_id: str) -> Response:
            \"\"\"One thing (the first docstring line is the summary).\"\"\"
            ref = read_path(ThingPath, thing_id=thing_id)
            query = read_query(request, ThingQuery)
            ...

- `responses` maps each success status to what is sent: a model, `list[Model]`, or None (no
  body).
- `body`, `path`, `query`, `headers` name the models the view reads with `read_model`,
  `read_path`, `read_query`, `read_headers` (web/http.py); they become the request body and
  parameters, and add the errors reading them can raise (body: 400, 408, 413, 415, 422;
  parameters: 400). Bodies and answers are `ApiModel`s, query and header models `Params`, path
  models `PathParams` whose field names are the route's placeholders (wire.py).
- `errors` lists the DomainError classes the view raises; their status comes from
  web/errors.py, their description from their docstring, their body is the `ErrorResponse`
  component. A declared response of the same status wins (e.g. a health check's 503 body).
- `admin=True` adds the bearer token, X-Admin-Id and their 400/401/403.
- `service="required"` says the call needs SERVICE_TOKEN or ADMIN_TOKEN (401/403);
  `service="optional"`, that some bodies do.
- Every operation may answer 503 when a store is down.
- Put `@endpoint` above any other decorator of the method (e.g. `@app.table_route`): it
  registers the function the view class ends up holding.

Every route under /api/ and /admin/ is listed, declared or not: an undeclared one shows its path
parameters as strings and a `default` answer of any JSON until someone declares it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, TypeVar

from faust.web import View
from openapi_pydantic.v3.v3_1 import (
    Components,
    Info,
    MediaType,
    OpenAPI,
    Operation,
    Parameter,
    PathItem,
    RequestBody,
    Response,
    Schema,
    SecurityScheme,
)
from pydantic import BaseModel, TypeAdapter

from ecommerce_stream import errors
from ecommerce_stream.web.auth import NamedAdminHeaders
from ecommerce_stream.web.errors import ErrorResponse, status_of
from ecommerce_stream.web.http import MAX_REQUEST_BODY_BYTES

DOCUMENTED_PREFIXES = ("/api/", "/admin/")
_METHODS = ("get", "post", "put", "patch", "delete")
_JSON = "application/json"
_ADMIN_SCHEME = "adminToken"
_SERVICE_SCHEME = "serviceToken"

Mode = Literal["validation", "serialization"]
Where = Literal["path", "query", "header"]
ViewMethodT = TypeVar("ViewMethodT", bound=Callable[..., Any])


@dataclass(frozen=True)
class Endpoint:
    """What one view method reads and answers (see the module docstring)."""

    responses: Mapping[int, Any]
    body: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    headers: type[BaseModel] | None = None
    errors: Sequence[type[errors.DomainError]] = ()
    admin: bool = False
    service: Literal["required", "optional"] | None = None

    def parameter_models(self) -> list[tuple[type[BaseModel], Where]]:
        declared: list[tuple[type[BaseModel] | None, Where]] = [
            (self.path, "path"),
            (self.query, "query"),
            (self.headers, "header"),
            (NamedAdminHeaders if self.admin else None, "header"),
        ]
        return [(model, where) for model, where in declared if model is not None]

    def error_reasons(self) -> dict[int, list[str]]:
        """Every error status this endpoint can answer, with the reasons for each."""
        raised = list(self.errors)
        if self.body is not None:
            raised += [
                errors.MalformedJson,
                errors.RequestTimeout,
                errors.UnsupportedMediaType,
                errors.ValidationFailed,
            ]
        if self.parameter_models():
            raised.append(errors.BadRequest)
        if self.admin or self.service:
            raised += [errors.Unauthorized, errors.Forbidden]
        raised.append(errors.Unavailable)
        reasons: dict[int, list[str]] = {}
        for error in raised:
            reason = inspect.getdoc(error) or error.code
            listed = reasons.setdefault(status_of(error), [])
            if reason not in listed:
                listed.append(reason)
        if self.body is not None:
            reasons[413] = [f"The body is over {MAX_REQUEST_BODY_BYTES // 1024} KiB."]
        return dict(sorted(reasons.items()))


_endpoints: dict[Callable[..., Any], Endpoint] = {}


def endpoint(
    *,
    responses: Mapping[int, Any],
    body: type[BaseModel] | None = None,
    path: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    headers: type[BaseModel] | None = None,
    errors: Sequence[type[errors.DomainError]] = (),
    admin: bool = False,
    service: Literal["required", "optional"] | None = None,
) -> Callable[[ViewMethodT], ViewMethodT]:
    """Declare a view method's inputs and answers for the OpenAPI document."""
    declared = Endpoint(responses, body, path, query, headers, errors, admin, service)

    def declare(view_method: ViewMethodT) -> ViewMethodT:
        _endpoints[view_method] = declared
        return view_method

    return declare


class _Schemas:
    """The JSON Schemas of every model the endpoints use, generated by pydantic in one pass so
    that a model used in several places is defined once, under components/schemas."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        wanted: dict[tuple[Any, Mode], None] = {(ErrorResponse, "serialization"): None}
        for declared in endpoints:
            if declared.body is not None:
                wanted[declared.body, "validation"] = None
            for model, _ in declared.parameter_models():
                wanted[model, "validation"] = None
            for answer in declared.responses.values():
                if answer is not None:
                    wanted[answer, "serialization"] = None
        self._schemas, top = TypeAdapter.json_schemas(
            [(key, mode, TypeAdapter(key)) for key, mode in wanted],
            by_alias=True,
            ref_template="#/components/schemas/{model}",
        )
        self.components: dict[str, Any] = top.get("$defs", {})

    def of(self, key: Any, mode: Mode) -> Schema:
        return Schema.model_validate(self._schemas[key, mode])

    def properties(self, model: type[BaseModel]) -> tuple[dict[str, Any], list[str]]:
        name = self._schemas[model, "validation"]["$ref"].rsplit("/", 1)[1]
        definition = self.components[name]
        return definition.get("properties", {}), definition.get("required", [])


def _json(schema: Schema) -> dict[str, MediaType]:
    return {_JSON: MediaType(media_type_schema=schema)}


def _parameters(path: str, declared: Endpoint | None, schemas: _Schemas) -> list[Parameter]:
    """Declared parameters, plus any path placeholder no model describes (as a string)."""
    found: list[dict[str, Any]] = []
    if declared is not None:
        for model, where in declared.parameter_models():
            properties, required = schemas.properties(model)
            found += [
                {
                    "name": name,
                    "in": where,
                    "required": where == "path" or name in required,
                    "description": schema.get("description"),
                    "schema": schema,
                }
                for name, schema in properties.items()
            ]
    described = {parameter["name"] for parameter in found if parameter["in"] == "path"}
    found += [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
        if name not in described
    ]
    return [Parameter.model_validate(parameter) for parameter in found]


def _responses(declared: Endpoint, schemas: _Schemas) -> dict[str, Response]:
    error = schemas.of(ErrorResponse, "serialization")
    responses = {
        str(status): Response(description=" ".join(reasons), content=_json(error))
        for status, reasons in declared.error_reasons().items()
    }
    for status, answer in declared.responses.items():
        responses[str(status)] = Response(
            description=HTTPStatus(status).phrase,
            content=None if answer is None else _json(schemas.of(answer, "serialization")),
        )
    return dict(sorted(responses.items()))


_UNDECLARED = {
    "default": Response(
        description="Not declared yet (see ecommerce_stream/web/openapi.py): some JSON.",
        content=_json(Schema()),
    )
}


def _security(declared: Endpoint) -> list[dict[str, list[str]]] | None:
    """Who may call: the admin token; or either token (`{}`: or no token at all)."""
    if declared.admin:
        return [{_ADMIN_SCHEME: []}]
    either: list[dict[str, list[str]]] = [{_SERVICE_SCHEME: []}, {_ADMIN_SCHEME: []}]
    if declared.service == "required":
        return either
    if declared.service == "optional":
        return [{}, *either]
    return None


def _operation(
    path: str, view_method: Callable[..., Any], declared: Endpoint | None, schemas: _Schemas
) -> Operation:
    # Its own docstring only: an undocumented method would inherit Faust's View.get text.
    summary, _, description = inspect.cleandoc(view_method.__doc__ or "").partition("\n")
    body = None if declared is None else declared.body
    domain = view_method.__module__.removeprefix("ecommerce_stream.").split(".")[0]
    return Operation(
        # The domain package (orders, catalog, analytics, ...) groups the operations and keeps
        # two domains' view classes of the same name apart.
        tags=[domain],
        operationId=f"{domain}.{view_method.__qualname__}",
        summary=summary or None,
        description=description.strip() or None,
        parameters=_parameters(path, declared, schemas) or None,
        requestBody=None
        if body is None
        else RequestBody(required=True, content=_json(schemas.of(body, "validation"))),
        responses=_UNDECLARED if declared is None else _responses(declared, schemas),
        security=None if declared is None else _security(declared),
    )


def build_document(views: Mapping[str, View], *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI document of every /api/ and /admin/ route among `views` (path → view, as
    Faust's `app.web.views` holds them)."""
    routes = [
        (path, method, getattr(type(view), method))
        for path, view in sorted(views.items())
        if path.startswith(DOCUMENTED_PREFIXES)
        for method in _METHODS
        if method.upper() in view.get_methods()
    ]
    schemas = _Schemas(_endpoints[fn] for _, _, fn in routes if fn in _endpoints)
    operations: dict[str, dict[str, Operation]] = {}
    for path, method, fn in routes:
        operations.setdefault(path, {})[method] = _operation(path, fn, _endpoints.get(fn), schemas)
    document = OpenAPI(
        openapi="3.1.1",
        info=Info(title=title, version=version),
        paths={path: PathItem(**methods) for path, methods in operations.items()},
        components=Components(
            schemas={name: Schema.model_validate(s) for name, s in schemas.components.items()},
            securitySchemes={
                _ADMIN_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="ADMIN_TOKEN: /admin/*, and what SERVICE_TOKEN allows.",
                ),
                _SERVICE_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="SERVICE_TOKEN: status changes (PATCH .../status, or an order"
                    " created in another status than PENDING), unless"
                    " STATUS_CHANGES_NEED_TOKEN=false opens them.",
                ),
            },
        ),
    )
    # Unset and None fields are left out: the document holds what was said, no filler.
    return document.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
