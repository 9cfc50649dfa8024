"""The log line and EMF document formats CloudWatch depends on."""

import ast
import json
import logging
import sys
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import observability
from chalicelib.observability import METRICS, SERVICE, JsonFormatter, MetricBuffer
from tests.conftest import ROOT

#: The recording functions and the unit each one declares.
RECORDERS = {
    "count": "Count",
    "level": "Count",
    "milliseconds": "Milliseconds",
    "percent": "Percent",
}


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"msg": "sla %s", "args": ("sweep",), "levelname": "INFO"})
    record.__dict__.update(extra)
    return record


def test_a_log_line_carries_the_invocation_keys_and_the_extra_fields() -> None:
    formatter = JsonFormatter()
    formatter.keys["correlation_id"] = "c-1"
    line = json.loads(formatter.format(_record(actions={"escalated": 1})))
    assert line["message"] == "sla sweep" and line["level"] == "INFO"
    assert line["service"] == SERVICE and line["correlation_id"] == "c-1"
    assert line["actions"] == {"escalated": 1}
    assert line["timestamp"].endswith("+00:00")
    assert "args" not in line and "msg" not in line


def test_a_logged_exception_is_named_and_its_traceback_kept() -> None:
    try:
        raise TimeoutError("dynamodb")
    except TimeoutError:
        record = _record(exc_info=sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert line["exception_name"] == "TimeoutError"
    assert "dynamodb" in line["exception"]


def test_emf_documents_declare_every_metric_and_keep_repeated_values() -> None:
    buffer = MetricBuffer("Ns", enabled=True)
    buffer.add("Escalations", 1)
    buffer.add("ExemptionLag", 2500, "Milliseconds")
    buffer.add("ExemptionLag", 30000, "Milliseconds")
    buffer.add("DecisionsWithinSla", 100, "Percent")
    [document] = buffer.documents(timestamp_ms=1_700_000_000_000)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Ns" and directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [
        {"Name": "DecisionsWithinSla", "Unit": "Percent"},
        {"Name": "Escalations", "Unit": "Count"},
        {"Name": "ExemptionLag", "Unit": "Milliseconds"},
    ]
    assert document["service"] == SERVICE  # every dimension has its value
    assert document["Escalations"] == 1 and document["ExemptionLag"] == [2500, 30000]


def test_more_than_100_metrics_are_split_across_documents() -> None:
    buffer = MetricBuffer("Ns", enabled=True)
    for n in range(150):
        buffer.add(f"M{n:03}", 1)
    documents = buffer.documents(timestamp_ms=0)
    sizes = [len(d["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for d in documents]
    assert sizes == [100, 50]
    assert all(
        name in d
        for d in documents
        for name in (m["Name"] for m in d["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    )


def test_disabled_metrics_record_nothing() -> None:
    buffer = MetricBuffer("Ns", enabled=False)
    buffer.add("Escalations", 1)
    assert buffer.documents(timestamp_ms=0) == []


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> MetricBuffer:
    buffer = MetricBuffer("Ns", enabled=True)
    monkeypatch.setattr(observability, "_metrics", lambda: buffer)
    return buffer


def test_each_recorder_emits_its_unit_and_durations_in_milliseconds(emitted: MetricBuffer) -> None:
    observability.count("SlaBreaches")
    observability.count("Escalations", 0)  # nothing happened: nothing recorded
    observability.milliseconds("TimeToDecision", timedelta(hours=2, milliseconds=400.4))
    observability.percent("DecisionsWithinSla", 100)
    [document] = emitted.documents(timestamp_ms=0)
    units = {m["Name"]: m["Unit"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {
        "SlaBreaches": "Count",
        "TimeToDecision": "Milliseconds",
        "DecisionsWithinSla": "Percent",
    }
    assert document["TimeToDecision"] == 7_200_400
    assert document["DecisionsWithinSla"] == 100


def test_an_undeclared_metric_or_a_metric_under_another_unit_is_refused(
    emitted: MetricBuffer,
) -> None:
    with pytest.raises(ValueError, match="Typo"):
        observability.count("Typo")
    with pytest.raises(ValueError, match="TimeToDecision"):
        observability.count("TimeToDecision")  # declared in Milliseconds
    assert emitted.values == {}


def _recorded_in_code() -> dict[str, set[str]]:
    """Metric name -> the units it is recorded with by calls in chalicelib/ and app.py."""
    found: dict[str, set[str]] = {}
    for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in RECORDERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, set()).add(RECORDERS[node.func.id])
    return found


def test_every_declared_metric_is_recorded_by_the_code_with_its_unit() -> None:
    """METRICS is what the dashboard and the alarms are checked against: it must hold
    exactly the metrics the code records."""
    recorded: dict[str, Any] = _recorded_in_code()
    assert recorded == {name: {unit} for name, unit in METRICS.items()}
    assert set(METRICS.values()) == {"Count", "Milliseconds", "Percent"}
