"""In-memory implementations of the services' ports (``chalicelib.services.ports``).

They keep what the DynamoDB adapters keep, with the same semantics — conditional writes
(one complaint per order and scenario, decisions only while pending, an escalation once,
exemption progress by revision; each stored decision added once to its day's SLA figures,
with it, the day's slowest apart), fact versions that only move forward, event ids that count
once whatever they say, the review queue's counters moved with each change of a complaint's
pending state, contributions written only over the revision read, keys that sort
and page as the tables' indexes do — in dicts, so service tests run in microseconds and
without moto.  ``tests/integration/test_repository_contracts.py`` holds them to the same
assertions as the DynamoDB implementations.

Every public method call is counted per store (``calls``) as the requests the DynamoDB
implementation makes for it: usually one; more where it makes more (``apply``, ``move``,
``start_exemption_log``, ``pending_counts``, a decision that lost or was escalated
meanwhile; a list or export page: its Queries, then a BatchGetItem of the page — a
contract test holds each main operation's count to DynamoDB's), though a Query is one
request however many 1 MB pages DynamoDB would need.
Reads go through per-partition, per-buyer and sparse-index dicts, so a read costs what it
returns, not the size of the store (``bench/simulate.py`` runs a month of 100,000
complaints on them).  A lock per store makes each call atomic, as a conditional write is,
so threads can race on the fakes too.

Where they differ from DynamoDB (nothing a service relies on): no TTL expiry (event markers
are remembered for ever); complaint times are kept exactly, where DynamoDB keeps history,
decision and assessment times to the second; no consumed-capacity limits or page sizes in
bytes.

Only ``chalicelib`` is imported here (no pynamodb, boto or moto), and mypy checks this
module: the fakes must satisfy the same Protocols as the adapters.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import wraps
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    Concatenate,
    NamedTuple,
    ParamSpec,
    TypeVar,
    get_args,
)

from chalicelib.config import Settings
from chalicelib.domain.attachments import MAX_PER_COMPLAINT, Attachment
from chalicelib.domain.buyer_activity import (
    Cell,
    DayKey,
    activity_range,
    cells_from_data,
    cells_to_data,
)
from chalicelib.domain.complaints import Complaint, Status, is_complaint_id, shard_of
from chalicelib.domain.errors import Conflict, DuplicateComplaint, StorageError, StorageUnavailable
from chalicelib.domain.facts import (
    DisputeData,
    FactEvent,
    OrderData,
    OrderFacts,
    OrderSummary,
    ReviewData,
    order_facts,
    stored_payload,
)
from chalicelib.domain.metrics import METRIC_CODES, CleaningPeriod, Contribution
from chalicelib.domain.queue_counts import QueueCounts, queue_change, queue_shard, total
from chalicelib.domain.sla_days import DaySummary, DecisionSample, counters_of, decision_sample
from chalicelib.domain.timeutil import parse_iso, to_iso
from chalicelib.services.ports import (
    MESSAGES_PER_REQUEST,
    NO_FILTER,
    ActivityEntry,
    ActivityPartition,
    ApplyResult,
    ComplaintRef,
    ContributionConflict,
    DueEntry,
    DuePage,
    ExemptionLogPage,
    ExemptionRecord,
    ExportPage,
    ListFilter,
    OrderPage,
    OrderPartition,
    Page,
    StoredCells,
    StoredComplaint,
    StoredContribution,
    StoredFile,
    StoredSecret,
    SweepMessage,
)

if TYPE_CHECKING:
    from chalicelib.services.ports import (
        ComplaintStore,
        EventPublisher,
        ExportFiles,
        FactStore,
        FileStore,
        KeySetSource,
        MetricsStore,
        Ports,
        SecretStore,
        WorkQueue,
    )

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="_Store")

#: The day counters' keys, as the DynamoDB implementation returns them (every key of a day
#: that has an item, 0 when never added to).
COUNTER_KEYS = tuple(
    f"{metric}.{part}" for metric in METRIC_CODES for part in ("num", "den", "num_kept", "den_kept")
)


class _Store:
    """Counts and serialises the calls of a fake store."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = lock or threading.RLock()

    @property
    def requests(self) -> int:
        """Every call so far."""
        return sum(self.calls.values())


def counted(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Count a call of ``method`` (by name) and run it under the store's lock."""

    @wraps(method)
    def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            self.calls[method.__name__] += 1
            return method(self, *args, **kwargs)

    return call


# --------------------------------------------------------------------------- complaints


def _list_requests(filters: ListFilter, shown: int) -> int:
    """DynamoDB's requests for a list page with ``filters`` showing ``shown`` complaints:
    one BatchGetItem of the order's ids (``order_id``); otherwise one Query of a keys-only
    index (``scenario`` alone: one per status), then one BatchGetItem of the page, if any."""
    if filters.order_id is not None:
        return 1
    queries = len(get_args(Status)) if filters.scenario and not filters.status else 1
    return queries + (1 if shown else 0)


@dataclass
class _Row:
    """A complaint as the complaints table holds it, with its index attributes."""

    complaint: Complaint
    outbox: dict[str, dict[str, Any]]
    shard: str
    sweep_at: str | None = None  # ``due`` index: ISO text, to the second
    exempt_due: str | None = None  # ``exemptions_due`` index
    progress: dict[str, Any] | None = None
    rev: int | None = None
    failures: int = 0
    alerted_at: datetime | None = None

    @property
    def list_key(self) -> str:
        return f"{to_iso(self.complaint.submitted_at)}#{self.complaint.complaint_id}"

    @property
    def queue_key(self) -> str | None:
        """``review_queue`` index: present while pending."""
        c = self.complaint
        return f"{to_iso(c.due_at)}#{c.complaint_id}" if c.is_pending else None


def _index(index: dict[str, dict[str, str]], shard: str, key: str, value: str | None) -> None:
    """Put ``key`` in a sparse index's ``shard`` at ``value``, or take it out (None)."""
    if value is None:
        index.get(shard, {}).pop(key, None)
    else:
        index.setdefault(shard, {})[key] = value


class InMemoryComplaints(_Store):
    """``ComplaintStore`` in a dict."""

    def __init__(self, *, shards: int = 4, exemption_due: timedelta = timedelta(hours=72)) -> None:
        super().__init__()
        self.rows: dict[str, _Row] = {}
        #: the per-day SLA figures, by (day, block, shard) as the table keeps them
        self.sla_figures: dict[tuple[date, int, int], DaySummary] = {}
        #: the review queue's counters, by shard as the table keeps them
        self.queue_counters: dict[int, QueueCounts] = {}
        self.shards = shards
        self.exemption_due = exemption_due
        #: the ``due`` index: (sweep_at, complaint id) per shard, sorted
        self._due: dict[str, list[tuple[str, str]]] = {}
        #: entries in a ``due_page`` without a limit (DynamoDB: 1 MB of keys, about 10,000)
        self.due_page_size = 10_000
        #: the other sparse indexes, so that a read costs what is in them (a simulated
        #: month holds 100,000 rows): shard -> {id: exempt_due} (``exemptions_due``);
        #: buyer -> ids (``by_buyer``)
        self._exempting: dict[str, dict[str, str]] = {}
        self._by_buyer: dict[str, set[str]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> InMemoryComplaints:
        return cls(shards=settings.due_shards, exemption_due=settings.exemption_policy.due_after)

    def _row(self, complaint_id: str) -> _Row:
        """The stored row; a conditional update of a missing item fails its condition."""
        row = self.rows.get(complaint_id)
        if row is None:
            raise Conflict("the complaint changed meanwhile", code="already_decided")
        return row

    def _set_sweep(self, row: _Row, at: datetime | None) -> None:
        """Set a row's sweep time, keeping its shard's ``due`` entries sorted."""
        due = self._due.setdefault(row.shard, [])
        if row.sweep_at is not None:
            del due[bisect.bisect_left(due, (row.sweep_at, row.complaint.complaint_id))]
        row.sweep_at = None if at is None else to_iso(at)
        if row.sweep_at is not None:
            bisect.insort(due, (row.sweep_at, row.complaint.complaint_id))

    def _set_exempt_due(self, row: _Row, due: str | None) -> None:
        row.exempt_due = due
        _index(self._exempting, row.shard, row.complaint.complaint_id, due)

    def _put_row(self, row: _Row) -> None:
        complaint = row.complaint
        self.rows[complaint.complaint_id] = row
        self._by_buyer.setdefault(complaint.buyer_id, set()).add(complaint.complaint_id)
        self._set_exempt_due(row, row.exempt_due)

    def _drop_row(self, complaint_id: str) -> None:
        row = self.rows.pop(complaint_id)
        self._set_sweep(row, None)
        self._set_exempt_due(row, None)
        self._by_buyer[row.complaint.buyer_id].discard(complaint_id)

    def _exempt_due(self, complaint: Complaint) -> str | None:
        if complaint.status != "upheld" or complaint.decision is None:
            return None
        return to_iso(complaint.decision.decided_at + self.exemption_due)

    def _count_decision(self, decided: Complaint) -> None:
        """Add a stored decision to its day's SLA figures (the slowest apart)."""
        sample = decision_sample(decided)
        key = (sample.day, sample.block, sample.shard)
        figures = self.sla_figures.setdefault(key, DaySummary())
        figures.add(counters_of(sample))

    def _count_queue(self, before: Complaint | None, after: Complaint) -> None:
        """Add a stored change of a complaint's pending state to the review queue's
        counters (on the shard of ``after``'s id, as the table does)."""
        change = queue_change(before, after)
        if change == QueueCounts():
            return
        shard = queue_shard(after.complaint_id)
        was = self.queue_counters.get(shard, QueueCounts())
        self.queue_counters[shard] = total([was, change])

    # writes --------------------------------------------------------------------------
    @counted
    def add(
        self,
        complaint: Complaint,
        *,
        sweep_at: datetime | None,
        outbox: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        if complaint.complaint_id in self.rows:
            raise DuplicateComplaint(complaint.complaint_id)
        row = _Row(
            complaint,
            copy.deepcopy(outbox or {}),
            shard_of(complaint.complaint_id, self.shards),
            exempt_due=self._exempt_due(complaint),
        )
        self._put_row(row)
        self._set_sweep(row, sweep_at)
        self._count_queue(None, complaint)
        if complaint.decision is not None:
            self._count_decision(complaint)

    @counted
    def save_escalation(self, escalated: Complaint, event: dict[str, Any], now: datetime) -> None:
        row = self._row(escalated.complaint_id)
        stored = row.complaint
        if not stored.is_pending or stored.escalated_at is not None:
            raise Conflict("the complaint changed meanwhile", code="already_decided")
        row.complaint = replace(
            stored,
            escalated_at=escalated.escalated_at,
            history=(*stored.history, escalated.history[-1]),
        )
        self._count_queue(stored, row.complaint)
        row.outbox["escalated"] = copy.deepcopy(event)
        self._set_sweep(row, now)

    @counted
    def save_decision(self, decided: Complaint, event: dict[str, Any], now: datetime) -> None:
        assert decided.decision is not None
        row = self._row(decided.complaint_id)
        stored = row.complaint
        if not stored.is_pending:
            self.calls["save_decision"] += 1  # DynamoDB: the transaction, then a GetItem
            raise Conflict("the complaint changed meanwhile", code="already_decided")
        if (stored.escalated_at is None) != (decided.escalated_at is None):
            # DynamoDB: a transaction conditional on the escalation as read, a GetItem, and
            # the transaction again with the stored escalation
            self.calls["save_decision"] += 2
        row.complaint = replace(
            stored,
            status=decided.status,
            decision=decided.decision,
            history=(*stored.history, decided.history[-1]),
            assessment=decided.assessment if decided.assessment is not None else stored.assessment,
        )
        self._count_queue(stored, row.complaint)
        row.outbox["decided"] = copy.deepcopy(event)
        self._set_sweep(row, now)
        if decided.status == "upheld":
            self._set_exempt_due(row, self._exempt_due(row.complaint))
        self._count_decision(decided)

    @counted
    def save_appeal(self, appealed: Complaint, event: dict[str, Any], now: datetime) -> None:
        assert appealed.appeal is not None
        row = self._row(appealed.complaint_id)
        stored = row.complaint
        if stored.appeal is not None:
            raise Conflict("the complaint was already appealed", code="already_appealed")
        previous = appealed.appeal.previous_decision
        if (
            stored.status != "rejected"
            or stored.decision is None
            or to_iso(stored.decision.decided_at) != to_iso(previous.decided_at)
        ):
            raise Conflict("the complaint changed meanwhile", code="complaint_changed")
        row.complaint = replace(
            stored,
            status="pending",
            decision=None,
            due_at=appealed.due_at,
            escalated_at=None,
            appeal=appealed.appeal,
            history=(*stored.history, appealed.history[-1]),
        )
        self._count_queue(stored, row.complaint)
        row.outbox["appealed"] = copy.deepcopy(event)
        self._set_sweep(row, now)

    @counted
    def move(self, old: Complaint, moved: Complaint, event: dict[str, Any], now: datetime) -> None:
        self.calls["move"] += 1  # DynamoDB: a GetItem, then the transaction
        row = self.rows.get(old.complaint_id)
        if row is None or not row.complaint.is_pending:
            raise Conflict("the complaint is no longer pending", code="not_pending")
        if row.complaint != old:
            raise Conflict("the complaint changed meanwhile", code="complaint_changed")
        if moved.complaint_id in self.rows:
            raise DuplicateComplaint(moved.complaint_id)
        self._drop_row(old.complaint_id)
        new_row = _Row(
            moved,
            {**row.outbox, "recategorised": copy.deepcopy(event)},
            shard_of(moved.complaint_id, self.shards),
            progress=row.progress,
            rev=row.rev,
            failures=row.failures,
            alerted_at=row.alerted_at,
        )
        self._put_row(new_row)
        self._set_sweep(new_row, now)
        self._count_queue(row.complaint, moved)  # (pending both: no change)

    @counted
    def mark_exemption_applied(
        self, applied: Complaint, event: dict[str, Any], now: datetime
    ) -> None:
        assert applied.exemption_applied_at is not None
        row = self._row(applied.complaint_id)
        stored = row.complaint
        if stored.status != "upheld" or stored.exemption_applied_at is not None:
            raise Conflict("the complaint changed meanwhile", code="already_decided")
        row.complaint = replace(
            stored,
            exemption_applied_at=applied.exemption_applied_at,
            exemption_metrics=tuple(dict(m) for m in applied.exemption_metrics),
            history=(*stored.history, applied.history[-1]),
        )
        self._set_exempt_due(row, None)
        row.progress = None
        row.outbox["exemption_applied"] = copy.deepcopy(event)
        self._set_sweep(row, now)

    @counted
    def save_exemption_progress(self, complaint_id: str, progress: dict[str, Any]) -> None:
        row = self._row(complaint_id)
        rev = int(progress.get("rev", 0))
        read_at = row.rev is None if rev == 0 else row.rev == rev
        stored = row.complaint
        if stored.status != "upheld" or stored.exemption_applied_at is not None or not read_at:
            raise Conflict("the complaint changed meanwhile", code="already_decided")
        row.progress = copy.deepcopy({k: v for k, v in progress.items() if k != "rev"})
        row.rev = rev + 1

    @counted
    def record_exemption_failure(self, complaint_id: str) -> int:
        row = self.rows.get(complaint_id)
        if row is None or row.complaint.exemption_applied_at is not None:
            return 0
        row.failures += 1
        return row.failures

    @counted
    def mark_exemption_alerted(self, complaint_id: str, now: datetime) -> bool:
        row = self.rows.get(complaint_id)
        if row is None or row.alerted_at is not None:
            return False
        row.alerted_at = now
        return True

    @counted
    def clear_exemption_due(self, complaint_id: str) -> None:
        row = self.rows.get(complaint_id)
        if row is not None:
            self._set_exempt_due(row, None)

    @counted
    def exemptions_due(self, shard: str, limit: int) -> list[tuple[str, str]]:
        return sorted((due, cid) for cid, due in self._exempting.get(shard, {}).items())[:limit]

    @counted
    def event_delivered(
        self, complaint: Complaint, kind: str, next_sweep_at: datetime | None
    ) -> None:
        row = self.rows.get(complaint.complaint_id)
        if row is None:
            return
        if row.complaint.status == complaint.status and kind in row.outbox:
            self._set_sweep(row, next_sweep_at)
        row.outbox.pop(kind, None)

    @counted
    def reschedule(self, complaint: Complaint, at: datetime | None) -> None:
        row = self.rows.get(complaint.complaint_id)
        if row is not None and row.complaint.status == complaint.status:
            self._set_sweep(row, at)

    # attachments ---------------------------------------------------------------------
    @counted
    def add_attachment(
        self, complaint: Complaint, attachment: Attachment, *, replacing: list[str]
    ) -> None:
        row = self.rows.get(complaint.complaint_id)
        if row is None or not row.complaint.is_pending:
            raise Conflict("the complaint changed meanwhile", code="not_pending")
        stored = {a.attachment_id: a for a in row.complaint.attachments}
        read = {a.attachment_id for a in complaint.attachments}
        if (
            (not read and stored)
            or (read and not stored)
            or len(stored) >= MAX_PER_COMPLAINT + len(replacing)
            or any(i not in stored or stored[i].status != "awaiting_upload" for i in replacing)
        ):
            raise Conflict("the attachments changed meanwhile", code="attachments_changed")
        for stale in replacing:
            del stored[stale]
        stored[attachment.attachment_id] = attachment
        ordered = sorted(stored.values(), key=lambda a: (a.created_at, a.attachment_id))
        row.complaint = replace(row.complaint, attachments=tuple(ordered))

    @counted
    def verify_attachment(self, complaint_id: str, verified: Attachment) -> None:
        row = self.rows.get(complaint_id)
        if row is None or not row.complaint.is_pending:
            raise Conflict("the complaint changed meanwhile", code="not_pending")
        found = {a.attachment_id: a for a in row.complaint.attachments}
        now = found.get(verified.attachment_id)
        if now is None or now.status != "awaiting_upload":
            code = "attachment_verified" if now is not None else "attachment_gone"
            raise Conflict("the attachment changed meanwhile", code=code)
        row.complaint = replace(
            row.complaint,
            attachments=tuple(
                verified if a.attachment_id == verified.attachment_id else a
                for a in row.complaint.attachments
            ),
        )

    # reads ---------------------------------------------------------------------------
    @counted
    def get_stored(self, complaint_id: str) -> StoredComplaint | None:
        if not is_complaint_id(complaint_id):
            return None
        row = self.rows.get(complaint_id)
        if row is None:
            return None
        progress = None
        if row.progress is not None:
            progress = {**copy.deepcopy(row.progress), "rev": int(row.rev or 0)}
        return StoredComplaint(row.complaint, copy.deepcopy(row.outbox), progress, row.failures)

    @counted
    def get(self, complaint_id: str) -> Complaint | None:
        row = self.rows.get(complaint_id) if is_complaint_id(complaint_id) else None
        return row.complaint if row else None

    @counted
    def refs(self, complaint_ids: Sequence[str]) -> list[ComplaintRef]:
        wanted = {i for i in complaint_ids if is_complaint_id(i)}
        assert len(wanted) <= 100, "BatchGetItem takes at most 100 keys"
        return sorted(
            ComplaintRef(c.complaint_id, c.seller_id, c.order_id, c.scenario)
            for c in (self.rows[i].complaint for i in wanted if i in self.rows)
        )

    @counted
    def list_for_seller(
        self,
        seller_id: str,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        after_key: str | None = None,
        filters: ListFilter = NO_FILTER,
    ) -> Page:
        lower, upper = f"{to_iso(since)}#", f"{to_iso(until)}#~"
        if after_key is not None:
            upper = min(upper, after_key)
        found = sorted(
            (
                row
                for row in self.rows.values()
                if row.complaint.seller_id == seller_id
                and lower <= row.list_key <= upper
                and row.list_key != after_key
                and filters.status in (None, row.complaint.status)
                and filters.scenario in (None, row.complaint.scenario)
                and filters.order_id in (None, row.complaint.order_id)
            ),
            key=lambda row: row.list_key,
            reverse=True,
        )
        items = [row.complaint for row in found[:limit]]
        last_key = found[limit - 1].list_key if len(found) > limit else None
        self.calls["list_for_seller"] += _list_requests(filters, shown=len(items)) - 1
        return Page(items=items, last_key=last_key)

    #: complaints per ``export_page``: DynamoDB's is a list page of 100 (one BatchGetItem)
    export_page_size = 100

    @counted
    def export_page(
        self, seller_id: str, *, since: datetime, until: datetime, start: Any = None
    ) -> ExportPage:
        lower, upper = f"{to_iso(since)}#", f"{to_iso(until)}#~"
        found = sorted(
            (
                row
                for row in self.rows.values()
                if row.complaint.seller_id == seller_id
                and lower <= row.list_key <= upper
                and (start is None or row.list_key < start)  # after the previous page
            ),
            key=lambda row: row.list_key,
            reverse=True,
        )
        page = found[: self.export_page_size]
        more = len(found) > self.export_page_size
        self.calls["export_page"] += _list_requests(NO_FILTER, shown=len(page)) - 1
        return ExportPage([row.complaint for row in page], page[-1].list_key if more else None)

    @counted
    def upheld_against_buyer(
        self, buyer_id: str, *, since: datetime, excluding_seller: str
    ) -> dict[str, frozenset[str]]:
        lower = f"{to_iso(since - timedelta(days=30))}#"
        found: dict[str, set[str]] = {}
        for row in (self.rows[i] for i in self._by_buyer.get(buyer_id, ())):
            c = row.complaint
            if (
                c.buyer_id == buyer_id
                and row.list_key >= lower
                and c.status == "upheld"
                and c.seller_id != excluding_seller
                and c.decision is not None
                and c.decision.decided_at >= since
            ):
                found.setdefault(c.scenario, set()).add(c.seller_id)
        return {scenario: frozenset(sellers) for scenario, sellers in found.items()}

    @counted
    def due_page(
        self, shard: str, until: datetime, after: DueEntry | None = None, limit: int | None = None
    ) -> DuePage:
        due = self._due.get(shard, [])
        start = (
            bisect.bisect_right(due, (to_iso(after.sweep_at), after.complaint_id)) if after else 0
        )
        end = bisect.bisect_right(due, (to_iso(until), "\uffff"))
        size = limit or self.due_page_size
        entries = [DueEntry(parse_iso(at), cid) for at, cid in due[start : min(end, start + size)]]
        return DuePage(entries, entries[-1] if end - start > size else None)

    def shard_names(self) -> list[str]:  # no request
        return [str(i) for i in range(self.shards)]

    def _queue(self) -> list[tuple[str, _Row]]:
        return sorted(
            (row.queue_key, row) for row in self.rows.values() if row.queue_key is not None
        )

    @counted
    def review_queue(self, limit: int, after_key: str | None = None) -> Page:
        queued = [(key, row) for key, row in self._queue() if after_key is None or key > after_key]
        items = [row.complaint for _, row in queued[:limit]]
        last_key = queued[limit - 1][0] if len(queued) > limit else None
        return Page(items=items, last_key=last_key)

    @counted
    def pending_counts(self, now: datetime) -> dict[str, int]:
        self.calls["pending_counts"] += self.shards  # DynamoDB: one counting Query a shard
        counts = total(self.queue_counters.values())
        at = to_iso(now)
        return {
            "pending": counts.pending,
            "escalated": counts.escalated,
            "overdue": sum(1 for key, _ in self._queue() if key < at),
        }

    @counted
    def sla_days(self, first: date, last: date) -> dict[date, DaySummary]:
        found: dict[date, DaySummary] = {}
        for (day, _, _), figures in sorted(self.sla_figures.items()):
            if first <= day <= last:
                found.setdefault(day, DaySummary()).add(copy.deepcopy(figures))
        return found

    @counted
    def record_slowest(self, sample: DecisionSample) -> None:
        figures = self.sla_figures.get((sample.day, sample.block, sample.shard))
        if figures is None:  # (no decision counted there: nothing to record it on)
            return
        figures.max_seconds = max(figures.max_seconds or 0, sample.seconds)


# --------------------------------------------------------------------------- facts


@dataclass
class Item:
    """An item of the facts table: a fact, an event marker, a contribution, an exemption
    record, a cleaning period or an exemption log entry."""

    pk: str
    sk: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    event_id: str | None = None
    buyer_key: str | None = None  # ``by_buyer`` index, with ``activity_key``
    seller_key: str | None = None  # ``seller_orders`` index, with ``order_key``
    activity_key: str | None = None
    order_key: str | None = None  # orders only
    order_status: str | None = None
    recorded_at: datetime | None = None
    occurred_at: datetime | None = None
    contribution: Contribution | None = None
    #: the stored fact, deserialised once (items are replaced, never changed in place)
    parsed: Any = field(default=None, compare=False, repr=False)


#: An entry of the ``by_buyer`` index: (activity key, pk, sk), in the index's order.
_IndexEntry = tuple[str, str, str]
_LAST = "\U0010ffff"  # sorts after any key text


class _Items(dict[tuple[str, str], Item]):
    """Items by (pk, sk), also by partition and, in index order, by buyer, so a partition's
    or a buyer's Query reads those items only, not the whole table, and a page of a heavy
    buyer's history costs its page, not the history (items are replaced, never changed in
    place, nor removed)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_pk: dict[str, dict[str, Item]] = {}
        self.by_buyer: dict[str, list[_IndexEntry]] = {}

    def __setitem__(self, key: tuple[str, str], item: Item) -> None:
        old = self.get(key)
        if old is not None and old.buyer_key is not None and old.activity_key is not None:
            entries = self.by_buyer[old.buyer_key]
            del entries[bisect.bisect_left(entries, (old.activity_key, *key))]
        super().__setitem__(key, item)
        self.by_pk.setdefault(key[0], {})[key[1]] = item
        if item.buyer_key is not None and item.activity_key is not None:
            bisect.insort(self.by_buyer.setdefault(item.buyer_key, []), (item.activity_key, *key))


class FactsTable:
    """The facts table both fakes share (as the DynamoDB adapters share theirs): facts,
    markers, metric and buyer-day counters items by (pk, sk), the sellers' day counters and
    the buyers' day counters (``buyer_days``)."""

    def __init__(self) -> None:
        self.items = _Items()
        self.days: dict[tuple[str, date], Counter[str]] = {}
        #: the buyers' day counters: (buyer, seller or None, day) -> counter key -> count
        self.buyer_days: dict[DayKey, Counter[str]] = {}
        self.lock = threading.RLock()

    def partition(self, pk: str) -> list[Item]:
        return sorted(self.items.by_pk.get(pk, {}).values(), key=lambda i: i.sk)

    def index_between(
        self,
        buyer_id: str,
        lower: str,
        upper: str,
        *,
        after: _IndexEntry | None = None,
        limit: int | None = None,
    ) -> list[Item]:
        """A ``by_buyer`` Query: entries with keys in [lower, upper] (after ``after``, at
        most ``limit``), in index order."""
        entries = self.items.by_buyer.get(buyer_id, [])
        start = bisect.bisect_left(entries, (lower,))
        if after is not None:
            start = max(start, bisect.bisect_right(entries, after))
        end = bisect.bisect_right(entries, (upper, _LAST, _LAST))
        if limit is not None:
            end = min(end, start + limit)
        return [self.items[(pk, sk)] for _, pk, sk in entries[start:end]]


def _payload(item: Item) -> Any | None:
    if item.parsed is None:
        item.parsed = (stored_payload(item.sk, item.data),)
    return item.parsed[0]


def _facts_from_items(items: Sequence[Item]) -> OrderFacts:
    return order_facts(_payload(item) for item in items)


class InMemoryFacts(_Store):
    """``FactStore`` over a ``FactsTable``."""

    def __init__(self, table: FactsTable | None = None) -> None:
        self.table = table or FactsTable()
        super().__init__(self.table.lock)

    @counted
    def apply(self, event: FactEvent, now: datetime) -> ApplyResult:
        # DynamoDB: the marker's conditional put, then the entity's (accepted: 2 requests);
        # a GetItem of the marker after a refused put, of the entity after a refused store
        self.calls["apply"] += 1
        marker_key = (f"EVENT#{event.event_id}", "EVENT")
        marker = self.table.items.get(marker_key)
        if marker is not None:  # an id seen before: a duplicate, or the repair of a crash
            said_the_same = marker.data.get("fingerprint") == event.fingerprint
            self.calls["apply"] += 1 if said_the_same else 0
            return "accepted" if said_the_same and self._store(event, now) else "duplicate"
        self.table.items[marker_key] = Item(
            *marker_key,
            type="event",
            version=event.version,
            event_id=event.event_id,
            data={"fingerprint": event.fingerprint},
            recorded_at=now,
        )
        if self._store(event, now):
            return "accepted"
        self.calls["apply"] += 1
        stored = self.table.items[(event.partition, event.sort_key)]
        return "duplicate" if stored.event_id == event.event_id else "stale"

    def _store(self, event: FactEvent, now: datetime) -> bool:
        key = (event.partition, event.sort_key)
        stored = self.table.items.get(key)
        if stored is not None and stored.version >= event.version:
            return False
        activity = event.activity_key
        self.table.items[key] = Item(
            *key,
            type=event.type,
            data=event.data,
            version=event.version,
            event_id=event.event_id,
            buyer_key=event.buyer_id if activity else None,
            seller_key=event.seller_id if activity else None,
            activity_key=activity,
            order_key=event.seller_order_key,
            order_status=getattr(event.payload, "status", None) if event.type == "order" else None,
            recorded_at=now,
            occurred_at=event.occurred_at,
        )
        return True

    @counted
    def stored_order(self, order_id: str) -> OrderData | None:
        item = self.table.items.get((f"ORDER#{order_id}", "ORDER#"))
        payload = _payload(item) if item is not None else None
        return payload if isinstance(payload, OrderData) else None

    @counted
    def order_items(self, order_id: str) -> list[Any]:
        return [copy.copy(i) for i in self.table.partition(f"ORDER#{order_id}")]

    @counted
    def order_facts(self, order_id: str) -> OrderFacts:
        return _facts_from_items(self.table.partition(f"ORDER#{order_id}"))

    @counted
    def orders_for_seller(
        self,
        seller_id: str,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        after_key: str | None = None,
    ) -> OrderPage:
        lower, upper = f"{to_iso(since)}#", f"{to_iso(until)}#~"
        if after_key is not None:
            upper = min(upper, after_key)
        found = sorted(
            (
                i
                for i in self.table.items.values()
                if i.seller_key == seller_id
                and i.order_key is not None
                and lower <= i.order_key <= upper
                and i.order_key != after_key
            ),
            key=lambda i: str(i.order_key),
            reverse=True,
        )
        items = [
            OrderSummary(
                i.pk.removeprefix("ORDER#"),
                i.buyer_key or "",
                i.order_status or "",
                datetime.fromisoformat(str(i.order_key).split("#", 1)[0]),
            )
            for i in found[:limit]
        ]
        last_key = found[limit - 1].order_key if len(found) > limit else None
        return OrderPage(items=items, last_key=last_key)

    @counted
    def buyer_activity(self, buyer_id: str, low: str, high: str) -> list[Any]:
        found = (_payload(i) for i in self.table.index_between(buyer_id, low, high))
        return [p for p in found if p is not None]

    @counted
    def buyer_activity_page(
        self, buyer_id: str, low: str, high: str, limit: int
    ) -> tuple[list[Any], bool]:
        items = self.table.index_between(buyer_id, low, high, limit=limit)
        found = (_payload(i) for i in items)
        return [p for p in found if p is not None], len(items) < limit

    @counted
    def buyer_days(
        self, buyer_id: str, seller_id: str | None, first: date, last: date
    ) -> dict[date, dict[str, int]]:
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        found = ((day, self.table.buyer_days.get((buyer_id, seller_id, day))) for day in days)
        return {day: dict(counters) for day, counters in found if counters is not None}

    def activity_partition(self, items: list[Any]) -> ActivityPartition:  # no request
        facts: dict[str, tuple[Any, int]] = {}
        stored: dict[str, StoredCells] = {}
        for item in items:
            if item.sk.startswith("ACTIVITY#"):
                stored[item.sk.removeprefix("ACTIVITY#")] = StoredCells(
                    cells_from_data(item.data["cells"]), item.data["fact_version"], item.version
                )
                continue
            payload = _payload(item)
            if isinstance(payload, OrderData | DisputeData | ReviewData):
                facts[item.sk] = (payload, item.version)
        return ActivityPartition(facts, stored)

    @counted
    def write_activity(
        self,
        order_id: str,
        fact_key: str,
        old: StoredCells | None,
        new: frozenset[Cell],
        fact_version: int,
        deltas: dict[DayKey, dict[str, int]],
    ) -> None:
        key = (f"ORDER#{order_id}", f"ACTIVITY#{fact_key}")
        stored = self.table.items.get(key)
        if (None if stored is None else stored.version) != (None if old is None else old.revision):
            raise ContributionConflict(order_id)  # changed meanwhile
        self.table.items[key] = Item(
            *key,
            type="activity_counters",
            version=(0 if old is None else old.revision) + 1,
            data={"cells": cells_to_data(new), "fact_version": fact_version},
        )
        for day_key, counters in deltas.items():
            self.table.buyer_days.setdefault(day_key, Counter()).update(counters)


# --------------------------------------------------------------------------- metrics


class InMemoryMetrics(_Store):
    """``MetricsStore`` over the ``FactsTable`` its ``InMemoryFacts`` uses."""

    def __init__(self, table: FactsTable | None = None) -> None:
        self.table = table or FactsTable()
        super().__init__(self.table.lock)

    def partition_from_items(self, items: list[Any]) -> OrderPartition:  # no request
        exemptions: dict[tuple[str, str], str] = {}
        stored: dict[str, StoredContribution] = {}
        status_at: datetime | None = None
        for item in items:
            if item.sk == "ORDER#":
                status_at = item.occurred_at or item.recorded_at
            elif item.sk.startswith("EXEMPT#"):
                exemptions[(item.data["unit"], item.data["metric"])] = item.data["complaint_id"]
            elif item.sk.startswith("CONTRIB#"):
                assert item.contribution is not None
                stored[item.contribution.unit] = StoredContribution(item.contribution, item.version)
        return OrderPartition(_facts_from_items(items), exemptions, stored, status_at)

    @counted
    def write_contribution(
        self,
        order_id: str,
        old: StoredContribution | None,
        new: Contribution | None,
        deltas: dict[tuple[str, date], dict[str, int]],
        exemptions: Sequence[ExemptionRecord] = (),
        at: datetime | None = None,
    ) -> None:
        assert new is not None or exemptions
        items = self.table.items
        pk = f"ORDER#{order_id}"
        records = [(pk, f"EXEMPT#{r.unit}#{r.metric}") for r in exemptions]
        if any(key in items for key in records):  # first wins
            raise ContributionConflict(order_id)
        if new is not None:
            stored = items.get((pk, f"CONTRIB#{new.unit}"))
            revision = None if stored is None else stored.version
            if revision != (None if old is None else old.revision):  # changed meanwhile
                raise ContributionConflict(order_id)
        for key, record in zip(records, exemptions, strict=True):
            assert at is not None
            items[key] = Item(
                *key,
                type="exemption",
                data={
                    "unit": record.unit,
                    "metric": record.metric,
                    "complaint_id": record.complaint_id,
                    "applied_at": to_iso(at),
                },
                recorded_at=at,
            )
        if new is not None:
            key = (pk, f"CONTRIB#{new.unit}")
            revision = 0 if old is None else old.revision
            items[key] = Item(*key, type="contribution", version=revision + 1, contribution=new)
        for day_key, counters in deltas.items():
            self.table.days.setdefault(day_key, Counter()).update(counters)

    @counted
    def buyer_orders_page(
        self,
        buyer_id: str,
        seller_id: str,
        since: datetime,
        until: datetime,
        after: dict[str, str] | None,
        limit: int,
    ) -> tuple[list[ActivityEntry], bool]:
        start = None if after is None else (after["activity_key"], after["pk"], after["sk"])
        found = self.table.index_between(
            buyer_id, *activity_range(since, until), after=start, limit=limit
        )
        entries = [
            ActivityEntry(
                {
                    "pk": i.pk,
                    "sk": i.sk,
                    "buyer_key": i.buyer_key or buyer_id,
                    "activity_key": i.activity_key or "",
                },
                i.pk.removeprefix("ORDER#")
                if i.sk == "ORDER#" and i.seller_key == seller_id
                else None,
            )
            for i in found[:limit]
        ]
        # as DynamoDB's LastEvaluatedKey: set whenever the page is full
        return entries, len(entries) == limit

    @counted
    def put_cleaning_period(self, seller_id: str, buyer_id: str, window: CleaningPeriod) -> None:
        key = (f"CLEANING_PERIOD#{seller_id}#{buyer_id}", f"CLEANING_PERIOD#{window.complaint_id}")
        self.table.items[key] = Item(*key, type="cleaning_period", data={"window": window})

    @counted
    def cleaning_periods(self, seller_id: str, buyer_id: str) -> list[CleaningPeriod]:
        partition = f"CLEANING_PERIOD#{seller_id}#{buyer_id}"
        return [i.data["window"] for i in self.table.partition(partition)]

    @counted
    def day_counters(self, seller_id: str, first: date, last: date) -> dict[date, dict[str, int]]:
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        found = ((day, self.table.days.get((seller_id, day))) for day in days)
        return {
            day: {key: counters.get(key, 0) for key in COUNTER_KEYS}
            for day, counters in found
            if counters is not None
        }

    @counted
    def start_exemption_log(
        self, seller_id: str, complaint_id: str, at: datetime, entry: dict[str, Any]
    ) -> dict[str, Any]:
        key = (f"METRICS#{seller_id}", f"EXEMPTION#{complaint_id}")
        stored = self.table.items.get(key)
        if stored is not None:  # DynamoDB: the refused put, then a GetItem
            self.calls["start_exemption_log"] += 1
            return copy.deepcopy(stored.data)
        self.table.items[key] = Item(
            *key, type="exemption_log", data=copy.deepcopy(entry), recorded_at=at
        )
        return entry

    @counted
    def finish_exemption_log(
        self, seller_id: str, complaint_id: str, entry: dict[str, Any]
    ) -> None:
        key = (f"METRICS#{seller_id}", f"EXEMPTION#{complaint_id}")
        self.table.items[key] = Item(*key, type="exemption_log", data=copy.deepcopy(entry))

    @counted
    def exemption_log(
        self, seller_id: str, *, since: datetime, limit: int, after_key: str | None = None
    ) -> ExemptionLogPage:
        # ``exemption_log``'s key: when the entry took effect (else when it was started)
        def key(i: Item) -> str:
            effective = i.data.get("effective_at") or to_iso(i.recorded_at)  # type: ignore[arg-type]
            return f"{effective}#{i.sk.removeprefix('EXEMPTION#')}"

        lower, upper = f"{to_iso(since)}#", "~" if after_key is None else after_key
        keyed = sorted(
            (
                (key(i), i.data)
                for i in self.table.partition(f"METRICS#{seller_id}")
                if i.sk.startswith("EXEMPTION#")
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        found = [(k, e) for k, e in keyed if lower <= k <= upper and k != after_key]
        last_key = found[limit - 1][0] if len(found) > limit else None
        return ExemptionLogPage([copy.deepcopy(e) for _, e in found[:limit]], last_key)


# --------------------------------------------------------------------------- messaging


class RecordingPublisher(_Store):
    """``EventPublisher``: keeps what is published, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    @counted
    def publish(self, event: dict[str, Any]) -> None:
        self.events.append(copy.deepcopy(event))

    def types(self) -> list[tuple[str, str]]:
        return [(e["type"], e["complaint_id"]) for e in self.events]


class RecordingQueue(_Store):
    """``WorkQueue``: keeps the messages handed to the sweep's workers, in the order sent
    (``take`` hands them over, as SQS hands them to the workers)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SweepMessage] = []

    @counted
    def send(self, messages: Sequence[SweepMessage]) -> None:
        if not 0 < len(messages) <= MESSAGES_PER_REQUEST:
            raise ValueError(f"1 to {MESSAGES_PER_REQUEST} messages per request")
        self.sent.extend(messages)

    @property
    def ids(self) -> list[str]:
        """Every complaint id sent, in order."""
        return [cid for message in self.sent for cid in message.complaint_ids]

    def take(self) -> list[SweepMessage]:
        """The messages sent since the last ``take``."""
        taken, self.sent = self.sent, []
        return taken


class InMemoryExportFiles(_Store):
    """``ExportFiles``: keeps each saved file (bytes, content type) by key; a link is
    ``memory://<key>?filename=...&expires_in=<seconds>``."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {}

    @counted
    def save_export(self, key: str, body: IO[bytes], *, content_type: str) -> None:
        self.files[key] = (body.read(), content_type)

    def export_link(self, key: str, *, filename: str, expires_in: timedelta) -> str:
        # signed locally by the S3 adapter: no request, not counted
        return f"memory://{key}?filename={filename}&expires_in={int(expires_in.total_seconds())}"


# --------------------------------------------------------------------------- the bundle


# --------------------------------------------------------------------------- files


class InMemoryFiles(_Store):
    """``FileStore`` in a dict: objects by key with their ``upload`` tag.  Forms and links
    are ``memory://`` addresses; tests put uploads with ``put``."""

    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, bytes] = {}
        self.tags: dict[str, str] = {}

    def put(self, key: str, data: bytes) -> None:
        """What a browser's upload through the form does (not a service call)."""
        self.objects[key] = data
        self.tags[key] = "pending"

    @counted
    def upload_form(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> dict[str, Any]:
        fields = {"key": key, "Content-Type": content_type, "size": str(size)}
        return {"url": f"memory://files?expires_in={expires_in}", "fields": fields}

    @counted
    def read(self, key: str, max_bytes: int, head_bytes: int) -> StoredFile | None:
        data = self.objects.get(key)
        if data is None:
            return None
        if len(data) > max_bytes:
            return StoredFile(len(data), b"", "")
        return StoredFile(len(data), data[:head_bytes], hashlib.sha256(data).hexdigest())

    @counted
    def mark_verified(self, key: str) -> None:
        self.tags[key] = "verified"

    @counted
    def delete(self, key: str) -> None:
        self.objects.pop(key, None)
        self.tags.pop(key, None)

    @counted
    def download_url(self, key: str, content_type: str, expires_in: int) -> str:
        return f"memory://files/{key}?expires_in={expires_in}&type={content_type}"


class InMemoryPorts(NamedTuple):
    """A ``Ports`` of fakes: complaints, facts and metrics (sharing one facts table), a
    recording publisher and, optionally, a recording sweep queue."""

    complaints: InMemoryComplaints
    facts: InMemoryFacts
    metrics: InMemoryMetrics
    publisher: RecordingPublisher
    sweep_queue: RecordingQueue | None = None

    @classmethod
    def create(cls, settings: Settings | None = None, *, queue: bool = False) -> InMemoryPorts:
        complaints = (
            InMemoryComplaints.from_settings(settings) if settings else InMemoryComplaints()
        )
        table = FactsTable()
        return cls(
            complaints,
            InMemoryFacts(table),
            InMemoryMetrics(table),
            RecordingPublisher(),
            RecordingQueue() if queue else None,
        )

    def total_requests(self) -> int:
        """Every call so far, of every store (cheaper than summing ``requests()``)."""
        return sum(store.requests for store in self if store is not None)

    def requests(self) -> Counter[str]:
        """Calls per store and method, e.g. ``complaints.add``."""
        total: Counter[str] = Counter()
        for name, store in self._asdict().items():
            if store is not None:
                total.update({f"{name}.{method}": n for method, n in store.calls.items()})
        return total

    def reset_counts(self) -> None:
        for store in self:
            if store is not None:
                store.calls.clear()


# --------------------------------------------------------------------------- keys


class InMemorySecrets(_Store):
    """``SecretStore``: SSM parameters with their history — each ``put`` a new version
    (1, 2, ...) stamped with its time; a missing parameter is a ``StorageError`` (SSM's
    ``ParameterNotFound``), a version no longer kept is None."""

    def __init__(self) -> None:
        super().__init__()
        self._versions: dict[str, list[tuple[str, datetime]]] = {}

    def put(self, name: str, value: str, now: datetime) -> int:
        """``put-parameter --overwrite``: the new version's number."""
        with self.lock:
            self._versions.setdefault(name, []).append((value, now))
            return len(self._versions[name])

    @counted
    def read(self, name: str) -> StoredSecret:
        versions = self._versions.get(name)
        if not versions:
            raise StorageError(f"ParameterNotFound: {name}")
        value, written = versions[-1]
        return StoredSecret(value, len(versions), written)

    @counted
    def read_version(self, name: str, version: int) -> str | None:
        versions = self._versions.get(name, [])
        return versions[version - 1][0] if 0 < version <= len(versions) else None


class KeySetServer(_Store):
    """``KeySetSource``: a JWKS document per URL, as an identity provider publishes it
    (``publish``), or unavailable (``down``), counting the fetches."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, dict[str, Any]] = {}
        self.down = False

    def publish(self, url: str, *keys: dict[str, Any]) -> None:
        self.documents[url] = {"keys": [dict(k) for k in keys]}

    @counted
    def fetch(self, url: str) -> dict[str, Any]:
        if self.down or url not in self.documents:
            raise StorageUnavailable(f"signing keys unavailable from {url}")
        return copy.deepcopy(self.documents[url])


if TYPE_CHECKING:  # the fakes satisfy the services' interfaces (checked by mypy)
    _complaints: ComplaintStore = InMemoryComplaints()
    _facts: FactStore = InMemoryFacts()
    _metrics: MetricsStore = InMemoryMetrics()
    _publisher: EventPublisher = RecordingPublisher()
    _queue: WorkQueue = RecordingQueue()
    _exports: ExportFiles = InMemoryExportFiles()
    _ports: Ports = InMemoryPorts.create()
    _files: FileStore = InMemoryFiles()
    _secrets: SecretStore = InMemorySecrets()
    _key_sets: KeySetSource = KeySetServer()
