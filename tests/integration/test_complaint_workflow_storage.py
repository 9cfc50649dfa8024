"""The complaint repository's workflow operations on moto: indexes, conditional writes."""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.models import complaint_model
from chalicelib.config import Settings
from chalicelib.domain.complaints import Complaint, SlaPolicy, decide, escalate, new_complaint
from chalicelib.domain.errors import Conflict
from chalicelib.domain.sla_days import bin_of
from tests.builders import T0

pytestmark = pytest.mark.usefixtures("aws")
POLICY = SlaPolicy()


def _add(
    repo: ComplaintRepository,
    order_id: str,
    *,
    hours: float = 0,
    seller: str = "s-1",
    buyer: str = "b-1",
) -> Complaint:
    complaint = new_complaint(
        seller_id=seller,
        order_id=order_id,
        buyer_id=buyer,
        scenario="malicious_ordering",
        reason=None,
        description="d",
        evidence=(),
        now=T0 + timedelta(hours=hours),
    )
    repo.add(complaint, sweep_at=POLICY.next_action_at(complaint))
    return complaint


def _decide(
    repo: ComplaintRepository,
    complaint: Complaint,
    hours: float,
    by: str = "operator",
    outcome: str = "upheld",
) -> Complaint:
    decided = decide(
        complaint,
        outcome=outcome,
        reason_code="complaint_upheld",  # type: ignore[arg-type]
        decided_by=by,
        actor=by,
        now=complaint.submitted_at + timedelta(hours=hours),
    )  # type: ignore[arg-type]
    repo.save_decision(decided, {"event_id": "x"}, decided.decision.decided_at)  # type: ignore[union-attr]
    return decided


def test_due_index_holds_only_complaints_with_sweep_work(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    a, b = _add(repo, "o-a"), _add(repo, "o-b", hours=10)
    at_36h = T0 + timedelta(hours=36)
    due = [e.complaint_id for s in repo.shard_names() for e in repo.due_page(s, at_36h).entries]
    assert due == [a.complaint_id]
    decided = _decide(repo, b, 1)
    repo.event_delivered(decided, "decided", None)
    later = T0 + timedelta(days=5)
    due = [e.complaint_id for s in repo.shard_names() for e in repo.due_page(s, later).entries]
    assert due == [a.complaint_id]  # b left the index once decided and delivered
    stored = complaint_model(settings).get(b.complaint_id)
    assert stored.sweep_at is None and stored.queue_key is None and stored.outbox == {}


def test_escalation_is_recorded_once(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    complaint = _add(repo, "o-a")
    escalated = escalate(complaint, T0 + timedelta(hours=36))
    repo.save_escalation(escalated, {"event_id": "e"}, T0 + timedelta(hours=36))
    with pytest.raises(Conflict):
        repo.save_escalation(escalated, {"event_id": "e"}, T0 + timedelta(hours=36, minutes=5))
    stored = repo.get_stored(complaint.complaint_id)
    assert stored is not None
    assert [h.action for h in stored.complaint.history] == ["submitted", "escalated"]
    assert stored.outbox == {"escalated": {"event_id": "e"}}


def test_a_decision_appends_history_even_after_a_concurrent_escalation(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    complaint = _add(repo, "o-a")
    escalated = escalate(complaint, T0 + timedelta(hours=36))
    repo.save_escalation(escalated, {"event_id": "e"}, T0 + timedelta(hours=36))
    _decide(repo, complaint, 37)  # the reviewer's copy predates the escalation
    stored = repo.get(complaint.complaint_id)
    assert stored is not None
    assert [h.action for h in stored.history] == ["submitted", "escalated", "decided:upheld"]


def test_review_queue_merges_shards_earliest_deadline_first(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    made = [_add(repo, f"o-{i}", hours=(i * 7) % 11) for i in range(9)]
    _decide(repo, made[0], 1)
    expected = sorted((c for c in made[1:]), key=lambda c: (c.due_at, c.complaint_id))
    page1 = repo.review_queue(5)
    page2 = repo.review_queue(5, page1.last_key)
    assert [c.complaint_id for c in page1.items + page2.items] == [c.complaint_id for c in expected]
    assert page2.last_key is None
    assert (
        len(
            {
                shard
                for shard in (
                    complaint_model(settings).get(c.complaint_id).queue_shard for c in made[1:]
                )
            }
        )
        > 1
    )


def test_upheld_against_a_buyer_by_other_sellers_within_the_window(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    for seller, hours, outcome in [
        ("s-2", 0, "upheld"),
        ("s-3", 1, "upheld"),
        ("s-4", 2, "rejected"),
        ("s-1", 3, "upheld"),
    ]:
        _decide(repo, _add(repo, f"o-{seller}", hours=hours, seller=seller), 1, outcome=outcome)
    found = repo.upheld_against_buyer("b-1", since=T0 - timedelta(days=90), excluding_seller="s-1")
    assert found == {"malicious_ordering": frozenset({"s-2", "s-3"})}
    assert (
        repo.upheld_against_buyer("b-1", since=T0 + timedelta(hours=3), excluding_seller="s-1")
        == {}
    )


def test_sla_counts_and_decisions(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    for i, hours in enumerate([2, 10, 30]):
        _decide(repo, _add(repo, f"o-d{i}"), hours)
    pending = _add(repo, "o-p")
    escalated = replace(escalate(pending, T0 + timedelta(hours=36)))
    repo.save_escalation(escalated, {"event_id": "e"}, T0 + timedelta(hours=36))
    _add(repo, "o-q", hours=1)
    counts = repo.pending_counts(T0 + timedelta(hours=48, minutes=30))
    assert counts == {"pending": 2, "escalated": 1, "overdue": 1}
    days = repo.sla_days(T0.date(), T0.date() + timedelta(days=2))
    assert {day: figures.decided for day, figures in days.items()} == {
        T0.date(): 2,  # at 2 h and 10 h
        T0.date() + timedelta(days=1): 1,  # at 30 h
    }
    assert sorted(days[T0.date()].bins) == [bin_of(2 * 3600), bin_of(10 * 3600)]


def _conflict_code(write: Callable[[], object]) -> str:
    with pytest.raises(Conflict) as err:
        write()
    return err.value.code


def test_each_conditional_write_that_loses_says_what_conflicted(settings: Settings) -> None:
    """A lost conditional write's ``Conflict`` names its cause — never ``already_decided``
    for an escalation or an exemption."""
    repo = ComplaintRepository(settings)
    at_36h, at_40h = T0 + timedelta(hours=36), T0 + timedelta(hours=40)
    pending = _add(repo, "o-a")
    escalated = escalate(pending, at_36h)
    repo.save_escalation(escalated, {"event_id": "e"}, at_36h)
    again = _conflict_code(lambda: repo.save_escalation(escalated, {}, at_36h))
    assert again == "already_escalated"

    decided = _decide(repo, pending, 37)
    second = _conflict_code(lambda: _decide(repo, pending, 38, outcome="rejected"))
    assert second == "already_decided"
    late = escalate(_add(repo, "o-b"), at_36h)  # the sweep's copy, then a reviewer decides
    _decide(repo, late, 1)
    assert _conflict_code(lambda: repo.save_escalation(late, {}, at_36h)) == "not_pending"

    progress = {"scope": 1, "counts": {"order": 1}}
    repo.save_exemption_progress(decided.complaint_id, progress)  # revision 1
    # a run that read no progress loses to the one that saved some
    stale = _conflict_code(lambda: repo.save_exemption_progress(decided.complaint_id, progress))
    assert stale == "exemption_progress_changed"
    applied = decided.with_exemption(at_40h, ())
    repo.mark_exemption_applied(applied, {"event_id": "x"}, at_40h)
    twice = _conflict_code(lambda: repo.mark_exemption_applied(applied, {}, at_40h))
    assert twice == "exemption_already_applied"
    current = {**progress, "rev": 1}
    after = _conflict_code(lambda: repo.save_exemption_progress(decided.complaint_id, current))
    assert after == "exemption_already_applied"
    assert repo.record_exemption_failure(decided.complaint_id) == 0  # applied: nothing to count
    assert repo.mark_exemption_alerted(decided.complaint_id, at_40h) is True
    assert repo.mark_exemption_alerted(decided.complaint_id, at_40h) is False  # once
