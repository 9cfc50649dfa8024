"""The log line and EMF document formats CloudWatch depends on."""

import json
import logging
import sys

from chalicelib.observability import SERVICE, JsonFormatter, MetricBuffer


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
    buffer.add("ExemptionLagHours", 2.5)
    buffer.add("ExemptionLagHours", 30.0)
    [document] = buffer.documents(timestamp_ms=1_700_000_000_000)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Ns" and directive["Dimensions"] == [["service"]]
    assert [m["Name"] for m in directive["Metrics"]] == ["Escalations", "ExemptionLagHours"]
    assert document["service"] == SERVICE  # every dimension has its value
    assert document["Escalations"] == 1 and document["ExemptionLagHours"] == [2.5, 30.0]


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
