"""The exemption job finishes whatever the buyer's size (issue 12, item 15), on dynalite.

Each run has a small time budget (``tests/lambda_budget.py``): 300 requests' worth.  A
malicious_ordering complaint against a buyer with 300 orders at the seller needs about 600
requests, so it spans several runs; the complaints behind it in the queue are applied in the
first; no run outlives its budget; and no order is exempted or counted twice, also when a
run dies in the middle of a step.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.domain.complaints import Complaint
from chalicelib.services import exemptions
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.exemptions import ExemptionReport, run_exemption_job
from chalicelib.services.ingest import ingest_events
from chalicelib.services.metrics import current_values
from tests.builders import T0, order_event, submit
from tests.lambda_budget import Budget, LambdaTimeout, lambda_budget

pytestmark = [
    pytest.mark.usefixtures("aws"),
    pytest.mark.parametrize("backend", ["dynalite"], indirect=True),
]

BIG = 300
RUN_MS, MS_PER_REQUEST = 3_000.0, 10.0  # 300 requests a run


class Collecting:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)


@pytest.fixture
def adapters(settings: Settings) -> Adapters:
    return Adapters(
        ComplaintRepository(settings),
        FactRepository(settings),
        MetricsRepository(settings),
        Collecting(),
        None,
    )


@pytest.fixture
def budget(settings: Settings) -> Iterator[Budget]:
    with lambda_budget(settings, RUN_MS, MS_PER_REQUEST) as spent:
        yield spent


def _ingest(adapters: Adapters, events: list[dict[str, Any]]) -> None:
    results = ingest_events(adapters.facts, adapters.metrics, events, T0)
    assert {r.status for r in results} == {"accepted"}


def _setup(
    adapters: Adapters, settings: Settings, orders: int = BIG
) -> tuple[Complaint, list[Complaint], list[str]]:
    """``orders`` cancelled orders of one buyer, in groups of five placed in the same second (so
    pages of the buyer's activity end between entries of equal index keys), its complaint
    upheld by the rules at T0; four harassment complaints upheld five minutes later, so
    behind it in the queue."""
    ids = [f"o-big-{i:03d}" for i in range(orders)]
    _ingest(
        adapters,
        [
            order_event(
                order_id,
                buyer_id="b-big",
                status="cancelled",
                cancelled_by="buyer",
                placed_at=T0 - timedelta(days=20) + timedelta(minutes=i // 5),
            )
            for i, order_id in enumerate(ids)
        ],
    )
    big = submit(adapters, settings, ids[0], "malicious_ordering")
    assert big.status == "upheld"
    small = [f"o-s{i}" for i in range(4)]
    _ingest(
        adapters,
        [
            order_event(o, buyer_id=f"b-s{i}", status="cancelled", cancelled_by="system")
            for i, o in enumerate(small)
        ],
    )
    later = T0 + timedelta(minutes=5)
    pending = [submit(adapters, settings, o, "malicious_harassment", now=later) for o in small]
    behind = [
        decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op",
            outcome="upheld",
            reason_code="complaint_upheld",
            note=None,
            now=later,
            policy=settings.sla_policy,
        )
        for complaint in pending
    ]
    return big, behind, ids


def _run(
    adapters: Adapters, settings: Settings, budget: Budget, now: datetime
) -> ExemptionReport | None:
    """One run within the budget: its report, or None when the Lambda was ended."""
    with budget.run():
        try:
            return run_exemption_job(
                adapters,
                now=now,
                policy=settings.exemption_policy,
                sla=settings.sla_policy,
                batch=settings.sweep_batch,
                time_left_ms=budget.remaining,
            )
        except LambdaTimeout:
            return None


def _cancellation(adapters: Adapters, now: datetime) -> tuple[int, int, int, int]:
    figures = current_values(adapters.metrics, "s-1", now)["cancellation_rate"]
    raw, kept = figures["raw"], figures["after_exemptions"]
    return raw["numerator"], raw["denominator"], kept["numerator"], kept["denominator"]


def _applied(adapters: Adapters, complaint: Complaint) -> bool:
    stored = adapters.complaints.get(complaint.complaint_id)
    return stored is not None and stored.exemption_applied_at is not None


def _check_each_order_exempted_once(adapters: Adapters, ids: list[str], complaint_id: str) -> None:
    for order_id in ids:
        partition = adapters.metrics.partition_from_items(adapters.facts.order_items(order_id))
        assert partition.exemptions == {
            ("ORDER", "cancellation_rate"): complaint_id,
            ("ORDER", "non_fulfillment_rate"): complaint_id,
        }
        assert partition.contributions["ORDER"].contribution.kept["cancellation_rate"] == (0, 0)


def test_a_buyer_with_many_orders_is_exempted_across_runs_and_holds_up_no_one(
    adapters: Adapters, settings: Settings, budget: Budget
) -> None:
    big, behind, ids = _setup(adapters, settings)
    now = T0 + timedelta(hours=1)
    first = _run(adapters, settings, budget, now)
    assert first is not None, "the first run outlived its time"
    assert dict(first.actions) == {"applied": 4, "deferred": 1}
    assert first.stopped_early and all(_applied(adapters, c) for c in behind)
    reports = [first]
    while not _applied(adapters, big):
        now += timedelta(hours=1)
        report = _run(adapters, settings, budget, now)
        assert report is not None, f"run {len(reports) + 1} outlived its time"
        reports.append(report)
        assert len(reports) <= 6
    assert len(reports) >= 3  # it needed several runs, each within its budget
    assert sum(r.units for r in reports) == BIG + 4
    # two requests per order (its partition's Query, one transaction), about ten per small
    # complaint, and a few per run (the due index, the complaints) and per step (a Query of
    # the cleaning periods and of a page of the buyer's activity, the progress written)
    assert budget.requests <= 2 * BIG + 10 * 4 + 20 * len(reports)
    assert _cancellation(adapters, now) == (BIG + 4, BIG + 4, 0, 0)
    _check_each_order_exempted_once(adapters, ids, big.complaint_id)
    (entry,) = [
        e
        for e in adapters.metrics.exemption_log("s-1", since=T0, limit=100).entries
        if e["complaint_id"] == big.complaint_id
    ]
    assert [r["orders"] for r in entry["rows"]] == [BIG, BIG]
    assert _run(adapters, settings, budget, now + timedelta(hours=1)) is not None


def test_a_run_that_dies_mid_step_is_resumed_and_counts_nothing_twice(
    adapters: Adapters,
    settings: Settings,
    budget: Budget,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big, behind, ids = _setup(adapters, settings, orders=150)
    now = T0 + timedelta(hours=1)
    budget.run_ms = 1_000_000.0  # plenty of time ...
    real = exemptions.refresh_order
    calls = {"n": 0}

    def dies_at_the_130th(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 130:  # ... but the Lambda dies in the middle of its second step
            raise LambdaTimeout("the runtime exited")
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(exemptions, "refresh_order", dies_at_the_130th)
        assert _run(adapters, settings, budget, now) is None
    saved = adapters.complaints.get_stored(big.complaint_id)
    assert saved is not None and saved.exemption_progress is not None  # its first step kept
    assert saved.exemption_progress["counts"] == {"buyer_orders": exemptions.CHUNK_UNITS}
    budget.run_ms = RUN_MS
    for hour in range(2, 8):
        if _applied(adapters, big):
            break
        assert _run(adapters, settings, budget, T0 + timedelta(hours=hour)) is not None
    assert _applied(adapters, big) and all(_applied(adapters, c) for c in behind)
    assert _cancellation(adapters, now) == (150 + 4, 150 + 4, 0, 0)
    _check_each_order_exempted_once(adapters, ids, big.complaint_id)
