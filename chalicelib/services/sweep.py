"""The SLA sweep (docs/product.md): escalate at 36 h, decide before 48 h, deliver stuck events.

It reads only the sparse, write-sharded ``due`` index, so its cost follows the number of
complaints that are due, not the number that exist.  Every step is a conditional write, so a
re-run, an overlapping run or a reviewer deciding at the same moment changes nothing twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.domain.complaints import SlaPolicy
from chalicelib.domain.errors import Conflict, StorageError
from chalicelib.domain.rules import Thresholds
from chalicelib.domain.sweep_work import (
    IDS_PER_MESSAGE,
    MAX_DELAY_SECONDS,
    MESSAGES_PER_REQUEST,
    SweepMessage,
)
from chalicelib.services.decisions import decide_by_sla, deliver, escalate_by_sla
from chalicelib.services.ports import DueEntry, Ports, WorkQueue

#: Due complaints grouped into one message are due within this many seconds of each other
#: (the message waits for the last of them).
GROUP_SECONDS = 30
#: Most complaints one run takes from the index: its ``seen`` ids (~100 bytes each) stay
#: within a 128 MB Lambda; five minutes at the bound (README: "The SLA under a burst") are
#: 62,500.  More stays due for the next run.
MOST_PER_RUN = 250_000


@dataclass
class SweepReport:
    """What one scheduled run did: its actions on the complaints it processed itself, how
    many it processed (``processed``, at most the batch) and handed to the workers
    (``fanned_out``, in ``queue_requests`` SendMessageBatch requests), and whether due work
    is left for the next run (``stopped_early``: its time ran out, or no queue takes it)."""

    actions: Counter[str] = field(default_factory=Counter)
    processed: int = 0
    fanned_out: int = 0
    queue_requests: int = 0
    stopped_early: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "actions": dict(self.actions),
            "processed": self.processed,
            "fanned_out": self.fanned_out,
            "queue_requests": self.queue_requests,
            "stopped_early": self.stopped_early,
        }


@dataclass
class WorkReport:
    """What a worker did with one message's complaints; ``failed``: the ids a storage
    failure stopped (the message is then retried whole, see ``IDS_PER_MESSAGE``)."""

    actions: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


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


class _FanOut:
    """Due complaints grouped into messages (``IDS_PER_MESSAGE`` ids due within
    ``GROUP_SECONDS`` of the message's first, delayed until the last of them is due) and
    sent ten messages to a request.  Ids come earliest first within a shard, not across
    shards (nor the run's own leftovers, due now): one due earlier than the message's
    first by more than ``GROUP_SECONDS`` starts a message of its own, not to wait."""

    def __init__(self, queue: WorkQueue, now: datetime, report: SweepReport) -> None:
        self.queue, self.now, self.report = queue, now, report
        self.ids: list[str] = []
        self.first_at = self.last_at = now
        self.ready: list[SweepMessage] = []

    def add(self, complaint_id: str, due_at: datetime) -> None:
        if self.ids and (
            len(self.ids) == IDS_PER_MESSAGE
            or abs((due_at - self.first_at).total_seconds()) > GROUP_SECONDS
        ):
            self._close()
        if not self.ids:
            self.first_at = due_at
        self.ids.append(complaint_id)
        self.last_at = max(self.last_at, due_at)

    def _close(self) -> None:
        # the due index keeps times to the second: a second more, so no id comes early
        wait = (
            math.ceil((self.last_at - self.now).total_seconds()) + 1
            if self.last_at > self.now
            else 0
        )
        self.ready.append(SweepMessage(tuple(self.ids), min(wait, MAX_DELAY_SECONDS)))
        self.ids, self.last_at = [], self.now
        if len(self.ready) == MESSAGES_PER_REQUEST:
            self._send()

    def _send(self) -> None:
        self.queue.send(self.ready)
        self.report.fanned_out += sum(len(m.complaint_ids) for m in self.ready)
        self.report.queue_requests += 1
        self.ready = []

    def flush(self) -> None:
        if self.ids:
            self._close()
        if self.ready:
            self._send()


def run_sweep(
    adapters: Ports,
    *,
    now: datetime,
    policy: SlaPolicy,
    thresholds: Thresholds,
    batch: int,
    time_left_ms: Callable[[], int],
    lookahead: timedelta = timedelta(0),
) -> SweepReport:
    """One scheduled run: every complaint of every shard due by ``now`` (and, with a queue,
    by about ``now + lookahead``, the time to the next run) is processed here — the first
    ``batch`` due now — or handed to the sweep queue's workers, each once per run: the rest
    at once, those due later delayed until they are due (so a burst's deadlines are met
    when they come, not all at the next run).  It pages through the due index (one Query
    per page of thousands) until its time runs short, keeping in reserve a fifth of the
    time it started with (at most 15 s), or it has ``MOST_PER_RUN``; what it did not reach
    stays due for the next run.
    Processing a complaint twice (an overlapping run, a worker) changes nothing twice
    (``process_due``)."""
    if lookahead > timedelta(seconds=MAX_DELAY_SECONDS):
        raise ValueError("SQS delays a message 15 minutes at most")
    reserve_ms = min(15_000, time_left_ms() // 5)
    report = SweepReport()
    queue = adapters.sweep_queue
    fan_out = _FanOut(queue, now, report) if queue is not None else None
    # Not quite to the next run: a message waits for the last of its ids (up to
    # GROUP_SECONDS after the first), and must reach a worker before that run reads its
    # complaints again (which would send them twice).
    until = max(now, now + lookahead - timedelta(seconds=GROUP_SECONDS + 1)) if fan_out else now
    inline: list[str] = []
    seen: set[str] = set()  # a complaint rescheduled meanwhile may show up again
    for shard in adapters.complaints.shard_names():
        after: DueEntry | None = None
        while not report.stopped_early:
            if time_left_ms() <= reserve_ms or len(seen) >= MOST_PER_RUN:
                report.stopped_early = True
                break
            page = adapters.complaints.due_page(shard, until, after)
            for entry in page.entries:
                if entry.complaint_id in seen:
                    continue
                seen.add(entry.complaint_id)
                if entry.sweep_at <= now and len(inline) < batch:
                    inline.append(entry.complaint_id)
                elif fan_out is not None:
                    fan_out.add(entry.complaint_id, entry.sweep_at)
                else:  # no queue: the rest waits for the next run
                    report.stopped_early = True
                    break
            if page.after is None:
                break
            after = page.after
    for position, complaint_id in enumerate(inline):
        if time_left_ms() <= reserve_ms:
            if fan_out is None:
                report.stopped_early = True
            else:
                for rest in inline[position:]:
                    fan_out.add(rest, now)
            break
        report.actions.update(process_due(adapters, complaint_id, now, policy, thresholds))
        report.processed += 1
    if fan_out is not None:
        fan_out.flush()
    return report


def work_off(
    adapters: Ports,
    complaint_ids: Sequence[str],
    *,
    now: datetime,
    policy: SlaPolicy,
    thresholds: Thresholds,
) -> WorkReport:
    """A worker's turn on one sweep message: ``process_due`` each of its complaints; one
    that storage fails for is reported in ``failed`` and the others still done."""
    report = WorkReport()
    for complaint_id in complaint_ids:
        try:
            report.actions.update(process_due(adapters, complaint_id, now, policy, thresholds))
        except StorageError:
            report.failed.append(complaint_id)
    return report
