"""Response shapes: domain objects -> JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.complaints import Complaint
from chalicelib.domain.reasons import reason_text
from chalicelib.domain.scenarios import get_scenario
from chalicelib.domain.timeutil import to_iso


def complaint_view(complaint: Complaint) -> dict[str, Any]:
    scenario = get_scenario(complaint.scenario)
    decision = complaint.decision
    return {
        "complaint_id": complaint.complaint_id,
        "order_id": complaint.order_id,
        "buyer_id": complaint.buyer_id,
        "scenario": complaint.scenario,
        "scenario_name": scenario.name.as_dict() if scenario else None,
        "reason": complaint.reason,
        "description": complaint.description,
        "evidence": list(complaint.evidence),
        "status": complaint.status,
        "submitted_at": to_iso(complaint.submitted_at),
        "due_at": to_iso(complaint.due_at),
        "decided_at": to_iso(decision.decided_at) if decision else None,
        "decision": None
        if decision is None
        else {
            "outcome": decision.outcome,
            "reason_code": decision.reason_code,
            "reason": reason_text(decision.reason_code).as_dict(),
            "decided_by": decision.decided_by,
            "criteria": [dict(c) for c in decision.criteria],
        },
        "history": [
            {"at": to_iso(h.at), "action": h.action, "actor": h.actor} for h in complaint.history
        ],
    }
