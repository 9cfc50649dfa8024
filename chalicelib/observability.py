"""Structured logs and CloudWatch metrics (EMF), with the standard library only.

``observability_middleware`` wraps every handler — HTTP, queue and schedule — so each
invocation logs JSON lines carrying a ``correlation_id`` (an HTTP caller may send its own in
``X-Correlation-Id``; it is echoed back), flushes the metrics recorded during it as one
Embedded Metric Format document on stdout, which CloudWatch turns into metrics, and, under
X-Ray, annotates its trace with the correlation id and the complaint id of a
``/complaints/{complaint_id}...`` route (``chalicelib/tracing.py``).

These used to come from AWS Lambda Powertools; two small features did not justify the
largest import left in every function's cold start.  Nothing is built at import time; the
logger and the metric buffer are created on first use and reused by warm invocations.

Environment (read on first use): ``LOG_LEVEL`` (default INFO), ``METRICS_NAMESPACE``
(default ``SellerReportCenter``), ``METRICS_DISABLED=true`` (no EMF output; the bench).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from chalice.app import Request, Response

from chalicelib.tracing import annotate, traced

SERVICE = "seller-report-center"
NAMESPACE = "SellerReportCenter"
CORRELATION_HEADER = "X-Correlation-Id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
#: CloudWatch reads at most 100 metrics from one EMF document.
_EMF_MAX_METRICS = 100
#: Every metric the app emits, with its CloudWatch unit: ``count``, ``milliseconds`` and
#: ``percent`` refuse any other name or a name of another unit, so this is the complete
#: list the template's dashboard and alarms are checked against
#: (``tests/unit/test_observability_format.py``, ``tests/unit/test_infrastructure.py``).
METRICS: dict[str, str] = {
    "ComplaintsSubmitted": "Count",
    "ComplaintsAppealed": "Count",
    "ComplaintsRecategorised": "Count",
    "ComplaintExports": "Count",
    "DecisionsByRules": "Count",
    "DecisionsByOperator": "Count",
    "DecisionsBySla": "Count",
    "Escalations": "Count",
    "SlaBreaches": "Count",
    # From submission (or the appeal's filing) to the decision, per operator decision.
    "TimeToDecision": "Milliseconds",
    # 100 for an operator decision made by its deadline, 0 for one after it: the average
    # is the share on time.
    "DecisionsWithinSla": "Percent",
    "ExemptionsApplied": "Count",
    "ExemptionsOverdue": "Count",
    # From an upheld decision to its applied exemption: the largest of a job run.
    "ExemptionLag": "Milliseconds",
    "RejectedEvents": "Count",
    # Levels, sampled by each sweep run (every 5 minutes) from the review queue's counters:
    # complaints waiting for a decision, those of them escalated, and those past deadline.
    "PendingComplaints": "Count",
    "EscalatedComplaints": "Count",
    "OverdueComplaints": "Count",
}


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is now (Lambda's, or a test's capture)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line: level, location, message, timestamp, service, the keys of
    the current invocation (``keys``), the record's ``extra`` fields, and any exception."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, Any] = {}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "level": record.levelname,
            "location": f"{record.funcName}:{record.lineno}",
            "message": record.getMessage(),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "service": SERVICE,
            **self.keys,
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _RECORD_FIELDS)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_name"] = record.exc_info[0].__name__
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


@lru_cache(maxsize=1)
def _formatter() -> JsonFormatter:
    return JsonFormatter()


@lru_cache(maxsize=1)
def logger() -> logging.Logger:
    log = logging.getLogger(SERVICE)
    handler = _StdoutHandler()
    handler.setFormatter(_formatter())
    log.handlers[:] = [handler]
    log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    log.propagate = False  # Lambda's root handler would print each line a second time
    return log


class MetricBuffer:
    """Values recorded during one invocation, written as EMF documents by ``flush``.
    A metric recorded several times keeps every value (EMF takes a list), so averages and
    sample counts stay right for durations."""

    def __init__(self, namespace: str, enabled: bool) -> None:
        self.namespace = namespace
        self.enabled = enabled
        self.values: dict[str, list[float]] = {}
        self.units: dict[str, str] = {}

    def add(self, name: str, value: float, unit: str = "Count") -> None:
        if self.enabled:
            self.values.setdefault(name, []).append(value)
            self.units[name] = unit

    def documents(self, timestamp_ms: int) -> list[dict[str, Any]]:
        names = sorted(self.values)
        out = []
        for start in range(0, len(names), _EMF_MAX_METRICS):
            chunk = names[start : start + _EMF_MAX_METRICS]
            document: dict[str, Any] = {
                "_aws": {
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": self.namespace,
                            "Dimensions": [["service"]],
                            "Metrics": [{"Name": name, "Unit": self.units[name]} for name in chunk],
                        }
                    ],
                },
                "service": SERVICE,
            }
            for name in chunk:
                values = self.values[name]
                document[name] = values[0] if len(values) == 1 else values
            out.append(document)
        return out

    def flush(self) -> None:
        for document in self.documents(int(time.time() * 1000)):
            sys.stdout.write(json.dumps(document) + "\n")
        self.values.clear()
        self.units.clear()


@lru_cache(maxsize=1)
def _metrics() -> MetricBuffer:
    return MetricBuffer(
        namespace=os.environ.get("METRICS_NAMESPACE", NAMESPACE),
        enabled=os.environ.get("METRICS_DISABLED", "").lower() != "true",
    )


def _record(name: str, value: float, unit: str) -> None:
    if METRICS.get(name) != unit:
        raise ValueError(f"metric {name!r} is not declared with unit {unit} in METRICS")
    _metrics().add(name, value, unit)


def count(name: str, value: float = 1) -> None:
    """``value`` occurrences (nothing is recorded for 0)."""
    if value:
        _record(name, value, "Count")


def level(name: str, value: int) -> None:
    """How many there are now (a sample, recorded when 0 too: a level's graph has no gaps)."""
    _record(name, value, "Count")


def milliseconds(name: str, duration: timedelta) -> None:
    _record(name, round(duration.total_seconds() * 1000), "Milliseconds")


def percent(name: str, value: float) -> None:
    """A share from 0 to 100 (one sample; CloudWatch's average over samples is the share)."""
    _record(name, value, "Percent")


def _correlation_id(event: Any) -> str:
    """An HTTP caller's valid ``X-Correlation-Id``, else the request id (API Gateway's for
    HTTP, Lambda's for queue and schedule events), else a fresh one."""
    if isinstance(event, Request):
        given = event.headers.get(CORRELATION_HEADER.lower()) if event.headers else None
        if given and _VALID_ID.match(given):
            return str(given)
        request_id = (event.context or {}).get("requestId")
    else:
        request_id = getattr(getattr(event, "context", None), "aws_request_id", None)
    return str(request_id or uuid.uuid4())


def observability_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    correlation_id = _correlation_id(event)
    keys = _formatter().keys
    keys["correlation_id"] = correlation_id
    try:
        with traced(SERVICE):
            annotate("correlation_id", correlation_id)
            if isinstance(event, Request):
                complaint_id = (event.uri_params or {}).get("complaint_id")
                if complaint_id:
                    annotate("complaint_id", complaint_id)
            response = get_response(event)
        if isinstance(response, Response):
            response.headers[CORRELATION_HEADER] = correlation_id
            if isinstance(event, Request):
                logger().info(
                    "request",
                    extra={
                        "method": event.method,
                        "path": event.path,
                        "status": response.status_code,
                    },
                )
        return response
    finally:
        keys.clear()
        _metrics().flush()
