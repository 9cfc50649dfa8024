"""SLA figures for reviewers: what is pending, who decides, how fast, and breaches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.sla_days import DECIDERS, bin_floor, merged
from chalicelib.services.ports import SlaFigures


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def queue_levels(complaints: SlaFigures, now: datetime) -> dict[str, int]:
    """Pending, escalated (and still pending) and overdue complaints now: the SLA report's
    counts (counters and the overdue entries of the review queue), which the sweep emits
    as metrics every run for the dashboard."""
    return complaints.pending_counts(now)


def sla_report(complaints: SlaFigures, *, now: datetime, window_days: int) -> dict[str, Any]:
    """The figures of the window: the ``window_days`` whole UTC days that end with today
    (today up to ``now``), read from the per-day figures (``domain/sla_days.py``) — their
    cost follows the days of the window, not its decisions.  ``hours_to_decision`` counts
    from when the decided review began (the submission, or the appeal); p50/p95 are the
    lower edges of 5-minute bins (1 hour beyond 48 h), ``max`` exact.  The queue's counts
    (``pending_counts``) cost the same whatever is pending."""
    last = now.date()
    first = last - timedelta(days=window_days - 1)
    counts = complaints.pending_counts(now)
    window = merged(complaints.sla_days(first, last).values())
    slowest = window.max_seconds
    if window.bins:  # (a decision whose slowest time is not recorded yet: its bin's edge)
        slowest = max(slowest or 0, bin_floor(max(window.bins)))
    return {
        "window_days": window_days,
        "pending": counts["pending"],
        "escalated": counts["escalated"],
        "decided": window.decided,
        "decisions_by": {who: window.by.get(who, 0) for who in DECIDERS},
        "hours_to_decision": {
            "p50": _hours(window.percentile_seconds(0.5)),
            "p95": _hours(window.percentile_seconds(0.95)),
            "max": _hours(slowest),
        },
        "breaches": {
            "decided_late": window.late,
            "pending_overdue": counts["overdue"],
            "total": window.late + counts["overdue"],
        },
    }
