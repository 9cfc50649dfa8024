"""What the API gateway itself answers when a request never reaches the app — an unknown
path or method, throttling, a body too large, a timeout — in the app's one error shape,
``{"error": {"code", "message", "details"}}``.

One table serves the deployed API (``scripts.infra`` turns it into API Gateway's
``GatewayResponses``) and the local server of ``make run``, so both answer
alike.  Messages are fixed texts: API Gateway's own message for a request to an unknown
path that carries an ``Authorization`` header quotes that header — the caller's token —
so ``$context.error.message`` is never used.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple


class GatewayResponse(NamedTuple):
    status: int
    code: str
    message: str


#: API Gateway response type -> what the caller gets.
GATEWAY_RESPONSES: dict[str, GatewayResponse] = {
    # REST APIs answer an unknown path, or an unknown method on a known one, with this type
    "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(404, "not_found", "no such route"),
    "ACCESS_DENIED": GatewayResponse(403, "forbidden", "access denied"),
    "UNAUTHORIZED": GatewayResponse(401, "unauthenticated", "missing or invalid credentials"),
    "THROTTLED": GatewayResponse(429, "too_many_requests", "too many requests, retry shortly"),
    "QUOTA_EXCEEDED": GatewayResponse(429, "too_many_requests", "request quota exceeded"),
    "REQUEST_TOO_LARGE": GatewayResponse(413, "payload_too_large", "request too large"),
    "UNSUPPORTED_MEDIA_TYPE": GatewayResponse(
        415, "unsupported_media_type", "unsupported media type"
    ),
    "INTEGRATION_TIMEOUT": GatewayResponse(504, "timeout", "the request timed out"),
    "DEFAULT_4XX": GatewayResponse(400, "request_refused", "the request was refused"),
    "DEFAULT_5XX": GatewayResponse(502, "gateway_error", "the service could not answer"),
}
#: The body API Gateway fills in: ``$context.requestId`` lets support find the request.
REQUEST_ID = "$context.requestId"


def error_body(response: GatewayResponse, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": response.code,
            "message": response.message,
            "details": {"request_id": request_id},
        }
    }


def body_template(response: GatewayResponse) -> str:
    """The ``application/json`` response template of one gateway response."""
    return json.dumps(error_body(response, REQUEST_ID), separators=(",", ":"))
