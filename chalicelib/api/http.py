"""HTTP plumbing shared by every blueprint.

* ``http_middleware(app)`` runs before Chalice routes a request: it verifies the bearer
  token for routes that need one (and checks the role), refuses oversized bodies, and gives
  Chalice's own refusals (415, 405, 500) the project's error shape.  A refused request never
  reaches a handler.
* ``@endpoint(*roles, response=..., request=..., query=...)`` declares a view's roles and
  models, maps ``DomainError`` to responses and validates the view's responses.
* ``principal()``, ``json_body()``, ``query()`` are what handlers use to read a request.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from chalice import Chalice, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError
from pynamodb.exceptions import PynamoDBException

from chalicelib.adapters.metrics_repository import ContributionConflict
from chalicelib.api.auth import Principal, require_role, verify_bearer
from chalicelib.api.errors import (
    TRANSIENT_CODES,
    PayloadTooLarge,
    Unavailable,
    error_response,
    reshape_chalice_error,
)
from chalicelib.config import get_settings
from chalicelib.domain.errors import DomainError, InvalidRequest

SPEC_ATTRIBUTE = "route_spec"
PRINCIPAL_KEY = "principal"
M = TypeVar("M", bound=BaseModel)
View = Callable[..., Any]


@dataclass(frozen=True)
class RouteSpec:
    """What a route accepts and answers — read by the middleware (roles) and by the
    OpenAPI generator, so the document describes exactly what is enforced."""

    roles: tuple[str, ...]
    response: type[BaseModel]
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()


def endpoint(
    *roles: str,
    response: type[BaseModel],
    request: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
) -> Callable[[View], View]:
    """Declare who may call a view (no roles: public) and its models; map domain errors
    to responses, and validate every successful response through its model."""
    spec = RouteSpec(tuple(roles), response, request, query, status, errors)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                result = view(*args, **kwargs)
            except DomainError as error:
                return error_response(error)
            except (PynamoDBException, ClientError, ContributionConflict) as error:
                if not is_transient(error):
                    raise
                return error_response(Unavailable("temporarily unavailable, retry shortly"))
            body = result.body if isinstance(result, Response) else result
            spec.response.model_validate(body)  # a mismatch is a bug: it surfaces as a 500
            return result

        setattr(wrapper, SPEC_ATTRIBUTE, spec)
        return wrapper

    return decorate


def is_transient(error: Exception) -> bool:
    """Throttling or a service fault that outlived botocore's retries (standard mode), or
    a contribution race that outlived ours: the client should retry."""
    if isinstance(error, ContributionConflict):
        return True
    if isinstance(error, PynamoDBException):
        return error.cause_response_code in TRANSIENT_CODES
    return error.response.get("Error", {}).get("Code") in TRANSIENT_CODES  # type: ignore[attr-defined]


def route_spec(view: View) -> RouteSpec | None:
    spec = getattr(view, SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, RouteSpec) else None


def _route_roles(app: Chalice, request: Request) -> tuple[str, ...] | None:
    resource = str(request.context.get("resourcePath"))
    entry = app.routes.get(resource, {}).get(request.method)
    if entry is None:
        return None
    spec = route_spec(entry.view_function)
    return spec.roles if spec else ()


def http_middleware(app: Chalice) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
        roles = _route_roles(app, request)
        if roles:
            settings = get_settings()
            try:
                principal = verify_bearer(request.headers.get("authorization"), settings)
                require_role(principal, roles)
                body = request.raw_body or b""
                if len(body) > settings.max_body_bytes:
                    raise PayloadTooLarge(
                        f"request body exceeds {settings.max_body_bytes} bytes",
                        details={"max_bytes": settings.max_body_bytes},
                    )
            except DomainError as error:
                return error_response(error)
            request.context[PRINCIPAL_KEY] = principal
        return reshape_chalice_error(get_response(request))

    return middleware


def principal(request: Request) -> Principal:
    found = request.context.get(PRINCIPAL_KEY)
    if not isinstance(found, Principal):  # a route without roles asked for a principal
        raise RuntimeError("no verified principal on this request")
    return found


def _problems(error: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in item["loc"]) or "(body)", "problem": item["msg"]}
        for item in error.errors(include_url=False)
    ]


MAX_DEPTH = 16


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def json_body(request: Request, model: type[M]) -> M:
    raw = request.raw_body or b""
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise InvalidRequest("body is nested too deeply", code="too_deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("body is not valid JSON", code="malformed_json") from exc
    if _depth(data) > MAX_DEPTH:
        raise InvalidRequest(f"body is nested deeper than {MAX_DEPTH}", code="too_deep")
    if not isinstance(data, dict):
        raise InvalidRequest("body must be a JSON object", code="invalid_body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest("invalid request body", details=_problems(exc)) from exc


def query(request: Request, model: type[M]) -> M:
    source = request.query_params
    params = {name: source[name] for name in source} if source is not None else {}
    repeated = sorted(name for name in params if source and len(source.getlist(name)) > 1)
    if repeated:
        raise InvalidRequest("repeated query parameters", details={"parameters": repeated})
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise InvalidRequest("invalid query parameters", details=_problems(exc)) from exc
