"""Keeping a buyer's day counters (``domain/buyer_activity.py``) true to the facts."""

from __future__ import annotations

from chalicelib.domain.buyer_activity import cell_deltas, cells
from chalicelib.domain.errors import ContributionConflict, StorageUnavailable
from chalicelib.services.ports import BuyerDayCounters, PartitionItems

ATTEMPTS = 3


def refresh_buyer_days(
    facts: BuyerDayCounters, order_id: str, items: PartitionItems | None = None
) -> int:
    """Bring the day counters of an order's facts (the order, its disputes and reviews) up
    to date: for each fact whose counters as stored differ from those of its stored
    version, write the new ones with their deltas (the old version's counters out, the new
    one's in), conditional on the revision read, so a redelivered or concurrent refresh
    counts each version exactly once.  Counters already written for a newer version of the
    fact are left alone.

    ``items``: the order's partition as just read (``order_items``), which saves a Query;
    after a conflict the partition is read again.  Requests: that Query unless given, and
    one transaction per fact that changed (none for a duplicate).  Returns how many facts'
    counters changed; ``StorageUnavailable`` when other writers kept changing them for
    ``ATTEMPTS`` tries."""
    for attempt in range(ATTEMPTS):
        read = items if items is not None and attempt == 0 else facts.order_items(order_id)
        partition = facts.activity_partition(read)
        changed = 0
        try:
            for key, (fact, version) in partition.facts.items():
                old = partition.stored.get(key)
                new = cells(fact)
                if old is not None and (old.cells == new or old.fact_version > version):
                    continue
                deltas = cell_deltas(old.cells if old is not None else (), new)
                facts.write_activity(order_id, key, old, new, version, deltas)
                changed += 1
        except ContributionConflict:
            continue  # someone else refreshed meanwhile: read again
        return changed
    raise StorageUnavailable(f"the buyer day counters of order {order_id!r} kept changing")
