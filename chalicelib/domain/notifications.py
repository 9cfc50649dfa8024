"""Events published when a complaint changes state (for seller notification and alerts).

Event ids are deterministic (``<complaint_id>:<submitted>:<kind>``, with ``appeal:`` before
the kind for the events of an appeal's review): publishing is at-least-once, so a subscriber
de-duplicates on ``event_id``.  The submission time keeps ids unique when a complaint id is
used again — a re-categorisation frees its old (order, scenario), which the seller may file
anew — and the ``appeal:`` marker when a complaint is escalated or decided a second time.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.complaints import Complaint
from chalicelib.domain.timeutil import to_iso

DECIDED = "decided"
ESCALATED = "escalated"
EXEMPTION_APPLIED = "exemption_applied"
APPEALED = "appealed"
RECATEGORISED = "recategorised"
#: The kinds a complaint can go through again once appealed.
_REVIEW_KINDS = (ESCALATED, DECIDED, EXEMPTION_APPLIED)


def event_id(complaint: Complaint, kind: str) -> str:
    submitted = complaint.submitted_at.strftime("%Y%m%dT%H%M%S")
    again = "appeal:" if complaint.appeal is not None and kind in _REVIEW_KINDS else ""
    return f"{complaint.complaint_id}:{submitted}:{again}{kind}"


def complaint_event(complaint: Complaint, kind: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id(complaint, kind),
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
    if kind == APPEALED and complaint.appeal is not None:
        event.update(
            occurred_at=to_iso(complaint.appeal.submitted_at),
            previous_outcome=complaint.appeal.previous_decision.outcome,
        )
    if kind == RECATEGORISED:
        moved = next(h for h in reversed(complaint.history) if h.action == RECATEGORISED)
        event.update(
            occurred_at=to_iso(moved.at),
            previous_complaint_id=moved.details["from_complaint_id"],
            previous_scenario=moved.details["from"],
        )
    return event
