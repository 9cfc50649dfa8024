"""Structured logs with correlation ids, and EMF metrics, on every kind of handler."""

import json
import socket
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
    assert sweep_log["queue"] == {"pending": 1, "escalated": 1, "overdue": 0}
    # the queue's levels after the run, 0s included (a level's graph has no gaps)
    assert _emf(lines) == {
        "Escalations": 1,
        "PendingComplaints": 1,
        "EscalatedComplaints": 1,
        "OverdueComplaints": 0,
    }
    event = client.events.generate_sqs_event(
        ["{broken", "also broken"], queue_name="seller-report-center-facts"
    )
    client.lambda_.invoke("on_fact_messages", event)
    assert _emf(_lines(capsys.readouterr().out)) == {"RejectedEvents": 2}


def test_under_xray_each_request_is_annotated_with_its_complaint_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.events(order_event("o-1"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(2)
        host, port = daemon.getsockname()
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"{host}:{port}")
        monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3f;Parent=53995c3f;Sampled=1")
        created = api.submit("o-1", "malicious_ordering").body["complaint_id"]
        api.call("GET", f"/complaints/{created}", headers={"X-Correlation-Id": "portal-7"})
        documents = [json.loads(daemon.recv(65_536).split(b"\n", 1)[1]) for _ in range(2)]
    assert documents[0]["annotations"]["complaint_id"] == created  # from the new complaint
    assert documents[1]["annotations"] == {"complaint_id": created, "correlation_id": "portal-7"}
