"""The complaints repository: every request on the complaints table — writes, reads by
id, a seller's list, the review queue and the sweep's and exemption job's work queues.

Every read is a GetItem or a Query, decoded by ``ItemDecoder`` into ``Complaint``s
(``adapters/complaint_items.py`` maps items to complaints and back).  Every write is
PynamoDB's own: the submission a conditional ``save``, each state change a conditional
``update`` (``_update_if``), so concurrent writers (two reviewers, a reviewer and the
sweep) cannot both win; the loser gets a ``Conflict`` whose code says what conflicted.
A decision is stored together with its day's SLA figures (``adapters/sla_days.py``, in the
facts table) in one transaction; the SLA report's reads are in ``adapters/sla_days.py``.
Storage failures reach the callers as domain errors (``adapters/storage_errors.py``).
"""

from __future__ import annotations

import hashlib
import heapq
import random
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from itertools import islice
from typing import Any, NamedTuple, get_args

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import sla_days
from chalicelib.adapters.codecs import (
    batch_get_items,
    conditional_failed,
    item_decoder,
    query_items,
    query_values,
)
from chalicelib.adapters.complaint_items import (
    appeal_value,
    assessment_value,
    complaint_from_values,
    decided_values,
    filter_keys,
    list_key,
    new_item_values,
    queue_key,
    seller_scenario,
    seller_status,
)
from chalicelib.adapters.models import complaint_model, fact_model
from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.config import Settings
from chalicelib.domain.attachments import MAX_PER_COMPLAINT, Attachment
from chalicelib.domain.complaints import (
    Complaint,
    Status,
    complaint_id_for,
    is_complaint_id,
    shard_of,
)
from chalicelib.domain.errors import Conflict, DuplicateComplaint, StorageUnavailable
from chalicelib.domain.queue_counts import QueueCounts, queue_change
from chalicelib.domain.scenarios import REGISTRY
from chalicelib.domain.sla_days import DaySummary, DecisionSample, counters_of, decision_sample
from chalicelib.domain.timeutil import parse_iso, to_iso

__all__ = [
    "CONFLICTS",
    "NO_FILTER",
    "ComplaintRef",
    "ComplaintRepository",
    "ExportPage",
    "ListFilter",
    "Page",
    "StoredComplaint",
    "list_key",
    "queue_key",
]


class ListFilter(NamedTuple):
    status: str | None = None
    scenario: str | None = None
    order_id: str | None = None


NO_FILTER = ListFilter()


class Page(NamedTuple):
    items: list[Complaint]
    last_key: str | None  # position of the last item when more items follow


class ExportPage(NamedTuple):
    items: list[Complaint]
    #: where the next page starts (opaque; None: this was the last page)
    next_start: Any


class ComplaintRef(NamedTuple):
    """Who filed a stored complaint, on which order, in which scenario (no content)."""

    complaint_id: str
    seller_id: str
    order_id: str
    scenario: str


class StoredComplaint(NamedTuple):
    """A complaint with the events still waiting in its outbox, and the exemption job's
    state: its saved progress (with its revision, ``rev``) and failed steps."""

    complaint: Complaint
    outbox: dict[str, dict[str, Any]]
    exemption_progress: dict[str, Any] | None = None
    exemption_failures: int = 0


class DueEntry(NamedTuple):
    """A complaint in the sweep's ``due`` index, and the time it is due (to the second)."""

    sweep_at: datetime
    complaint_id: str


class DuePage(NamedTuple):
    """One page of a shard's due complaints, earliest first; ``after`` (the page's last
    entry) asks for the next page, None on the last page."""

    entries: list[DueEntry]
    after: DueEntry | None


#: BatchGetItem's most keys per request.
BATCH_GET_LIMIT = 100

#: Attempts of a decision's transaction that DynamoDB cancels because another transaction
#: was writing the same day's SLA figures at that moment (``TransactionConflict``).
TRANSACTION_ATTEMPTS = 5

#: What a conditional write that lost means, by its ``Conflict``'s code.
CONFLICTS = {
    "already_decided": "the complaint was already decided",
    "not_pending": "the complaint is no longer pending",
    "already_escalated": "the complaint was already escalated",
    "exemption_already_applied": "the complaint's exemption was already applied",
    "exemption_progress_changed": "another run saved the exemption's progress meanwhile",
    "attachments_changed": "another upload changed the complaint's attachments meanwhile",
    "attachment_verified": "the attachment was already verified",
    "attachment_gone": "the attachment is no longer awaiting its upload",
    "already_appealed": "the complaint was already appealed",
    "complaint_changed": "the complaint changed meanwhile; read it again",
}

#: Attributes a re-categorisation recomputes for the complaint's new id (or that change
#: under it harmlessly: the outbox is copied as read, the sweep time recomputed) — every
#: other attribute of the stored item, known to the model or not, is copied as stored.
MOVE_RECOMPUTED = frozenset(
    {
        "complaint_id",
        "scenario",
        "reason",
        "assessment",
        "history",
        "list_key",
        "seller_status",
        "seller_scenario",
        "queue_shard",
        "queue_key",
        "sweep_shard",
        "sweep_at",
        "outbox",
    }
)


#: Every status a complaint can have (a list filtered by scenario reads one Query per status).
STATUSES: tuple[str, ...] = get_args(Status)


def _matches(complaint: Complaint, seller_id: str, filters: ListFilter) -> bool:
    """Whether a complaint read by id belongs on a seller's list with ``filters``."""
    return (
        complaint.seller_id == seller_id
        and filters.status in (None, complaint.status)
        and filters.scenario in (None, complaint.scenario)
        and filters.order_id in (None, complaint.order_id)
    )


def _size(path: Any) -> Any:
    """``size(path)`` in a condition (PynamoDB's ``size`` is untyped)."""
    return size(path)  # type: ignore[no-untyped-call]


def _update(item: Any, actions: list[Action], condition: Condition, t: TransactWrite) -> None:
    """A conditional update of ``item`` in the transaction ``t``."""
    t.update(item, actions, condition=condition)


#: Names what conflicted: a code of ``CONFLICTS`` — or a function of the complaint as stored
#: after the write lost (None: gone) that returns one, when more than one thing can conflict.
ConflictCode = str | Callable[[StoredComplaint | None], str]


@translates_storage_errors
class ComplaintRepository:
    def __init__(self, settings: Settings) -> None:
        self.model = complaint_model(settings)
        self.facts = fact_model(settings)
        self.decode = item_decoder(self.model)
        self.retention = timedelta(days=settings.retention_days)
        self.shards = settings.due_shards
        self.exemption_due = settings.exemption_policy.due_after

    def _shard(self, complaint_id: str) -> str:
        return shard_of(complaint_id, self.shards)

    def _sweep_actions(self, complaint_id: str, at: datetime | None) -> list[Action]:
        if at is None:
            return [self.model.sweep_shard.remove(), self.model.sweep_at.remove()]
        return [
            self.model.sweep_shard.set(self._shard(complaint_id)),
            self.model.sweep_at.set(to_iso(at)),
        ]

    def _filter_key_actions(self, complaint: Complaint) -> list[Action]:
        """Move the complaint's entries in the filtered lists' indexes to its status."""
        keys = filter_keys(complaint.seller_id, complaint.scenario, complaint.status)
        return [getattr(self.model, name).set(value) for name, value in keys.items()]

    def _update_if(
        self,
        complaint_id: str,
        actions: list[Action],
        condition: Condition,
        conflict: ConflictCode | None,
    ) -> dict[str, Any] | None:
        """One conditional UpdateItem: apply ``actions`` only if ``condition`` holds, and
        return the update's response.  If it does not hold: raise ``Conflict`` with the
        code ``conflict`` names (a function is given the complaint read again — one more
        request, on a conflict only), or return None when ``conflict`` is None (the caller
        has nothing to report)."""
        try:
            response: dict[str, Any] = self.model(complaint_id).update(
                actions=actions, condition=condition
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            if conflict is None:
                return None
            if not isinstance(conflict, str):
                conflict = conflict(self.get_stored(complaint_id))
            raise Conflict(CONFLICTS[conflict], code=conflict) from exc
        return response

    # writes --------------------------------------------------------------------------
    def add(
        self,
        complaint: Complaint,
        *,
        sweep_at: datetime | None,
        outbox: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """One transaction: the conditional put of the complaint, and what it adds to the
        review queue's counters (pending) or its day's SLA figures (decided at once).  The
        key is derived from (order, scenario), so a second complaint for the same pair
        fails inside DynamoDB, whoever wins a race, and adds nothing."""
        values = new_item_values(
            complaint,
            shard=self._shard(complaint.complaint_id),
            sweep_at=sweep_at,
            outbox=outbox or {},
            retention=self.retention,
            exemption_due=self.exemption_due,
        )
        new = self.model(**values)
        free = self.model.complaint_id.does_not_exist()
        # pending: counted in the review queue's counters; decided by the rules at once:
        # in its day's SLA figures — either in the same transaction as the put
        written = self._transact(
            f"{complaint.complaint_id}|submitted|{to_iso(complaint.submitted_at)}",
            lambda t: t.save(new, condition=free),
            self._counter_updates(
                complaint.complaint_id,
                queue_change(None, complaint),
                complaint if complaint.decision is not None else None,
            ),
        )
        if not written:
            raise DuplicateComplaint(complaint.complaint_id)

    def save_escalation(self, escalated: Complaint, event: dict[str, Any], now: datetime) -> None:
        """Flag the escalation once (conditional on pending and not yet escalated) and put
        its event in the outbox; the item stays due until the event is delivered.  One
        transaction with the review queue's counters (one more escalated).
        ``Conflict``: ``not_pending`` (decided meanwhile) or ``already_escalated``."""
        m = self.model
        assert escalated.escalated_at is not None
        actions = [
            m.escalated_at.set(escalated.escalated_at),
            m.history.set(m.history.append([escalated.history[-1].as_dict()])),
            m.outbox["escalated"].set(event),
            *self._sweep_actions(escalated.complaint_id, now),
        ]
        item = m(escalated.complaint_id)
        condition = (m.status == "pending") & m.escalated_at.does_not_exist()
        if self._transact(
            f"{escalated.complaint_id}|escalated|{to_iso(escalated.escalated_at)}",
            lambda t: t.update(item, actions, condition=condition),
            self._counter_updates(escalated.complaint_id, QueueCounts(escalated=1)),
        ):
            return
        stored = self.get_stored(escalated.complaint_id)
        code = "already_escalated" if stored and stored.complaint.is_pending else "not_pending"
        raise Conflict(CONFLICTS[code], code=code)

    def save_decision(self, decided: Complaint, event: dict[str, Any], now: datetime) -> None:
        """Persist a decision only while the stored complaint is pending (else
        ``Conflict`` ``already_decided``); leave the queue, and keep the complaint due until
        its ``complaint.decided`` event is delivered.  One transaction with the decision's
        day's SLA figures and the review queue's counters (one pending fewer, and one
        escalated fewer if the stored complaint is escalated).

        Whether it is escalated is part of the condition — as ``decided`` was read — so
        that the counters move by what is stored: when the condition fails, the complaint
        is read again (one GetItem) and, if it is still pending (escalated by the sweep
        since it was read), the transaction is tried once more with its escalation."""
        m = self.model
        values = decided_values(decided, self._shard(decided.complaint_id), self.exemption_due)
        if decided.assessment is not None:
            values["assessment"] = assessment_value(decided.assessment)
        actions = [
            m.status.set(decided.status),
            *self._filter_key_actions(decided),
            *(getattr(m, name).set(value) for name, value in values.items()),
            m.history.set(m.history.append([decided.history[-1].as_dict()])),
            m.queue_shard.remove(),
            m.queue_key.remove(),
            m.outbox["decided"].set(event),
            *self._sweep_actions(decided.complaint_id, now),
        ]
        item = m(decided.complaint_id)
        assert decided.decision is not None
        decision = f"{decided.complaint_id}|decided|{to_iso(decided.decision.decided_at)}"
        escalated = decided.escalated_at is not None
        for _ in range(2):  # (an escalation happens once while pending: one retry at most)
            flag = m.escalated_at.exists() if escalated else m.escalated_at.does_not_exist()
            condition = (m.status == "pending") & flag
            change = QueueCounts(pending=-1, escalated=-int(escalated))
            if self._transact(
                f"{decision}|{int(escalated)}",
                partial(_update, item, actions, condition),
                self._counter_updates(decided.complaint_id, change, decided),
            ):
                return
            stored = self.get_stored(decided.complaint_id)
            if stored is None or not stored.complaint.is_pending:
                raise Conflict(CONFLICTS["already_decided"], code="already_decided")
            escalated = stored.complaint.escalated_at is not None
        raise Conflict(CONFLICTS["complaint_changed"], code="complaint_changed")

    def _counter_updates(
        self, complaint_id: str, change: QueueCounts, decided: Complaint | None = None
    ) -> list[tuple[Any, list[Action]]]:
        """The counter items a write about ``complaint_id`` adds to, with their actions:
        ``change`` to the review queue's counters (none if zero), and the decision of
        ``decided`` (a complaint being decided) to its day's SLA figures."""
        updates: list[tuple[Any, list[Action]]] = []
        if queue_actions := sla_days.queue_actions(change):
            updates.append((sla_days.queue_item(self.facts, complaint_id), queue_actions))
        if decided is not None:
            sample = decision_sample(decided)
            counts = counters_of(sample)
            actions = sla_days.counter_actions(self.facts, sample.day, counts, self.retention)
            updates.append((sla_days.day_item(self.facts, sample), actions))
        return updates

    def _transact(
        self,
        key: str,
        write: Callable[[TransactWrite], None],
        counters: list[tuple[Any, list[Action]]],
    ) -> bool:
        """Run ``write`` (the conditional write of a complaint's item) and the additions to
        ``counters`` (items of the facts table, with their actions) as one transaction —
        all or nothing, so the counters count each stored change once: a write whose
        condition fails (False) adds nothing.  It costs twice the write units of its
        writes (transactions do).  A transaction cancelled only because another one was
        writing the same counters at that moment is tried again (up to
        ``TRANSACTION_ATTEMPTS``, after a short random pause; then ``StorageUnavailable``);
        the token (from ``key``, which names the change) makes the SDK's own retries of
        one attempt idempotent."""
        connection = self.model._get_connection().connection
        for attempt in range(TRANSACTION_ATTEMPTS):
            token = hashlib.sha256(f"{key}|{attempt}".encode()).hexdigest()[:36]
            try:
                with TransactWrite(connection=connection, client_request_token=token) as t:
                    write(t)
                    for counter, actions in counters:
                        t.update(counter, actions)
            except TransactWriteError as exc:
                if exc.cause_response_code != "TransactionCanceledException":
                    raise
                reasons = [r.code if r else None for r in exc.cancellation_reasons]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False
                if "TransactionConflict" not in reasons:
                    raise
                busy = exc
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # (jitter: not in step)
                continue
            return True
        raise StorageUnavailable("the SLA counters stayed busy: TransactionConflict") from busy

    def save_appeal(self, appealed: Complaint, event: dict[str, Any], now: datetime) -> None:
        """Reopen a rejected complaint for its appeal — conditional on it being rejected
        by the decision appealed and not appealed yet (else ``Conflict``
        ``already_appealed``, or ``complaint_changed``): pending again with its new
        deadline, back in the review queue, not escalated, and the
        ``complaint.appealed`` event in the outbox — one transaction with the review
        queue's counters (one more pending)."""
        m = self.model
        assert appealed.appeal is not None
        previous = appealed.appeal.previous_decision

        def conflict(stored: StoredComplaint | None) -> str:
            if stored is not None and stored.complaint.appeal is not None:
                return "already_appealed"
            return "complaint_changed"

        actions = [
            m.status.set("pending"),
            *self._filter_key_actions(appealed),
            m.due_at.set(appealed.due_at),
            m.appeal.set(appeal_value(appealed.appeal)),
            m.history.set(m.history.append([appealed.history[-1].as_dict()])),
            m.decision.remove(),
            m.decided_at.remove(),
            m.escalated_at.remove(),
            m.queue_shard.set(self._shard(appealed.complaint_id)),
            m.queue_key.set(queue_key(appealed)),
            m.outbox["appealed"].set(event),
            *self._sweep_actions(appealed.complaint_id, now),
        ]
        item = m(appealed.complaint_id)
        condition = (
            (m.status == "rejected")
            & m.appeal.does_not_exist()
            & (m.decision["decided_at"] == to_iso(previous.decided_at))
        )
        if not self._transact(
            f"{appealed.complaint_id}|appealed|{to_iso(appealed.appeal.submitted_at)}",
            lambda t: t.update(item, actions, condition=condition),
            self._counter_updates(appealed.complaint_id, QueueCounts(pending=1)),
        ):
            code = conflict(self.get_stored(appealed.complaint_id))
            raise Conflict(CONFLICTS[code], code=code)

    def move(self, old: Complaint, moved: Complaint, event: dict[str, Any], now: datetime) -> None:
        """Re-categorise: delete ``old``'s item and put ``moved`` (its new id) in one
        transaction, so the complaint is never under both ids or neither.

        Reads the stored item once more (a consistent GetItem) to copy every attribute the
        re-categorisation does not recompute — known to the model or not (another
        feature's) — as stored.  The delete is conditional on the item being unchanged
        since then — its history, its evidence files, and other features' lists — though
        not its outbox or sweep time (``Conflict`` ``complaint_changed``, or
        ``not_pending`` once decided or moved); the put on the new id being free
        (``DuplicateComplaint`` with the id: the seller filed that scenario meanwhile).
        The new item is back in the due index at ``now`` for its
        ``complaint.recategorised`` event.  The review queue's counters do not change:
        the complaint is pending under either id, its escalation copied."""
        m = self.model
        connection = m._get_connection()
        raw = connection.get_item(old.complaint_id, consistent_read=True).get("Item")
        if raw is None or self.decode(raw)["status"] != "pending":
            raise Conflict(CONFLICTS["not_pending"], code="not_pending")
        if len(raw.get("history", {}).get("L", ())) != len(old.history):
            raise Conflict(CONFLICTS["complaint_changed"], code="complaint_changed")
        # Unchanged: still pending with the history read (every state change of a pending
        # complaint appends to it), and any other feature's lists or maps (attributes the
        # model does not know, e.g. attachments) still of the size read.  A few clauses
        # only: condition parsers (dynalite's) slow down sharply with deep nesting.
        unchanged: Condition = (m.status == "pending") & (_size(m.history) == len(old.history))
        # Evidence files: none added or replaced (the map's size and each entry still
        # awaiting its upload, which a replacement removes) and none verified meanwhile.
        stored_files = raw.get("attachments", {}).get("M")
        if stored_files is None:
            unchanged &= m.attachments.does_not_exist()
        else:
            unchanged &= _size(m.attachments) == len(stored_files)
            for attachment_id, entry in stored_files.items():
                if entry.get("M", {}).get("status", {}).get("S") == "awaiting_upload":
                    unchanged &= m.attachments[attachment_id]["status"] == "awaiting_upload"
        known = {a.attr_name for a in m.get_attributes().values()}
        for name, value in raw.items():
            (kind,) = value
            if name not in known and kind in ("L", "M"):
                unchanged &= _size(Path(name)) == len(value[kind])
        outbox = {**dict(self.decode(raw)["outbox"] or {}), "recategorised": event}
        values = new_item_values(
            moved,
            shard=self._shard(moved.complaint_id),
            sweep_at=now,
            outbox=outbox,
            retention=self.retention,
            exemption_due=self.exemption_due,
        )
        put = m(**values).get_save_kwargs_from_instance(condition=m.complaint_id.does_not_exist())
        copied = {k: v for k, v in raw.items() if k not in MOVE_RECOMPUTED}
        put["Item"] = {**put["Item"], **copied}
        delete = m(old.complaint_id).get_delete_kwargs_from_instance(condition=unchanged)
        try:
            connection.connection.transact_write_items(
                condition_check_items=[], delete_items=[delete], put_items=[put], update_items=[]
            )
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            reasons = [r.code if r else "None" for r in exc.cancellation_reasons]
            if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
                raise DuplicateComplaint(moved.complaint_id) from exc
            if reasons and reasons[0] == "ConditionalCheckFailed":
                stored = self.get_stored(old.complaint_id)
                code = (
                    "complaint_changed" if stored and stored.complaint.is_pending else "not_pending"
                )
                raise Conflict(CONFLICTS[code], code=code) from exc
            raise

    def mark_exemption_applied(
        self, applied: Complaint, event: dict[str, Any], now: datetime
    ) -> None:
        """Record the applied exemption once (else ``Conflict``
        ``exemption_already_applied``), leave the exemption queue, and put the
        ``complaint.exemption_applied`` event in the outbox."""
        assert applied.exemption_applied_at is not None
        m = self.model
        self._update_if(
            applied.complaint_id,
            [
                m.exemption.set(
                    {
                        "applied_at": to_iso(applied.exemption_applied_at),
                        "metrics": [dict(x) for x in applied.exemption_metrics],
                    }
                ),
                m.history.set(m.history.append([applied.history[-1].as_dict()])),
                m.exempt_shard.remove(),
                m.exempt_due.remove(),
                m.exemption_progress.remove(),
                m.outbox["exemption_applied"].set(event),
                *self._sweep_actions(applied.complaint_id, now),
            ],
            (m.status == "upheld") & m.exemption.does_not_exist(),
            "exemption_already_applied",
        )

    def save_exemption_progress(self, complaint_id: str, progress: dict[str, Any]) -> None:
        """Save the exemption job's progress with a complaint as revision ``rev + 1`` (of
        ``progress["rev"]``, the revision it was read at), only if the stored one is still
        that revision and the exemption not yet applied; otherwise ``Conflict``
        (``exemption_progress_changed``: another run got further meanwhile, its progress
        stands; or ``exemption_already_applied``)."""
        m = self.model
        rev = int(progress.get("rev", 0))
        read_at = m.exemption_rev.does_not_exist() if rev == 0 else m.exemption_rev == rev
        body = {k: v for k, v in progress.items() if k != "rev"}

        def conflict(stored: StoredComplaint | None) -> str:
            if stored is None or stored.complaint.exemption_applied_at is not None:
                return "exemption_already_applied"
            return "exemption_progress_changed"

        self._update_if(
            complaint_id,
            [m.exemption_progress.set(body), m.exemption_rev.set(rev + 1)],
            (m.status == "upheld") & m.exemption.does_not_exist() & read_at,
            conflict,
        )

    def record_exemption_failure(self, complaint_id: str) -> int:
        """Count a failed exemption step; returns the complaint's failures so far (0 when
        the complaint is gone or its exemption applied meanwhile)."""
        m = self.model
        found = self._update_if(
            complaint_id,
            [m.exemption_failures.add(1)],
            m.complaint_id.exists() & m.exemption.does_not_exist(),
            None,
        )
        return 0 if found is None else int(found["Attributes"]["exemption_failures"]["N"])

    def mark_exemption_alerted(self, complaint_id: str, now: datetime) -> bool:
        """Flag the overdue alert once; False when it was already flagged."""
        m = self.model
        flagged = self._update_if(
            complaint_id,
            [m.exemption_alerted_at.set(now)],
            m.exemption_alerted_at.does_not_exist() & m.complaint_id.exists(),
            None,
        )
        return flagged is not None

    def clear_exemption_due(self, complaint_id: str) -> None:
        self.model(complaint_id).update(
            actions=[self.model.exempt_shard.remove(), self.model.exempt_due.remove()]
        )

    def event_delivered(
        self, complaint: Complaint, kind: str, next_sweep_at: datetime | None
    ) -> None:
        """Take a delivered event out of the outbox and set the next sweep time — unless
        the complaint's status moved meanwhile, in which case only the event is removed."""
        m = self.model
        done = self._update_if(
            complaint.complaint_id,
            [m.outbox[kind].remove(), *self._sweep_actions(complaint.complaint_id, next_sweep_at)],
            (m.status == complaint.status) & m.outbox[kind].exists(),
            None,
        )
        if done is None:  # (not on an item moved or deleted meanwhile: no ghost item)
            self._update_if(
                complaint.complaint_id, [m.outbox[kind].remove()], m.complaint_id.exists(), None
            )

    def reschedule(self, complaint: Complaint, at: datetime | None) -> None:
        """Correct a complaint's sweep time (e.g. seen through a stale index entry), unless
        its status moved meanwhile."""
        self._update_if(
            complaint.complaint_id,
            self._sweep_actions(complaint.complaint_id, at),
            self.model.status == complaint.status,
            None,
        )

    # attachments (domain/attachments.py) ----------------------------------------------
    def add_attachment(
        self, complaint: Complaint, attachment: Attachment, *, replacing: list[str]
    ) -> None:
        """Add an ``awaiting_upload`` entry to the complaint's ``attachments`` map in one
        conditional UpdateItem: only while pending, and only while the map holds fewer
        than ``MAX_PER_COMPLAINT`` entries once the stale ones in ``replacing`` (still
        awaiting their upload) are removed — ``attachment_count`` moves by ADD in the same
        write, so concurrent uploads cannot exceed the limit.  ``complaint`` is the
        complaint as read: without attachments, the map is created (and must not exist).
        ``Conflict``: ``not_pending``, or ``attachments_changed`` (read again and retry)."""
        m = self.model
        value = attachment.as_dict()
        condition = m.status == "pending"
        actions: list[Action]
        if not complaint.attachments:
            condition &= m.attachments.does_not_exist()
            actions = [
                m.attachments.set({attachment.attachment_id: value}),
                m.attachment_count.set(1),
            ]
        else:
            condition &= m.attachments.exists() & (
                m.attachment_count < MAX_PER_COMPLAINT + len(replacing)
            )
            actions = []
            for stale in replacing:
                condition &= m.attachments[stale]["status"] == "awaiting_upload"
                actions.append(m.attachments[stale].remove())
            actions += [
                m.attachments[attachment.attachment_id].set(value),
                m.attachment_count.add(1 - len(replacing)),
            ]

        def conflict(stored: StoredComplaint | None) -> str:
            if stored is None or not stored.complaint.is_pending:
                return "not_pending"
            return "attachments_changed"

        self._update_if(complaint.complaint_id, actions, condition, conflict)

    def verify_attachment(self, complaint_id: str, verified: Attachment) -> None:
        """Store an attachment as verified (its SHA-256, when), only while the complaint is
        pending and the entry still awaits its upload.  ``Conflict``: ``not_pending``,
        ``attachment_verified`` (verified meanwhile) or ``attachment_gone`` (replaced)."""
        m = self.model
        entry = m.attachments[verified.attachment_id]

        def conflict(stored: StoredComplaint | None) -> str:
            if stored is None or not stored.complaint.is_pending:
                return "not_pending"
            found = {a.attachment_id: a for a in stored.complaint.attachments}
            now = found.get(verified.attachment_id)
            return "attachment_verified" if now and now.status == "verified" else "attachment_gone"

        self._update_if(
            complaint_id,
            [entry.set(verified.as_dict())],
            (m.status == "pending") & (entry["status"] == "awaiting_upload"),
            conflict,
        )

    # reads ---------------------------------------------------------------------------
    def get_stored(self, complaint_id: str) -> StoredComplaint | None:
        """The complaint and its outbox; None when missing — or when ``complaint_id`` is not
        of the shape ids are made in, without asking DynamoDB (which refuses keys over
        2048 bytes with an error, not a miss)."""
        if not is_complaint_id(complaint_id):
            return None
        raw = self.model._get_connection().get_item(complaint_id, consistent_read=True)
        if "Item" not in raw:
            return None
        values = self.decode(raw["Item"])
        progress = values["exemption_progress"]
        if progress is not None:
            progress = {**progress, "rev": int(values["exemption_rev"] or 0)}
        return StoredComplaint(
            complaint_from_values(values),
            dict(values["outbox"] or {}),
            progress,
            int(values["exemption_failures"] or 0),
        )

    def get(self, complaint_id: str) -> Complaint | None:
        stored = self.get_stored(complaint_id)
        return stored.complaint if stored else None

    def refs(self, complaint_ids: Sequence[str]) -> list[ComplaintRef]:
        """Which of ``complaint_ids`` (at most 100) are stored, and whose they are: one
        BatchGetItem reading four small attributes per complaint found (more requests only
        if DynamoDB leaves keys unprocessed under throttling).  Ids not of the shape ids are
        made in are not asked for."""
        wanted = sorted({i for i in complaint_ids if is_complaint_id(i)})
        if not wanted:
            return []
        if len(wanted) > BATCH_GET_LIMIT:
            raise ValueError(f"at most {BATCH_GET_LIMIT} ids at once")
        m = self.model
        found = m.batch_get(
            wanted,
            attributes_to_get=["complaint_id", "seller_id", "order_id", "scenario"],
        )
        refs = [ComplaintRef(i.complaint_id, i.seller_id, i.order_id, i.scenario) for i in found]
        return sorted(refs)

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
        """Newest first, submitted in [since, until], paged by ``list_key``; a fixed number
        of requests per page whatever the seller's volume, one access path per filter:

        * ``order_id`` (with any other filters): one BatchGetItem of the order's complaint
          ids, one per scenario (``complaint_id_for``) — an order has at most that many;
        * otherwise the page's keys from a keys-only index — ``by_seller`` (no filter),
          ``by_seller_status`` or ``by_seller_scenario`` (one Query; ``scenario`` alone:
          one per status, merged) — then its items by one BatchGetItem (``limit``: at most
          100), in the index's order, each checked again against the filters (an item that
          changed status, or moved to a new id, since the index was read is left out of the
          page; the cursor is still right).

        Each Query reads ``limit + 1`` entries to know whether another page follows."""
        lower, upper = f"{to_iso(since)}#", f"{to_iso(until)}#~"
        if after_key is not None:
            upper = min(upper, after_key)
        window = self.model.list_key.between(lower, upper)
        # The range is inclusive, so after a cursor the cursor's own item comes back first.
        wanted = limit + 1 + (1 if after_key is not None else 0)
        if filters.order_id is not None:
            return self._order_page(seller_id, lower, upper, limit, after_key, filters)
        streams = [
            query_items(
                self.model,
                hash_key,
                index=index,
                limit=wanted,
                range_key_condition=window,
                scan_index_forward=False,
            )
            for index, hash_key in self._list_paths(seller_id, filters)
        ]
        found = heapq.merge(*streams, key=lambda raw: str(raw["list_key"]["S"]), reverse=True)
        if after_key is not None:
            found = (raw for raw in found if raw["list_key"]["S"] != after_key)
        page = list(islice(found, limit + 1))  # one more than shown: is there a next page?
        last_key = str(page[limit - 1]["list_key"]["S"]) if len(page) > limit else None
        ids = [str(raw["complaint_id"]["S"]) for raw in page[:limit]]
        by_id = {c.complaint_id: c for c in self._complaints(ids)}
        items = [by_id[i] for i in ids if i in by_id and _matches(by_id[i], seller_id, filters)]
        return Page(items, last_key)

    def _list_paths(self, seller_id: str, filters: ListFilter) -> list[tuple[Any, str]]:
        """(index, hash key) of each Query a list page with ``filters`` reads."""
        m, status, scenario = self.model, filters.status, filters.scenario
        if status is None and scenario is None:
            return [(m.by_seller, seller_id)]
        if scenario is None:
            assert status is not None
            return [(m.by_seller_status, seller_status(seller_id, status))]
        statuses = STATUSES if status is None else (status,)
        return [(m.by_seller_scenario, seller_scenario(seller_id, scenario, s)) for s in statuses]

    def _complaints(self, complaint_ids: list[str]) -> list[Complaint]:
        """The complaints stored under some ids (at most 100): one BatchGetItem."""
        if not complaint_ids:
            return []
        raws = batch_get_items(self.model, complaint_ids)
        return [complaint_from_values(self.decode(raw)) for raw in raws]

    def _order_page(
        self,
        seller_id: str,
        lower: str,
        upper: str,
        limit: int,
        after_key: str | None,
        filters: ListFilter,
    ) -> Page:
        """A list page filtered by order: its complaints are at most one per scenario,
        under ids derived from (order, scenario) — one BatchGetItem, whatever the seller's
        volume.  Another seller's complaint on the same order id is never shown."""
        assert filters.order_id is not None
        scenarios = REGISTRY.codes() if filters.scenario is None else (filters.scenario,)
        ids = [complaint_id_for(filters.order_id, scenario) for scenario in scenarios]
        keyed = sorted(
            (
                (list_key(c.submitted_at, c.complaint_id), c)
                for c in self._complaints(ids)
                if _matches(c, seller_id, filters)
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        found = [(key, c) for key, c in keyed if lower <= key <= upper and key != after_key]
        last_key = found[limit - 1][0] if len(found) > limit else None
        return Page([c for _, c in found[:limit]], last_key)

    def export_page(
        self, seller_id: str, *, since: datetime, until: datetime, start: Any = None
    ) -> ExportPage:
        """The seller's complaints submitted in [since, until], newest first, 100 a page
        (``start``: the previous page's ``next_start``): a list page of the largest size
        one BatchGetItem reads — one Query on the keys-only ``by_seller``, then one
        BatchGetItem.  The export reads a seller's window page by page, holding one page at
        a time."""
        page = self.list_for_seller(
            seller_id, since=since, until=until, limit=BATCH_GET_LIMIT, after_key=start
        )
        return ExportPage(page.items, page.last_key)

    def upheld_against_buyer(
        self, buyer_id: str, *, since: datetime, excluding_seller: str
    ) -> dict[str, frozenset[str]]:
        """Scenario -> other sellers whose complaint against ``buyer_id`` was upheld since
        ``since``: one Query on ``by_buyer``."""
        window_start = since - timedelta(days=30)  # submitted up to a month before W
        found: dict[str, set[str]] = {}
        for v in query_values(
            self.model,
            buyer_id,
            index=self.model.by_buyer,
            range_key_condition=self.model.list_key >= f"{to_iso(window_start)}#",
            filter_condition=self.model.status == "upheld",
        ):
            seller_id, decided_at = v["seller_id"], v["decided_at"]
            if seller_id != excluding_seller and decided_at and decided_at >= since:
                found.setdefault(v["scenario"], set()).add(seller_id)
        return {scenario: frozenset(sellers) for scenario, sellers in found.items()}

    def shard_names(self) -> list[str]:
        return [str(i) for i in range(self.shards)]

    def due_page(
        self, shard: str, until: datetime, after: DueEntry | None = None, limit: int | None = None
    ) -> DuePage:
        """One Query: ``shard``'s complaints due by ``until``, earliest first, from after
        ``after``; at most ``limit`` of them, else a 1 MB page — the index holds keys only
        (about 100 bytes an entry), so some 10,000."""
        start = None
        if after is not None:
            start = {
                "sweep_shard": {"S": shard},
                "sweep_at": {"S": to_iso(after.sweep_at)},
                "complaint_id": {"S": after.complaint_id},
            }
        found = self.model._get_connection().query(
            shard,
            range_key_condition=self.model.sweep_at <= to_iso(until),
            exclusive_start_key=start,
            index_name=self.model.due.Meta.index_name,
            limit=limit,
        )
        entries = [
            DueEntry(parse_iso(i["sweep_at"]["S"]), i["complaint_id"]["S"])
            for i in found.get("Items", [])
        ]
        more = found.get("LastEvaluatedKey") is not None and entries
        return DuePage(entries, entries[-1] if more else None)

    def exemptions_due(self, shard: str, limit: int) -> list[tuple[str, str]]:
        """(due time, id) of upheld complaints of ``shard`` whose exemption is not applied,
        earliest due first."""
        found = query_values(self.model, shard, index=self.model.exemptions_due, limit=limit)
        return [(v["exempt_due"], v["complaint_id"]) for v in found]

    def review_queue(self, limit: int, after_key: str | None = None) -> Page:
        """Pending complaints, earliest deadline first: one Query per shard of the keys-only
        ``review_queue``, merged, then the page's complaints by one BatchGetItem (one decided
        between the two reads is left out: the page is one shorter, the cursor still
        right)."""
        streams = []
        for shard in self.shard_names():
            condition = self.model.queue_key > after_key if after_key else None
            streams.append(
                query_values(
                    self.model,
                    shard,
                    index=self.model.review_queue,
                    limit=limit + 1,
                    range_key_condition=condition,
                )
            )
        merged = list(heapq.merge(*streams, key=lambda v: v["queue_key"]))[: limit + 1]
        shown = [v["complaint_id"] for v in merged[:limit]]
        found = {c.complaint_id: c for c in self._complaints(shown) if c.is_pending}
        items = [found[cid] for cid in shown if cid in found]
        last_key = merged[limit - 1]["queue_key"] if len(merged) > limit else None
        return Page(items=items, last_key=last_key)

    # the SLA figures (adapters/sla_days.py) -----------------------------------------
    def pending_counts(self, now: datetime) -> dict[str, int]:
        """Pending and escalated complaints from the review queue's counters (one Query),
        and overdue ones (pending past their deadline) from ``review_queue`` (one counting
        Query per shard, reading only the overdue entries)."""
        counts = sla_days.read_queue_counts(self.facts)
        overdue = sla_days.overdue_count(self.model, self.shard_names(), now)
        return {"pending": counts.pending, "escalated": counts.escalated, "overdue": overdue}

    def sla_days(self, first: date, last: date) -> dict[date, DaySummary]:
        """The per-day SLA figures of [first, last] (days without decisions left out)."""
        return sla_days.read_days(self.facts, first, last)

    def record_slowest(self, sample: DecisionSample) -> None:
        sla_days.record_slowest(self.facts, sample)
