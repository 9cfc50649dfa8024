"""The services' logic on the in-memory fakes (``tests/fakes.py``): no moto, no server, a
fixed ``now``.  The fakes keep the DynamoDB adapters' semantics (held to it by
``tests/integration/test_repository_contracts.py``), so what holds here holds there; the
routes and the DynamoDB request budgets are tested in ``tests/functional``.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.config import Settings
from chalicelib.domain.complaints import Complaint
from chalicelib.domain.errors import (
    Conflict,
    DuplicateComplaint,
    InvalidRequest,
    NotEligible,
    NotFound,
    StorageError,
)
from chalicelib.domain.scenarios import get_scenario
from chalicelib.services import sweep
from chalicelib.services.complaints import get_complaint, list_complaints, submit_complaint
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.exemptions import run_exemption_job
from chalicelib.services.ingest import ingest_events
from chalicelib.services.metrics import seller_metrics
from chalicelib.services.ports import NO_FILTER
from chalicelib.services.review import complaint_for_review, review_queue
from chalicelib.services.sla_report import sla_report
from chalicelib.services.sweep import GROUP_SECONDS, process_due, run_sweep, work_off
from tests.builders import T0, order_event, review_event
from tests.fakes import InMemoryPorts


@pytest.fixture
def ports(settings: Settings) -> InMemoryPorts:
    return InMemoryPorts.create(settings, queue=True)


def _ingest(ports: InMemoryPorts, *events: dict[str, Any]) -> list[str]:
    return [r.status for r in ingest_events(ports.facts, ports.metrics, list(events), T0)]


def _submit(
    ports: InMemoryPorts,
    settings: Settings,
    order_id: str,
    scenario: str = "malicious_ordering",
    *,
    seller_id: str = "s-1",
    hours: float = 0,
    reason: str | None = None,
) -> Complaint:
    return submit_complaint(
        ports,
        seller_id=seller_id,
        order_id=order_id,
        scenario=scenario,
        description="buyer abuse",
        reason=reason,
        evidence=(),
        now=T0 + timedelta(hours=hours),
        decision_hours=settings.decision_hours,
        thresholds=settings.thresholds,
        policy=settings.sla_policy,
    )


def _decide(
    ports: InMemoryPorts,
    settings: Settings,
    complaint_id: str,
    outcome: str = "upheld",
    reason_code: str = "malicious_ordering_confirmed",
    hours: float = 1,
) -> Complaint:
    return decide_by_operator(
        ports,
        complaint_id=complaint_id,
        operator_id="op-1",
        outcome=outcome,
        reason_code=reason_code,
        note=None,
        now=T0 + timedelta(hours=hours),
        policy=settings.sla_policy,
    )


def _sweep(ports: InMemoryPorts, settings: Settings, hours: float, batch: int = 200) -> Any:
    return run_sweep(
        ports,
        now=T0 + timedelta(hours=hours),
        policy=settings.sla_policy,
        thresholds=settings.thresholds,
        batch=batch,
        time_left_ms=lambda: 60_000,
    )


def _exemptions(ports: InMemoryPorts, settings: Settings, hours: float) -> Any:
    return run_exemption_job(
        ports,
        now=T0 + timedelta(hours=hours),
        policy=settings.exemption_policy,
        sla=settings.sla_policy,
        batch=50,
    )


def _flooded(ports: InMemoryPorts) -> None:
    """b-flood placed 6 unpaid orders at s-1 in the last week: malicious ordering."""
    statuses = _ingest(
        ports,
        *[
            order_event(f"o-f{i}", buyer_id="b-flood", placed_at=T0 - timedelta(days=i + 1))
            for i in range(6)
        ],
    )
    assert statuses == ["accepted"] * 6


# --------------------------------------------------------------------------- submission


def test_an_eligible_complaint_waits_for_a_reviewer_with_the_rules_recommendation(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    ports.reset_counts()
    complaint = _submit(ports, settings, "o-1")
    assert complaint.status == "pending" and complaint.decision is None
    assert complaint.assessment is not None and complaint.assessment.outcome == "rejected"
    # the order's partition, the buyer's window (one page of its few facts: no day
    # counters needed), other sellers' upholds, one conditional put
    assert ports.requests() == Counter(
        {
            "facts.order_facts": 1,
            "facts.buyer_activity_page": 1,
            "complaints.upheld_against_buyer": 1,
            "complaints.add": 1,
        }
    )
    assert ports.publisher.events == []
    queue = review_queue(ports.complaints, limit=10, after_key=None)
    assert [c.complaint_id for c in queue.items] == [complaint.complaint_id]
    assert complaint_for_review(ports.complaints, complaint.complaint_id) == complaint
    seen = get_complaint(
        ports.complaints, seller_id="s-1", complaint_id=complaint.complaint_id, now=T0, months=6
    )
    assert seen == complaint
    with pytest.raises(NotFound):  # another seller's is the same 404 as a missing one
        get_complaint(
            ports.complaints, seller_id="s-2", complaint_id=complaint.complaint_id, now=T0, months=6
        )
    with pytest.raises(NotFound):  # older than the listing window
        get_complaint(
            ports.complaints,
            seller_id="s-1",
            complaint_id=complaint.complaint_id,
            now=T0 + timedelta(days=200),
            months=6,
        )


@pytest.mark.parametrize(
    ("scenario", "reason", "code"),
    [
        ("malicious_review", None, "no_negative_review"),
        ("malicious_dispute", None, "no_dispute"),
        ("no_such_scenario", None, "unknown_scenario"),
        ("malicious_ordering", "x", "reason_not_applicable"),
    ],
)
def test_an_ineligible_complaint_is_refused_and_writes_nothing(
    ports: InMemoryPorts, settings: Settings, scenario: str, reason: str | None, code: str
) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    with pytest.raises(NotEligible) as err:
        _submit(ports, settings, "o-1", scenario, reason=reason)
    assert err.value.code == code
    assert ports.complaints.rows == {} and ports.publisher.events == []


def test_a_missing_or_another_sellers_order_is_not_found(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, order_event("o-2", seller_id="s-2", status="delivered"))
    for order_id in ("o-2", "o-404"):
        with pytest.raises(NotFound):
            _submit(ports, settings, order_id)
    assert ports.complaints.rows == {}


def test_each_scenario_once_per_order(ports: InMemoryPorts, settings: Settings) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    first = _submit(ports, settings, "o-1")
    with pytest.raises(DuplicateComplaint) as err:
        _submit(ports, settings, "o-1", hours=3)
    assert err.value.complaint_id == first.complaint_id
    harassment = _submit(ports, settings, "o-1", "malicious_harassment")
    page = list_complaints(
        ports.complaints,
        seller_id="s-1",
        now=T0 + timedelta(hours=4),
        months=6,
        submitted_from=None,
        submitted_to=None,
        filters=NO_FILTER,
        limit=10,
        after_key=None,
    )
    assert [c.complaint_id for c in page.items] == [harassment.complaint_id, first.complaint_id]


def test_a_conclusive_uphold_decides_at_submission_and_publishes(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _flooded(ports)
    complaint = _submit(ports, settings, "o-f0")
    assert complaint.status == "upheld"
    assert complaint.decision is not None and complaint.decision.decided_by == "rules"
    assert complaint.decision.reason_code == "malicious_ordering_confirmed"
    assert ports.publisher.types() == [("complaint.decided", complaint.complaint_id)]
    stored = ports.complaints.get_stored(complaint.complaint_id)
    assert stored is not None and stored.outbox == {}  # delivered, so taken out
    assert review_queue(ports.complaints, limit=10, after_key=None).items == []
    assert _sweep(ports, settings, 24 * 3).actions == Counter()  # nothing left to do


# --------------------------------------------------------------------------- reviewers


def test_a_reviewers_reason_must_fit_the_scenario_and_a_decision_is_made_once(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    complaint = _submit(ports, settings, "o-1")
    with pytest.raises(InvalidRequest) as err:  # a reason of another scenario
        _decide(ports, settings, complaint.complaint_id, reason_code="malicious_review_confirmed")
    scenario = get_scenario("malicious_ordering")
    assert scenario is not None
    assert err.value.code == "invalid_reason_code"
    assert err.value.details == {"allowed": list(scenario.decision_reasons(None)["upheld"])}
    with pytest.raises(InvalidRequest):  # a rejection's reason for an uphold
        _decide(ports, settings, complaint.complaint_id, reason_code="not_malicious_competition")
    assert ports.publisher.events == []

    decided = _decide(ports, settings, complaint.complaint_id)
    assert decided.status == "upheld" and decided.decision is not None
    assert decided.decision.decided_by == "operator" and decided.decision.actor == "operator:op-1"
    assert ports.complaints.get(complaint.complaint_id) == decided
    assert ports.publisher.types() == [("complaint.decided", complaint.complaint_id)]
    with pytest.raises(Conflict):  # the second reviewer
        _decide(ports, settings, complaint.complaint_id, "rejected", "not_malicious_competition")
    with pytest.raises(NotFound):
        _decide(ports, settings, "c_" + "a" * 26)
    assert len(ports.publisher.events) == 1
    report = sla_report(ports.complaints, now=T0 + timedelta(hours=2), window_days=7)
    assert report["decided"] == 1 and report["decisions_by"]["operator"] == 1
    assert report["hours_to_decision"]["max"] == 1.0


# --------------------------------------------------------------------------- the sweep


def test_the_sweep_escalates_at_36_hours_then_decides_before_the_deadline(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    complaint = _submit(ports, settings, "o-1")
    cid = complaint.complaint_id
    assert _sweep(ports, settings, 35).actions == Counter()
    assert _sweep(ports, settings, 36).actions == Counter({"escalated": 1})
    assert _sweep(ports, settings, 40).actions == Counter()  # once
    escalated = ports.complaints.get(cid)
    assert escalated is not None and escalated.escalated_at == T0 + timedelta(hours=36)
    report = sla_report(ports.complaints, now=T0 + timedelta(hours=40), window_days=7)
    assert (report["pending"], report["escalated"]) == (1, 1)

    assert _sweep(ports, settings, 47.5).actions == Counter({"decided": 1})  # 30 min margin
    decided = ports.complaints.get(cid)
    assert decided is not None and decided.decision is not None
    assert (decided.status, decided.decision.decided_by) == ("rejected", "sla")
    assert decided.decision.reason_code == "not_malicious_competition"
    assert ports.publisher.types() == [("complaint.escalated", cid), ("complaint.decided", cid)]
    assert _sweep(ports, settings, 60).actions == Counter()  # nothing due any more


def test_a_sweep_that_comes_too_late_still_decides_and_says_so(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    _submit(ports, settings, "o-1")
    assert _sweep(ports, settings, 50).actions == Counter({"escalated": 1, "decided": 1, "late": 1})


def test_the_sweep_redelivers_an_event_its_writer_did_not_deliver(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, order_event("o-1", status="delivered"))
    complaint = _submit(ports, settings, "o-1")
    publish = ports.publisher.publish

    def crash(event: dict[str, Any]) -> None:
        raise RuntimeError("the Lambda died before publishing")

    ports.publisher.publish = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        _decide(ports, settings, complaint.complaint_id)
    ports.publisher.publish = publish  # type: ignore[method-assign]
    policy, thresholds = settings.sla_policy, settings.thresholds
    cid = complaint.complaint_id
    # within the grace its writer may still be delivering it: looked at again later
    assert process_due(ports, cid, T0 + timedelta(hours=1, minutes=2), policy, thresholds) == [
        "rescheduled"
    ]
    assert ports.publisher.events == []
    assert _sweep(ports, settings, 1 + 5 / 60).actions == Counter({"delivered:decided": 1})
    assert ports.publisher.types() == [("complaint.decided", cid)]
    stored = ports.complaints.get_stored(cid)
    assert stored is not None and stored.outbox == {}
    assert _sweep(ports, settings, 10).actions == Counter()


def test_beyond_its_batch_the_sweep_fans_out_to_its_workers(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(3)])
    made = [_submit(ports, settings, f"o-{i}") for i in range(3)]
    report = _sweep(ports, settings, 36, batch=1)
    assert report.actions == Counter({"escalated": 1}) and report.fanned_out == 2
    rows = ports.complaints.rows
    escalated = [c.complaint_id for c in made if rows[c.complaint_id].complaint.escalated_at]
    assert len(escalated) == 1
    assert ports.sweep_queue is not None  # the others, handed to the workers
    assert sorted(ports.sweep_queue.ids) == sorted(
        c.complaint_id for c in made if c.complaint_id not in escalated
    )


# --------------------------------------------------------------------------- ingestion


def test_ingestion_judges_each_event_and_counts_a_fact_once(
    ports: InMemoryPorts, settings: Settings
) -> None:
    cancelled = order_event("o-1", status="cancelled", cancelled_by="buyer", version=2)
    statuses = _ingest(
        ports,
        cancelled,
        order_event("o-1", status="placed", version=1),  # older: stale
        cancelled,  # again: duplicate
        order_event("o-2", status="delivered"),
        review_event("r-1", "o-2", rating=1, buyer_id="b-2"),  # another buyer than its order
        {"event_id": "e-bad", "type": "order", "version": "3"},  # malformed
    )
    assert statuses == ["accepted", "stale", "duplicate", "accepted", "rejected", "rejected"]
    results = ingest_events(
        ports.facts, ports.metrics, [review_event("r-1", "o-2", rating=1, buyer_id="b-2")], T0
    )
    assert results[0].error is not None and results[0].error["code"] == "contradicts_order"
    assert ports.facts.order_facts("o-2").reviews == ()  # a refused event writes nothing
    raw = seller_metrics(ports.metrics, "s-1", T0)["metrics"]["cancellation_rate"]["raw"]
    assert (raw["numerator"], raw["denominator"]) == (1, 2)


# --------------------------------------------------------------------------- exemptions


def test_an_upheld_malicious_review_leaves_the_negative_review_rate(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _ingest(
        ports,
        order_event("o-1", status="delivered"),
        order_event("o-2", status="delivered", buyer_id="b-2"),
        review_event("r-1", "o-1", rating=1),
        review_event("r-2", "o-2", rating=5, buyer_id="b-2"),
    )

    def negative_review_rate() -> tuple[Any, Any]:
        rate = seller_metrics(ports.metrics, "s-1", T0 + timedelta(hours=3))["metrics"][
            "negative_review_rate"
        ]
        return rate["raw"]["value"], rate["after_exemptions"]["value"]

    assert negative_review_rate() == (0.5, 0.5)
    complaint = _submit(ports, settings, "o-1", "malicious_review")
    assert complaint.status == "pending"
    _decide(ports, settings, complaint.complaint_id, reason_code="malicious_review_confirmed")

    report = _exemptions(ports, settings, 2)
    assert report.actions == Counter({"applied": 1}) and report.units == 1
    assert negative_review_rate() == (0.5, 0.0)
    applied = ports.complaints.get(complaint.complaint_id)
    assert applied is not None and applied.exemption_applied_at == T0 + timedelta(hours=2)
    assert applied.exemption_metrics == (
        {"metric": "negative_review_rate", "before": 0.5, "after": 0.0},
    )
    assert ports.publisher.types()[-1] == ("complaint.exemption_applied", complaint.complaint_id)
    log = seller_metrics(ports.metrics, "s-1", T0 + timedelta(hours=3))["exemptions"]
    assert [row["review_id"] for row in log[0]["rows"]] == ["r-1"]
    assert _exemptions(ports, settings, 3).actions == Counter()  # done: not due any more


def test_an_upheld_malicious_ordering_exempts_the_buyers_orders_in_steps(
    ports: InMemoryPorts, settings: Settings
) -> None:
    _flooded(ports)
    _ingest(ports, order_event("o-ok", status="delivered"))
    complaint = _submit(ports, settings, "o-f0")
    assert complaint.status == "upheld"

    def cancellation_rate() -> tuple[Any, Any]:
        rate = seller_metrics(ports.metrics, "s-1", T0 + timedelta(hours=3))["metrics"][
            "cancellation_rate"
        ]
        return rate["raw"]["numerator"], rate["after_exemptions"]["numerator"]

    assert cancellation_rate() == (6, 6)
    first = run_exemption_job(
        ports,
        now=T0 + timedelta(hours=1),
        policy=settings.exemption_policy,
        sla=settings.sla_policy,
        batch=50,
        chunk=4,  # steps of at most 4 orders: the run gives the complaint several turns
    )
    assert first.actions == Counter({"applied": 1}) and first.units == 6
    assert cancellation_rate() == (6, 0)
    log = seller_metrics(ports.metrics, "s-1", T0 + timedelta(hours=3))["exemptions"][0]
    assert {(row["scope"], row["orders"]) for row in log["rows"]} == {("buyer_orders", 6)}


def test_the_sweep_batch_counts_complaints_not_actions(
    ports: InMemoryPorts, settings: Settings
) -> None:
    """Issue 16: a late decision records two actions (``decided``, ``late``); a batch of 3
    still processes 3 complaints, and hands the rest to the workers."""
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(5)])
    for i in range(5):
        _submit(ports, settings, f"o-{i}")
    report = _sweep(ports, settings, 48.5, batch=3)  # past the deadline: each one late
    assert report.processed == 3
    assert report.actions["decided"] == report.actions["late"] == 3
    assert report.fanned_out == 2 and report.queue_requests == 1


def test_a_run_pages_through_every_due_complaint_and_sends_each_once(
    ports: InMemoryPorts, settings: Settings
) -> None:
    """Not capped at a multiple of the batch: every due complaint of every shard, over
    many index pages, each handed out once — 10 to a message, 10 messages a request."""
    ports.complaints.due_page_size = 7
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(250)])
    made = {_submit(ports, settings, f"o-{i}").complaint_id for i in range(250)}
    ports.reset_counts()
    report = _sweep(ports, settings, 36, batch=5)
    assert report.processed == 5 and report.actions == Counter({"escalated": 5})
    assert ports.sweep_queue is not None
    sent = ports.sweep_queue.take()
    ids = [cid for m in sent for cid in m.complaint_ids]
    assert (
        len(ids) == len(set(ids)) == 245
        and set(ids) | {c for c in made if ports.complaints.rows[c].complaint.escalated_at} == made
    )
    assert all(len(m.complaint_ids) <= 10 and m.delay_seconds == 0 for m in sent)
    assert report.queue_requests == ports.requests()["sweep_queue.send"] == 3  # 25 messages
    pages = ports.requests()["complaints.due_page"]
    assert pages == sum(
        -(-n // 7) for n in Counter(r.shard for r in ports.complaints.rows.values()).values()
    )


def test_a_run_never_hands_out_the_same_complaint_twice(
    ports: InMemoryPorts, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A complaint a worker rescheduled while the run paged shows up on a later page of
    the index too: the run sends it once."""
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(3)])
    made = [_submit(ports, settings, f"o-{i}").complaint_id for i in range(3)]
    page = ports.complaints.due_page

    def twice(*args: Any, **kwargs: Any) -> Any:
        found = page(*args, **kwargs)
        return found._replace(entries=found.entries + found.entries)

    monkeypatch.setattr(ports.complaints, "due_page", twice)
    report = _sweep(ports, settings, 36, batch=1)
    assert ports.sweep_queue is not None
    assert report.processed == 1 and sorted(ports.sweep_queue.ids + made[:0]) == sorted(
        set(made) - {c for c in made if ports.complaints.rows[c].complaint.escalated_at}
    )
    assert len(ports.sweep_queue.ids) == 2


def test_a_run_sends_what_comes_due_before_the_next_run_delayed_until_due(
    ports: InMemoryPorts, settings: Settings
) -> None:
    """Look-ahead: complaints whose escalation comes within the next 5 minutes are sent
    now, each message delayed until the last of its complaints is due (plus a second:
    the index keeps seconds), so a burst is worked off as it comes due."""
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(4)])
    minutes = [0, 2, 4, 4.6]  # filed these minutes after T0: due 36 h later
    made = [
        _submit(ports, settings, f"o-{i}", hours=m / 60).complaint_id for i, m in enumerate(minutes)
    ]
    report = run_sweep(
        ports,
        now=T0 + timedelta(hours=36),
        policy=settings.sla_policy,
        thresholds=settings.thresholds,
        batch=200,
        time_left_ms=lambda: 60_000,
        lookahead=timedelta(minutes=5),
    )
    assert report.processed == 1 and report.actions == Counter({"escalated": 1})
    assert ports.sweep_queue is not None
    sent = ports.sweep_queue.take()
    by_id = {cid: m.delay_seconds for m in sent for cid in m.complaint_ids}
    # made[3] is left for the next run: its message would wait until 4 min 36 s, and more
    # if others due within 30 s joined it, past the next run (which would send it again)
    assert set(by_id) == set(made[1:3])
    for complaint_id, m in zip(made[1:3], minutes[1:3], strict=True):
        assert by_id[complaint_id] >= m * 60 + 1
        assert by_id[complaint_id] <= 4 * 60 + 1  # grouped: the last one's delay
    # a worker handed them when SQS delivers them: escalated, nothing rescheduled
    for message in sent:
        done = work_off(
            ports,
            message.complaint_ids,
            now=T0 + timedelta(hours=36, seconds=message.delay_seconds),
            policy=settings.sla_policy,
            thresholds=settings.thresholds,
        )
        assert set(done.actions) == {"escalated"} and not done.failed


def test_a_worker_fails_a_message_for_its_failed_ids_and_its_retry_changes_nothing_twice(
    ports: InMemoryPorts, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``batchItemFailures`` per message: one id storage fails is reported, the others
    are done; the retry of the whole message (and a second run, or worker, on the same
    complaints) decides and escalates each once."""
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(3)])
    made = [_submit(ports, settings, f"o-{i}").complaint_id for i in range(3)]
    get_stored = ports.complaints.get_stored

    def failing(complaint_id: str) -> Any:
        if complaint_id == made[1]:
            raise StorageError("the table is gone")
        return get_stored(complaint_id)

    args = {"now": T0 + timedelta(hours=47.6), "policy": settings.sla_policy}
    monkeypatch.setattr(ports.complaints, "get_stored", failing)
    first = work_off(ports, made, thresholds=settings.thresholds, **args)  # type: ignore[arg-type]
    assert first.failed == [made[1]]
    assert first.actions == Counter({"escalated": 2, "decided": 2})
    monkeypatch.setattr(ports.complaints, "get_stored", get_stored)
    again = work_off(ports, made, thresholds=settings.thresholds, **args)  # type: ignore[arg-type]
    assert again.failed == [] and again.actions["escalated"] == again.actions["decided"] == 1

    def state() -> Any:
        rows = ports.complaints.rows
        stored = {c: (r.complaint, r.sweep_at, copy.deepcopy(r.outbox)) for c, r in rows.items()}
        return stored, list(ports.publisher.events)

    before = state()
    overlapping = work_off(ports, made, thresholds=settings.thresholds, **args)  # type: ignore[arg-type]
    assert not (set(overlapping.actions) & {"escalated", "decided"})
    assert _sweep(ports, settings, 47.6).actions.keys() <= {"rescheduled"}
    assert state() == before
    for complaint_id in made:
        history = [h.action for h in ports.complaints.rows[complaint_id].complaint.history]
        assert history.count("escalated") == 1 and len(history) == 3
        assert [e for e in ports.publisher.types() if e[1] == complaint_id] == [
            ("complaint.escalated", complaint_id),
            ("complaint.decided", complaint_id),
        ]


def test_no_complaint_a_run_sends_waits_more_than_its_group_beyond_its_due_time(
    ports: InMemoryPorts, settings: Settings
) -> None:
    """Across shards (each paged earliest first) and with the run's own leftovers (its
    time ran out before its batch), a complaint due now never joins a message delayed for
    complaints due later: each waits at most ``GROUP_SECONDS`` (+1) beyond its due time."""
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(40)])
    made = [_submit(ports, settings, f"o-{i}", hours=(i % 2) * 4 / 60) for i in range(40)]
    now = T0 + timedelta(hours=36)
    report = run_sweep(
        ports,
        now=now,
        policy=settings.sla_policy,
        thresholds=settings.thresholds,
        batch=10,
        time_left_ms=lambda: 60_000 if ports.requests()["complaints.due_page"] < 4 else 0,
        lookahead=timedelta(minutes=5),
    )
    assert report.processed == 0 and report.fanned_out == 40  # the batch's 10 handed on
    assert ports.sweep_queue is not None
    due = {c.complaint_id: c.submitted_at + timedelta(hours=36) for c in made}
    for message in ports.sweep_queue.take():
        delivered = now + timedelta(seconds=message.delay_seconds)
        for complaint_id in message.complaint_ids:
            assert (
                due[complaint_id]
                <= delivered
                <= max(due[complaint_id], now) + timedelta(seconds=GROUP_SECONDS + 1)
            )


def test_a_run_takes_at_most_its_most_per_run_and_leaves_the_rest_due(
    ports: InMemoryPorts, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's memory is bounded: past ``MOST_PER_RUN`` complaints (checked per page) it
    stops paging; the rest stays due, and the next runs (their workers done between
    them) take it."""
    monkeypatch.setattr(sweep, "MOST_PER_RUN", 6)
    ports.complaints.due_page_size = 3
    _ingest(ports, *[order_event(f"o-{i}", status="delivered") for i in range(30)])
    made = [_submit(ports, settings, f"o-{i}").complaint_id for i in range(30)]
    assert ports.sweep_queue is not None
    taken: list[str] = []
    runs = 0
    while not all(ports.complaints.rows[c].complaint.escalated_at for c in made):
        report = _sweep(ports, settings, 36, batch=2)
        runs += 1
        handed = report.processed + report.fanned_out
        assert report.stopped_early == (handed >= 6) and handed <= 6 + 2  # a page more
        taken += ports.sweep_queue.ids
        for message in ports.sweep_queue.take():  # the workers, before the next run
            work_off(
                ports,
                message.complaint_ids,
                now=T0 + timedelta(hours=36),
                policy=settings.sla_policy,
                thresholds=settings.thresholds,
            )
    assert runs >= 30 / 8 and len(taken) == len(set(taken))  # none handed out twice
    assert _sweep(ports, settings, 36, batch=2).actions == Counter()


def test_a_refresh_that_read_an_older_fact_than_its_counters_leaves_them(
    ports: InMemoryPorts,
) -> None:
    """A partition read is no snapshot: a refresh may see the order at version 1 and its
    day counters already written for version 2.  It must not count version 1 back in."""
    from chalicelib.services.buyer_days import refresh_buyer_days

    _ingest(ports, order_event("o-1", status="placed"))
    stale = ports.facts.order_items("o-1")
    _ingest(ports, order_event("o-1", status="paid", version=2))
    current = ports.facts.order_items("o-1")
    mixed = [i for i in current if i.sk != "ORDER#"] + [i for i in stale if i.sk == "ORDER#"]
    before = dict(ports.facts.table.buyer_days)
    assert refresh_buyer_days(ports.facts, "o-1", mixed) == 0
    assert ports.facts.table.buyer_days == before
    assert refresh_buyer_days(ports.facts, "o-1") == 0  # and nothing is left to do


def test_the_slowest_decision_is_recorded_even_when_its_writer_dies_before_delivering(
    ports: InMemoryPorts, settings: Settings
) -> None:
    """The decision is counted with its write; its time as the day's slowest is recorded
    when its event is delivered — by the sweep, if the writer died first."""
    _ingest(ports, order_event("o-1", status="delivered"))
    complaint = _submit(ports, settings, "o-1")
    record = ports.complaints.record_slowest

    def crash(sample: Any) -> None:
        raise RuntimeError("the Lambda died before delivering")

    ports.complaints.record_slowest = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        _decide(ports, settings, complaint.complaint_id, hours=3)
    ports.complaints.record_slowest = record  # type: ignore[method-assign]
    before = sla_report(ports.complaints, now=T0 + timedelta(hours=3), window_days=1)
    assert before["decided"] == 1  # counted with the decision; the slowest not yet known:
    assert before["hours_to_decision"]["max"] == 3.0  # its bin's start (exact here)
    (figures,) = ports.complaints.sla_figures.values()  # one day, block and shard
    assert figures.max_seconds is None
    assert _sweep(ports, settings, 3 + 5 / 60).actions == Counter({"delivered:decided": 1})
    assert figures.max_seconds == 3 * 3600
    after = sla_report(ports.complaints, now=T0 + timedelta(hours=4), window_days=1)
    assert after["decided"] == 1 and after["hours_to_decision"]["max"] == 3.0
