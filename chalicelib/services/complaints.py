"""Seller-facing complaint use cases: submit, appeal, list, open."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.complaints import (
    Complaint,
    SlaPolicy,
    appeal,
    decide_as_assessed,
    new_complaint,
)
from chalicelib.domain.errors import NotFound
from chalicelib.domain.notifications import APPEALED, DECIDED, complaint_event
from chalicelib.domain.rules import Thresholds
from chalicelib.domain.timeutil import months_before
from chalicelib.services.assessment import assess_order
from chalicelib.services.decisions import deliver
from chalicelib.services.eligibility import eligible_order
from chalicelib.services.ports import (
    ComplaintLookup,
    ListFilter,
    Page,
    Ports,
    SellerComplaints,
)


def submit_complaint(
    adapters: Ports,
    *,
    seller_id: str,
    order_id: str,
    scenario: str,
    description: str,
    reason: str | None,
    evidence: tuple[str, ...],
    now: datetime,
    decision_hours: int,
    thresholds: Thresholds,
    policy: SlaPolicy,
) -> Complaint:
    """File a complaint: the order must be the seller's and the scenario eligible
    (``services.eligibility.eligible_order``, the check ``GET /orders/{id}/eligibility``
    answers with).

    The complaint is assessed at once.  A conclusive uphold decides it immediately
    (``decided_by: rules``); otherwise it stays pending with the recommendation attached.
    Requests: the order's facts and other sellers' upholds (one Query each), the buyer's
    activity (``services/assessment.py``: one Query, or 4–5 past 300 facts in the window,
    whatever its history) and one conditional PutItem — after an immediate decision, a
    transaction of it and the day's SLA counters instead, then recording the decision's
    time (if the day's slowest) and delivering its event.  The buyer is taken from the
    order, never from the seller.
    """
    facts = adapters.facts.order_facts(order_id)
    definition, order = eligible_order(seller_id, facts, scenario, reason)
    assessment = assess_order(
        adapters.complaints,
        adapters.facts,
        scenario=definition.code,
        reason=reason,
        seller_id=seller_id,
        buyer_id=order.buyer_id,
        order=facts,
        now=now,
        thresholds=thresholds,
    )
    complaint = new_complaint(
        seller_id=seller_id,
        order_id=order.order_id,
        buyer_id=order.buyer_id,
        scenario=definition.code,
        reason=reason,
        description=description,
        evidence=evidence,
        now=now,
        decision_hours=decision_hours,
        assessment=assessment,
    )
    if assessment.outcome != "upheld":
        adapters.complaints.add(complaint, sweep_at=policy.next_action_at(complaint))
        return complaint
    decided = decide_as_assessed(complaint, assessment, by="rules", now=now)
    event = complaint_event(decided, DECIDED)
    adapters.complaints.add(decided, sweep_at=now, outbox={DECIDED: event})
    deliver(adapters, decided, DECIDED, event, policy)
    return decided


def appeal_complaint(
    adapters: Ports,
    *,
    seller_id: str,
    complaint_id: str,
    statement: str,
    now: datetime,
    months: int,
    appeal_days: int,
    decision_hours: int,
    policy: SlaPolicy,
) -> Complaint:
    """The seller's one appeal of a rejected complaint of theirs (docs/product.md): pending
    again, due ``decision_hours`` from now, in the review queue and the SLA sweep like a
    new complaint.  Not re-assessed here and never decided at once: an appeal asks for a
    second look by a reviewer other than the one who rejected it; the sweep, if it decides,
    assesses afresh then.  Requests: one GetItem, one conditional UpdateItem, then
    delivering the ``complaint.appealed`` event (one UpdateItem)."""
    complaint = get_complaint(
        adapters.complaints, seller_id=seller_id, complaint_id=complaint_id, now=now, months=months
    )
    appealed = appeal(
        complaint,
        statement=statement,
        now=now,
        appeal_days=appeal_days,
        decision_hours=decision_hours,
    )
    event = complaint_event(appealed, APPEALED)
    adapters.complaints.save_appeal(appealed, event, now)
    deliver(adapters, appealed, APPEALED, event, policy)
    return appealed


def listing_window_start(now: datetime, months: int) -> datetime:
    """Sellers see complaints submitted in the last ``months`` calendar months."""
    return months_before(now, months)


def seller_window(
    now: datetime, months: int, submitted_from: datetime | None, submitted_to: datetime | None
) -> tuple[datetime, datetime] | None:
    """[since, until] a seller may read (list, export): the last ``months`` months up to
    ``now``, narrowed by the request's ``from``/``to``; None when nothing is left."""
    since = listing_window_start(now, months)
    if submitted_from is not None and submitted_from > since:
        since = submitted_from
    until = now if submitted_to is None else min(submitted_to, now)
    return None if until < since else (since, until)


def get_complaint(
    complaints: ComplaintLookup,
    *,
    seller_id: str,
    complaint_id: str,
    now: datetime,
    months: int,
) -> Complaint:
    """One of the seller's complaints; another seller's, or one older than the listing
    window, is the same 404 as a missing one."""
    complaint = complaints.get(complaint_id)
    if (
        complaint is None
        or complaint.seller_id != seller_id
        or complaint.submitted_at < listing_window_start(now, months)
    ):
        raise NotFound("complaint not found")
    return complaint


def list_complaints(
    complaints: SellerComplaints,
    *,
    seller_id: str,
    now: datetime,
    months: int,
    submitted_from: datetime | None,
    submitted_to: datetime | None,
    filters: ListFilter,
    limit: int,
    after_key: str | None,
) -> Page:
    window = seller_window(now, months, submitted_from, submitted_to)
    if window is None:
        return Page(items=[], last_key=None)
    since, until = window
    return complaints.list_for_seller(
        seller_id, since=since, until=until, limit=limit, after_key=after_key, filters=filters
    )
