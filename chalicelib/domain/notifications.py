"""Events published when a complaint changes state (for seller notification and alerts).

Event ids are deterministic (``<complaint_id>:<kind>``): publishing is at-least-once, so a
subscriber de-duplicates on ``event_id``.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.complaints import Complaint
from chalicelib.domain.timeutil import to_iso

DECIDED = "decided"
ESCALATED = "escalated"
EXEMPTION_APPLIED = "exemption_applied"


def complaint_event(complaint: Complaint, kind: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"{complaint.complaint_id}:{kind}",
        "type": f"complaint.{kind}",
        "complaint_id": complaint.complaint_id,
        "seller_id": complaint.seller_id,
        "order_id": complaint.order_id,
        "buyer_id": complaint.buyer_id,
        "scenario": complaint.scenario,
        "status": complaint.status,
        "submitted_at": to_iso(complaint.submitted_at),
        "due_at": to_iso(complaint.due_at),
    }
    if kind == ESCALATED and complaint.escalated_at is not None:
        event["occurred_at"] = to_iso(complaint.escalated_at)
    if kind == DECIDED and complaint.decision is not None:
        decision = complaint.decision
        event.update(
            occurred_at=to_iso(decision.decided_at),
            outcome=decision.outcome,
            reason_code=decision.reason_code,
            decided_by=decision.decided_by,
        )
    if kind == EXEMPTION_APPLIED and complaint.exemption_applied_at is not None:
        event.update(
            occurred_at=to_iso(complaint.exemption_applied_at),
            metrics=[dict(m) for m in complaint.exemption_metrics],
        )
    return event
