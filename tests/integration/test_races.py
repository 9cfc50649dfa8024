"""Races against dynalite — a real concurrent server (moto's is not safe for concurrent
conditional writes).  Each race starts its contenders together behind a barrier."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.adapters.models import complaint_model
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.domain.attachments import MAX_PER_COMPLAINT, UPLOAD_TTL
from chalicelib.domain.buyer_activity import cells
from chalicelib.domain.complaints import Complaint, complaint_id_for, decide, escalate
from chalicelib.domain.errors import Conflict, DuplicateComplaint, NotEligible
from chalicelib.services.attachments import start_upload
from chalicelib.services.complaints import appeal_complaint
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.ingest import ingest_events
from chalicelib.services.metrics import refresh_order
from chalicelib.services.recategorisation import recategorise_complaint
from chalicelib.services.sweep import process_due, run_sweep, work_off
from tests.builders import T0, dispute_event, order_event, review_event, submit
from tests.concurrency import race
from tests.fakes import InMemoryFiles, RecordingQueue

# Races need a server that is safe for concurrent conditional writes: dynalite only
# (the conftest's ``backend`` fixture, given just one of its parameters).
pytestmark = [
    pytest.mark.usefixtures("aws"),
    pytest.mark.parametrize("backend", ["dynalite"], indirect=True),
]


class Collecting:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def publish(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(event)


def _adapters(settings: Settings, publisher: Collecting) -> Adapters:
    return Adapters(
        ComplaintRepository(settings),
        FactRepository(settings),
        MetricsRepository(settings),
        publisher,
        None,
    )


def _pending(settings: Settings, adapters: Adapters, order_id: str) -> Complaint:
    FactRepository(settings).apply(parse_event(order_event(order_id, status="delivered")), T0)
    return submit(adapters, settings, order_id)


def test_fifty_identical_submissions_make_exactly_one_complaint(settings: Settings) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    FactRepository(settings).apply(parse_event(order_event("o-race", status="delivered")), T0)

    def submit_once() -> Complaint:
        return submit(adapters, settings, "o-race", "malicious_harassment")

    results = race(*[submit_once] * 50)
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Complaint": 1, "DuplicateComplaint": 49}, kinds
    winner = next(r for r in results if isinstance(r, Complaint))
    assert {r.complaint_id for r in results if isinstance(r, DuplicateComplaint)} == {
        winner.complaint_id
    }
    assert ComplaintRepository(settings).get(winner.complaint_id) == winner


def test_fifty_identical_http_submissions_answer_one_201_and_49_409(
    settings: Settings, tokens: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same race through the HTTP API: each request handled as ``chalice local``
    handles it (its own LocalGateway and thread, the request held per thread), without
    the socket server, whose backlog of 5 connections would refuse some of 50 at once."""
    import json

    from chalice.config import Config
    from chalice.local import LocalChalice, LocalGateway

    from app import app

    FactRepository(settings).apply(parse_event(order_event("o-http", status="delivered")), T0)
    monkeypatch.setattr(app, "__class__", type("PerThreadRequest", (LocalChalice, type(app)), {}))
    body = json.dumps(
        {"order_id": "o-http", "scenario": "malicious_harassment", "description": "d"}
    ).encode()
    headers = {"authorization": f"Bearer {tokens('s-1')}", "content-type": "application/json"}

    def post() -> Any:
        return LocalGateway(app, Config()).handle_request("POST", "/complaints", headers, body)

    replies = race(*[post] * 50)
    assert Counter(r["statusCode"] for r in replies) == {201: 1, 409: 49}, replies[:3]
    created = json.loads(next(r for r in replies if r["statusCode"] == 201)["body"])
    refused = [json.loads(r["body"])["error"] for r in replies if r["statusCode"] == 409]
    assert {e["code"] for e in refused} == {"duplicate_complaint"}
    assert ComplaintRepository(settings).get(created["complaint_id"]) is not None


@pytest.mark.parametrize("round_", range(5))
def test_two_reviewers_deciding_at_once_one_wins(settings: Settings, round_: int) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    complaint = _pending(settings, adapters, f"o-rev-{round_}")

    def reviewer(outcome: str, code: str, who: str) -> Callable[[], Any]:
        return lambda: decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id=who,
            outcome=outcome,
            reason_code=code,
            note=None,
            now=T0 + timedelta(hours=1),
            policy=settings.sla_policy,
        )

    results = race(
        reviewer("upheld", "complaint_upheld", "op-1"),
        reviewer("rejected", "insufficient_evidence", "op-2"),
    )
    assert sorted(type(r).__name__ for r in results) == ["Complaint", "Conflict"]
    stored = ComplaintRepository(settings).get(complaint.complaint_id)
    assert stored is not None
    assert [h.action for h in stored.history].count(f"decided:{stored.status}") == 1
    assert len(stored.history) == 2
    assert [e["type"] for e in publisher.events] == ["complaint.decided"]
    assert publisher.events[0]["outcome"] == stored.status
    figures = ComplaintRepository(settings).sla_days(T0.date(), T0.date())[T0.date()]
    assert (figures.decided, dict(figures.by), figures.max_seconds) == (1, {"operator": 1}, 3600)
    # the review queue's counters moved once: one pending fewer, not two
    assert ComplaintRepository(settings).pending_counts(T0) == {
        "pending": 0,
        "escalated": 0,
        "overdue": 0,
    }


@pytest.mark.parametrize("round_", range(3))
def test_two_deciders_of_an_escalated_complaint_move_the_queue_counts_once(
    settings: Settings, round_: int
) -> None:
    """One decides from a copy read before the escalation, the other from the escalated
    one: one decision is stored, and the counters lose the complaint and its escalation
    once each (the stale copy's transaction, conditional on the escalation as read, is
    tried again with the stored one — and then loses, or wins, once)."""
    repo = ComplaintRepository(settings)
    adapters = _adapters(settings, Collecting())
    others = [_pending(settings, adapters, f"o-other-{round_}-{i}") for i in range(2)]
    complaint = _pending(settings, adapters, f"o-esc-{round_}")
    at = T0 + timedelta(hours=36)
    escalated = escalate(complaint, at)
    repo.save_escalation(escalated, {"event_id": "e"}, at)
    assert repo.pending_counts(at) == {"pending": 3, "escalated": 1, "overdue": 0}

    def decider(copy: Complaint, who: str) -> Callable[[], Any]:
        decided = decide(
            copy,
            outcome="rejected",
            reason_code="insufficient_evidence",
            decided_by="operator",
            actor=f"operator:{who}",
            now=at + timedelta(minutes=1),
        )
        return lambda: repo.save_decision(decided, {"event_id": who}, at)

    results = race(decider(complaint, "stale"), decider(escalated, "fresh"))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"], results
    stored = repo.get(complaint.complaint_id)
    assert stored is not None and stored.status == "rejected" and stored.escalated_at == at
    assert repo.pending_counts(at) == {"pending": len(others), "escalated": 0, "overdue": 0}
    figures = repo.sla_days(at.date(), at.date())[at.date()]
    assert figures.decided == 1


def test_reviewers_deciding_many_complaints_at_once_count_each_once(settings: Settings) -> None:
    """Ten decisions at once land on the same day's item of the SLA figures: each of their
    transactions adds its one decision."""
    adapters = _adapters(settings, Collecting())
    pending = [_pending(settings, adapters, f"o-many-{i}") for i in range(10)]

    def reviewer(complaint: Complaint, minutes: int) -> Callable[[], Any]:
        return lambda: decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op",
            outcome="rejected",
            reason_code="insufficient_evidence",
            note=None,
            now=T0 + timedelta(hours=1, minutes=minutes),
            policy=settings.sla_policy,
        )

    results = race(*[reviewer(c, i) for i, c in enumerate(pending)])
    assert all(isinstance(r, Complaint) for r in results), results
    figures = ComplaintRepository(settings).sla_days(T0.date(), T0.date())[T0.date()]
    assert (figures.decided, figures.by["operator"]) == (10, 10)
    assert figures.max_seconds == 3600 + 9 * 60


@pytest.mark.parametrize("round_", range(5))
def test_the_sweep_and_a_reviewer_at_once_make_one_decision(
    settings: Settings, round_: int
) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    complaint = _pending(settings, adapters, f"o-sw-{round_}")
    at = T0 + timedelta(hours=47, minutes=45)  # past the escalation and decision points

    results = race(
        lambda: process_due(
            adapters, complaint.complaint_id, at, settings.sla_policy, settings.thresholds
        ),
        lambda: decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op",
            outcome="upheld",
            reason_code="complaint_upheld",
            note=None,
            now=at,
            policy=settings.sla_policy,
        ),
    )
    assert not any(isinstance(r, Exception) and not isinstance(r, Conflict) for r in results), (
        results
    )
    stored = ComplaintRepository(settings).get(complaint.complaint_id)
    assert stored is not None and stored.decision is not None
    decisions = [h for h in stored.history if h.action.startswith("decided:")]
    assert len(decisions) == 1
    decided_events = [e for e in publisher.events if e["type"] == "complaint.decided"]
    assert len(decided_events) == 1
    assert decided_events[0]["decided_by"] == stored.decision.decided_by


@pytest.mark.parametrize("round_", range(3))
def test_overlapping_sweep_runs_and_workers_act_on_each_complaint_once(
    settings: Settings, round_: int
) -> None:
    """Issue 16: two scheduled runs (one late, overlapping the next) and two workers given
    the same complaints (a redelivered message) at once, past the escalation and decision
    points: each complaint is escalated once and decided once, with one event each."""
    publisher = Collecting()
    adapters = _adapters(settings, publisher)._replace(sweep_queue=RecordingQueue())
    made = [_pending(settings, adapters, f"o-ov-{round_}-{i}").complaint_id for i in range(6)]
    at = T0 + timedelta(hours=47, minutes=45)
    policy, thresholds = settings.sla_policy, settings.thresholds

    def run() -> Any:
        return run_sweep(
            adapters,
            now=at,
            policy=policy,
            thresholds=thresholds,
            batch=3,
            time_left_ms=lambda: 60_000,
        )

    def worker() -> Any:
        return work_off(adapters, made, now=at, policy=policy, thresholds=thresholds)

    results = race(run, run, worker, worker)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert all(not r.failed for r in results[2:])
    repo = ComplaintRepository(settings)
    for complaint_id in made:
        stored = repo.get(complaint_id)
        assert stored is not None and stored.decision is not None
        assert [h.action for h in stored.history][:2] == ["submitted", "escalated"]
        assert len(stored.history) == 3 and stored.history[2].action.startswith("decided:")
        types = sorted(e["type"] for e in publisher.events if e["complaint_id"] == complaint_id)
        assert types == ["complaint.decided", "complaint.escalated"]


def _counters_after_refreshing(
    settings: Settings, seller_id: str, order_id: str, refreshers: int
) -> tuple[dict[Any, dict[str, int]], list[Any]]:
    """Store a delivered order and its 1-star review, then let ``refreshers`` workers
    recompute the order's metric contributions at once."""
    facts, metrics = FactRepository(settings), MetricsRepository(settings)
    placed = T0 - timedelta(days=3)
    for event in (
        order_event(order_id, seller_id=seller_id, status="delivered", placed_at=placed),
        review_event(f"r-{order_id}", order_id, seller_id=seller_id, rating=1),
    ):
        facts.apply(parse_event(event), T0)
    results = race(*[lambda: refresh_order(facts, metrics, order_id)] * refreshers)
    return metrics.day_counters(seller_id, placed.date(), T0.date()), results


@pytest.mark.parametrize("round_", range(3))
def test_workers_refreshing_one_order_at_once_count_it_once(
    settings: Settings, round_: int
) -> None:
    """Each unit's contribution and its counter deltas are one transaction, conditional on
    the stored revision: whoever loses re-reads and finds nothing left to add."""
    expected, _ = _counters_after_refreshing(settings, f"s-alone-{round_}", "o-alone", 1)
    assert any(any(day.values()) for day in expected.values())

    counters, results = _counters_after_refreshing(settings, f"s-race-{round_}", "o-race", 8)

    # Two units (the order, the review): a worker loses at most once per unit, so its third
    # attempt always finds nothing left to do.
    assert all(isinstance(r, int) for r in results), results
    assert counters == expected


def _announce(
    settings: Settings, complaint_id: str, num: int, at: Any, files: InMemoryFiles | None = None
) -> Callable[[], Any]:
    """One announcement of a 100-byte PNG on ``complaint_id`` at ``at`` (its attachment id
    made from ``num``); the files bucket is a fake (forms are signed locally anyway)."""
    return lambda: start_upload(
        ComplaintRepository(settings),
        files or InMemoryFiles(),
        seller_id="s-1",
        complaint_id=complaint_id,
        filename=f"chat {num}.png",
        content_type="image/png",
        size=100,
        now=at,
        months=settings.listing_months,
        max_bytes=settings.attachment_max_bytes,
        random_bytes=num.to_bytes(16, "big"),
    )


def _stored_attachments(settings: Settings, complaint_id: str) -> tuple[set[str], int]:
    """The ids in the item's ``attachments`` map and its ``attachment_count``, as stored."""
    item = complaint_model(settings).get(complaint_id, consistent_read=True)
    return set(item.attachments or {}), int(item.attachment_count or 0)


@pytest.mark.parametrize(
    ("stale", "winners"),
    [(0, MAX_PER_COMPLAINT - 8), (3, MAX_PER_COMPLAINT - 5)],
    ids=["8-live", "5-live-3-expired"],
)
def test_twenty_announcements_at_once_fill_the_complaint_to_exactly_ten(
    settings: Settings, stale: int, winners: int
) -> None:
    """8 attachments (``stale`` of them announced long enough ago for their forms to have
    expired): of 20 announcements at once exactly enough win to make 10, the others are
    refused ``too_many_attachments``, and the map and its count agree."""
    adapters = _adapters(settings, Collecting())
    complaint = _pending(settings, adapters, "o-att")
    cid = complaint.complaint_id
    start = T0 + timedelta(minutes=1)
    at = start + UPLOAD_TTL + timedelta(minutes=1)
    for num in range(8):
        _announce(settings, cid, 1000 + num, start if num < stale else at)()
    results = race(*(_announce(settings, cid, num, at) for num in range(20)))
    won = [r[0].attachment_id for r in results if isinstance(r, tuple)]
    refused = [r for r in results if not isinstance(r, tuple)]
    assert len(won) == winners, results
    assert all(isinstance(r, NotEligible) for r in refused), refused
    assert {r.code for r in refused} == {"too_many_attachments"}  # type: ignore[union-attr]
    ids, count = _stored_attachments(settings, cid)
    assert len(ids) == count == MAX_PER_COMPLAINT
    assert set(won) <= ids
    stored = ComplaintRepository(settings).get(cid)
    assert stored is not None
    assert all(a.counts(at) for a in stored.attachments)  # the expired ones were replaced


@pytest.mark.parametrize("round_", range(5))
def test_an_announcement_and_a_decision_at_once_end_consistently(
    settings: Settings, round_: int
) -> None:
    """Either the announcement came first (the decided complaint keeps its entry) or the
    decision did (the announcement is refused and wrote nothing, no form handed out)."""
    adapters = _adapters(settings, Collecting())
    complaint = _pending(settings, adapters, f"o-att-dec-{round_}")
    cid = complaint.complaint_id
    at = T0 + timedelta(hours=1)
    files = InMemoryFiles()
    _announce(settings, cid, 1, at, files)()
    announced, decided = race(
        _announce(settings, cid, 2, at, files),
        lambda: decide_by_operator(
            adapters,
            complaint_id=cid,
            operator_id="op",
            outcome="upheld",
            reason_code="complaint_upheld",
            note=None,
            now=at,
            policy=settings.sla_policy,
        ),
    )
    assert isinstance(decided, Complaint), decided  # an announcement never blocks a decision
    stored = ComplaintRepository(settings).get(cid)
    assert stored is not None and stored.status == "upheld"
    ids, count = _stored_attachments(settings, cid)
    assert {a.attachment_id for a in stored.attachments} == ids
    if isinstance(announced, tuple):
        assert announced[0].attachment_id in ids and count == 2
        assert files.calls["upload_form"] == 2
    else:
        assert isinstance(announced, NotEligible), announced
        assert announced.code == "complaint_not_pending"
        assert len(ids) == count == 1
        assert files.calls["upload_form"] == 1


# --------------------------------------------------------------------------- re-categorisation


def _mover(
    settings: Settings, adapters: Adapters, complaint_id: str, scenario: str, who: str = "op"
) -> Callable[[], Any]:
    return lambda: recategorise_complaint(
        adapters,
        complaint_id=complaint_id,
        operator_id=who,
        scenario=scenario,
        reason=None,
        note=None,
        now=T0 + timedelta(hours=1),
        thresholds=settings.thresholds,
        policy=settings.sla_policy,
    )


def _eligible_for_review(settings: Settings, order_id: str) -> None:
    FactRepository(settings).apply(
        parse_event(review_event(f"r-{order_id}", order_id, rating=1)), T0
    )


@pytest.mark.parametrize("round_", range(3))
def test_reviewers_recategorising_at_once_one_wins(settings: Settings, round_: int) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    order_id = f"o-mv-{round_}"
    complaint = _pending(settings, adapters, order_id)
    _eligible_for_review(settings, order_id)
    results = race(
        _mover(settings, adapters, complaint.complaint_id, "malicious_harassment", "op-1"),
        _mover(settings, adapters, complaint.complaint_id, "malicious_review", "op-2"),
        _mover(settings, adapters, complaint.complaint_id, "malicious_review", "op-3"),
    )
    winners = [r for r in results if isinstance(r, Complaint)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict | DuplicateComplaint) for r in results if r not in winners)
    repo = ComplaintRepository(settings)
    assert repo.get(complaint.complaint_id) is None
    others = {"malicious_harassment", "malicious_review"} - {winners[0].scenario}
    assert all(repo.get(complaint_id_for(order_id, s)) is None for s in others)
    assert repo.get(winners[0].complaint_id) == winners[0]
    assert [e["type"] for e in publisher.events] == ["complaint.recategorised"]


@pytest.mark.parametrize("round_", range(3))
def test_a_recategorisation_and_a_decision_at_once_one_wins(
    settings: Settings, round_: int
) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    complaint = _pending(settings, adapters, f"o-mvd-{round_}")
    results = race(
        _mover(settings, adapters, complaint.complaint_id, "malicious_harassment"),
        lambda: decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op-2",
            outcome="rejected",
            reason_code="insufficient_evidence",
            note=None,
            now=T0 + timedelta(hours=1),
            policy=settings.sla_policy,
        ),
    )
    assert sorted(type(r).__name__ for r in results) == ["Complaint", "Conflict"], results
    repo = ComplaintRepository(settings)
    old, new = (
        repo.get(complaint.complaint_id),
        repo.get(complaint_id_for(complaint.order_id, "malicious_harassment")),
    )
    if isinstance(results[0], Complaint):  # moved: the old one is gone, the new one pending
        assert old is None and new is not None and new.is_pending
        assert [e["type"] for e in publisher.events] == ["complaint.recategorised"]
    else:  # decided: nothing moved
        assert old is not None and old.status == "rejected" and new is None
        assert [e["type"] for e in publisher.events] == ["complaint.decided"]


@pytest.mark.parametrize("round_", range(3))
def test_a_recategorisation_and_the_seller_filing_that_scenario_at_once_one_wins(
    settings: Settings, round_: int
) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    order_id = f"o-mvs-{round_}"
    complaint = _pending(settings, adapters, order_id)
    results = race(
        _mover(settings, adapters, complaint.complaint_id, "malicious_harassment"),
        lambda: submit(adapters, settings, order_id, "malicious_harassment"),
    )
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["Complaint", "DuplicateComplaint"], results
    repo = ComplaintRepository(settings)
    target = repo.get(complaint_id_for(order_id, "malicious_harassment"))
    assert target is not None
    moved = isinstance(results[0], Complaint)
    assert (repo.get(complaint.complaint_id) is None) == moved
    assert [h.action for h in target.history][-1] == ("recategorised" if moved else "submitted")


@pytest.mark.parametrize("round_", range(3))
def test_a_seller_appealing_twice_at_once_appeals_once(settings: Settings, round_: int) -> None:
    publisher = Collecting()
    adapters = _adapters(settings, publisher)
    complaint = _pending(settings, adapters, f"o-ap-{round_}")
    decide_by_operator(
        adapters,
        complaint_id=complaint.complaint_id,
        operator_id="op-1",
        outcome="rejected",
        reason_code="insufficient_evidence",
        note=None,
        now=T0 + timedelta(hours=1),
        policy=settings.sla_policy,
    )

    def appeal_once(statement: str) -> Callable[[], Any]:
        return lambda: appeal_complaint(
            adapters,
            seller_id="s-1",
            complaint_id=complaint.complaint_id,
            statement=statement,
            now=T0 + timedelta(days=1),
            months=6,
            appeal_days=14,
            decision_hours=48,
            policy=settings.sla_policy,
        )

    results = race(appeal_once("a"), appeal_once("b"), appeal_once("c"))
    assert sorted(type(r).__name__ for r in results) == ["Complaint", "Conflict", "Conflict"]
    assert {r.code for r in results if isinstance(r, Conflict)} == {"already_appealed"}
    stored = ComplaintRepository(settings).get(complaint.complaint_id)
    winner = next(r for r in results if isinstance(r, Complaint))
    assert stored == winner and [h.action for h in stored.history].count("appealed") == 1
    assert [e["type"] for e in publisher.events].count("complaint.appealed") == 1


@pytest.mark.parametrize("round_", range(3))
def test_ingesting_versions_of_one_order_at_once_counts_the_buyer_days_once(
    settings: Settings, round_: int
) -> None:
    """Workers ingesting an order's versions, its dispute and their redeliveries at once: each
    fact's day counters move in one transaction conditional on the revision read, so the
    buyer's days end as the latest versions' counters, each counted once."""
    facts, metrics = FactRepository(settings), MetricsRepository(settings)
    buyer, day = f"b-race-{round_}", timedelta(days=1)
    versions = [
        order_event("o-r", buyer_id=buyer, placed_at=T0 - 3 * day, version=1),
        order_event("o-r", buyer_id=buyer, status="paid", placed_at=T0 - 3 * day, version=2),
        order_event("o-r", buyer_id=buyer, status="delivered", placed_at=T0 - 3 * day, version=3),
        dispute_event("d-r", "o-r", buyer_id=buyer, opened_at=T0 - 2 * day),
    ]

    def ingesting(event: dict[str, Any]) -> Callable[[], Any]:
        return lambda: ingest_events(facts, metrics, [event], T0)

    results = race(*[ingesting(e) for e in versions * 2])
    assert not any(isinstance(r, Exception) for r in results), results
    stored = facts.order_facts("o-r")
    expected: dict[Any, dict[str, int]] = {}
    for fact in (stored.order, *stored.disputes):
        assert fact is not None
        for cell in cells(fact):
            expected.setdefault((cell.seller_id, cell.day), {})[cell.key] = 1
    found = {
        (seller, when): {k: n for k, n in counters.items() if n}
        for seller in (None, "s-1")
        for when, counters in facts.buyer_days(
            buyer, seller, T0.date() - 4 * day, T0.date()
        ).items()
    }
    assert found == expected
