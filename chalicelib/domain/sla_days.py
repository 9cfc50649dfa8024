"""The reviewers' SLA figures kept per UTC day, so that a report over a window reads
O(days), not every decision of the window.  Pure.

Each decision adds, on the UTC day it was made, one to its day's counters: decisions, by
whom (``operator``/``rules``/``sla``), late ones (decided after the deadline), and the bin of
its *hours to decision* in a fixed histogram — counted from when the decided review began:
the submission, or for a decision after an appeal the appeal.  Counts add up, so days merge
by addition, and the report's percentiles come from the merged histogram:

* bins of ``FINE_MINUTES`` (5) minutes up to ``FINE_HOURS`` (48 h), one hour beyond;
* a percentile (nearest rank) is reported as the *lower edge* of the bin that holds it —
  never above the exact value, and less than one bin width (5 minutes, or 1 hour beyond
  48 h) below it; a bin that holds only whole-bin values (0 h for the rules' decisions, say)
  gives them exactly;
* the maximum is kept exactly, apart from the histogram (``DaySummary.max_seconds``).

A day's figures are stored split by ``block``: 6 hours of bins each (``BLOCKS_BELOW_FINE`` of
them below 48 h, one more beyond), so that no stored item grows past ~1 KB whatever a day's
volume (the adapters write a decision into its block's item only) — and by write ``shard``
(``WRITE_SHARDS``, from the complaint's id), so that decisions made at once (the sweep's
workers in a burst, all in the same block) seldom write the same item.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from chalicelib.domain.complaints import Complaint, shard_of

FINE_MINUTES = 5
FINE_HOURS = 48
FINE_SECONDS = FINE_MINUTES * 60
COARSE_SECONDS = 3600
#: bins below ``FINE_HOURS``; bin ``FINE_BINS + n`` holds [48 h + n h, 48 h + (n + 1) h)
FINE_BINS = FINE_HOURS * 60 // FINE_MINUTES
#: fine bins per stored block (6 hours)
BLOCK_BINS = 6 * 60 // FINE_MINUTES
BLOCKS_BELOW_FINE = FINE_BINS // BLOCK_BINS
#: items each (day, block) is spread over
WRITE_SHARDS = 4
#: who decides (``Decision.decided_by``), in the report's order
DECIDERS = ("operator", "rules", "sla")


def bin_of(seconds: int) -> int:
    """The histogram bin of a time to decision (negative times count as 0)."""
    s = max(0, seconds)
    if s < FINE_BINS * FINE_SECONDS:
        return s // FINE_SECONDS
    return FINE_BINS + (s - FINE_BINS * FINE_SECONDS) // COARSE_SECONDS


def bin_floor(index: int) -> int:
    """The lower edge of bin ``index``, in seconds."""
    if index < FINE_BINS:
        return index * FINE_SECONDS
    return FINE_BINS * FINE_SECONDS + (index - FINE_BINS) * COARSE_SECONDS


def block_of(index: int) -> int:
    """The stored block holding bin ``index``: 0 … 7 below 48 h, 8 beyond."""
    return min(index // BLOCK_BINS, BLOCKS_BELOW_FINE)


class DecisionSample(NamedTuple):
    """What one decision adds to its day's figures."""

    day: date
    decided_by: str
    late: bool
    #: whole seconds from the start of the decided review to the decision
    seconds: int
    #: the write shard its counters go to
    shard: int = 0

    @property
    def bin(self) -> int:
        return bin_of(self.seconds)

    @property
    def block(self) -> int:
        return block_of(self.bin)


def decision_sample(decided: Complaint) -> DecisionSample:
    """The sample of ``decided``'s decision.  Its review began at the submission, or at the
    appeal for a decision after one; both times are taken to the second (as stored)."""
    decision = decided.decision
    assert decision is not None
    began = decided.appeal.submitted_at if decided.appeal is not None else decided.submitted_at
    at = decision.decided_at.replace(microsecond=0)
    return DecisionSample(
        day=decision.decided_at.date(),
        decided_by=decision.decided_by,
        late=decision.decided_at > decided.due_at,
        seconds=int((at - began.replace(microsecond=0)).total_seconds()),
        shard=int(shard_of(decided.complaint_id, WRITE_SHARDS)),
    )


@dataclass
class DaySummary:
    """Counts of decisions (of a day's block, a day, or a window — they add up)."""

    decided: int = 0
    by: Counter[str] = field(default_factory=Counter)
    late: int = 0
    bins: Counter[int] = field(default_factory=Counter)
    max_seconds: int | None = None

    def add(self, other: DaySummary) -> None:
        self.decided += other.decided
        self.by.update(other.by)
        self.late += other.late
        self.bins.update(other.bins)
        if other.max_seconds is not None:
            self.max_seconds = max(self.max_seconds or 0, other.max_seconds)

    def percentile_seconds(self, fraction: float) -> int | None:
        """Nearest-rank percentile, as the lower edge of the bin holding that rank (see the
        module's docstring for the bound)."""
        total = sum(self.bins.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(fraction * total))
        seen = 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return bin_floor(index)
        raise AssertionError("unreachable: rank <= total")


def merged(summaries: Iterable[DaySummary]) -> DaySummary:
    total = DaySummary()
    for summary in summaries:
        total.add(summary)
    return total


def summary_of(samples: Iterable[DecisionSample]) -> DaySummary:
    """The summary of individual decisions (what the stored counters add up to)."""
    total = DaySummary()
    for sample in samples:
        total.add(counters_of(sample))
        total.add(DaySummary(max_seconds=sample.seconds))
    return total


def counters_of(sample: DecisionSample) -> DaySummary:
    """What one decision adds to its day's counters — all but its time, which counts only
    if it is the slowest (kept apart: storage can add to counters, not take a maximum)."""
    return DaySummary(
        decided=1,
        by=Counter({sample.decided_by: 1}),
        late=int(sample.late),
        bins=Counter({sample.bin: 1}),
    )
