"""What reviewers read: the queue and one complaint (deciding is ``services.decisions``)."""

from __future__ import annotations

from chalicelib.domain.complaints import Complaint
from chalicelib.domain.errors import NotFound
from chalicelib.services.ports import ComplaintLookup, Page, ReviewQueue


def review_queue(complaints: ReviewQueue, *, limit: int, after_key: str | None) -> Page:
    """Pending complaints, earliest deadline first (one Query per write shard, merged)."""
    return complaints.review_queue(limit, after_key)


def complaint_for_review(complaints: ComplaintLookup, complaint_id: str) -> Complaint:
    """Any seller's complaint (reviewers see them all); ``NotFound`` when there is none."""
    complaint = complaints.get(complaint_id)
    if complaint is None:
        raise NotFound("complaint not found")
    return complaint
