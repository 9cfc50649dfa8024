"""Keeping seller metrics true to the facts, and reading them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import StorageUnavailable
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.metrics import (
    LONGEST_WINDOW,
    CleaningPeriod,
    contributions,
    counter_delta,
    metric_values,
)
from chalicelib.domain.timeutil import months_before, to_iso
from chalicelib.services.ports import (
    ContributionConflict,
    ContributionStore,
    ExemptionLogPage,
    ExemptionRecord,
    MetricsReader,
    OrderFactsReader,
    PartitionItems,
)

ATTEMPTS = 3


#: Exemptions to record: (unit, metric) -> complaint id, or a function of the order's facts
#: that gives them.
Exempt = Mapping[tuple[str, str], str] | Callable[[OrderFacts], Mapping[tuple[str, str], str]]


def refresh_order(
    facts: OrderFactsReader,
    metrics: ContributionStore,
    order_id: str,
    cleaning: list[CleaningPeriod] | None = None,
    exempt: Exempt | None = None,
    at: datetime | None = None,
    items: PartitionItems | None = None,
) -> int:
    """Recompute the contributions of an order's units (the order, its reviews) from its
    facts, exemptions and the buyer's cleaning periods; write only what changed.

    ``exempt`` maps (unit, metric) to a complaint id — or, when which units depends on the
    order's facts, is a function of the facts read here giving that map: exemptions to
    record first (at ``at``), each only if that unit and metric has none yet (first wins);
    they are written in the same transaction as the unit's new contribution.

    Idempotent: a second call with nothing new reads and writes nothing more.  Requests:
    one Query of the order partition (unless the caller passes it as just read, ``items``;
    after a conflict it is read again), one of the cleaning periods (unless the caller, which
    refreshes several orders of one seller and buyer, passes them as ``cleaning``), and one
    transaction per changed unit.  Returns how many units changed; ``StorageUnavailable``
    when other writers kept changing the order's contributions for ``ATTEMPTS`` tries."""
    for attempt in range(ATTEMPTS):
        read = items if items is not None and attempt == 0 else facts.order_items(order_id)
        partition = metrics.partition_from_items(read)
        order = partition.facts.order
        windows = cleaning
        if windows is None:
            windows = metrics.cleaning_periods(order.seller_id, order.buyer_id) if order else []
        wanted = exempt(partition.facts) if callable(exempt) else (exempt or {})
        recording = [
            ExemptionRecord(unit, metric, complaint_id)
            for (unit, metric), complaint_id in wanted.items()
            if (unit, metric) not in partition.exemptions
        ]
        exemptions = {
            **partition.exemptions,
            **{(r.unit, r.metric): r.complaint_id for r in recording},
        }
        changed = 0
        try:
            made = contributions(partition.facts, exemptions, windows, partition.order_status_at)
            for new in made:
                old = partition.contributions.get(new.unit)
                records = [r for r in recording if r.unit == new.unit]
                if old is not None and old.contribution == new:
                    if records:  # nothing to count: only the records
                        metrics.write_contribution(order_id, old, None, {}, records, at)
                    continue
                delta = counter_delta(old.contribution if old else None, new)
                metrics.write_contribution(order_id, old, new, delta, records, at)
                changed += 1
            units = {c.unit for c in made}
            waiting = [r for r in recording if r.unit not in units]  # facts not arrived yet
            if waiting:
                metrics.write_contribution(order_id, None, None, {}, waiting, at)
        except ContributionConflict:
            continue  # someone else refreshed meanwhile: read again
        return changed
    raise StorageUnavailable(f"the contributions of order {order_id!r} kept changing")


def current_values(metrics: MetricsReader, seller_id: str, now: datetime) -> dict[str, Any]:
    first = (now - timedelta(days=LONGEST_WINDOW - 1)).date()
    return metric_values(metrics.day_counters(seller_id, first, now.date()), now)


#: Exemption log entries ``GET /metrics`` shows (the newest); further pages are read by
#: ``GET /metrics/exemptions``.
EXEMPTIONS_SHOWN = 50


def exemption_log(
    metrics: MetricsReader,
    seller_id: str,
    now: datetime,
    months: int,
    limit: int,
    after_key: str | None = None,
) -> ExemptionLogPage:
    """A page of the exemptions applied in the last ``months`` months (the seller API
    shows nothing older), newest first: one Query, however long the seller's log."""
    return metrics.exemption_log(
        seller_id, since=months_before(now, months), limit=limit, after_key=after_key
    )


def seller_metrics(
    metrics: MetricsReader, seller_id: str, now: datetime, months: int = 6
) -> dict[str, Any]:
    """Each metric raw and after exemptions, and the ``EXEMPTIONS_SHOWN`` newest
    exemptions applied in the last ``months`` months — with, as ``exemptions_after``, the
    position after them when older ones follow (None: none).  Two Queries, whatever the
    seller's volume."""
    log = exemption_log(metrics, seller_id, now, months, EXEMPTIONS_SHOWN)
    return {
        "as_of": to_iso(now),
        "metrics": current_values(metrics, seller_id, now),
        "exemptions": log.entries,
        "exemptions_after": log.last_key,
    }
