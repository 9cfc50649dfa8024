"""Inject DynamoDB faults into the app's own clients through a botocore event hook.

botocore passes ``before-send`` to *every* handler and uses the first response, so moto's
stubber would still execute a request we answer with a fault.  The fault handler therefore
switches moto off for that one request, and another handler switches moto back
on for every other request — a faulted request reaches nothing, as in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from chalicelib.adapters.models import all_models
from chalicelib.config import Settings


@contextmanager
def dynamodb_fault(
    settings: Settings,
    operation: str,
    times: int,
    code: str = "ProvisionedThroughputExceededException",
    details: dict[str, Any] | None = None,
) -> Iterator[dict[str, int]]:
    """The next ``times`` calls of ``operation`` fail with ``code`` (400, retryable), the
    error's body holding ``details`` too (e.g. a cancelled transaction's reasons)."""
    state = {"left": times, "injected": 0}

    faulted: set[int] = set()

    def moto_on(request: Any, **_: Any) -> None:
        # runs after ``fail`` (generic handlers follow specific ones): skip its request.
        # The id is forgotten at once: a later request (a retry) may reuse the address.
        skip = id(request) in faulted
        faulted.discard(id(request))
        botocore_stubber.enabled = not skip

    def fail(request: Any, **_: Any) -> AWSResponse | None:
        if state["left"] <= 0:
            return None
        state["left"] -= 1
        state["injected"] += 1
        botocore_stubber.enabled = False  # moto must not execute the faulted request
        faulted.add(id(request))
        body = json.dumps(
            {
                "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                "message": "injected fault",
                **(details or {}),
            }
        ).encode()
        return AWSResponse(
            request.url,
            400,
            {"x-amzn-RequestId": "fault", "Content-Type": "application/x-amz-json-1.0"},
            MockRawResponse(body),
        )

    clients = {
        id(c): c for c in (m._get_connection().connection.client for m in all_models(settings))
    }.values()
    for client in clients:
        client.meta.events.register_first(
            f"before-send.dynamodb.{operation}", fail, unique_id=f"fault-{operation}"
        )
        client.meta.events.register_first("before-send", moto_on, unique_id="fault-moto-on")
    try:
        yield state
    finally:
        botocore_stubber.enabled = True
        for client in clients:
            client.meta.events.unregister(
                f"before-send.dynamodb.{operation}", unique_id=f"fault-{operation}"
            )
            client.meta.events.unregister("before-send", unique_id="fault-moto-on")
