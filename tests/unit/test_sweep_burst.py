"""Issue 16: a flash burst against the SLA sweep and its workers, in simulated time on the
in-memory fakes (``tests/sweep_simulation.py``): complaints filed within 30 minutes,
reviewers deciding some, the sweep every 5 minutes with a Lambda's time limit, workers
draining the queue between runs.  Every complaint is decided by its 48 h deadline and
escalated once at most; above the workers' capacity the same simulation shows breaches."""

from __future__ import annotations

import contextlib
import heapq
import random
from datetime import datetime, timedelta

from chalicelib.config import Settings
from chalicelib.domain.errors import Conflict
from chalicelib.services.complaints import submit_complaint
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.ingest import ingest_events
from tests.builders import T0, order_event
from tests.fakes import InMemoryPorts
from tests.sweep_simulation import SweepSimulation, SweepStats, capacity_per_minute

REASONS = {"upheld": "complaint_upheld", "rejected": "insufficient_evidence"}


def _burst(
    settings: Settings,
    *,
    complaints: int,
    minutes: float,
    reviewed: float = 0.3,
    concurrency: int,
    ms_per_request: float,
) -> tuple[InMemoryPorts, SweepStats, list[str]]:
    """``complaints`` filed evenly within ``minutes`` (a burst at a steady rate), a share
    ``reviewed`` decided by reviewers at random times before the deadline, the sweep and
    its workers running until every deadline has passed; returns the complaint ids."""
    rng = random.Random(16)
    ports = InMemoryPorts.create(settings, queue=True)
    placed = T0 - timedelta(days=3)
    ingest_events(
        ports.facts,
        ports.metrics,
        [
            order_event(f"o-{i}", buyer_id=f"b-{i}", status="delivered", placed_at=placed)
            for i in range(complaints)
        ],
        T0,
    )
    sim = SweepSimulation(
        ports, settings, start=T0, concurrency=concurrency, ms_per_request=ms_per_request
    )
    # (when, order, what): "file", or a reviewer's decision of the order's complaint
    plan: list[tuple[datetime, int, str]] = []
    for i in range(complaints):
        filed = T0 + timedelta(minutes=minutes * i / complaints)
        plan.append((filed, i, "file"))
        if rng.random() < reviewed:
            plan.append((filed + timedelta(hours=rng.uniform(1, 47.9)), i, "decide"))
    heapq.heapify(plan)
    ids: dict[int, str] = {}
    while plan:
        at, order, what = heapq.heappop(plan)
        sim.advance(at)
        if what == "file":
            ids[order] = submit_complaint(
                ports,
                seller_id="s-1",
                order_id=f"o-{order}",
                scenario="malicious_ordering",
                description="flash burst",
                reason=None,
                evidence=(),
                now=at,
                decision_hours=settings.decision_hours,
                thresholds=settings.thresholds,
                policy=settings.sla_policy,
            ).complaint_id
            continue
        outcome = rng.choice(["upheld", "rejected"])
        with contextlib.suppress(Conflict):  # the sweep decided it first
            decide_by_operator(
                ports,
                complaint_id=ids[order],
                operator_id="op",
                outcome=outcome,
                reason_code=REASONS[outcome],
                note=None,
                now=at,
                policy=settings.sla_policy,
            )
    sim.advance(T0 + timedelta(minutes=minutes, hours=49))
    return ports, sim.stats, list(ids.values())


def _late_and_escalations(ports: InMemoryPorts, ids: list[str]) -> tuple[int, int, int]:
    """(complaints decided after their deadline, or not at all; complaints escalated
    more than once; escalations without their one event)."""
    late = twice = unpublished = 0
    events = ports.publisher.types()
    for complaint_id in ids:
        row = ports.complaints.rows[complaint_id]
        complaint = row.complaint
        decision = complaint.decision
        late += decision is None or decision.decided_at > complaint.due_at
        escalations = [h for h in complaint.history if h.action == "escalated"]
        twice += len(escalations) > 1
        unpublished += events.count(("complaint.escalated", complaint_id)) != len(escalations)
    return late, twice, unpublished


def test_the_issues_flash_burst_is_decided_in_time_and_escalated_once(
    settings: Settings,
) -> None:
    """3,000 complaints in 30 minutes, reviewers deciding 30 % (the issue measured 505
    decided up to 12.5 minutes late without fan-out), with the deployed configuration: 50
    workers, a request taking 20 ms, the sweep's 300 s limit."""
    ports, stats, ids = _burst(
        settings, complaints=3_000, minutes=30, concurrency=50, ms_per_request=20
    )
    assert _late_and_escalations(ports, ids) == (0, 0, 0)
    by_sla = sum(
        1
        for c in ids
        if ports.complaints.rows[c].complaint.decision.decided_by == "sla"  # type: ignore[union-attr]
    )
    assert 1_900 < by_sla < 2_200  # the 70 % no reviewer decided
    assert stats.actions["decided"] == by_sla and stats.actions["late"] == 0
    assert stats.fanned_out > stats.processed_by_runs  # the workers did most of it
    assert stats.stopped_early == 0 and stats.longest_run_ms < 60_000


def test_a_burst_at_the_stated_bound_is_decided_in_time(settings: Settings) -> None:
    """At the bound's own rate (README: "The SLA under a burst"): complaints filed for 30
    minutes at ``capacity_per_minute`` of the workers — scaled down to one worker and
    100 ms a request, so the same formula gives 50 a minute and the test stays fast."""
    rate = capacity_per_minute(1, 100)
    ports, stats, ids = _burst(
        settings,
        complaints=int(rate * 30),
        minutes=30,
        concurrency=1,
        ms_per_request=100,
    )
    assert _late_and_escalations(ports, ids) == (0, 0, 0)
    assert stats.longest_turn_ms < 60_000


def test_above_the_workers_capacity_the_simulation_shows_breaches(settings: Settings) -> None:
    """The checks above can fail: with one worker at 70 ms a request (8 a decision on the
    fakes: about 107 decisions a minute, 100 complaints an invocation within its 60 s),
    runs that do 10 themselves and a 6-minute margin, 1,000 complaints filed within a
    minute take some 9 minutes to decide — those at the end of the queue are decided after
    their deadline."""
    ports, stats, ids = _burst(
        settings._replace(sla_margin_minutes=6, sweep_batch=10),
        complaints=1_000,
        minutes=1,
        reviewed=0,
        concurrency=1,
        ms_per_request=70,
    )
    late, twice, unpublished = _late_and_escalations(ports, ids)
    assert late > 100 and stats.actions["late"] == late
    assert (twice, unpublished) == (0, 0)  # late, but each escalated and decided once
