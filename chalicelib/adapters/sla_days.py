"""The reviewers' SLA figures in DynamoDB (``services/sla_report.py``): counts of the review
queue now (``domain/queue_counts.py``), and the per-day figures of decisions
(``domain/sla_days.py``).

Per-day figures live in the facts table, in one partition: pk ``SLA``, sk
``DAY#<date>#<block>#<shard>`` — one item per UTC day, block of the histogram and write
shard (9 × 4 per day at most, each under ~1 KB).  Attributes, all top-level numbers so
that ``ADD`` works: ``decided``, ``by_operator``/``by_rules``/``by_sla``, ``late``,
``b<bin>`` (decisions in that bin), and ``max_s`` (the item's slowest decision, exact
seconds).  The counters are added in the same transaction as the decision they count
(``ComplaintRepository`` ``add``/``save_decision``); ``max_s`` by a conditional ``SET``
when the decision's event is delivered (``record_slowest``).  The report reads a window
with one Query — one more per 1 MB of items: a full 90 days (every block of every shard of
every day filled) is ~2.3 MB, 3 Queries at most.

The review queue's counters are in the same partition: sk ``QUEUE#<shard>`` (16 items of two
numbers, ``pending`` and ``escalated``), added to in the same transaction as each write that
changes a complaint's pending state (``ComplaintRepository``: ``add``, ``save_escalation``,
``save_decision``, ``save_appeal``) and read with one Query.  They have no expiry.  Counters
start at 0 with the first write that adds to them: a table holding pending complaints from
before they existed needs them set once from a count of ``review_queue`` (a one-off
backfill: no deployed stage had any, so none is provided)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.pagination import ResultIterator

from chalicelib.adapters.codecs import conditional_failed
from chalicelib.adapters.models import ComplaintModel, FactModel
from chalicelib.domain.queue_counts import QueueCounts, queue_shard, total
from chalicelib.domain.sla_days import DaySummary, DecisionSample
from chalicelib.domain.timeutil import to_iso

PARTITION = "SLA"
QUEUE_PREFIX = "QUEUE#"


def day_key(day: date, block: int, shard: int) -> str:
    return f"DAY#{day.isoformat()}#{block}#{shard}"


def day_item(model: type[FactModel], sample: DecisionSample) -> FactModel:
    """The (keys-only) item of the sample's day, block and shard."""
    return model(PARTITION, day_key(sample.day, sample.block, sample.shard))


def counter_actions(
    model: type[FactModel], day: date, counts: DaySummary, retention: timedelta
) -> list[Action]:
    """What ``counts`` (one decision's, or more of one block) add to their day's item, and
    the item's expiry, set once.  Not ``max_s``: see ``record_slowest``."""
    expires = datetime.combine(day, time(), tzinfo=UTC) + retention
    added = {
        "decided": counts.decided,
        "late": counts.late,
        **{f"by_{who}": n for who, n in counts.by.items()},
        **{f"b{index}": n for index, n in counts.bins.items()},
    }
    actions: list[Action] = [Path(name).add(n) for name, n in sorted(added.items()) if n]
    actions.append(model.expires_at.set(model.expires_at | expires))
    return actions


def record_slowest(model: type[FactModel], sample: DecisionSample) -> None:
    """Set the block's ``max_s`` to the sample's time if it is greater (or unset): one
    conditional UpdateItem, which changes nothing when it is not — and nothing twice — nor
    creates an item the decision's counters are not in."""
    max_s = Path("max_s")
    try:
        day_item(model, sample).update(
            actions=[max_s.set(sample.seconds)],
            condition=Path("decided").exists()
            & (max_s.does_not_exist() | (max_s < sample.seconds)),
        )
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise


def _summary(raw: dict[str, Any]) -> DaySummary:
    def number(name: str) -> int:
        return int(raw[name]["N"]) if name in raw else 0

    return DaySummary(
        decided=number("decided"),
        by=Counter({name[3:]: number(name) for name in raw if name.startswith("by_")}),
        late=number("late"),
        bins=Counter({int(name[1:]): number(name) for name in raw if name[1:].isdigit()}),
        max_seconds=number("max_s") if "max_s" in raw else None,
    )


def read_days(model: type[FactModel], first: date, last: date) -> dict[date, DaySummary]:
    """The figures of the days in [first, last] that have any: one Query (one more per
    1 MB of items)."""
    found: dict[date, DaySummary] = {}
    items: ResultIterator[dict[str, Any]] = ResultIterator(
        model._get_connection().query,
        (PARTITION,),
        {
            "range_key_condition": model.sk.between(
                f"DAY#{first.isoformat()}#", f"DAY#{last.isoformat()}#~"
            )
        },
    )
    for raw in items:
        day = date.fromisoformat(raw["sk"]["S"].split("#")[1])
        found.setdefault(day, DaySummary()).add(_summary(raw))
    return found


def queue_item(model: type[FactModel], complaint_id: str) -> FactModel:
    """The (keys-only) item of the review queue's counters a write about ``complaint_id``
    adds to (``domain/queue_counts.py``)."""
    return model(PARTITION, f"{QUEUE_PREFIX}{queue_shard(complaint_id)}")


def queue_actions(change: QueueCounts) -> list[Action]:
    """What ``change`` adds to a counters' item (nothing for a zero change)."""
    return [Path(name).add(n) for name, n in change._asdict().items() if n]


def read_queue_counts(model: type[FactModel]) -> QueueCounts:
    """Pending and escalated complaints: the sum of the counters' shards, one Query (their
    items hold two numbers each)."""
    items: ResultIterator[dict[str, Any]] = ResultIterator(
        model._get_connection().query,
        (PARTITION,),
        {"range_key_condition": model.sk.startswith(QUEUE_PREFIX)},
    )

    def number(raw: dict[str, Any], name: str) -> int:
        return int(raw[name]["N"]) if name in raw else 0

    return total(QueueCounts(number(raw, "pending"), number(raw, "escalated")) for raw in items)


def overdue_count(model: type[ComplaintModel], shards: list[str], now: datetime) -> int:
    """Pending complaints past their deadline: one counting Query per shard of
    ``review_queue``, its key condition limited to deadlines before ``now`` — it reads
    only the overdue entries (none while the sweep keeps up; one more Query per MB of
    them, some 6,000 keys-only entries)."""
    index, before = model.review_queue, model.queue_key < to_iso(now)
    return sum(index.count(shard, range_key_condition=before) for shard in shards)
