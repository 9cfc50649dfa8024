"""The OpenAPI 3.1 document, generated from the app's routes and the models each route
declares with ``@endpoint`` — the same models that validate its requests and responses.

``make openapi`` writes it to ``openapi.json`` (committed; a test keeps it current) and
``GET /openapi.json`` serves it.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any

from chalice import Chalice
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api.http import route_spec
from chalicelib.api.schemas import ErrorOut

REF = "#/components/schemas/{model}"
ERROR_TEXT = {
    400: "Malformed request, unknown field or bad cursor",
    401: "Missing, malformed, expired or invalid token",
    403: "The token's role may not call this route",
    404: "Not found, or not the caller's",
    409: "Conflict: duplicate complaint, or already decided",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Valid, but not eligible (reason code in error.code)",
    503: "A dependency is throttling; retry after the Retry-After header's seconds",
}


Refs = dict[tuple[Any, str], dict[str, Any]]


def _schemas(app: Chalice) -> tuple[Refs, dict[str, Any]]:
    """A ``$ref`` per (model, mode) the routes use, and the component schemas."""
    pairs: set[tuple[type[BaseModel], JsonSchemaMode]] = {(ErrorOut, "serialization")}
    for methods in app.routes.values():
        for entry in methods.values():
            spec = route_spec(entry.view_function)
            if spec is None:
                continue
            models = spec.models()
            pairs.add((models["response"], "serialization"))
            for role in ("request", "query"):
                if role in models:
                    pairs.add((models[role], "validation"))
    ordered = sorted(pairs, key=lambda p: (p[0].__name__, p[1]))
    mapping, definitions = models_json_schema(ordered, ref_template=REF)
    refs: Refs = {(model, mode): schema for (model, mode), schema in mapping.items()}
    return refs, dict(definitions.get("$defs", {}))


@lru_cache(maxsize=4)
def build_document(app: Chalice) -> dict[str, Any]:
    refs, schemas = _schemas(app)
    paths: dict[str, Any] = {}
    for path in sorted(app.routes):
        for method, entry in sorted(app.routes[path].items()):
            spec = route_spec(entry.view_function)
            if spec is None:
                continue
            models = spec.models()
            doc = inspect.getdoc(entry.view_function) or entry.view_name.replace("_", " ")
            operation: dict[str, Any] = {
                "operationId": entry.view_name,
                "summary": doc.splitlines()[0],
                "tags": [path.strip("/").split("/")[0] or "service"],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in entry.view_args
                ],
                "responses": {
                    str(spec.status): {
                        "description": "Success",
                        "content": {
                            "application/json": {
                                "schema": refs[(models["response"], "serialization")]
                            }
                        },
                    },
                },
            }
            if "query" in models:
                query_schema = models["query"].model_json_schema(ref_template=REF)
                operation["parameters"] += [
                    {"name": name, "in": "query", "required": False, "schema": prop}
                    for name, prop in query_schema["properties"].items()
                ]
            statuses = set(spec.errors)
            if "request" in models:
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": refs[(models["request"], "validation")]}
                    },
                }
                statuses |= {400, 415}
            statuses.add(400)  # an unknown query parameter, on any route
            if spec.roles:
                operation["security"] = [{"bearerAuth": []}]
                operation["x-roles"] = list(spec.roles)
                statuses |= {401, 403, 503}
            error_ref = refs[(ErrorOut, "serialization")]
            for code in sorted(statuses):
                operation["responses"][str(code)] = {
                    "description": ERROR_TEXT[code],
                    "content": {"application/json": {"schema": error_ref}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Seller Report Center",
            "version": "1.0.0",
            "description": "Sellers report abusive buyers and get an explained result within "
            "48 hours; reviewers decide; platform systems send facts. Times are ISO-8601 UTC.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "claims: sub, role (seller|operator|system), exp",
                },
            },
        },
    }
