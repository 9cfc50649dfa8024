"""Response shapes: domain objects -> JSON-ready dicts.

Sellers see the decision with its reason (中文/English) and the criteria, with the unmet
ones named; reviewers additionally see the seller, the rules' recommendation, escalation and
who did what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.complaints import Complaint, Decision, appeal_until
from chalicelib.domain.facts import OrderData, OrderSummary
from chalicelib.domain.reasons import reason_text
from chalicelib.domain.rules import Assessment, met_alternative, unmet_names
from chalicelib.domain.scenarios import get_scenario
from chalicelib.domain.timeutil import to_iso
from chalicelib.services.eligibility import ScenarioEligibility


def _role(actor: str) -> str:
    return actor.split(":", 1)[0]


def _assessment_view(assessment: Assessment) -> dict[str, Any]:
    return {
        "outcome": assessment.outcome,
        "reason_code": assessment.reason_code,
        "reason": reason_text(assessment.reason_code).as_dict(),
        "assessed_at": to_iso(assessment.assessed_at),
        "criteria": list(assessment.criteria_dicts()),
        "met_alternative": assessment.met_alternative,
    }


def _criterion(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A decision's criterion as stored; ``alternative`` is None in decisions stored before
    criteria named their rule path."""
    return {**stored, "alternative": stored.get("alternative") or None}


def attachment_view(attachment: Attachment) -> dict[str, Any]:
    """An evidence file as sellers and reviewers see it (its storage key is never shown)."""
    return {
        "attachment_id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "status": attachment.status,
        "uploaded_at": to_iso(attachment.uploaded_at) if attachment.uploaded_at else None,
    }


def _decision_view(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "reason_code": decision.reason_code,
        "reason": reason_text(decision.reason_code).as_dict(),
        "decided_by": decision.decided_by,
        "decided_at": to_iso(decision.decided_at),
        "criteria": [_criterion(c) for c in decision.criteria],
        "met_alternative": (
            met_alternative(decision.criteria) if decision.outcome == "upheld" else None
        ),
        "unmet_criteria": unmet_names(decision.outcome, decision.criteria),
    }


def _appeal_view(complaint: Complaint) -> dict[str, Any] | None:
    appeal = complaint.appeal
    if appeal is None:
        return None
    return {
        "statement": appeal.statement,
        "submitted_at": to_iso(appeal.submitted_at),
        "previous_decision": _decision_view(appeal.previous_decision),
    }


def complaint_view(complaint: Complaint, settings: Settings) -> dict[str, Any]:
    """What the seller who filed it sees (the exemption's due time from the exemption policy
    the repository schedules the job with; ``appeal_until`` from ``APPEAL_DAYS``)."""
    scenario = get_scenario(complaint.scenario)
    decision = complaint.decision
    until = appeal_until(complaint, settings.appeal_days)
    current = None
    if decision is not None:
        current = _decision_view(decision)
        del current["decided_at"]  # the complaint's own ``decided_at``
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
        "decision": current,
        "appeal": _appeal_view(complaint),
        "appeal_until": to_iso(until) if until else None,
        "exemption": complaint.exemption_state(settings.exemption_policy.due_after),
        "history": [
            {"at": to_iso(h.at), "action": h.action, "actor": _role(h.actor)}
            for h in complaint.history
        ],
        "attachments": [attachment_view(a) for a in complaint.attachments],
    }


def review_view(complaint: Complaint, settings: Settings) -> dict[str, Any]:
    """What a platform reviewer sees."""
    view = complaint_view(complaint, settings)
    view["seller_id"] = complaint.seller_id
    view["escalated_at"] = to_iso(complaint.escalated_at) if complaint.escalated_at else None
    view["recommendation"] = (
        _assessment_view(complaint.assessment) if complaint.assessment else None
    )
    if complaint.decision is not None:
        view["decision"]["note"] = complaint.decision.note
        view["decision"]["actor"] = complaint.decision.actor
    if complaint.appeal is not None:
        previous = complaint.appeal.previous_decision
        view["appeal"]["previous_decision"].update(note=previous.note, actor=previous.actor)
    view["history"] = [h.as_dict() for h in complaint.history]
    return view


def order_view(order: OrderSummary | OrderData) -> dict[str, Any]:
    """One of the seller's orders, as the filing form lists it."""
    return {
        "order_id": order.order_id,
        "buyer_id": order.buyer_id,
        "status": order.status,
        "placed_at": to_iso(order.placed_at),
    }


def _refusal(code: str | None) -> dict[str, Any] | None:
    return None if code is None else reason_text(code).as_dict()


def _sub_reason_name(answer: ScenarioEligibility, code: str) -> dict[str, str]:
    return next(r.name.as_dict() for r in answer.scenario.sub_reasons if r.code == code)


def eligibility_view(order: OrderData, answers: list[ScenarioEligibility]) -> dict[str, Any]:
    """The order and, per scenario, whether the seller may file it (with the refusal's
    code and text in 中文/English when not), per sub-reason, and the complaint already
    filed."""
    return {
        **order_view(order),
        "scenarios": [
            {
                "scenario": a.scenario.code,
                "scenario_name": a.scenario.name.as_dict(),
                "eligible": a.eligible,
                "reason_code": a.reason_code,
                "reason": _refusal(a.reason_code),
                "sub_reasons": [
                    {
                        "code": sub.code,
                        "name": _sub_reason_name(a, sub.code),
                        "eligible": sub.eligible,
                        "reason_code": sub.reason_code,
                        "reason": _refusal(sub.reason_code),
                    }
                    for sub in a.sub_reasons
                ],
                "complaint_id": a.complaint_id,
            }
            for a in answers
        ],
    }
