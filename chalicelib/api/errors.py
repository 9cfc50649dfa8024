"""Errors -> HTTP, in one place and by type.  Every error body has one shape:
``{"error": {"code": ..., "message": ..., "details": ...}}``.

Storage failures reach the edge as domain errors (``adapters/storage_errors.py``):
``StorageUnavailable`` is a 503 with ``Retry-After``; any other ``StorageError`` is no
``DomainError`` and becomes Chalice's own 500 (logged, re-shaped by the middleware)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    DuplicateComplaint,
    InvalidRequest,
    NotEligible,
    NotFound,
    NotPermitted,
    StorageUnavailable,
    TooLarge,
)


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


RETRY_AFTER_SECONDS = "1"


STATUS_BY_TYPE: dict[type[DomainError], int] = {
    InvalidRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotPermitted: 403,
    NotFound: 404,
    DuplicateComplaint: 409,
    Conflict: 409,
    PayloadTooLarge: 413,
    TooLarge: 413,
    NotEligible: 422,
    StorageUnavailable: 503,
}


def status_for(error: DomainError) -> int:
    for klass in type(error).__mro__:
        if klass in STATUS_BY_TYPE:
            return STATUS_BY_TYPE[klass]
    return 400


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(error: DomainError, headers: dict[str, str] | None = None) -> Response:
    extra: dict[str, str | list[str]] = dict(headers or {})
    if isinstance(error, Unauthenticated):
        extra.setdefault("WWW-Authenticate", 'Bearer realm="seller-report-center"')
    if isinstance(error, StorageUnavailable):
        extra.setdefault("Retry-After", RETRY_AFTER_SECONDS)
    return Response(
        body=error_body(error.code, error.message, error.details),
        status_code=status_for(error),
        headers=extra,
    )


#: Chalice's own refusals (415, 405, 500, ...) use {"Code", "Message"}; re-shaped here.
CHALICE_CODES = {
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed",
    "BadRequestError": "invalid_request",
    "BadRequest": "invalid_request",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


def reshape_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code = CHALICE_CODES.get(body["Code"], "error")
        response.body = error_body(code, body["Message"])
    return response
