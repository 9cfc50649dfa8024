"""SLA figures for reviewers: what is pending, who decides, how fast, and breaches."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.complaints import DECISION_HOURS
from chalicelib.services.ports import SlaFigures


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return round(sorted_values[rank - 1], 2)


def sla_report(
    complaints: SlaFigures,
    *,
    now: datetime,
    window_days: int,
    decision_hours: int = DECISION_HOURS,
) -> dict[str, Any]:
    """``hours_to_decision`` counts from when the decided review began: the submission, or
    for an appeal the appeal — ``decision_hours`` before its deadline (the decided-day
    index keeps the deadline, not the appeal time)."""
    since = now - timedelta(days=window_days)
    counts = complaints.pending_counts(now)
    decided = complaints.decided_between(since, now)
    window = timedelta(hours=decision_hours)
    hours = sorted(
        (d.decided_at - max(d.submitted_at, d.due_at - window)).total_seconds() / 3600
        for d in decided
    )
    late = sum(1 for d in decided if d.decided_at > d.due_at)
    by_who = Counter(d.decided_by for d in decided)
    return {
        "window_days": window_days,
        "pending": counts["pending"],
        "escalated": counts["escalated"],
        "decided": len(decided),
        "decisions_by": {who: by_who.get(who, 0) for who in ("operator", "rules", "sla")},
        "hours_to_decision": {
            "p50": _percentile(hours, 0.5),
            "p95": _percentile(hours, 0.95),
            "max": round(hours[-1], 2) if hours else None,
        },
        "breaches": {
            "decided_late": late,
            "pending_overdue": counts["overdue"],
            "total": late + counts["overdue"],
        },
    }
