"""HTTP plumbing shared by every blueprint.

* ``http_middleware(app)`` runs before Chalice routes a request: it verifies the bearer
  token for routes that need one (and checks the role), refuses oversized bodies, and gives
  Chalice's own refusals (415, 405, 500) the project's error shape, and refuses query
  parameters on a route that declares none (as routes with a query model refuse unknown
  ones).  A refused request never reaches a handler.
* ``@endpoint(*roles, response=..., request=..., query=...)`` declares a view's roles and
  models, maps ``DomainError`` to responses and validates the view's responses.  Models
  are named, not imported: they live in ``api.schemas`` and are loaded, with pydantic, on
  the first request that needs one (see ``api.validation``), so importing the app stays
  cheap for the queue and schedule functions.
* ``principal()``, ``json_body()``, ``query()``, ``request_settings()`` are what handlers
  use to read a request: the body and the query string parsed by the models their route
  declares, and the settings read once per request.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib.api.auth import Principal, require_role, verify_bearer
from chalicelib.api.errors import PayloadTooLarge, error_response, reshape_chalice_error
from chalicelib.api.keys import resolved
from chalicelib.config import Settings, get_settings
from chalicelib.domain.errors import DomainError, InvalidRequest

if TYPE_CHECKING:
    from pydantic import BaseModel

SPEC_ATTRIBUTE = "route_spec"
PRINCIPAL_KEY = "principal"
SPEC_KEY = "route_spec"
SETTINGS_KEY = "settings"
View = Callable[..., Any]


def _validation() -> ModuleType:
    """``api.validation``, imported on first use (why: see that module)."""
    from chalicelib.api import validation

    return validation


class RouteSpec(NamedTuple):
    """What a route accepts and answers — read by the middleware (roles), by the request
    readers and by the OpenAPI generator, so the document describes what is enforced.
    Models are names of classes in ``api.schemas``."""

    roles: tuple[str, ...]
    response: str
    request: str | None = None
    query: str | None = None
    status: int = 200
    errors: tuple[int, ...] = ()

    def models(self) -> dict[str, type[BaseModel]]:
        """The route's models by role (``response``, ``request``, ``query``), loaded."""
        named = {"response": self.response, "request": self.request, "query": self.query}
        model = _validation().model
        return {role: model(name) for role, name in named.items() if name is not None}


def endpoint(
    *roles: str,
    response: str,
    request: str | None = None,
    query: str | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
) -> Callable[[View], View]:
    """Declare who may call a view (no roles: public) and its models (names in
    ``api.schemas``); map domain errors to responses, and validate every successful
    response through its model."""
    spec = RouteSpec(tuple(roles), response, request, query, status, errors)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                result = view(*args, **kwargs)
            except DomainError as error:  # StorageUnavailable too: 503 with Retry-After
                return error_response(error)
            body = result.body if isinstance(result, Response) else result
            _validation().check_response(spec.response, body)
            return result

        setattr(wrapper, SPEC_ATTRIBUTE, spec)
        return wrapper

    return decorate


def route_spec(view: View) -> RouteSpec | None:
    spec = getattr(view, SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, RouteSpec) else None


def _request_spec(app: Chalice, request: Request) -> RouteSpec | None:
    resource = str(request.context.get("resourcePath"))
    entry = app.routes.get(resource, {}).get(request.method)
    return None if entry is None else route_spec(entry.view_function)


def http_middleware(app: Chalice) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
        spec = _request_spec(app, request)
        request.context[SPEC_KEY] = spec
        roles = spec.roles if spec else ()
        if roles:
            try:
                settings = resolved(get_settings())
                request.context[SETTINGS_KEY] = settings
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
        if spec is not None and spec.query is None and request.query_params:
            names = sorted(request.query_params)
            refused = InvalidRequest(
                "this route takes no query parameters", details={"parameters": names}
            )
            return error_response(refused)
        return reshape_chalice_error(get_response(request))

    return middleware


def request_settings(request: Request) -> Settings:
    """The settings the middleware read for this request (authentication needs them),
    else read now: a request reads the environment once.  Their secrets are filled in
    (``api.keys.resolved``: from SSM, cached per container, when parameters name them)."""
    found = request.context.get(SETTINGS_KEY)
    return found if isinstance(found, Settings) else resolved(get_settings())


def principal(request: Request) -> Principal:
    found = request.context.get(PRINCIPAL_KEY)
    if not isinstance(found, Principal):  # a route without roles asked for a principal
        raise RuntimeError("no verified principal on this request")
    return found


def _declared(request: Request, part: str) -> str:
    spec = request.context.get(SPEC_KEY)
    name = getattr(spec, part, None)
    if not isinstance(name, str):  # the route's @endpoint declares no such model
        raise RuntimeError(f"this route declares no {part} model")
    return name


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


def json_body(request: Request) -> Any:
    """The body, parsed by the route's ``request`` model."""
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
    return _validation().parse(_declared(request, "request"), data, "request body")


def query(request: Request) -> Any:
    """The query string, parsed by the route's ``query`` model."""
    source = request.query_params
    params = {name: source[name] for name in source} if source is not None else {}
    repeated = sorted(name for name in params if source and len(source.getlist(name)) > 1)
    if repeated:
        raise InvalidRequest("repeated query parameters", details={"parameters": repeated})
    return _validation().parse(_declared(request, "query"), params, "query parameters")
