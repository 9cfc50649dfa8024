"""Structured logs and CloudWatch metrics (EMF), through AWS Lambda Powertools.

``observability_middleware`` wraps every handler — HTTP, queue and schedule — so each
invocation logs JSON lines carrying a ``correlation_id`` (an HTTP caller may send its own in
``X-Correlation-Id``; it is echoed back) and flushes the metrics recorded during it as one
EMF document on stdout, which CloudWatch turns into metrics.  Nothing is built at import
time; the Powertools objects are created on first use and reused by warm invocations.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Request, Response

SERVICE = "seller-report-center"
NAMESPACE = "SellerReportCenter"
CORRELATION_HEADER = "X-Correlation-Id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is now (Lambda's, or a test's capture)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@lru_cache(maxsize=1)
def logger() -> Logger:
    return Logger(
        service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE), logger_handler=_StdoutHandler()
    )


@lru_cache(maxsize=1)
def _metrics() -> Metrics:
    return Metrics(
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE),
        service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE),
    )


def count(name: str, value: float = 1) -> None:
    if value:
        _metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def hours(name: str, value: float) -> None:
    _metrics().add_metric(name=name, unit=MetricUnit.Count, value=round(value, 3))


def _correlation_id(event: Any) -> str:
    if isinstance(event, Request):
        given = event.headers.get(CORRELATION_HEADER.lower()) if event.headers else None
        if given and _VALID_ID.match(given):
            return str(given)
    context = getattr(event, "context", None)
    request_id = getattr(context, "aws_request_id", None)
    if isinstance(event, Request):
        request_id = (event.context or {}).get("requestId") or request_id
    return str(request_id or uuid.uuid4())


def observability_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    correlation_id = _correlation_id(event)
    log = logger()
    log.append_keys(correlation_id=correlation_id)
    try:
        response = get_response(event)
        if isinstance(response, Response):
            response.headers[CORRELATION_HEADER] = correlation_id
            if isinstance(event, Request):
                log.info(
                    "request",
                    extra={
                        "method": event.method,
                        "path": event.path,
                        "status": response.status_code,
                    },
                )
        return response
    finally:
        log.remove_keys(["correlation_id"])
        metrics = _metrics()
        if metrics.metric_set:
            metrics.flush_metrics()
