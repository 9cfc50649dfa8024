"""Structured logs with correlation ids, and EMF metrics, on every kind of handler."""

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.builders import order_event
from tests.functional.conftest import Api, scheduled_event


def _lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            out.append(parsed)
    return out


def _emf(lines: list[dict[str, Any]]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for line in lines:
        if "_aws" in line:
            for definition in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = line[definition["Name"]]
                metrics[definition["Name"]] = sum(value) if isinstance(value, list) else value
    return metrics


def test_http_requests_log_json_with_the_callers_correlation_id_and_emit_metrics(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    api.events(order_event("o-1"))
    capsys.readouterr()
    body = {"order_id": "o-1", "scenario": "malicious_ordering", "description": "x"}
    reply = api.call("POST", "/complaints", body, headers={"X-Correlation-Id": "portal-42"})
    assert reply.status == 201
    assert reply.headers["X-Correlation-Id"] == "portal-42"
    lines = _lines(capsys.readouterr().out)
    request_log = next(line for line in lines if line.get("message") == "request")
    assert request_log["correlation_id"] == "portal-42"
    assert request_log["status"] == 201 and request_log["level"] == "INFO"
    assert request_log["service"] == "seller-report-center"
    assert _emf(lines) == {"ComplaintsSubmitted": 1}


def test_an_unusable_correlation_id_is_replaced(api: Api) -> None:
    reply = api.call("GET", "/health", seller=None, headers={"X-Correlation-Id": "bad id\n"})
    assert reply.headers["X-Correlation-Id"] not in ("", "bad id\n")


def test_jobs_and_queue_consumers_log_and_count_too(
    api: Api, client: Client, clock: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    api.events(order_event("o-1"))
    api.submit("o-1", "malicious_ordering")
    clock.advance(hours=36)
    capsys.readouterr()
    client.lambda_.invoke(
        "sla_sweep",
        scheduled_event(client),
    )
    lines = _lines(capsys.readouterr().out)
    sweep_log = next(line for line in lines if line.get("message") == "sla sweep")
    assert sweep_log["correlation_id"] and sweep_log["actions"] == {"escalated": 1}
    assert _emf(lines) == {"Escalations": 1}
    event = client.events.generate_sqs_event(
        ["{broken", "also broken"], queue_name="seller-report-center-facts"
    )
    client.lambda_.invoke("on_fact_messages", event)
    assert _emf(_lines(capsys.readouterr().out)) == {"RejectedEvents": 2}
