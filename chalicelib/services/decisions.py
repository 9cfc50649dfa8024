"""Deciding complaints — by a reviewer, by the rules at submission, or by the SLA sweep —
and delivering the events each state change leaves in the complaint's outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.complaints import (
    Complaint,
    SlaPolicy,
    decide,
    decide_as_assessed,
    escalate,
)
from chalicelib.domain.errors import InvalidRequest, NotPermitted
from chalicelib.domain.notifications import DECIDED, ESCALATED, complaint_event
from chalicelib.domain.rules import Thresholds
from chalicelib.domain.scenarios import get_scenario
from chalicelib.domain.sla_days import decision_sample
from chalicelib.services.assessment import assess_order
from chalicelib.services.ports import Ports
from chalicelib.services.review import complaint_for_review


def deliver(
    adapters: Ports, complaint: Complaint, kind: str, event: dict[str, Any], policy: SlaPolicy
) -> None:
    """Publish an outbox event, then take it out of the outbox.  A crash in between leaves
    it there for the sweep to deliver again (subscribers de-duplicate on ``event_id``).
    A decision's event first records the decision as its day's slowest if it is: kept
    apart from the day's counters (``SlowestDecisions``), and as sure to happen as the
    event's delivery."""
    if kind == DECIDED and complaint.decision is not None:  # (None: appealed since)
        adapters.complaints.record_slowest(decision_sample(complaint))
    adapters.publisher.publish(event)
    adapters.complaints.event_delivered(complaint, kind, policy.next_action_at(complaint))


def _record_decision(
    adapters: Ports, decided: Complaint, now: datetime, policy: SlaPolicy
) -> Complaint:
    """Save a decision of a stored complaint (``Conflict`` when it was decided meanwhile),
    then deliver its event."""
    event = complaint_event(decided, DECIDED)
    adapters.complaints.save_decision(decided, event, now)
    deliver(adapters, decided, DECIDED, event, policy)
    return decided


def decide_by_operator(
    adapters: Ports,
    *,
    complaint_id: str,
    operator_id: str,
    outcome: str,
    reason_code: str,
    note: str | None,
    now: datetime,
    policy: SlaPolicy,
) -> Complaint:
    complaint = complaint_for_review(adapters.complaints, complaint_id)
    actor = f"operator:{operator_id}"
    if complaint.appeal is not None and complaint.appeal.previous_decision.actor == actor:
        raise NotPermitted(
            "the reviewer who made the appealed decision cannot decide the appeal",
            code="same_reviewer",
        )
    scenario = get_scenario(complaint.scenario)
    if scenario is None:  # a complaint of a scenario no longer registered
        raise InvalidRequest(f"unknown scenario {complaint.scenario!r}", code="unknown_scenario")
    allowed = scenario.decision_reasons(complaint.reason)[outcome]
    if reason_code not in allowed:
        raise InvalidRequest(
            f"reason_code {reason_code!r} does not fit outcome {outcome!r} "
            f"of a {complaint.scenario} complaint",
            code="invalid_reason_code",
            details={"allowed": list(allowed)},
        )
    criteria = complaint.assessment.criteria_dicts() if complaint.assessment else ()
    decided = decide(
        complaint,
        outcome=outcome,  # type: ignore[arg-type]
        reason_code=reason_code,
        decided_by="operator",
        actor=actor,
        now=now,
        note=note,
        criteria=criteria,
    )
    return _record_decision(adapters, decided, now, policy)


def decide_by_sla(
    adapters: Ports,
    complaint: Complaint,
    now: datetime,
    thresholds: Thresholds,
    policy: SlaPolicy,
) -> Complaint:
    """Decide from a fresh assessment before the deadline passes."""
    assessment = assess_order(
        adapters.complaints,
        adapters.facts,
        scenario=complaint.scenario,
        reason=complaint.reason,
        seller_id=complaint.seller_id,
        buyer_id=complaint.buyer_id,
        order=adapters.facts.order_facts(complaint.order_id),
        now=now,
        thresholds=thresholds,
    )
    decided = decide_as_assessed(complaint, assessment, by="sla", now=now)
    return _record_decision(adapters, decided, now, policy)


def escalate_by_sla(
    adapters: Ports, complaint: Complaint, now: datetime, policy: SlaPolicy
) -> Complaint:
    escalated = escalate(complaint, now)
    event = complaint_event(escalated, ESCALATED)
    adapters.complaints.save_escalation(escalated, event, now)
    deliver(adapters, escalated, ESCALATED, event, policy)
    return escalated
