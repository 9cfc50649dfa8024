"""The per-day SLA figures (``domain/sla_days.py``) and the report built from them: the
histogram's bins and its percentile bound, merging days, and the window's edges."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.complaints import Complaint, appeal, decide, new_complaint
from chalicelib.domain.sla_days import (
    BLOCKS_BELOW_FINE,
    COARSE_SECONDS,
    FINE_SECONDS,
    DecisionSample,
    bin_floor,
    bin_of,
    block_of,
    decision_sample,
    merged,
    summary_of,
)
from chalicelib.services.sla_report import sla_report
from tests.builders import T0
from tests.fakes import InMemoryComplaints

H = 3600


def test_bins_are_five_minutes_up_to_48_hours_then_one_hour() -> None:
    assert [bin_of(s) for s in (-5, 0, 299, 300, 599)] == [0, 0, 0, 1, 1]
    assert bin_floor(bin_of(48 * H - 1)) == 48 * H - FINE_SECONDS
    assert bin_floor(bin_of(48 * H)) == 48 * H
    assert bin_floor(bin_of(49 * H + 3599)) == 49 * H
    assert bin_floor(bin_of(500 * H + 7)) == 500 * H
    for seconds in (0, 1, 299, 12 * H + 5, 47 * H + 59 * 60, 48 * H, 90 * 24 * H):
        floor = bin_floor(bin_of(seconds))
        width = FINE_SECONDS if seconds < 48 * H else COARSE_SECONDS
        assert floor <= seconds < floor + width


def test_blocks_hold_six_hours_of_bins_and_everything_past_48_hours() -> None:
    assert [block_of(bin_of(h * H)) for h in (0, 5.9, 6, 47.9)] == [0, 0, 1, 7]
    assert block_of(bin_of(48 * H)) == block_of(bin_of(900 * H)) == BLOCKS_BELOW_FINE == 8


@pytest.mark.parametrize("seed", range(5))
def test_a_percentile_is_at_most_one_bin_below_the_exact_one_and_never_above(seed: int) -> None:
    rng = random.Random(seed)
    values = [int(rng.expovariate(1 / (10 * H))) for _ in range(rng.randint(1, 800))]
    values += [0] * rng.randint(0, 50)  # the rules' decisions
    samples = [DecisionSample(T0.date(), "operator", False, v) for v in values]
    # split over days and merged again: the same figures
    days = [summary_of(samples[i::3]) for i in range(3)]
    total = merged(days)
    assert total == summary_of(samples)
    assert total.max_seconds == max(values)
    ordered = sorted(values)
    for fraction in (0.5, 0.95, 0.99, 1.0):
        exact = ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
        reported = total.percentile_seconds(fraction)
        assert reported is not None
        width = FINE_SECONDS if exact < 48 * H else COARSE_SECONDS
        assert exact - width < reported <= exact


def test_values_on_a_bins_edge_are_given_exactly() -> None:
    on_edges = [0, 0, 0, 4 * FINE_SECONDS, 50 * H]  # the rules' 0 h, 20 minutes, 50 h
    total = summary_of(DecisionSample(T0.date(), "rules", False, v) for v in on_edges)
    assert [total.percentile_seconds(f) for f in (0.5, 0.8, 0.95)] == [0, 4 * FINE_SECONDS, 50 * H]
    assert summary_of([]).percentile_seconds(0.5) is None


def _filed(order_id: str, at: datetime) -> Complaint:
    return new_complaint(
        seller_id="s-1",
        order_id=order_id,
        buyer_id="b-1",
        scenario="malicious_ordering",
        reason=None,
        description="d",
        evidence=(),
        now=at,
    )


def test_a_sample_counts_from_the_review_it_ends_and_knows_late_decisions() -> None:
    complaint = _filed("o-1", T0)
    rejected = decide(
        complaint,
        outcome="rejected",
        reason_code="insufficient_evidence",
        decided_by="operator",
        actor="operator:a",
        now=T0 + timedelta(hours=49),
    )
    first = decision_sample(rejected)
    assert (first.seconds, first.late, first.day) == (
        49 * H,
        True,
        (T0 + timedelta(hours=49)).date(),
    )
    appealed = appeal(rejected, statement="s", now=T0 + timedelta(days=3))
    upheld = decide(
        appealed,
        outcome="upheld",
        reason_code="complaint_upheld",
        decided_by="sla",
        actor="sla",
        now=T0 + timedelta(days=3, hours=2),
    )
    second = decision_sample(upheld)
    assert (second.seconds, second.late, second.decided_by) == (2 * H, False, "sla")


def test_the_report_window_is_whole_utc_days_ending_today() -> None:
    """``window_days=2`` at 08:00: yesterday from midnight and today so far — not the
    day before yesterday, however close to the window's 48 hours."""
    repo = InMemoryComplaints()
    now = T0  # 08:00 UTC
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    decided_at = {
        "before": midnight - timedelta(days=1, seconds=1),  # 23:59:59 two days ago: out
        "first": midnight - timedelta(days=1),  # yesterday 00:00: in
        "today": now - timedelta(minutes=1),
    }
    for name, at in decided_at.items():
        complaint = _filed(f"o-{name}", at - timedelta(hours=1))
        decided = decide(
            complaint,
            outcome="rejected",
            reason_code="insufficient_evidence",
            decided_by="operator",
            actor="operator:a",
            now=at,
        )
        repo.add(complaint, sweep_at=None)
        repo.save_decision(decided, {"event_id": name}, at)
        repo.record_slowest(decision_sample(decided))
    report = sla_report(repo, now=now, window_days=2)
    assert report["decided"] == 2
    assert report["hours_to_decision"] == {"p50": 1.0, "p95": 1.0, "max": 1.0}
    assert sla_report(repo, now=now, window_days=3)["decided"] == 3
    assert sla_report(repo, now=now, window_days=1)["decided"] == 1
