"""Seller-facing complaint use cases: submit, list, open."""

from __future__ import annotations

from datetime import datetime

from chalicelib.adapters.repository import ComplaintRepository, FactRepository, ListFilter, Page
from chalicelib.domain.complaints import Complaint, new_complaint
from chalicelib.domain.eligibility import check_eligibility
from chalicelib.domain.errors import NotEligible, NotFound
from chalicelib.domain.scenarios import get_scenario
from chalicelib.domain.timeutil import months_before


def submit_complaint(
    complaints: ComplaintRepository,
    facts: FactRepository,
    *,
    seller_id: str,
    order_id: str,
    scenario: str,
    description: str,
    reason: str | None,
    evidence: tuple[str, ...],
    now: datetime,
    decision_hours: int,
) -> Complaint:
    """File a complaint: the order must be the seller's and the scenario eligible.

    Requests: one Query (the order's facts) and one conditional PutItem.  The buyer is
    taken from the order, never from the seller.
    """
    definition = get_scenario(scenario)
    if definition is None:
        raise NotEligible(f"unknown scenario {scenario!r}", code="unknown_scenario")
    order = check_eligibility(definition, seller_id, facts.order_facts(order_id), reason)
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
    )
    complaints.add(complaint)
    return complaint


def listing_window_start(now: datetime, months: int) -> datetime:
    """Sellers see complaints submitted in the last ``months`` calendar months."""
    return months_before(now, months)


def get_complaint(
    complaints: ComplaintRepository,
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
    complaints: ComplaintRepository,
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
    since = listing_window_start(now, months)
    if submitted_from is not None and submitted_from > since:
        since = submitted_from
    until = now if submitted_to is None else min(submitted_to, now)
    if until < since:
        return Page(items=[], last_key=None)
    return complaints.list_for_seller(
        seller_id, since=since, until=until, limit=limit, after_key=after_key, filters=filters
    )
