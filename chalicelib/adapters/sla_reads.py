"""The reads behind the reviewers' SLA figures (``services/sla_report.py``): what is pending
now, and the decisions of a window.  ``ComplaintRepository.pending_counts`` and
``.decided_between`` call these."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from chalicelib.adapters.codecs import query_values
from chalicelib.adapters.models import ComplaintModel
from chalicelib.domain.timeutil import to_iso


class DecidedRecord(NamedTuple):
    submitted_at: datetime
    due_at: datetime
    decided_at: datetime
    decided_by: str


def pending_counts(model: type[ComplaintModel], shards: list[str], now: datetime) -> dict[str, int]:
    """Pending, escalated and overdue (pending past their deadline) complaints: three
    counting Queries per shard of ``review_queue``."""
    counts = {"pending": 0, "escalated": 0, "overdue": 0}
    index = model.review_queue
    for shard in shards:
        counts["pending"] += index.count(shard)
        counts["escalated"] += index.count(shard, filter_condition=model.escalated_at.exists())
        counts["overdue"] += index.count(shard, range_key_condition=model.queue_key < to_iso(now))
    return counts


def decided_between(
    model: type[ComplaintModel], since: datetime, until: datetime
) -> list[DecidedRecord]:
    """Decisions in [since, until]: one Query per day on ``by_decided_day``."""
    records = []
    day = since.date()
    while day <= until.date():
        for v in query_values(
            model,
            day.isoformat(),
            index=model.by_decided_day,
            range_key_condition=model.decided_at.between(since, until),
        ):
            when = v["submitted_at"], v["due_at"], v["decided_at"]
            records.append(DecidedRecord(*when, decided_by=v["decided_by"] or ""))
        day += timedelta(days=1)
    return records
