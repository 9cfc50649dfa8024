"""The SLA sweep (docs/product.md): escalate at 36 h, decide before 48 h, deliver stuck events.

It reads only the sparse, write-sharded ``due`` index, so its cost follows the number of
complaints that are due, not the number that exist.  Every step is a conditional write, so a
re-run, an overlapping run or a reviewer deciding at the same moment changes nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.complaints import SlaPolicy
from chalicelib.domain.errors import Conflict
from chalicelib.domain.rules import Thresholds
from chalicelib.services.decisions import decide_by_sla, deliver, escalate_by_sla
from chalicelib.services.ports import Ports

#: A run looks this many times further ahead than it processes, to fan the surplus out.
FAN_OUT_FACTOR = 5


@dataclass
class SweepReport:
    actions: Counter[str] = field(default_factory=Counter)
    fanned_out: int = 0
    stopped_early: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "actions": dict(self.actions),
            "fanned_out": self.fanned_out,
            "stopped_early": self.stopped_early,
        }


def process_due(
    adapters: Ports, complaint_id: str, now: datetime, policy: SlaPolicy, thresholds: Thresholds
) -> list[str]:
    """Bring one complaint up to date with the SLA; returns what was done."""
    stored = adapters.complaints.get_stored(complaint_id)
    if stored is None:
        return ["missing"]
    complaint, done = stored.complaint, []
    waiting: list[datetime] = []  # when to look again at events their writer is delivering
    for kind, event in stored.outbox.items():
        redeliver_at = policy.redeliver_at(event)
        if now < redeliver_at:
            waiting.append(redeliver_at)
            continue
        deliver(adapters, complaint, kind, event, policy)
        done.append(f"delivered:{kind}")
    try:
        if policy.needs_escalation(complaint, now):
            complaint = escalate_by_sla(adapters, complaint, now, policy)
            done.append("escalated")
        if policy.needs_decision(complaint, now):
            complaint = decide_by_sla(adapters, complaint, now, thresholds, policy)
            done.append("decided")
            if now > complaint.due_at:
                done.append("late")  # an SLA breach: the sweep was not run in time
    except Conflict:
        done.append("raced")  # someone else changed it first; their write stands
        return done
    if waiting or not done:  # a fresh outbox event, or an early or stale index entry
        next_at = [t for t in (policy.next_action_at(complaint), *waiting) if t is not None]
        adapters.complaints.reschedule(complaint, min(next_at, default=None))
        done.append("rescheduled")
    return done


def run_sweep(
    adapters: Ports,
    *,
    now: datetime,
    policy: SlaPolicy,
    thresholds: Thresholds,
    batch: int,
    time_left_ms: Callable[[], int],
) -> SweepReport:
    """Process up to ``batch`` due complaints inline; hand further due ones to the sweep
    queue's workers (when configured); stop before the Lambda time limit, keeping in reserve
    a fifth of the time it started with (at most 15 s).  Whatever is left stays in the due
    index for the next run."""
    reserve_ms = min(15_000, time_left_ms() // 5)
    report = SweepReport()
    overflow: list[str] = []
    for shard in adapters.complaints.shard_names():
        for complaint_id in adapters.complaints.due_ids(shard, now, limit=batch * FAN_OUT_FACTOR):
            if sum(report.actions.values()) < batch and time_left_ms() > reserve_ms:
                report.actions.update(process_due(adapters, complaint_id, now, policy, thresholds))
            else:
                overflow.append(complaint_id)
    if overflow and adapters.sweep_queue is not None:
        adapters.sweep_queue.enqueue(overflow)
        report.fanned_out = len(overflow)
    report.stopped_early = bool(overflow) and adapters.sweep_queue is None
    return report
