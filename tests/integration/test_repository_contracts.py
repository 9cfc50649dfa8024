"""The ports' contract: the same assertions against the in-memory fakes (``tests/fakes.py``)
and the DynamoDB adapters, on moto and on dynalite.  What a fast service test with the
fakes shows therefore holds on DynamoDB: a behaviour the services rely on belongs here.

Each test takes ``ports`` (``Ports``: complaints, facts, metrics, publisher) of one
implementation; the test ids say which (``[memory]``, ``[moto]``, ``[dynalite]``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest

from bench.operations import BUDGETS
from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.domain.attachments import (
    MAX_PER_COMPLAINT,
    UPLOAD_TTL,
    Attachment,
    new_attachment,
    object_key,
)
from chalicelib.domain.buyer_activity import activity_range, cell_deltas, cells, counter_key
from chalicelib.domain.complaints import (
    Complaint,
    SlaPolicy,
    appeal,
    complaint_id_for,
    decide,
    escalate,
    new_complaint,
    recategorise,
)
from chalicelib.domain.errors import Conflict, DuplicateComplaint
from chalicelib.domain.facts import OrderSummary
from chalicelib.domain.metrics import CleaningPeriod, Contribution, counter_delta
from chalicelib.domain.rules import Assessment
from chalicelib.domain.sla_days import DecisionSample, bin_of, decision_sample
from chalicelib.domain.timeutil import to_iso
from chalicelib.services.buyer_days import refresh_buyer_days
from chalicelib.services.ingest import ingest_events
from chalicelib.services.metrics import seller_metrics
from chalicelib.services.ports import (
    NO_FILTER,
    ComplaintRef,
    ContributionConflict,
    ExemptionRecord,
    ListFilter,
    OrderPage,
    Ports,
    StoredCells,
    StoredContribution,
)
from tests.builders import T0, dispute_event, message_event, order_event, review_event
from tests.fakes import InMemoryPorts, RecordingPublisher

pytestmark = pytest.mark.parametrize("backend", ["memory", "moto", "dynalite"], indirect=True)
POLICY = SlaPolicy()
R = TypeVar("R")


@pytest.fixture
def ports(backend: str, settings: Settings, request: pytest.FixtureRequest) -> Ports:
    if backend == "memory":
        return InMemoryPorts.create(settings)
    request.getfixturevalue("aws")  # fresh tables on moto or dynalite
    return Adapters(
        ComplaintRepository(settings),
        FactRepository(settings),
        MetricsRepository(settings),
        RecordingPublisher(),
        None,
    )


# --------------------------------------------------------------------------- helpers


def _add(
    ports: Ports,
    order_id: str,
    *,
    hours: float = 0,
    seller: str = "s-1",
    buyer: str = "b-1",
    scenario: str = "malicious_ordering",
) -> Complaint:
    complaint = new_complaint(
        seller_id=seller,
        order_id=order_id,
        buyer_id=buyer,
        scenario=scenario,
        reason=None,
        description="d",
        evidence=("https://e/1",),
        now=T0 + timedelta(hours=hours),
    )
    ports.complaints.add(complaint, sweep_at=POLICY.next_action_at(complaint))
    return complaint


def _decide(ports: Ports, complaint: Complaint, hours: float, outcome: str = "upheld") -> Complaint:
    decided = decide(
        complaint,
        outcome=outcome,  # type: ignore[arg-type]
        reason_code="complaint_upheld",
        decided_by="operator",
        actor="operator:a",
        now=complaint.submitted_at + timedelta(hours=hours),
    )
    assert decided.decision is not None
    ports.complaints.save_decision(decided, {"event_id": "decided"}, decided.decision.decided_at)
    return decided


def _due(ports: Ports, hours: float) -> list[str]:
    now = T0 + timedelta(hours=hours)
    repo = ports.complaints
    return [e.complaint_id for s in repo.shard_names() for e in repo.due_page(s, now).entries]


def _apply(ports: Ports, raw: dict[str, Any]) -> str:
    return ports.facts.apply(parse_event(raw), T0)


# --------------------------------------------------------------------------- complaints


def test_add_get_and_one_complaint_per_order_and_scenario(ports: Ports) -> None:
    first = _add(ports, "o-1")
    assert ports.complaints.get(first.complaint_id) == first
    assert ports.complaints.get("c_" + "a" * 26) is None  # an id's shape, not stored
    assert ports.complaints.get("not-an-id") is None
    with pytest.raises(DuplicateComplaint) as err:
        _add(ports, "o-1", hours=5)
    assert err.value.complaint_id == first.complaint_id
    assert ports.complaints.get(first.complaint_id) == first  # the first one is untouched
    other = _add(ports, "o-1", scenario="malicious_harassment")  # another scenario is fine
    assert other.complaint_id != first.complaint_id


def test_refs_say_which_ids_are_stored_and_whose(ports: Ports) -> None:
    first = _add(ports, "o-1")
    other = _add(ports, "o-1", scenario="malicious_harassment", seller="s-1")
    _add(ports, "o-9", seller="s-2", buyer="b-9")
    asked = [
        complaint_id_for("o-1", scenario)
        for scenario in ("malicious_ordering", "malicious_review", "malicious_harassment")
    ]
    assert ports.complaints.refs([*asked, "not-an-id", "c_" + "a" * 26]) == sorted(
        [
            ComplaintRef(first.complaint_id, "s-1", "o-1", "malicious_ordering"),
            ComplaintRef(other.complaint_id, "s-1", "o-1", "malicious_harassment"),
        ]
    )
    assert ports.complaints.refs([complaint_id_for("o-9", "malicious_ordering")]) == [
        ComplaintRef(
            complaint_id_for("o-9", "malicious_ordering"), "s-2", "o-9", "malicious_ordering"
        )
    ]
    assert ports.complaints.refs([]) == []
    assert ports.complaints.refs(["not-an-id"]) == []


def test_a_decision_is_saved_only_while_pending(ports: Ports) -> None:
    complaint = _add(ports, "o-1")
    upheld = _decide(ports, complaint, 1)
    assert ports.complaints.get(complaint.complaint_id) == upheld
    with pytest.raises(Conflict):  # a stale copy loses: the stored one is already decided
        _decide(ports, complaint, 2, outcome="rejected")
    assert ports.complaints.get(complaint.complaint_id) == upheld
    missing = new_complaint(
        seller_id="s-1",
        order_id="o-404",
        buyer_id="b-1",
        scenario="malicious_ordering",
        reason=None,
        description="d",
        evidence=(),
        now=T0,
    )
    with pytest.raises(Conflict):  # nothing stored: nothing to decide
        _decide(ports, missing, 1)


def test_an_escalation_is_recorded_once_and_a_later_decision_keeps_it(ports: Ports) -> None:
    complaint = _add(ports, "o-1")
    at = T0 + timedelta(hours=36)
    ports.complaints.save_escalation(escalate(complaint, at), {"event_id": "e"}, at)
    with pytest.raises(Conflict):
        ports.complaints.save_escalation(escalate(complaint, at), {"event_id": "e2"}, at)
    assert ports.complaints.pending_counts(at)["escalated"] == 1
    _decide(ports, complaint, 37)  # the reviewer's copy predates the escalation
    # ... and the decision takes the stored escalation out of the counts all the same
    assert ports.complaints.pending_counts(at) == {"pending": 0, "escalated": 0, "overdue": 0}
    stored = ports.complaints.get_stored(complaint.complaint_id)
    assert stored is not None
    assert stored.complaint.escalated_at == at
    assert [h.action for h in stored.complaint.history] == [
        "submitted",
        "escalated",
        "decided:upheld",
    ]
    assert stored.outbox == {"escalated": {"event_id": "e"}, "decided": {"event_id": "decided"}}
    with pytest.raises(Conflict):  # decided: no escalation any more
        ports.complaints.save_escalation(escalate(complaint, at), {"event_id": "e3"}, at)


def test_a_sellers_list_is_newest_first_paged_windowed_and_filtered(ports: Ports) -> None:
    for i in range(7):
        _add(ports, f"o-{i}", hours=i)
    _add(ports, "o-x", seller="s-2", hours=3)
    harassment = _add(ports, "o-3", scenario="malicious_harassment", hours=3.5)
    _decide(ports, harassment, 1)

    def listed(
        limit: int,
        since: datetime = T0 - timedelta(days=1),
        until: datetime = T0 + timedelta(days=1),
        filters: ListFilter = NO_FILTER,
    ) -> tuple[list[str], int]:
        seen: list[str] = []
        after, pages = None, 0
        while True:
            page = ports.complaints.list_for_seller(
                "s-1", since=since, until=until, limit=limit, after_key=after, filters=filters
            )
            seen += [c.order_id for c in page.items]
            pages, after = pages + 1, page.last_key
            if after is None:
                return seen, pages

    assert listed(3) == (["o-6", "o-5", "o-4", "o-3", "o-3", "o-2", "o-1", "o-0"], 3)
    assert listed(4) == (["o-6", "o-5", "o-4", "o-3", "o-3", "o-2", "o-1", "o-0"], 2)
    assert listed(10, filters=ListFilter(scenario="malicious_harassment")) == (["o-3"], 1)
    assert listed(10, filters=ListFilter(status="upheld")) == (["o-3"], 1)
    assert listed(10, filters=ListFilter(order_id="o-3")) == (["o-3", "o-3"], 1)
    window = listed(10, since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=4))
    assert window == (["o-4", "o-3", "o-3", "o-2"], 1)


def test_filtered_lists_follow_every_write_that_changes_a_status_or_an_id(ports: Ports) -> None:
    """Each filter (status, scenario, both, order) pages newest first — across statuses for
    a scenario alone — and follows submissions, decisions, appeals and moves; another
    seller's complaint on the same order id is never listed."""
    ordering = [_add(ports, f"o-{i}", hours=i) for i in range(6)]  # all pending
    review = _add(ports, "o-1", scenario="malicious_review", hours=6)
    _add(ports, "o-1", scenario="malicious_dispute", seller="s-2", hours=7)  # not s-1's
    _decide(ports, ordering[0], 1)  # upheld
    rejected = _reject(ports, ordering[1], 1)
    _reject(ports, ordering[2], 1)
    now = T0 + timedelta(days=1)
    ports.complaints.save_appeal(appeal(rejected, statement="s", now=now), {"event_id": "a"}, now)
    moved = _moved(ordering[3], "malicious_harassment", 8)
    ports.complaints.move(ordering[3], moved, {"event_id": "m"}, T0 + timedelta(hours=8))

    def listed(limit: int = 2, **filters: str) -> list[tuple[str, str, str]]:
        seen: list[tuple[str, str, str]] = []
        after = None
        while True:
            page = ports.complaints.list_for_seller(
                "s-1",
                since=T0 - timedelta(days=1),
                until=T0 + timedelta(days=2),
                limit=limit,
                after_key=after,
                filters=ListFilter(**filters),
            )
            seen += [(c.order_id, c.scenario[10:], c.status) for c in page.items]
            if page.last_key is None:
                return seen
            after = page.last_key

    assert listed(status="pending") == [
        ("o-1", "review", "pending"),
        ("o-5", "ordering", "pending"),
        ("o-4", "ordering", "pending"),
        ("o-3", "harassment", "pending"),
        ("o-1", "ordering", "pending"),  # appealed
    ]
    assert listed(status="rejected") == [("o-2", "ordering", "rejected")]
    assert listed(status="upheld") == [("o-0", "ordering", "upheld")]
    assert listed(scenario="malicious_ordering") == [
        ("o-5", "ordering", "pending"),
        ("o-4", "ordering", "pending"),
        ("o-2", "ordering", "rejected"),
        ("o-1", "ordering", "pending"),
        ("o-0", "ordering", "upheld"),
    ]
    assert listed(scenario="malicious_ordering", status="pending", limit=1) == [
        ("o-5", "ordering", "pending"),
        ("o-4", "ordering", "pending"),
        ("o-1", "ordering", "pending"),
    ]
    assert listed(scenario="malicious_harassment") == [("o-3", "harassment", "pending")]
    assert listed(order_id="o-1", limit=1) == [
        ("o-1", "review", "pending"),
        ("o-1", "ordering", "pending"),
    ]
    assert listed(order_id="o-1", scenario="malicious_review") == [("o-1", "review", "pending")]
    assert listed(order_id="o-1", status="upheld") == []
    assert listed(order_id="o-3") == [("o-3", "harassment", "pending")]
    assert listed(order_id="o-nothing") == []
    page = ports.complaints.list_for_seller(
        "s-1",
        since=T0 + timedelta(hours=4),
        until=T0 + timedelta(hours=5),
        limit=5,
        filters=ListFilter(status="pending"),
    )
    assert [c.order_id for c in page.items] == ["o-5", "o-4"] and page.last_key is None
    assert review.complaint_id in {
        c.complaint_id
        for c in ports.complaints.list_for_seller(
            "s-1",
            since=T0,
            until=T0 + timedelta(days=1),
            limit=1,
            filters=ListFilter(order_id="o-1"),
        ).items
    }


def test_a_sellers_export_pages_through_the_whole_window_newest_first(ports: Ports) -> None:
    """Pages of 100 complaints (one BatchGetItem each), whatever their size: 700 complaints
    with 2 000-character Chinese descriptions (6 KB of UTF-8 each, 4 MB in all) are seven
    pages, the last one knowing it is the last."""
    for i in range(700):
        complaint = new_complaint(
            seller_id="s-1",
            order_id=f"o-{i:03d}",
            buyer_id="b-1",
            scenario="malicious_ordering",
            reason=None,
            description="长" * 2000,
            evidence=(),
            now=T0 + timedelta(minutes=i),
        )
        ports.complaints.add(complaint, sweep_at=None)
    _add(ports, "o-other", seller="s-2", hours=1)

    def exported(since: datetime, until: datetime) -> tuple[list[str], int]:
        seen: list[str] = []
        start, pages = None, 0
        while True:
            page = ports.complaints.export_page("s-1", since=since, until=until, start=start)
            seen += [c.order_id for c in page.items]
            pages, start = pages + 1, page.next_start
            if start is None:
                return seen, pages

    everything, pages = exported(T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert everything == [f"o-{i:03d}" for i in reversed(range(700))]
    assert pages == 7
    window, _ = exported(T0 + timedelta(minutes=10), T0 + timedelta(minutes=12))
    assert window == ["o-012", "o-011", "o-010"]
    assert exported(T0 - timedelta(days=2), T0 - timedelta(days=1)) == ([], 1)


def test_the_review_queue_is_pending_earliest_deadline_first_with_its_counts(
    ports: Ports,
) -> None:
    made = [_add(ports, f"o-{i}", hours=(i * 7) % 11) for i in range(9)]
    _decide(ports, made[0], 1)  # decided: leaves the queue
    pending = sorted(made[1:], key=lambda c: (c.due_at, c.complaint_id))
    page1 = ports.complaints.review_queue(5)
    page2 = ports.complaints.review_queue(5, page1.last_key)
    assert [c.complaint_id for c in page1.items + page2.items] == [c.complaint_id for c in pending]
    assert page1.last_key is not None and page2.last_key is None
    at = T0 + timedelta(hours=36)
    ports.complaints.save_escalation(escalate(pending[0], at), {"event_id": "e"}, at)
    # at 50 h the complaints filed in the first 2 hours are past their 48 h deadline
    counts = ports.complaints.pending_counts(T0 + timedelta(hours=50))
    overdue = sum(1 for c in pending if c.due_at < T0 + timedelta(hours=50))
    assert counts == {"pending": 8, "escalated": 1, "overdue": overdue}
    assert overdue > 0


def _stored(ports: Ports, ids: set[str]) -> list[Complaint]:
    return [c for c in (ports.complaints.get(i) for i in sorted(ids)) if c is not None]


def _recount(stored: list[Complaint], now: datetime) -> dict[str, int]:
    """The review queue's counts from the complaints themselves."""
    pending = [c for c in stored if c.is_pending]
    return {
        "pending": len(pending),
        "escalated": sum(1 for c in pending if c.escalated_at is not None),
        "overdue": sum(1 for c in pending if c.due_at < now),
    }


def test_the_queue_counts_equal_a_recount_after_any_sequence_of_writes(ports: Ports) -> None:
    """Submissions (and duplicates), escalations, decisions (from fresh and stale copies,
    some escalated meanwhile), appeals and re-categorisations in a random order: after
    each, the counters say what a recount of the complaints says — the writes that lose
    their condition add nothing.  (100 steps on the fakes, 40 on DynamoDB: it reads every
    complaint after each step.)"""
    rng = random.Random(16)
    repo = ports.complaints
    ids: set[str] = set()
    first_copy: dict[str, Complaint] = {}  # each complaint as first stored: a stale copy
    stored: list[Complaint] = []
    now = T0
    for step in range(100 if isinstance(ports, InMemoryPorts) else 40):
        now += timedelta(hours=rng.choice((0.5, 2, 9)))
        pending = [c for c in stored if c.is_pending]
        rejected = [c for c in stored if c.status == "rejected" and c.appeal is None]
        action = rng.choice(("submit", "submit", "escalate", "decide", "decide", "appeal", "move"))
        try:
            if action == "submit" or not stored:
                order = f"o-{rng.randrange(40)}"
                added = _add(ports, order, hours=(now - T0).total_seconds() / 3600)
                ids.add(added.complaint_id)
                first_copy.setdefault(added.complaint_id, added)
            elif action == "escalate" and pending:
                target = rng.choice(pending)
                copy = rng.choice((target, first_copy.get(target.complaint_id, target)))
                repo.save_escalation(escalate(copy, now), {"event_id": f"e-{step}"}, now)
            elif action == "decide":
                target = rng.choice(stored)
                copy = rng.choice((target, first_copy.get(target.complaint_id, target)))
                outcome = rng.choice(("upheld", "rejected"))
                decided = decide(
                    copy,
                    outcome=outcome,  # type: ignore[arg-type]
                    reason_code="complaint_upheld",
                    decided_by="operator",
                    actor="operator:a",
                    now=now,
                )
                repo.save_decision(decided, {"event_id": f"d-{step}"}, now)
            elif action == "appeal" and rejected:
                target = rng.choice(rejected)
                appealed = appeal(target, statement="s", now=now, appeal_days=365)
                repo.save_appeal(appealed, {"event_id": f"a-{step}"}, now)
            elif action == "move" and pending:
                target = rng.choice(pending)
                scenario = rng.choice(("malicious_harassment", "malicious_review"))
                if scenario != target.scenario:
                    moved = _moved(target, scenario, (now - T0).total_seconds() / 3600)
                    repo.move(target, moved, {"event_id": f"m-{step}"}, now)
                    ids.add(moved.complaint_id)
        except (Conflict, DuplicateComplaint):
            pass  # lost its condition (a stale copy, a duplicate, an id taken)
        stored = _stored(ports, ids)
        assert repo.pending_counts(now) == _recount(stored, now), (step, action)
    final = _recount(stored, now)
    assert final["pending"] > 0 and final["escalated"] > 0  # the sequence did move them


def test_the_queue_counts_cost_the_same_for_few_and_many_pending(
    ports: Ports, settings: Settings
) -> None:
    """The SLA report's counts: a fixed number of requests (the counters' Query, and an
    overdue Query per shard) whatever is pending — on every backend the same."""
    repo = ports.complaints
    made = [_add(ports, f"o-{i}", hours=i) for i in range(3)]
    at = T0 + timedelta(hours=36)
    repo.save_escalation(escalate(made[0], at), {"event_id": "e"}, at)
    now = T0 + timedelta(hours=49.5)  # the first two are past their 48 h deadline
    counts, few = _requests(ports, settings, lambda: repo.pending_counts(now))
    assert counts == {"pending": 3, "escalated": 1, "overdue": 2}
    for i in range(3, 150):
        _add(ports, f"o-{i}", hours=2 + i / 100)
    counts, many = _requests(ports, settings, lambda: repo.pending_counts(now))
    assert counts == {"pending": 150, "escalated": 1, "overdue": 2}
    assert few == many == 1 + len(repo.shard_names())


def test_the_due_index_holds_what_the_sweep_has_to_do(ports: Ports) -> None:
    a, b = _add(ports, "o-a"), _add(ports, "o-b", hours=10)
    assert _due(ports, 35) == []
    assert _due(ports, 36) == [a.complaint_id]  # escalation time
    assert sorted(_due(ports, 47)) == sorted([a.complaint_id, b.complaint_id])
    decided = _decide(ports, b, 1)  # due now: its event is in the outbox
    assert b.complaint_id in _due(ports, 11)
    ports.complaints.event_delivered(decided, "decided", None)
    stored = ports.complaints.get_stored(b.complaint_id)
    assert stored is not None and stored.outbox == {}
    assert _due(ports, 24 * 5) == [a.complaint_id]  # b left the index
    # a stale copy (pending) cannot put a decided complaint back in the index
    ports.complaints.reschedule(b, T0)
    assert _due(ports, 24 * 5) == [a.complaint_id]
    ports.complaints.reschedule(a, T0 + timedelta(hours=40))
    assert _due(ports, 39) == [] and _due(ports, 40) == [a.complaint_id]
    ports.complaints.reschedule(a, None)
    assert _due(ports, 24 * 5) == []


def test_the_due_index_pages_earliest_first_with_each_sweep_time(ports: Ports) -> None:
    """The sweep pages a shard's due complaints (``after``: the last entry of the page
    before), learning when each is due, so it can delay the ones due later."""
    made = [_add(ports, f"o-p{i}", hours=(i * 7) % 11) for i in range(12)]
    until = T0 + timedelta(hours=36 + 6)
    expected = sorted(
        (c.submitted_at + timedelta(hours=36), c.complaint_id)
        for c in made
        if c.submitted_at <= T0 + timedelta(hours=6)
    )
    found, pages = [], 0
    for shard in ports.complaints.shard_names():
        after = None
        while True:
            page = ports.complaints.due_page(shard, until, after, limit=2)
            pages += 1
            assert len(page.entries) <= 2
            found += [(e.sweep_at, e.complaint_id) for e in page.entries]
            if page.after is None:
                break
            assert page.after == page.entries[-1]
            after = page.after
    assert sorted(found) == [(at.replace(microsecond=0), cid) for at, cid in expected]
    assert len(found) == len(set(found)) and pages > len(ports.complaints.shard_names())
    one = ports.complaints.shard_names()[0]
    whole = ports.complaints.due_page(one, until)  # no limit: one page of up to 1 MB
    assert whole.after is None
    assert whole.entries == sorted(whole.entries)  # earliest first


def test_a_delivered_event_leaves_the_outbox_even_after_the_status_moved(ports: Ports) -> None:
    complaint = _add(ports, "o-1")
    at = T0 + timedelta(hours=36)
    escalated = escalate(complaint, at)
    ports.complaints.save_escalation(escalated, {"event_id": "e"}, at)
    _decide(ports, complaint, 37)
    # the escalation's deliverer is late: the status moved; only its event leaves
    ports.complaints.event_delivered(escalated, "escalated", POLICY.decide_at(escalated))
    stored = ports.complaints.get_stored(complaint.complaint_id)
    assert stored is not None and set(stored.outbox) == {"decided"}
    assert complaint.complaint_id in _due(ports, 37)  # still due: its decision's event


def test_other_sellers_upheld_complaints_against_a_buyer(ports: Ports) -> None:
    for seller, hours, outcome in [
        ("s-2", 0, "upheld"),
        ("s-3", 1, "upheld"),
        ("s-4", 2, "rejected"),
        ("s-1", 3, "upheld"),
    ]:
        _decide(ports, _add(ports, f"o-{seller}", hours=hours, seller=seller), 1, outcome)
    _add(ports, "o-s5", seller="s-5")  # pending
    _decide(ports, _add(ports, "o-b2", seller="s-6", buyer="b-2"), 1)  # another buyer
    found = ports.complaints.upheld_against_buyer(
        "b-1", since=T0 - timedelta(days=90), excluding_seller="s-1"
    )
    assert found == {"malicious_ordering": frozenset({"s-2", "s-3"})}
    later = ports.complaints.upheld_against_buyer(
        "b-1", since=T0 + timedelta(hours=1, minutes=30), excluding_seller="s-1"
    )
    assert later == {"malicious_ordering": frozenset({"s-3"})}  # decided at 2 h


def test_each_stored_decision_counts_once_in_its_days_sla_figures(ports: Ports) -> None:
    repo = ports.complaints
    made = {hours: _decide(ports, _add(ports, f"o-{hours}"), hours) for hours in (2, 10, 30, 60)}
    _add(ports, "o-p")  # pending: not counted
    rules = decide(
        new_complaint(
            seller_id="s-1",
            order_id="o-r",
            buyer_id="b-1",
            scenario="malicious_ordering",
            reason=None,
            description="d",
            evidence=(),
            now=T0,
        ),
        outcome="upheld",
        reason_code="complaint_upheld",
        decided_by="rules",
        actor="rules",
        now=T0,
    )
    repo.add(rules, sweep_at=T0)
    # the writes that lose count nothing: a second decision, a second rules-decided filing
    with pytest.raises(Conflict):
        _decide(ports, made[2], 3)
    with pytest.raises(DuplicateComplaint):
        repo.add(rules, sweep_at=T0)
    for decided in (*made.values(), rules):
        repo.record_slowest(decision_sample(decided))
    repo.record_slowest(decision_sample(made[2]))  # again (a redelivery): no change
    day = T0.date()
    days = repo.sla_days(day, day + timedelta(days=2))
    assert sorted(days) == [day, day + timedelta(days=1), day + timedelta(days=2)]
    first = days[day]  # rules at 0 h, operators at 2 h and 10 h
    assert (first.decided, dict(first.by), first.late) == (3, {"operator": 2, "rules": 1}, 0)
    assert first.bins == {0: 1, bin_of(2 * 3600): 1, bin_of(10 * 3600): 1}
    assert first.max_seconds == 10 * 3600
    assert (days[day + timedelta(days=1)].decided, days[day + timedelta(days=1)].late) == (1, 0)
    last = days[day + timedelta(days=2)]  # 60 h: past the deadline
    assert (last.decided, last.late, last.max_seconds) == (1, 1, 60 * 3600)
    assert last.bins == {bin_of(60 * 3600): 1}
    assert repo.sla_days(day + timedelta(days=1), day + timedelta(days=1)).keys() == {
        day + timedelta(days=1)
    }
    assert repo.sla_days(day - timedelta(days=5), day - timedelta(days=1)) == {}


def test_the_slowest_decision_only_grows_and_needs_a_counted_decision(ports: Ports) -> None:
    repo = ports.complaints
    slow = _decide(ports, _add(ports, "o-1"), 20)
    fast = _decide(ports, _add(ports, "o-2"), 19)  # the same block of the same day
    repo.record_slowest(decision_sample(slow))
    repo.record_slowest(decision_sample(fast))
    day = T0.date() + timedelta(days=1)
    assert repo.sla_days(day, day)[day].max_seconds == 20 * 3600
    # a sample of a day without decisions creates nothing
    repo.record_slowest(decision_sample(replace(slow, submitted_at=T0 - timedelta(days=9))))
    lone = DecisionSample(T0.date() - timedelta(days=3), "operator", False, 60)
    repo.record_slowest(lone)
    assert repo.sla_days(lone.day, lone.day) == {}


def test_the_exemption_queue_its_progress_failures_alert_and_application(ports: Ports) -> None:
    repo = ports.complaints
    upheld = _decide(ports, _add(ports, "o-1"), 2)
    _decide(ports, _add(ports, "o-2"), 3, outcome="rejected")
    due = [entry for shard in repo.shard_names() for entry in repo.exemptions_due(shard, 10)]
    assert due == [(to_iso(T0 + timedelta(hours=2 + 72)), upheld.complaint_id)]
    cid = upheld.complaint_id

    repo.save_exemption_progress(cid, {"rev": 0, "scope": 1})
    stored = repo.get_stored(cid)
    assert stored is not None and stored.exemption_progress == {"rev": 1, "scope": 1}
    with pytest.raises(Conflict):  # read at revision 0, but 1 is stored: another run's
        repo.save_exemption_progress(cid, {"rev": 0, "scope": 2})
    repo.save_exemption_progress(cid, {"rev": 1, "scope": 2})
    stored = repo.get_stored(cid)
    assert stored is not None and stored.exemption_progress == {"rev": 2, "scope": 2}

    assert [repo.record_exemption_failure(cid) for _ in range(2)] == [1, 2]
    assert repo.mark_exemption_alerted(cid, T0) is True
    assert repo.mark_exemption_alerted(cid, T0) is False  # once

    at = T0 + timedelta(hours=5)
    applied = upheld.with_exemption(at, ({"metric": "cancellation_rate"},))
    repo.mark_exemption_applied(applied, {"event_id": "applied"}, at)
    with pytest.raises(Conflict):
        repo.mark_exemption_applied(applied, {"event_id": "again"}, at)
    stored = repo.get_stored(cid)
    assert stored is not None
    assert stored.complaint.exemption_applied_at == at
    assert stored.complaint.exemption_metrics == ({"metric": "cancellation_rate"},)
    assert stored.complaint.history[-1].action == "exemption_applied"
    assert stored.exemption_progress is None and stored.exemption_failures == 2
    assert set(stored.outbox) == {"decided", "exemption_applied"}
    assert [e for s in repo.shard_names() for e in repo.exemptions_due(s, 10)] == []
    assert repo.record_exemption_failure(cid) == 0  # applied: nothing to count
    with pytest.raises(Conflict):
        repo.save_exemption_progress(cid, {"rev": 2, "scope": 3})


# --------------------------------------------------------------------------- facts


def test_versions_only_move_forward_and_event_ids_count_once(ports: Ports) -> None:
    v2 = order_event("o-1", status="paid", version=2)
    assert _apply(ports, v2) == "accepted"
    assert _apply(ports, order_event("o-1", status="placed", version=1)) == "stale"
    assert _apply(ports, v2) == "duplicate"
    assert _apply(ports, order_event("o-1", status="shipped", version=3)) == "accepted"
    assert _apply(ports, v2) == "duplicate"  # a late redelivery is known by its id
    order = ports.facts.stored_order("o-1")
    assert order is not None and order.status == "shipped"
    reused = "evt-reused"
    assert _apply(ports, order_event("o-2", event_id=reused)) == "accepted"
    for other in (
        order_event("o-2", status="paid", version=2, event_id=reused),
        order_event("o-3", status="paid", event_id=reused),
        review_event("r-1", "o-2", rating=1, event_id=reused),
    ):
        assert _apply(ports, other) == "duplicate"  # whatever it says
    assert ports.facts.order_facts("o-2").order.status == "placed"  # type: ignore[union-attr]
    assert ports.facts.order_facts("o-2").reviews == ()
    assert ports.facts.stored_order("o-3") is None


def test_an_orders_partition_and_a_buyers_activity_window(ports: Ports) -> None:
    for raw in (
        order_event("o-1", status="paid", placed_at=T0 - timedelta(days=10)),
        review_event("r-1", "o-1", rating=2, posted_at=T0 - timedelta(days=9)),
        dispute_event("d-1", "o-1", opened_at=T0 - timedelta(days=8)),
        message_event("m-1", "o-1", sender="seller", sent_at=T0),
        order_event("o-old", placed_at=T0 - timedelta(days=200)),
        order_event("o-s2", seller_id="s-2", placed_at=T0 - timedelta(days=3)),
        order_event("o-b2", buyer_id="b-2", placed_at=T0 - timedelta(days=3)),
    ):
        assert _apply(ports, raw) == "accepted"
    facts = ports.facts.order_facts("o-1")
    assert facts.order is not None and facts.order.status == "paid"
    assert [r.review_id for r in facts.reviews] == ["r-1"]
    assert [d.dispute_id for d in facts.disputes] == ["d-1"]
    assert [m.message_id for m in facts.messages] == ["m-1"]
    assert ports.facts.order_facts("o-404").order is None
    window = ports.facts.buyer_activity("b-1", *activity_range(T0 - timedelta(days=90), T0))
    assert sorted(f"{type(x).__name__}:{x.order_id}" for x in window) == [
        "DisputeData:o-1",
        "OrderData:o-1",
        "OrderData:o-s2",
        "ReviewData:o-1",
    ]
    assert (
        len(ports.facts.buyer_activity("b-1", *activity_range(T0 - timedelta(days=365), T0))) == 5
    )
    assert ports.facts.buyer_activity("b-1", *activity_range(T0 - timedelta(days=2), T0)) == []


def test_a_buyers_activity_page_says_whether_it_holds_the_whole_window(ports: Ports) -> None:
    """The assessment's first read (``services/assessment.py``): at most ``limit`` facts,
    oldest first, complete only when fewer than ``limit`` were read — exactly ``limit``
    means "maybe more", as a DynamoDB Query with that Limit cannot tell."""
    for raw in (
        order_event("o-1", status="paid", placed_at=T0 - timedelta(days=10)),
        review_event("r-1", "o-1", rating=2, posted_at=T0 - timedelta(days=9)),
        dispute_event("d-1", "o-1", opened_at=T0 - timedelta(days=8)),
        message_event("m-1", "o-1", sender="seller", sent_at=T0),
        order_event("o-old", placed_at=T0 - timedelta(days=200)),
        order_event("o-b2", buyer_id="b-2", placed_at=T0 - timedelta(days=3)),
    ):
        assert _apply(ports, raw) == "accepted"
    window = activity_range(T0 - timedelta(days=90), T0)

    def page(limit: int, low: str = window[0]) -> tuple[list[str], bool]:
        facts, complete = ports.facts.buyer_activity_page("b-1", low, window[1], limit)
        return [type(f).__name__ for f in facts], complete

    every = (["OrderData", "ReviewData", "DisputeData"], True)
    assert page(300) == page(4) == every
    assert page(3) == (every[0], False)
    assert page(2) == (every[0][:2], False)
    assert page(4, activity_range(T0 - timedelta(days=365), T0)[0]) == (
        ["OrderData", *every[0]],
        False,
    )
    assert ports.facts.buyer_activity_page("b-9", *window, 1) == ([], True)


def test_a_sellers_orders_newest_first_in_a_window_paged(ports: Ports) -> None:
    for raw in (
        *[order_event(f"o-{i}", placed_at=T0 - timedelta(days=i)) for i in range(5)],
        order_event("o-tie", placed_at=T0 - timedelta(days=2)),  # same second as o-2
        order_event("o-old", placed_at=T0 - timedelta(days=100)),
        order_event("o-s2", seller_id="s-2", placed_at=T0),
        # not orders: never in the list
        review_event("r-1", "o-1", rating=1, posted_at=T0),
        dispute_event("d-1", "o-1", opened_at=T0),
        message_event("m-1", "o-1", sender="buyer", sent_at=T0),
    ):
        assert _apply(ports, raw) == "accepted"
    assert (
        _apply(
            ports,
            order_event("o-3", status="cancelled", version=2, placed_at=T0 - timedelta(days=3)),
        )
        == "accepted"
    )

    def listed(limit: int, since: datetime = T0 - timedelta(days=90)) -> list[list[str]]:
        pages: list[list[str]] = []
        after = None
        while True:
            page = ports.facts.orders_for_seller(
                "s-1", since=since, until=T0, limit=limit, after_key=after
            )
            pages.append([o.order_id for o in page.items])
            after = page.last_key
            if after is None:
                return pages

    everything = ["o-0", "o-1", "o-tie", "o-2", "o-3", "o-4"]
    assert listed(10) == [everything]
    assert listed(6) == [everything]
    assert listed(2) == [everything[0:2], everything[2:4], everything[4:6]]
    assert listed(4) == [everything[0:4], everything[4:6]]
    assert listed(10, since=T0 - timedelta(days=2)) == [["o-0", "o-1", "o-tie", "o-2"]]
    first = ports.facts.orders_for_seller("s-1", since=T0 - timedelta(days=90), until=T0, limit=10)
    assert first.items[4] == OrderSummary("o-3", "b-1", "cancelled", T0 - timedelta(days=3))
    assert first.items[0] == OrderSummary("o-0", "b-1", "placed", T0)
    none = ports.facts.orders_for_seller("s-9", since=T0 - timedelta(days=90), until=T0, limit=5)
    assert none == OrderPage(items=[], last_key=None)


# --------------------------------------------------------------------------- metrics


def _contribution(num: int, *, exempt: bool = False) -> Contribution:
    kept = (0, 0) if exempt else (num, 1)
    return Contribution(
        unit="ORDER",
        seller_id="s-1",
        day=T0.date(),
        raw={"cancellation_rate": (num, 1)},
        kept={"cancellation_rate": kept},
        exempt_by={"cancellation_rate": "c-1"} if exempt else {},
    )


def _partition(ports: Ports, order_id: str) -> Any:
    return ports.metrics.partition_from_items(ports.facts.order_items(order_id))


def test_contributions_move_the_day_counters_only_over_the_revision_read(ports: Ports) -> None:
    _apply(ports, order_event("o-1", status="cancelled", cancelled_by="buyer"))
    metrics, day = ports.metrics, T0.date()
    first = _contribution(1)
    metrics.write_contribution("o-1", None, first, counter_delta(None, first))
    part = _partition(ports, "o-1")
    assert part.facts.order is not None and part.facts.order.order_id == "o-1"
    assert part.order_status_at == T0
    assert part.contributions == {"ORDER": StoredContribution(first, 1)}
    with pytest.raises(ContributionConflict):  # someone else wrote it first
        metrics.write_contribution("o-1", None, first, counter_delta(None, first))
    counters = metrics.day_counters("s-1", day, day)[day]
    assert (counters["cancellation_rate.num"], counters["cancellation_rate.den"]) == (1, 1)
    assert counters["dispute_rate.num"] == 0  # every counter of a stored day

    exempted = _contribution(1, exempt=True)
    record = ExemptionRecord("ORDER", "cancellation_rate", "c-1")
    old = part.contributions["ORDER"]
    delta = counter_delta(first, exempted)
    metrics.write_contribution("o-1", old, exempted, delta, [record], T0)
    with pytest.raises(ContributionConflict):  # a stale revision: nothing written
        metrics.write_contribution("o-1", old, first, counter_delta(exempted, first))
    part = _partition(ports, "o-1")
    assert part.contributions == {"ORDER": StoredContribution(exempted, 2)}
    assert part.exemptions == {("ORDER", "cancellation_rate"): "c-1"}
    counters = metrics.day_counters("s-1", day, day)[day]
    assert counters["cancellation_rate.num"] == 1 and counters["cancellation_rate.num_kept"] == 0
    with pytest.raises(ContributionConflict):  # an exemption record: first wins
        metrics.write_contribution(
            "o-1", None, None, {}, [ExemptionRecord("ORDER", "cancellation_rate", "c-2")], T0
        )
    assert _partition(ports, "o-1").exemptions == {("ORDER", "cancellation_rate"): "c-1"}
    assert metrics.day_counters("s-1", day + timedelta(days=1), day + timedelta(days=5)) == {}
    assert metrics.day_counters("s-2", day, day) == {}


def test_a_buyers_orders_at_a_seller_page_by_page(ports: Ports) -> None:
    placed = T0 - timedelta(days=5)
    orders = [f"o-{i}" for i in range(7)]
    for i, order_id in enumerate(orders):  # in groups of three placed in the same second
        _apply(ports, order_event(order_id, placed_at=placed + timedelta(seconds=i // 3)))
    _apply(ports, order_event("o-s2", seller_id="s-2", placed_at=placed))
    _apply(ports, review_event("r-1", "o-1", rating=1, posted_at=placed))
    _apply(ports, order_event("o-old", placed_at=T0 - timedelta(days=100)))
    seen: list[str | None] = []
    after = None
    for _ in range(20):
        entries, more = ports.metrics.buyer_orders_page(
            "b-1", "s-1", T0 - timedelta(days=90), T0, after, 3
        )
        assert len(entries) <= 3
        seen += [e.order_id for e in entries]
        if entries:
            after = entries[-1].position
        if not more:
            break
    assert sorted(o for o in seen if o is not None) == orders  # each once
    assert seen.count(None) == 2  # the other seller's order and the review: no order of s-1


def test_cleaning_periods_and_the_exemption_log(ports: Ports) -> None:
    metrics = ports.metrics
    window = CleaningPeriod("c-1", T0, T0 + timedelta(days=90))
    metrics.put_cleaning_period("s-1", "b-1", window)
    metrics.put_cleaning_period("s-1", "b-1", window)  # again: the same period
    assert metrics.cleaning_periods("s-1", "b-1") == [window]
    assert metrics.cleaning_periods("s-1", "b-2") == []

    entry = {"complaint_id": "c-1", "effective_at": to_iso(T0), "metrics_before": {"x": 0.5}}
    assert metrics.start_exemption_log("s-1", "c-1", T0, entry) == entry
    later = {**entry, "effective_at": to_iso(T0 + timedelta(hours=1)), "metrics_before": {}}
    assert metrics.start_exemption_log("s-1", "c-1", T0, later) == entry  # the first stays
    metrics.finish_exemption_log("s-1", "c-1", {**entry, "rows": [{"metric": "x"}]})
    old = {"complaint_id": "c-0", "effective_at": to_iso(T0 - timedelta(days=300))}
    metrics.start_exemption_log("s-1", "c-0", T0, old)
    log = metrics.exemption_log("s-1", since=T0 - timedelta(days=180), limit=10)
    assert log == ([{**entry, "rows": [{"metric": "x"}]}], None)
    assert len(metrics.exemption_log("s-1", since=T0 - timedelta(days=365), limit=10)[0]) == 2
    assert metrics.exemption_log("s-2", since=T0 - timedelta(days=365), limit=10) == ([], None)


def test_the_exemption_log_pages_newest_first_and_follows_effective_at(ports: Ports) -> None:
    """Newest first by when each entry took effect (not by complaint id), a page at a time;
    finishing an entry moves it to its new ``effective_at``; a re-run's start finds the
    entry already there (its key is still the complaint's)."""
    metrics = ports.metrics
    for i in range(7):  # ids in the reverse order of their times
        at = T0 - timedelta(hours=i)
        entry = {"complaint_id": f"c-{9 - i}", "effective_at": to_iso(at)}
        metrics.start_exemption_log("s-1", f"c-{9 - i}", at, entry)
    metrics.start_exemption_log(
        "s-2", "c-x", T0, {"complaint_id": "c-x", "effective_at": to_iso(T0)}
    )
    since = T0 - timedelta(days=1)
    seen, after, pages = [], None, 0
    while True:
        page = metrics.exemption_log("s-1", since=since, limit=3, after_key=after)
        seen += [e["complaint_id"] for e in page.entries]
        pages += 1
        if page.last_key is None:
            break
        after = page.last_key
    assert seen == [f"c-{9 - i}" for i in range(7)] and pages == 3
    # c-3 (the oldest) finishes an hour after T0: first now; starting it again changes nothing
    later = {"complaint_id": "c-3", "effective_at": to_iso(T0 + timedelta(hours=1))}
    metrics.finish_exemption_log("s-1", "c-3", later)
    assert metrics.start_exemption_log("s-1", "c-3", T0, {"complaint_id": "c-3"}) == later
    first = metrics.exemption_log("s-1", since=since, limit=2)
    assert [e["complaint_id"] for e in first.entries] == ["c-3", "c-9"]
    rest = metrics.exemption_log("s-1", since=since, limit=10, after_key=first.last_key)
    assert [e["complaint_id"] for e in rest.entries] == ["c-8", "c-7", "c-6", "c-5", "c-4"]
    assert rest.last_key is None


def test_ingested_facts_make_the_same_metrics(ports: Ports) -> None:
    """The services over either implementation: facts in, metrics out."""
    events = [
        order_event("o-1", status="cancelled", cancelled_by="buyer"),
        order_event("o-2", status="delivered"),
        order_event("o-3", status="paid", version=2),
        review_event("r-1", "o-2", rating=1),
        order_event("o-3", status="placed", version=1),  # stale
    ]
    results = ingest_events(ports.facts, ports.metrics, [*events, events[0]], T0)
    assert [r.status for r in results] == [*["accepted"] * 4, "stale", "duplicate"]
    body = seller_metrics(ports.metrics, "s-1", T0)["metrics"]
    assert body["cancellation_rate"]["raw"]["numerator"] == 1
    assert body["cancellation_rate"]["raw"]["denominator"] == 3
    assert body["negative_review_rate"]["raw"]["value"] == 1.0


def test_a_complaint_read_back_equals_the_one_stored(ports: Ports) -> None:
    """Round trip of every part of a complaint the services set."""
    complaint = _add(ports, "o-1")
    at = T0 + timedelta(hours=36)
    escalated = escalate(complaint, at)
    ports.complaints.save_escalation(escalated, {"event_id": "e"}, at)
    decided = _decide(ports, escalated, 40)
    assert ports.complaints.get(complaint.complaint_id) == replace(decided)


# --------------------------------------------------------------------------- attachments


def _attachment(complaint: Complaint, num: int, *, minutes: float = 0) -> Attachment:
    attachment_id = f"a_{num:032x}"
    return new_attachment(
        attachment_id,
        f"file {num}.png",
        "image/png",
        100 + num,
        T0 + timedelta(minutes=minutes),
        key=object_key(complaint.seller_id, complaint.complaint_id, attachment_id),
    )


def _attach(
    ports: Ports, complaint_id: str, attachment: Attachment, replacing: tuple[str, ...] = ()
) -> Complaint:
    """Add ``attachment`` to the complaint as stored now; return the complaint after."""
    read = ports.complaints.get(complaint_id)
    assert read is not None
    ports.complaints.add_attachment(read, attachment, replacing=list(replacing))
    after = ports.complaints.get(complaint_id)
    assert after is not None
    return after


def _conflict_code(call: Any) -> str | None:
    with pytest.raises(Conflict) as lost:
        call()
    return lost.value.code


def test_at_most_ten_attachments_unless_stale_ones_are_replaced_in_the_same_write(
    ports: Ports,
) -> None:
    complaint = _add(ports, "o-1")
    cid = complaint.complaint_id
    ten = [_attachment(complaint, i) for i in range(MAX_PER_COMPLAINT)]
    for attachment in ten:
        stored = _attach(ports, cid, attachment)
    assert stored.attachments == tuple(ten)  # oldest first, as stored (with their keys)
    eleventh = _attachment(complaint, 10, minutes=20)
    assert _conflict_code(lambda: _attach(ports, cid, eleventh)) == "attachments_changed"
    # the stored entries count until the write names the stale ones it removes: the
    # service decides which are stale (their forms expired), the write checks they still
    # await their upload
    first = stored.attachments[0]
    verified = first.verified("ab" * 32, T0 + timedelta(minutes=5))
    ports.complaints.verify_attachment(cid, verified)
    assert (
        _conflict_code(lambda: _attach(ports, cid, eleventh, (first.attachment_id,)))
        == "attachments_changed"
    )  # verified: not stale, nothing replaced
    assert (
        _conflict_code(lambda: _attach(ports, cid, eleventh, (f"a_{99:032x}",)))
        == "attachments_changed"
    )  # not there at all
    stale = tuple(a.attachment_id for a in ten[1:4])
    after = _attach(ports, cid, eleventh, stale)
    assert after.attachments == (verified, *ten[4:], eleventh)
    # the count followed the replacement: 8 stored, room for exactly 2 more
    _attach(ports, cid, _attachment(complaint, 11, minutes=21))
    _attach(ports, cid, _attachment(complaint, 12, minutes=22))
    twelfth = _attachment(complaint, 13, minutes=23)
    assert _conflict_code(lambda: _attach(ports, cid, twelfth)) == "attachments_changed"
    stored_now = ports.complaints.get(cid)
    assert stored_now is not None and len(stored_now.attachments) == MAX_PER_COMPLAINT


def test_an_attachment_is_added_to_the_complaint_as_read_only_while_pending(
    ports: Ports,
) -> None:
    complaint = _add(ports, "o-1")
    first, second = _attachment(complaint, 1), _attachment(complaint, 2)
    ports.complaints.add_attachment(complaint, first, replacing=[])
    # a copy read before the first attachment would create the map again: it loses
    code = _conflict_code(lambda: ports.complaints.add_attachment(complaint, second, replacing=[]))
    assert code == "attachments_changed"
    stored = ports.complaints.get(complaint.complaint_id)
    assert stored is not None and stored.attachments == (first,)
    decided = _decide(ports, stored, 1)
    assert decided.attachments == (first,)
    third = _attachment(complaint, 3)
    assert (
        _conflict_code(lambda: ports.complaints.add_attachment(stored, third, replacing=[]))
        == "not_pending"
    )
    fresh = _add(ports, "o-2")
    _decide(ports, fresh, 1)  # no attachments yet: refused all the same
    assert (
        _conflict_code(
            lambda: ports.complaints.add_attachment(fresh, _attachment(fresh, 1), replacing=[])
        )
        == "not_pending"
    )
    missing = replace(fresh, complaint_id=complaint_id_for("o-404", "malicious_ordering"))
    assert (
        _conflict_code(
            lambda: ports.complaints.add_attachment(missing, _attachment(missing, 1), replacing=[])
        )
        == "not_pending"
    )
    after = ports.complaints.get(complaint.complaint_id)
    assert after is not None and after.attachments == (first,)


def test_an_attachment_is_verified_once_only_while_it_awaits_its_upload(
    ports: Ports,
) -> None:
    complaint = _add(ports, "o-1")
    cid = complaint.complaint_id
    first, second = _attachment(complaint, 1), _attachment(complaint, 2)
    _attach(ports, cid, first)
    _attach(ports, cid, second)
    at = T0 + timedelta(minutes=3)
    verified = first.verified("cd" * 32, at)
    ports.complaints.verify_attachment(cid, verified)
    stored = ports.complaints.get(cid)
    assert stored is not None and stored.attachments == (verified, second)
    assert stored.attachments[0].key == first.key
    again = first.verified("ef" * 32, at + timedelta(minutes=1))
    assert (
        _conflict_code(lambda: ports.complaints.verify_attachment(cid, again))
        == "attachment_verified"
    )
    gone = _attachment(complaint, 3).verified("00" * 32, at)
    assert (
        _conflict_code(lambda: ports.complaints.verify_attachment(cid, gone)) == "attachment_gone"
    )
    # replaced after its form expired: gone as well
    late = T0 + UPLOAD_TTL + timedelta(minutes=1)
    _attach(ports, cid, _attachment(complaint, 4, minutes=16), (second.attachment_id,))
    assert (
        _conflict_code(
            lambda: ports.complaints.verify_attachment(cid, second.verified("11" * 32, late))
        )
        == "attachment_gone"
    )
    third = _attachment(complaint, 5, minutes=17)
    _attach(ports, cid, third)
    read = ports.complaints.get(cid)
    assert read is not None
    _decide(ports, read, 1)
    assert (
        _conflict_code(
            lambda: ports.complaints.verify_attachment(cid, third.verified("22" * 32, late))
        )
        == "not_pending"
    )
    after = ports.complaints.get(cid)
    assert after is not None
    assert {a.attachment_id: a.status for a in after.attachments} == {
        first.attachment_id: "verified",
        f"a_{4:032x}": "awaiting_upload",
        third.attachment_id: "awaiting_upload",
    }


# --------------------------------------------------------------------------- appeals, moves


def _reject(ports: Ports, complaint: Complaint, hours: float) -> Complaint:
    return _decide(ports, complaint, hours, outcome="rejected")


def test_an_appeal_reopens_a_rejection_once(ports: Ports) -> None:
    complaint = _add(ports, "o-1")
    rejected = _reject(ports, complaint, 1)
    now = T0 + timedelta(days=2)
    appealed = appeal(rejected, statement="look again", now=now)
    ports.complaints.save_appeal(appealed, {"event_id": "a", "occurred_at": to_iso(now)}, now)
    stored = ports.complaints.get_stored(complaint.complaint_id)
    assert stored is not None and stored.complaint == appealed
    assert stored.outbox["appealed"] == {"event_id": "a", "occurred_at": to_iso(now)}
    assert [c.complaint_id for c in ports.complaints.review_queue(10).items] == [
        complaint.complaint_id
    ]
    assert complaint.complaint_id in _due(ports, 48)  # its event, then the SLA
    # the rejection stays counted on its day; the decision after the appeal counts too
    assert ports.complaints.sla_days(T0.date(), now.date())[T0.date()].decided == 1
    with pytest.raises(Conflict) as twice:
        ports.complaints.save_appeal(appealed, {"event_id": "a2"}, now)
    assert twice.value.code == "already_appealed"
    upheld = decide(
        appealed,
        outcome="upheld",
        reason_code="complaint_upheld",
        decided_by="operator",
        actor="operator:b",
        now=now + timedelta(hours=1),
    )
    ports.complaints.save_decision(upheld, {"event_id": "d2"}, now + timedelta(hours=1))
    assert ports.complaints.get(complaint.complaint_id) == upheld
    ports.complaints.record_slowest(decision_sample(upheld))
    after = ports.complaints.sla_days(now.date(), now.date())[now.date()]
    assert (after.decided, after.max_seconds) == (1, 3600)  # 1 h after the appeal
    assert ports.complaints.review_queue(10).items == []


def test_an_appeal_of_a_stale_copy_loses(ports: Ports) -> None:
    complaint = _add(ports, "o-1")
    stale = _reject(ports, complaint, 1)
    now = T0 + timedelta(days=1)
    ports.complaints.save_appeal(appeal(stale, statement="s", now=now), {"event_id": "a"}, now)
    _decide(ports, ports.complaints.get(complaint.complaint_id), 30)  # type: ignore[arg-type]
    with pytest.raises(Conflict) as lost:  # the stale copy still says "rejected, not appealed"
        ports.complaints.save_appeal(appeal(stale, statement="t", now=now), {"event_id": "b"}, now)
    assert lost.value.code == "already_appealed"
    other = _reject(ports, _add(ports, "o-2"), 1)
    assert other.decision is not None
    moved_on = replace(other, decision=other.decision._replace(decided_at=T0))
    with pytest.raises(Conflict):  # a copy of another decision than the stored one
        ports.complaints.save_appeal(appeal(moved_on, statement="s", now=now), {}, now)


def _moved(complaint: Complaint, scenario: str, hours: float) -> Complaint:
    return recategorise(
        complaint,
        scenario=scenario,
        reason=None,
        assessment=Assessment("rejected", "insufficient_evidence", (), T0),
        actor="operator:a",
        note="n",
        now=T0 + timedelta(hours=hours),
    )


def test_a_move_puts_the_complaint_under_its_new_id_atomically(ports: Ports) -> None:
    complaint = _add(ports, "o-1", scenario="malicious_harassment")
    at = T0 + timedelta(hours=36)
    escalated = escalate(complaint, at)
    ports.complaints.save_escalation(escalated, {"event_id": "e", "occurred_at": to_iso(at)}, at)
    moved = _moved(escalated, "malicious_review", 37)
    event = {"event_id": "m", "occurred_at": to_iso(T0 + timedelta(hours=37))}
    ports.complaints.move(escalated, moved, event, T0 + timedelta(hours=37))
    assert ports.complaints.get(complaint.complaint_id) is None
    stored = ports.complaints.get_stored(moved.complaint_id)
    assert stored is not None and stored.complaint == moved
    assert stored.outbox == {
        "escalated": {"event_id": "e", "occurred_at": to_iso(at)},
        "recategorised": event,
    }
    assert _due(ports, 37) == [moved.complaint_id]
    assert [c.complaint_id for c in ports.complaints.review_queue(10).items] == [moved.complaint_id]
    listed = ports.complaints.list_for_seller(
        "s-1", since=T0, until=T0 + timedelta(days=3), limit=10
    )
    assert [c.complaint_id for c in listed.items] == [moved.complaint_id]
    with pytest.raises(Conflict) as gone:  # moving the old one again: it is not there
        ports.complaints.move(escalated, _moved(escalated, "malicious_dispute", 38), event, at)
    assert gone.value.code == "not_pending"
    _add(ports, "o-1", scenario="malicious_harassment")  # the old (order, scenario) is free


def test_a_move_onto_a_taken_id_or_of_a_changed_complaint_changes_nothing(ports: Ports) -> None:
    complaint = _add(ports, "o-1", scenario="malicious_harassment")
    taken = _add(ports, "o-1", scenario="malicious_review", hours=1)
    now = T0 + timedelta(hours=2)
    with pytest.raises(DuplicateComplaint) as dup:
        ports.complaints.move(complaint, _moved(complaint, "malicious_review", 2), {}, now)
    assert dup.value.complaint_id == taken.complaint_id
    assert ports.complaints.get(complaint.complaint_id) == complaint
    assert ports.complaints.get(taken.complaint_id) == taken
    at = T0 + timedelta(hours=36)
    ports.complaints.save_escalation(escalate(complaint, at), {"event_id": "e"}, at)
    with pytest.raises(Conflict) as changed:  # a copy from before the escalation
        ports.complaints.move(complaint, _moved(complaint, "malicious_dispute", 37), {}, at)
    assert changed.value.code == "complaint_changed"
    decided = _decide(ports, taken, 3)
    with pytest.raises(Conflict) as decided_meanwhile:
        ports.complaints.move(taken, _moved(taken, "malicious_dispute", 4), {}, now)
    assert decided_meanwhile.value.code == "not_pending"
    assert ports.complaints.get(taken.complaint_id) == decided
    assert ports.complaints.get(complaint_id_for("o-1", "malicious_dispute")) is None


# --------------------------------------------------------------------------- buyer days


def test_a_facts_day_counters_move_only_over_the_revision_read(ports: Ports) -> None:
    _apply(ports, order_event("o-1", status="placed", placed_at=T0 - timedelta(days=3)))
    facts = ports.facts
    part = facts.activity_partition(facts.order_items("o-1"))
    (key, (order, version)) = next(iter(part.facts.items()))
    assert key == "ORDER#" and version == 1 and part.stored == {}
    new = cells(order)
    facts.write_activity("o-1", key, None, new, 1, cell_deltas((), new))
    with pytest.raises(ContributionConflict):  # someone else wrote it first
        facts.write_activity("o-1", key, None, new, 1, cell_deltas((), new))
    stored = facts.activity_partition(facts.order_items("o-1")).stored[key]
    assert stored == StoredCells(new, 1, 1)
    assert facts.order_facts("o-1").order == order  # the counters item is no fact
    day = (T0 - timedelta(days=3)).date()
    placed = counter_key(order)
    assert facts.buyer_days("b-1", None, day, day) == {day: {placed: 1}}
    assert facts.buyer_days("b-1", "s-1", day, day) == {day: {placed: 1}}
    assert facts.buyer_days("b-1", "s-2", day, day) == {}
    assert facts.buyer_days("b-1", None, day + timedelta(days=1), T0.date()) == {}

    paid = order._replace(status="paid", paid_at=order.placed_at)
    moved = cells(paid)
    facts.write_activity("o-1", key, stored, moved, 2, cell_deltas(new, moved))
    with pytest.raises(ContributionConflict):  # a stale revision: nothing written
        facts.write_activity("o-1", key, stored, new, 1, cell_deltas(moved, new))
    assert facts.buyer_days("b-1", "s-1", day, day) == {day: {placed: 0, counter_key(paid): 1}}


def _day_counters_now(ports: Ports, buyer: str, sellers: list[str]) -> dict[Any, dict[str, int]]:
    first, last = T0.date() - timedelta(days=100), T0.date() + timedelta(days=1)
    found: dict[Any, dict[str, int]] = {}
    for seller in [None, *sellers]:
        for day, counters in ports.facts.buyer_days(buyer, seller, first, last).items():
            kept = {k: n for k, n in counters.items() if n}
            if kept:
                found[(seller, day)] = kept
    return found


def _day_counters_of(facts: list[Any]) -> dict[Any, dict[str, int]]:
    expected: dict[Any, dict[str, int]] = {}
    for fact in facts:
        for cell in cells(fact):
            day = expected.setdefault((cell.seller_id, cell.day), {})
            day[cell.key] = day.get(cell.key, 0) + 1
    return expected


def test_redelivered_and_out_of_order_events_leave_the_buyer_day_counters_exact(
    ports: Ports,
) -> None:
    day = timedelta(days=1)
    versions = [
        order_event("o-1", placed_at=T0 - 5 * day, version=1),
        order_event("o-1", status="paid", placed_at=T0 - 5 * day, version=2),
        order_event(
            "o-1", status="cancelled", cancelled_by="buyer", placed_at=T0 - 5 * day, version=3
        ),
        order_event("o-2", seller_id="s-2", buyer_note="hi", placed_at=T0 - 40 * day),
        order_event("o-2", seller_id="s-2", status="paid", placed_at=T0 - 40 * day, version=2),
        dispute_event("d-1", "o-1", opened_at=T0 - 4 * day),
        dispute_event(
            "d-1",
            "o-1",
            status="closed",
            resolution="seller_favour",
            opened_at=T0 - 4 * day,
            version=2,
        ),
        review_event("r-1", "o-2", seller_id="s-2", rating=1, posted_at=T0 - 39 * day),
        review_event("r-1", "o-2", seller_id="s-2", rating=4, posted_at=T0 - 39 * day, version=2),
    ]
    # versions out of order (o-1: 1, 3, 2; o-2 and r-1 newest first; d-1 in order), then
    # everything again (redelivery), then the oldest again
    shuffled = [versions[i] for i in (0, 2, 1, 4, 3, 5, 6, 8, 7)]
    ingest_events(ports.facts, ports.metrics, shuffled + versions + versions[:1], T0)
    final = [ports.facts.order_facts(o) for o in ("o-1", "o-2")]
    latest = (
        [f.order for f in final]
        + [d for f in final for d in f.disputes]
        + [r for f in final for r in f.reviews]
    )
    assert [f.order.status for f in final if f.order] == ["cancelled", "paid"]
    assert _day_counters_now(ports, "b-1", ["s-1", "s-2"]) == _day_counters_of(latest)
    # a fresh refresh finds nothing left to do
    assert refresh_buyer_days(ports.facts, "o-1") == 0


# --------------------------------------------------------------------------- request counts


#: DynamoDB requests of each main operation of the services, the same on every backend: a
#: fake's call counts what its DynamoDB implementation requests, so that the simulated
#: month's request counts (``bench/simulate.py``, made on the fakes) are DynamoDB's.
REQUESTS_PER_OPERATION = {
    "ingest (accepted)": BUDGETS["ingest one event"],
    "ingest (duplicate)": 6,
    "ingest (stale)": 4,
    "submit (pending)": BUDGETS["submit (pending)"],
    "recategorise": BUDGETS["recategorise"],
    "decide": BUDGETS["decide"],
    "appeal": BUDGETS["appeal"],
    "sweep: escalate": BUDGETS["sweep, per due complaint (escalate)"],
    "sweep: decide": BUDGETS["sweep, per due complaint (decide)"],
    "submit (upheld by the rules)": BUDGETS["submit (upheld by the rules)"],
    # five orders of the buyer at the seller (the budgets' own case has one)
    "exemption job, one complaint": 23,
}


def _requests(ports: Ports, settings: Settings, operation: Callable[[], R]) -> tuple[R, int]:
    """What ``operation`` returns, and the DynamoDB requests it made (on the fakes: the
    requests their calls count, the publisher's aside)."""
    from bench.dynamo_calls import count_dynamodb_calls

    if isinstance(ports, InMemoryPorts):
        before = ports.requests()
        result = operation()
        made = ports.requests() - before
        return result, sum(n for method, n in made.items() if not method.startswith("publisher."))
    with count_dynamodb_calls(settings) as calls:
        result = operation()
    return result, sum(calls.values())


def test_each_operation_makes_the_same_requests_on_every_backend(
    ports: Ports, settings: Settings
) -> None:
    from chalicelib.services.complaints import appeal_complaint, submit_complaint
    from chalicelib.services.decisions import decide_by_operator
    from chalicelib.services.exemptions import run_exemption_job
    from chalicelib.services.recategorisation import recategorise_complaint
    from chalicelib.services.sweep import process_due

    measured: dict[str, int] = {}

    def count(name: str, operation: Any) -> Any:
        result, measured[name] = _requests(ports, settings, operation)
        return result

    def ingest(raw: dict[str, Any], now: datetime = T0) -> str:
        (result,) = ingest_events(ports.facts, ports.metrics, [raw], now)
        return result.status

    policy, thresholds = settings.sla_policy, settings.thresholds
    placed = T0 - timedelta(days=3)
    first = order_event("o-1", status="placed", placed_at=placed, event_id="e-o-1")
    assert count("ingest (accepted)", lambda: ingest(first)) == "accepted"
    assert count("ingest (duplicate)", lambda: ingest(first)) == "duplicate"
    ingest(order_event("o-1", status="cancelled", placed_at=placed, version=2))
    stale = order_event("o-1", status="placed", placed_at=placed, event_id="e-o-1-again")
    assert count("ingest (stale)", lambda: ingest(stale)) == "stale"
    ingest(dispute_event("d-1", "o-1"))

    def submit(order_id: str, at: datetime) -> Complaint:
        return submit_complaint(
            ports,
            seller_id="s-1",
            order_id=order_id,
            scenario="malicious_ordering",
            description="d",
            reason=None,
            evidence=(),
            now=at,
            decision_hours=48,
            thresholds=thresholds,
            policy=policy,
        )

    pending = count("submit (pending)", lambda: submit("o-1", T0))
    assert pending.is_pending
    moved = count(
        "recategorise",
        lambda: recategorise_complaint(
            ports,
            complaint_id=pending.complaint_id,
            operator_id="a",
            scenario="malicious_dispute",
            reason=None,
            note=None,
            now=T0 + timedelta(hours=1),
            thresholds=thresholds,
            policy=policy,
        ),
    )
    rejected = count(
        "decide",
        lambda: decide_by_operator(
            ports,
            complaint_id=moved.complaint_id,
            operator_id="a",
            outcome="rejected",
            reason_code="insufficient_evidence",
            note=None,
            now=T0 + timedelta(hours=2),
            policy=policy,
        ),
    )
    appealed_at = T0 + timedelta(hours=3)
    appealed = count(
        "appeal",
        lambda: appeal_complaint(
            ports,
            seller_id="s-1",
            complaint_id=rejected.complaint_id,
            statement="look again",
            now=appealed_at,
            months=6,
            appeal_days=settings.appeal_days,
            decision_hours=48,
            policy=policy,
        ),
    )
    cid = appealed.complaint_id
    at = appealed_at + timedelta(hours=37)
    assert count("sweep: escalate", lambda: process_due(ports, cid, at, policy, thresholds)) == [
        "escalated"
    ]
    at = appealed_at + timedelta(hours=47, minutes=40)
    done = count("sweep: decide", lambda: process_due(ports, cid, at, policy, thresholds))
    assert done == ["decided"]

    # a buyer with five unpaid orders at the seller: upheld at once, then exempted
    for n in range(5):
        ingest(order_event(f"o-b2-{n}", buyer_id="b-2", placed_at=placed + timedelta(hours=n)))
    upheld = count("submit (upheld by the rules)", lambda: submit("o-b2-0", T0))
    assert upheld.status == "upheld"
    report = count(
        "exemption job, one complaint",
        lambda: run_exemption_job(
            ports,
            now=T0 + timedelta(hours=1),
            policy=settings.exemption_policy,
            sla=policy,
            batch=10,
        ),
    )
    assert report.actions["applied"] == 1
    assert measured == REQUESTS_PER_OPERATION


def test_list_and_export_pages_make_the_same_requests_on_every_backend(
    ports: Ports, settings: Settings
) -> None:
    """A page reads its keys from an index (one Query; a scenario alone: one per status),
    then its complaints by one BatchGetItem — none when the page is empty; a page by order
    is one BatchGetItem.  The pages show the right complaints, newest first."""
    for i in range(3):
        _add(ports, f"o-{i}", hours=i)
    _decide(ports, _add(ports, "o-3", hours=3, scenario="malicious_harassment"), 1)
    window = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=1)}
    nothing = {"since": T0 - timedelta(days=3), "until": T0 - timedelta(days=2)}

    def listed(limit: int = 2, when: dict[str, Any] = window, **filters: str) -> tuple[Any, int]:
        page, made = _requests(
            ports,
            settings,
            lambda: ports.complaints.list_for_seller(
                "s-1", limit=limit, filters=ListFilter(**filters), **when
            ),
        )
        return [c.order_id for c in page.items], made

    assert listed() == (["o-3", "o-2"], BUDGETS["list page"])
    assert listed(status="pending") == (["o-2", "o-1"], BUDGETS["list page (status filter)"])
    by_scenario = listed(scenario="malicious_ordering")
    assert by_scenario == (["o-2", "o-1"], BUDGETS["list page (scenario filter)"])
    assert listed(order_id="o-1") == (["o-1"], BUDGETS["list page (order_id filter)"])
    assert listed(when=nothing) == ([], 1)  # the Query finds no keys: nothing to read
    assert listed(when=nothing, scenario="malicious_ordering") == ([], 3)
    page, made = _requests(ports, settings, lambda: ports.complaints.export_page("s-1", **window))
    assert [c.order_id for c in page.items] == ["o-3", "o-2", "o-1", "o-0"]
    assert (page.next_start, made) == (None, BUDGETS["export, per 100 complaints"])
    page, made = _requests(ports, settings, lambda: ports.complaints.export_page("s-1", **nothing))
    assert (page.items, page.next_start, made) == ([], None, 1)
