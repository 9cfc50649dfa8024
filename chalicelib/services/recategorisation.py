"""Re-categorisation (docs/product.md): a reviewer moves a mis-filed, pending complaint to
the scenario it belongs to, instead of rejecting it."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.complaints import Complaint, SlaPolicy, recategorise
from chalicelib.domain.errors import Conflict, NotEligible
from chalicelib.domain.notifications import RECATEGORISED, complaint_event
from chalicelib.domain.rules import Thresholds
from chalicelib.services.assessment import assess_order
from chalicelib.services.decisions import deliver
from chalicelib.services.eligibility import eligible_order
from chalicelib.services.ports import Ports
from chalicelib.services.review import complaint_for_review


def recategorise_complaint(
    adapters: Ports,
    *,
    complaint_id: str,
    operator_id: str,
    scenario: str,
    reason: str | None,
    note: str | None,
    now: datetime,
    thresholds: Thresholds,
    policy: SlaPolicy,
) -> Complaint:
    """Move a pending complaint to ``scenario`` (with sub-reason ``reason``).

    The order must be eligible for the new scenario exactly as a submission checks it
    (``services.eligibility.eligible_order``: 422 with its reason code), and the seller
    must have no complaint for (order, new scenario) yet (``DuplicateComplaint`` with its
    id).  The complaint gets
    a new id (ids derive from (order, scenario)); the old (order, scenario) is free again.
    Its deadline, escalation, history and evidence stay; it is assessed afresh for the new
    scenario, and stays pending even when that assessment is conclusively "upheld": a
    reviewer is handling it, and decides (or the SLA sweep does, at the deadline).

    Requests: one GetItem; the order's facts and other sellers' upholds (one Query each)
    and the buyer's activity (one Query, or 4–5 past 300 facts, ``services/assessment.py``);
    one more GetItem and one transaction (delete the old item, put the new) in ``move``;
    then delivering the ``complaint.recategorised`` event."""
    complaint = complaint_for_review(adapters.complaints, complaint_id)
    if not complaint.is_pending:
        raise Conflict(
            f"only a pending complaint can be re-categorised; this one is {complaint.status}",
            code="not_pending",
        )
    if scenario == complaint.scenario:
        raise NotEligible(f"the complaint is already a {scenario} complaint", code="same_scenario")
    facts = adapters.facts.order_facts(complaint.order_id)
    definition, _ = eligible_order(complaint.seller_id, facts, scenario, reason)
    assessment = assess_order(
        adapters.complaints,
        adapters.facts,
        scenario=definition.code,
        reason=reason,
        seller_id=complaint.seller_id,
        buyer_id=complaint.buyer_id,
        order=facts,
        now=now,
        thresholds=thresholds,
    )
    moved = recategorise(
        complaint,
        scenario=definition.code,
        reason=reason,
        assessment=assessment,
        actor=f"operator:{operator_id}",
        note=note,
        now=now,
    )
    event = complaint_event(moved, RECATEGORISED)
    adapters.complaints.move(complaint, moved, event, now)
    deliver(adapters, moved, RECATEGORISED, event, policy)
    return moved
