"""HTTP plumbing shared by every blueprint.

* ``http_middleware(app)`` runs before Chalice routes a request: it verifies the bearer
  token for routes that need one (and checks the role), refuses oversized bodies, and gives
  Chalice's own refusals (415, 405, 500) the project's error shape.  A refused request never
  reaches a handler.
* ``@endpoint(*roles)`` marks a view's roles and maps ``DomainError`` to responses.
* ``principal()``, ``json_body()``, ``query()`` are what handlers use to read a request.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalice import Chalice, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.api.auth import Principal, require_role, verify_bearer
from chalicelib.api.errors import PayloadTooLarge, error_response, reshape_chalice_error
from chalicelib.config import get_settings
from chalicelib.domain.errors import DomainError, InvalidRequest

ROLES_ATTRIBUTE = "required_roles"
PRINCIPAL_KEY = "principal"
M = TypeVar("M", bound=BaseModel)
View = Callable[..., Any]


def endpoint(*roles: str) -> Callable[[View], View]:
    """Declare who may call a view (no roles: public) and map domain errors."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except DomainError as error:
                return error_response(error)

        setattr(wrapper, ROLES_ATTRIBUTE, tuple(roles))
        return wrapper

    return decorate


def _route_roles(app: Chalice, request: Request) -> tuple[str, ...] | None:
    resource = str(request.context.get("resourcePath"))
    entry = app.routes.get(resource, {}).get(request.method)
    if entry is None:
        return None
    return tuple(getattr(entry.view_function, ROLES_ATTRIBUTE, ()))


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


def json_body(request: Request, model: type[M]) -> M:
    raw = request.raw_body or b""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("body is not valid JSON", code="malformed_json") from exc
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
