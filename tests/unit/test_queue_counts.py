"""What each change of a complaint's pending state adds to the review queue's counters
(``domain/queue_counts.py``)."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.complaints import (
    Complaint,
    appeal,
    decide,
    escalate,
    new_complaint,
    recategorise,
)
from chalicelib.domain.queue_counts import (
    QUEUE_SHARDS,
    QueueCounts,
    counts_of,
    queue_change,
    queue_shard,
    total,
)
from chalicelib.domain.rules import Assessment
from tests.builders import T0

SUBMITTED = new_complaint(
    seller_id="s-1",
    order_id="o-1",
    buyer_id="b-1",
    scenario="malicious_ordering",
    reason=None,
    description="d",
    evidence=(),
    now=T0,
)
ESCALATED = escalate(SUBMITTED, T0 + timedelta(hours=36))


def _rejected(complaint: Complaint) -> Complaint:
    return decide(
        complaint,
        outcome="rejected",
        reason_code="insufficient_evidence",
        decided_by="operator",
        actor="operator:a",
        now=T0 + timedelta(hours=40),
    )


def test_each_change_of_pending_state_moves_the_counters_by_what_it_changes() -> None:
    rejected = _rejected(ESCALATED)
    reopened = appeal(rejected, statement="s", now=T0 + timedelta(days=1))
    moved = recategorise(
        ESCALATED,
        scenario="malicious_review",
        reason=None,
        assessment=Assessment("rejected", "insufficient_evidence", (), T0),
        actor="operator:a",
        note=None,
        now=T0 + timedelta(hours=37),
    )
    assert queue_change(None, SUBMITTED) == QueueCounts(pending=1)
    assert queue_change(SUBMITTED, ESCALATED) == QueueCounts(escalated=1)
    assert queue_change(ESCALATED, rejected) == QueueCounts(pending=-1, escalated=-1)
    assert queue_change(SUBMITTED, _rejected(SUBMITTED)) == QueueCounts(pending=-1)
    # an appeal reopens the rejection, not escalated: its escalation counts from the appeal
    assert queue_change(rejected, reopened) == QueueCounts(pending=1)
    assert queue_change(ESCALATED, moved) == QueueCounts()  # pending under either id
    assert queue_change(None, _rejected(SUBMITTED)) == QueueCounts()  # decided at once
    assert counts_of(None) == QueueCounts()


def test_the_shards_add_up_and_spread_the_writes() -> None:
    assert total([QueueCounts(2, 1), QueueCounts(-1, 0), QueueCounts()]) == QueueCounts(1, 1)
    shards = {queue_shard(f"c_{i:026d}") for i in range(500)}
    assert shards == set(range(QUEUE_SHARDS))
