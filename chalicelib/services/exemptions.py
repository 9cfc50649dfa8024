"""Applying an upheld complaint's metric exemption (DESIGN §5), and the hourly job.

Each step is idempotent: exemption records are conditional puts (first wins), counters
move only through ``refresh_order``, the log keeps the first run's "before" values, and the
complaint is marked applied conditionally.  A crash anywhere is repaired by re-running.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.adapters.metrics_repository import ContributionConflict
from chalicelib.adapters.unit import Adapters
from chalicelib.domain.complaints import Complaint, ExemptionPolicy, SlaPolicy
from chalicelib.domain.errors import Conflict
from chalicelib.domain.facts import OrderData
from chalicelib.domain.metrics import EXEMPTION_SCOPES, ORDER_WINDOW, CleaningWindow
from chalicelib.domain.notifications import EXEMPTION_APPLIED, complaint_event
from chalicelib.domain.timeutil import to_iso
from chalicelib.observability import logger
from chalicelib.services.decisions import deliver
from chalicelib.services.metrics import current_values, refresh_order

#: The longest a Lambda function runs (AWS's limit): a job run started at ``now`` does
#: everything before ``now + RUN_LIMIT``.
RUN_LIMIT = timedelta(minutes=15)


def _buyer_orders_at_seller(
    adapters: Adapters, complaint: Complaint, since: datetime, until: datetime
) -> list[str]:
    return [
        a.order_id
        for a in adapters.facts.buyer_activity(complaint.buyer_id, since, until)
        if isinstance(a, OrderData) and a.seller_id == complaint.seller_id
    ]


def apply_exemption(
    adapters: Adapters,
    complaint: Complaint,
    now: datetime,
    policy: ExemptionPolicy,
    sla: SlaPolicy,
) -> Complaint:
    decision = complaint.decision
    assert decision is not None and complaint.status == "upheld"
    metrics = adapters.metrics
    decided_at = decision.decided_at
    entry = metrics.start_exemption_log(
        complaint.seller_id,
        complaint.complaint_id,
        now,
        {
            "complaint_id": complaint.complaint_id,
            "scenario": complaint.scenario,
            "order_id": complaint.order_id,
            "effective_at": to_iso(now),
            "metrics_before": {
                m: v["after_exemptions"]["value"]
                for m, v in current_values(metrics, complaint.seller_id, now).items()
            },
        },
    )
    rows: list[dict[str, Any]] = []
    refresh: set[str] = set()
    for scope, metric_codes in EXEMPTION_SCOPES[complaint.scenario]:
        units: list[tuple[str, str]] = []
        if scope == "order":
            units = [(complaint.order_id, "ORDER")]
        elif scope == "reviews":
            reviews = adapters.facts.order_facts(complaint.order_id).reviews
            units = [
                (complaint.order_id, f"REVIEW#{r.review_id}")
                for r in reviews
                if r.rating <= 2 and r.buyer_id == complaint.buyer_id
            ]
        elif scope == "buyer_orders":
            since = decided_at - timedelta(days=policy.window_days)
            units = [
                (o, "ORDER")
                for o in _buyer_orders_at_seller(adapters, complaint, since, decided_at)
            ]
        elif scope == "cleaning":
            window = CleaningWindow(
                complaint.complaint_id,
                decided_at,
                decided_at + timedelta(days=policy.cleaning_days),
            )
            metrics.put_cleaning(complaint.seller_id, complaint.buyer_id, window)
            # Orders refreshed from now on see the period.  Before, an order may have gone
            # bad in it (a cancellation, a dispute) and been counted without it: refresh
            # every order still in the order metrics' window, placed up to the latest time
            # this run can have stored the period (a Lambda runs at most 15 minutes).
            since = decided_at - timedelta(days=ORDER_WINDOW)
            until = now + RUN_LIMIT
            refresh.update(_buyer_orders_at_seller(adapters, complaint, since, until))
            rows += [
                {
                    "metric": m,
                    "scope": "cleaning_period",
                    "buyer_id": complaint.buyer_id,
                    "from": to_iso(window.start),
                    "until": to_iso(window.end),
                }
                for m in metric_codes
            ]
        for order_id, unit in units:
            for metric in metric_codes:
                metrics.put_exemption(order_id, unit, metric, complaint.complaint_id, now)
                row = {"metric": metric, "scope": "order", "order_id": order_id}
                if unit.startswith("REVIEW#"):
                    row.update(scope="review", review_id=unit.removeprefix("REVIEW#"))
                rows.append(row)
            refresh.add(order_id)
    if refresh:  # all of the complaint's seller and buyer: one read of their cleaning periods
        cleaning = metrics.cleaning_windows(complaint.seller_id, complaint.buyer_id)
        for order_id in sorted(refresh):
            refresh_order(adapters.facts, metrics, order_id, cleaning)
    after = current_values(metrics, complaint.seller_id, now)
    touched = sorted({row["metric"] for row in rows})
    entry = {
        **entry,
        "rows": rows,
        "metrics": [
            {
                "metric": m,
                "before": entry["metrics_before"].get(m),
                "after": after[m]["after_exemptions"]["value"],
            }
            for m in touched
        ],
    }
    entry.pop("metrics_before", None)
    metrics.finish_exemption_log(complaint.seller_id, complaint.complaint_id, entry)
    applied = complaint.with_exemption(now, tuple(entry["metrics"]))
    event = complaint_event(applied, EXEMPTION_APPLIED)
    adapters.complaints.mark_exemption_applied(applied, event, now)
    deliver(adapters, applied, EXEMPTION_APPLIED, event, sla)
    return applied


@dataclass
class ExemptionReport:
    actions: Counter[str] = field(default_factory=Counter)
    #: hours from decision to applied exemption, per exemption applied in this run
    lag_hours: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"actions": dict(self.actions)}


def run_exemption_job(
    adapters: Adapters,
    *,
    now: datetime,
    policy: ExemptionPolicy,
    sla: SlaPolicy,
    batch: int,
) -> ExemptionReport:
    """Apply every upheld complaint's pending exemption, found through the sparse
    ``exemptions_due`` index; alert once on any still unapplied 48 h after its decision.
    One complaint's failure is reported and does not stop the others."""
    report = ExemptionReport()
    for shard in adapters.complaints.shard_names():
        for complaint_id in adapters.complaints.exemption_due_ids(shard, limit=batch):
            complaint = adapters.complaints.get(complaint_id)
            if complaint is None or complaint.decision is None:
                continue
            if complaint.status != "upheld" or complaint.exemption_applied_at is not None:
                adapters.complaints.clear_exemption_due(complaint_id)
                report.actions["cleared"] += 1
                continue
            overdue = now - complaint.decision.decided_at >= policy.alert_after
            if overdue and adapters.complaints.mark_exemption_alerted(complaint_id, now):
                adapters.publisher.publish(complaint_event(complaint, "exemption_overdue"))
                report.actions["alerted"] += 1
            try:
                applied = apply_exemption(adapters, complaint, now, policy, sla)
            except Conflict:
                report.actions["raced"] += 1
            except (ContributionConflict, PynamoDBException, BotoCoreError, ClientError):
                logger().exception(
                    "exemption failed; the next run retries", extra={"complaint_id": complaint_id}
                )
                report.actions["failed"] += 1
            else:
                report.actions["applied"] += 1
                assert applied.exemption_applied_at is not None
                lag = applied.exemption_applied_at - complaint.decision.decided_at
                report.lag_hours.append(lag.total_seconds() / 3600)
    return report
