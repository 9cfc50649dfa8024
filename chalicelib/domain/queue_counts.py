"""How many complaints wait for a decision, and how many of those are escalated: counters
kept with every write that changes a complaint's pending state, so that the SLA report
reads them in a fixed number of requests whatever is pending.  Pure.

A complaint counts in ``pending`` while it is pending, and in ``escalated`` while it is
pending and escalated.  Each write that moves a complaint in or out of either — the
submission of a pending complaint, its escalation, its decision (by a reviewer or the
sweep), an appeal that reopens a rejection — adds ``queue_change(before, after)`` to the
counters in the same atomic write (a re-categorisation moves a pending complaint to a new
id with its escalation: no change).  The counters are split over ``QUEUE_SHARDS`` write
shards by complaint id, so that submissions and decisions made at once seldom write the
same item; a shard's own numbers mean nothing (a complaint can be counted in on one and
out on another after a move, and a shard may go below 0) — only their sum does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from chalicelib.domain.complaints import Complaint, shard_of

#: items the counters are spread over (read together: one Query whatever their number)
QUEUE_SHARDS = 16


class QueueCounts(NamedTuple):
    """Pending complaints, and the escalated ones among them (or a change of both)."""

    pending: int = 0
    escalated: int = 0


def counts_of(complaint: Complaint | None) -> QueueCounts:
    """What one stored complaint (None: none stored) counts for."""
    if complaint is None or not complaint.is_pending:
        return QueueCounts()
    return QueueCounts(1, int(complaint.escalated_at is not None))


def queue_change(before: Complaint | None, after: Complaint | None) -> QueueCounts:
    """What a write that turns the stored ``before`` into ``after`` adds to the counters."""
    was, now = counts_of(before), counts_of(after)
    return QueueCounts(now.pending - was.pending, now.escalated - was.escalated)


def queue_shard(complaint_id: str) -> int:
    """The counters' shard a write about ``complaint_id`` adds to."""
    return int(shard_of(complaint_id, QUEUE_SHARDS))


def total(counts: Iterable[QueueCounts]) -> QueueCounts:
    """The sum of the shards' counters."""
    found = list(counts)
    return QueueCounts(sum(c.pending for c in found), sum(c.escalated for c in found))
