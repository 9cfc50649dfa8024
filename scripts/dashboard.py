"""The stage's CloudWatch operations dashboard (``scripts/infra.py`` puts it in the template).

Three rows: the SLA (what comes in and how it is decided, escalations, breaches, time to
decision, the share decided on time), the exemptions (lag from an upheld decision to the
applied exemption, applied and overdue), and the queues (depth, age of the oldest message,
dead letters, rejected events).  The app's metrics are named from
``chalicelib.observability.METRICS`` with the namespace and the ``service`` dimension the
EMF documents carry; ``tests/unit/test_infrastructure.py`` checks that every metric shown
is one the code emits, so the dashboard cannot drift from the code.

The body is a ``Fn::Sub`` string: ``${AWS::Region}`` is its only substitution.
"""

from __future__ import annotations

from typing import Any

from chalicelib.observability import METRICS, NAMESPACE, SERVICE
from scripts.names import dead_letters, physical_name

PERIOD = 300
REGION = "${AWS::Region}"
WIDTH, HEIGHT = 8, 6


def _app(name: str, stat: str, label: str | None = None) -> list[Any]:
    if name not in METRICS:  # a typo fails `make package`, not the dashboard
        raise ValueError(f"{name} is not a metric the app emits")
    return [NAMESPACE, name, "service", SERVICE, {"stat": stat, "label": label or name}]


def _queue(metric: str, queue: str, label: str) -> list[Any]:
    return ["AWS/SQS", metric, "QueueName", queue, {"stat": "Maximum", "label": label}]


def _widget(title: str, metrics: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": REGION,
            "view": "timeSeries",
            "period": PERIOD,
            "metrics": metrics,
            **extra,
        },
    }


def _header(text: str) -> dict[str, Any]:
    return {"type": "text", "width": 3 * WIDTH, "height": 1, "properties": {"markdown": text}}


def dashboard(stage: str) -> dict[str, Any]:
    facts, sweep = physical_name(stage, "facts"), physical_name(stage, "sweep")
    widgets = [
        _header(f"## SLA ({stage}) — the review queue, and its flow per 5 minutes"),
        _widget(
            "Pending complaints (sampled by each sweep run)",
            [
                _app("PendingComplaints", "Maximum", "pending"),
                _app("EscalatedComplaints", "Maximum", "escalated, still pending"),
                _app("OverdueComplaints", "Maximum", "past their deadline"),
            ],
        ),
        _widget(
            "Submitted, decided, escalated",
            [
                _app("ComplaintsSubmitted", "Sum", "submitted"),
                _app("DecisionsByRules", "Sum", "decided by the rules"),
                _app("DecisionsByOperator", "Sum", "decided by an operator"),
                _app("DecisionsBySla", "Sum", "decided at the deadline"),
                _app("Escalations", "Sum", "escalated"),
            ],
        ),
        _widget(
            "SLA breaches and decisions on time",
            [
                _app("SlaBreaches", "Sum", "breaches"),
                _app("DecisionsWithinSla", "Average", "operator decisions on time (%)"),
            ],
        ),
        _widget(
            "Time to decision (operator decisions)",
            [
                _app("TimeToDecision", "p50", "p50"),
                _app("TimeToDecision", "p95", "p95"),
                _app("TimeToDecision", "Maximum", "max"),
            ],
            yAxis={"left": {"label": "ms", "showUnits": False}},
        ),
        _header("## Exemptions"),
        _widget(
            "Exemption lag (decision → applied)",
            [_app("ExemptionLag", "Maximum", "largest lag of a run")],
            yAxis={"left": {"label": "ms", "showUnits": False}},
        ),
        _widget(
            "Exemptions applied and overdue",
            [
                _app("ExemptionsApplied", "Sum", "applied"),
                _app("ExemptionsOverdue", "Sum", "overdue (alarm)"),
            ],
        ),
        _widget(
            "Exports and appeals",
            [
                _app("ComplaintExports", "Sum", "exports"),
                _app("ComplaintsAppealed", "Sum", "appeals"),
                _app("ComplaintsRecategorised", "Sum", "re-categorised"),
            ],
        ),
        _header("## Queues"),
        _widget(
            "Messages waiting",
            [
                _queue("ApproximateNumberOfMessagesVisible", facts, "facts"),
                _queue("ApproximateNumberOfMessagesVisible", sweep, "sweep"),
            ],
        ),
        _widget(
            "Age of the oldest message (s)",
            [
                _queue("ApproximateAgeOfOldestMessage", facts, "facts"),
                _queue("ApproximateAgeOfOldestMessage", sweep, "sweep"),
            ],
        ),
        _widget(
            "Dead letters and rejected events",
            [
                _queue("ApproximateNumberOfMessagesVisible", dead_letters(facts), "facts DLQ"),
                _queue("ApproximateNumberOfMessagesVisible", dead_letters(sweep), "sweep DLQ"),
                _app("RejectedEvents", "Sum", "rejected fact events"),
            ],
        ),
    ]
    return {"widgets": widgets}
