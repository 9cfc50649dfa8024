"""The complaints repository.  Every read is a GetItem or a Query; every state change is a
conditional write, so concurrent writers (two reviewers, a reviewer and the sweep) cannot
both win."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import Index
from pynamodb.pagination import ResultIterator

from chalicelib.adapters.codecs import (
    conditional_failed,
    item_decoder,
    item_encoder,
    shard_of,
)
from chalicelib.adapters.models import complaint_model
from chalicelib.config import Settings
from chalicelib.domain.complaints import Complaint, Decision, HistoryEntry, is_complaint_id
from chalicelib.domain.errors import Conflict, DuplicateComplaint
from chalicelib.domain.rules import Assessment, Criterion
from chalicelib.domain.timeutil import parse_iso, to_iso


def list_key(submitted_at: datetime, complaint_id: str) -> str:
    return f"{to_iso(submitted_at)}#{complaint_id}"


def queue_key(complaint: Complaint) -> str:
    return f"{to_iso(complaint.due_at)}#{complaint.complaint_id}"


# --------------------------------------------------------------------------- conversion


def _decision_to_item(decision: Decision) -> dict[str, Any]:
    item: dict[str, Any] = {
        "outcome": decision.outcome,
        "reason_code": decision.reason_code,
        "decided_by": decision.decided_by,
        "decided_at": to_iso(decision.decided_at),
        "actor": decision.actor,
        "criteria": [dict(c) for c in decision.criteria],
    }
    if decision.note is not None:
        item["note"] = decision.note
    return item


def _decision_from_item(raw: dict[str, Any]) -> Decision:
    return Decision(
        outcome=raw["outcome"],
        reason_code=raw["reason_code"],
        decided_by=raw["decided_by"],
        decided_at=parse_iso(raw["decided_at"]),
        actor=raw["actor"],
        note=raw.get("note"),
        criteria=tuple(dict(c) for c in raw.get("criteria") or ()),
    )


def _assessment_to_item(assessment: Assessment) -> dict[str, Any]:
    return {
        "outcome": assessment.outcome,
        "reason_code": assessment.reason_code,
        "assessed_at": to_iso(assessment.assessed_at),
        "criteria": [c.as_dict() for c in assessment.criteria],
    }


def _assessment_from_item(raw: dict[str, Any]) -> Assessment:
    return Assessment(
        outcome=raw["outcome"],
        reason_code=raw["reason_code"],
        assessed_at=parse_iso(raw["assessed_at"]),
        criteria=tuple(
            Criterion(
                c["name"],
                c["observed"],
                c["threshold"],
                c["comparison"],
                c["met"],
                c.get("alternative") or "",
            )
            for c in raw.get("criteria") or ()
        ),
    )


def _history_from_item(raw: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        at=parse_iso(raw["at"]),
        actor=raw["actor"],
        action=raw["action"],
        details=dict(raw.get("details") or {}),
    )


def _from_values(v: dict[str, Any]) -> Complaint:
    """A complaint from its item's attribute values by name (``ItemDecoder``)."""
    decision, assessment, exemption = v["decision"], v["assessment"], v["exemption"]
    return Complaint(
        complaint_id=v["complaint_id"],
        seller_id=v["seller_id"],
        order_id=v["order_id"],
        buyer_id=v["buyer_id"],
        scenario=v["scenario"],
        reason=v["reason"],
        description=v["description"],
        evidence=tuple(v["evidence"] or ()),
        status=v["status"],
        submitted_at=v["submitted_at"],
        due_at=v["due_at"],
        history=tuple(_history_from_item(h) for h in v["history"] or ()),
        decision=_decision_from_item(decision) if decision else None,
        assessment=_assessment_from_item(assessment) if assessment else None,
        escalated_at=v["escalated_at"],
        exemption_applied_at=parse_iso(exemption["applied_at"]) if exemption else None,
        exemption_metrics=tuple(exemption.get("metrics") or ()) if exemption else (),
    )


# --------------------------------------------------------------------------- repository


class ListFilter(NamedTuple):
    status: str | None = None
    scenario: str | None = None
    order_id: str | None = None


NO_FILTER = ListFilter()


class Page(NamedTuple):
    items: list[Complaint]
    last_key: str | None  # position of the last item when more items follow


class StoredComplaint(NamedTuple):
    """A complaint with the events still waiting in its outbox, and the exemption job's
    state: its saved progress (with its revision, ``rev``) and failed steps."""

    complaint: Complaint
    outbox: dict[str, dict[str, Any]]
    exemption_progress: dict[str, Any] | None = None
    exemption_failures: int = 0


class DecidedRecord(NamedTuple):
    submitted_at: datetime
    due_at: datetime
    decided_at: datetime
    decided_by: str


class ComplaintRepository:
    def __init__(self, settings: Settings) -> None:
        self.model = complaint_model(settings)
        self.decode = item_decoder(self.model)
        self.encode = item_encoder(self.model)
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

    # writes --------------------------------------------------------------------------
    def add(
        self,
        complaint: Complaint,
        *,
        sweep_at: datetime | None,
        outbox: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """One conditional PutItem.  The key is derived from (order, scenario), so a second
        complaint for the same pair fails inside DynamoDB, whoever wins a race.  The item is
        encoded by ``ItemEncoder`` (as the model would serialise it, without a model
        object): a submission's write path."""
        decision, shard = complaint.decision, self._shard(complaint.complaint_id)
        values: dict[str, Any] = dict(
            complaint_id=complaint.complaint_id,
            seller_id=complaint.seller_id,
            order_id=complaint.order_id,
            buyer_id=complaint.buyer_id,
            scenario=complaint.scenario,
            reason=complaint.reason,
            description=complaint.description,
            evidence=list(complaint.evidence),
            status=complaint.status,
            submitted_at=complaint.submitted_at,
            due_at=complaint.due_at,
            escalated_at=complaint.escalated_at,
            history=[h.as_dict() for h in complaint.history],
            list_key=list_key(complaint.submitted_at, complaint.complaint_id),
            outbox=dict(outbox or {}),
            expires_at=complaint.submitted_at + self.retention,
        )
        if complaint.assessment is not None:
            values["assessment"] = _assessment_to_item(complaint.assessment)
        if decision is not None:
            values.update(
                decided_at=decision.decided_at,
                decided_day=decision.decided_at.date().isoformat(),
                decided_by=decision.decided_by,
                decision=_decision_to_item(decision),
            )
            if complaint.status == "upheld":  # the exemption job's work queue
                due = decision.decided_at + self.exemption_due
                values.update(exempt_shard=shard, exempt_due=to_iso(due))
        if sweep_at is not None:
            values.update(sweep_shard=shard, sweep_at=to_iso(sweep_at))
        if complaint.is_pending:
            values.update(queue_shard=shard, queue_key=queue_key(complaint))
        item = self.encode(values)
        try:
            self.model._get_connection().put_item(
                complaint.complaint_id,
                attributes=item,
                condition=self.model.complaint_id.does_not_exist(),
            )
        except PutError as exc:
            if conditional_failed(exc):
                raise DuplicateComplaint(complaint.complaint_id) from exc
            raise

    def _update(self, complaint_id: str, actions: list[Action], condition: Condition) -> None:
        try:
            self.model(complaint_id).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if conditional_failed(exc):
                raise Conflict("the complaint changed meanwhile", code="already_decided") from exc
            raise

    def save_escalation(self, escalated: Complaint, event: dict[str, Any], now: datetime) -> None:
        """Flag the escalation once (conditional on pending and not yet escalated) and put
        its event in the outbox; the item stays due until the event is delivered."""
        m = self.model
        assert escalated.escalated_at is not None
        self._update(
            escalated.complaint_id,
            [
                m.escalated_at.set(escalated.escalated_at),
                m.history.set(m.history.append([escalated.history[-1].as_dict()])),
                m.outbox["escalated"].set(event),
                *self._sweep_actions(escalated.complaint_id, now),
            ],
            (m.status == "pending") & m.escalated_at.does_not_exist(),
        )

    def save_decision(self, decided: Complaint, event: dict[str, Any], now: datetime) -> None:
        """Persist a decision only while the stored complaint is pending; leave the queue,
        and keep the complaint due until its ``complaint.decided`` event is delivered."""
        decision = decided.decision
        assert decision is not None
        m = self.model
        actions = [
            m.status.set(decided.status),
            m.decided_at.set(decision.decided_at),
            m.decided_day.set(decision.decided_at.date().isoformat()),
            m.decided_by.set(decision.decided_by),
            m.decision.set(_decision_to_item(decision)),
            m.history.set(m.history.append([decided.history[-1].as_dict()])),
            m.queue_shard.remove(),
            m.queue_key.remove(),
            m.outbox["decided"].set(event),
            *self._sweep_actions(decided.complaint_id, now),
        ]
        if decided.assessment is not None:
            actions.append(m.assessment.set(_assessment_to_item(decided.assessment)))
        if decided.status == "upheld":  # the exemption job's work queue
            actions += [
                m.exempt_shard.set(self._shard(decided.complaint_id)),
                m.exempt_due.set(to_iso(decision.decided_at + self.exemption_due)),
            ]
        self._update(decided.complaint_id, actions, m.status == "pending")

    def mark_exemption_applied(
        self, applied: Complaint, event: dict[str, Any], now: datetime
    ) -> None:
        """Record the applied exemption once, leave the exemption queue, and put the
        ``complaint.exemption_applied`` event in the outbox."""
        assert applied.exemption_applied_at is not None
        m = self.model
        self._update(
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
        )

    def save_exemption_progress(self, complaint_id: str, progress: dict[str, Any]) -> None:
        """Save the exemption job's progress with a complaint as revision ``rev + 1`` (of
        ``progress["rev"]``, the revision it was read at), only if the stored one is still
        that revision and the exemption not yet applied; otherwise ``Conflict`` (another
        run got further meanwhile: its progress stands)."""
        m = self.model
        rev = int(progress.get("rev", 0))
        read_at = m.exemption_rev.does_not_exist() if rev == 0 else m.exemption_rev == rev
        body = {k: v for k, v in progress.items() if k != "rev"}
        self._update(
            complaint_id,
            [m.exemption_progress.set(body), m.exemption_rev.set(rev + 1)],
            (m.status == "upheld") & m.exemption.does_not_exist() & read_at,
        )

    def record_exemption_failure(self, complaint_id: str) -> int:
        """Count a failed exemption step; returns the complaint's failures so far (0 when
        the complaint is gone or its exemption applied meanwhile)."""
        m = self.model
        try:
            found = self.model(complaint_id).update(
                actions=[m.exemption_failures.add(1)],
                condition=m.complaint_id.exists() & m.exemption.does_not_exist(),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return 0
            raise
        return int(found["Attributes"]["exemption_failures"]["N"])

    def mark_exemption_alerted(self, complaint_id: str, now: datetime) -> bool:
        """Flag the overdue alert once; False when it was already flagged."""
        try:
            self.model(complaint_id).update(
                actions=[self.model.exemption_alerted_at.set(now)],
                condition=self.model.exemption_alerted_at.does_not_exist()
                & self.model.complaint_id.exists(),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def clear_exemption_due(self, complaint_id: str) -> None:
        self.model(complaint_id).update(
            actions=[self.model.exempt_shard.remove(), self.model.exempt_due.remove()]
        )

    def exemptions_due(self, shard: str, limit: int) -> list[tuple[str, str]]:
        """(due time, id) of upheld complaints of ``shard`` whose exemption is not applied,
        earliest due first."""
        return [
            (item.exempt_due, item.complaint_id)
            for item in self.model.exemptions_due.query(shard, limit=limit, page_size=limit)
        ]

    def event_delivered(
        self, complaint: Complaint, kind: str, next_sweep_at: datetime | None
    ) -> None:
        """Take a delivered event out of the outbox and set the next sweep time — unless
        the complaint's status moved meanwhile, in which case only the event is removed."""
        m = self.model
        try:
            self.model(complaint.complaint_id).update(
                actions=[
                    m.outbox[kind].remove(),
                    *self._sweep_actions(complaint.complaint_id, next_sweep_at),
                ],
                condition=(m.status == complaint.status) & m.outbox[kind].exists(),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            self.model(complaint.complaint_id).update(actions=[m.outbox[kind].remove()])

    def reschedule(self, complaint: Complaint, at: datetime | None) -> None:
        """Correct a complaint's sweep time (e.g. seen through a stale index entry)."""
        try:
            self.model(complaint.complaint_id).update(
                actions=self._sweep_actions(complaint.complaint_id, at),
                condition=self.model.status == complaint.status,
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise

    # reads ---------------------------------------------------------------------------
    def _query_items(
        self, hash_key: str, *, index: Index[Any], limit: int, **query: Any
    ) -> Iterator[dict[str, Any]]:
        """``index.query(hash_key, limit=limit, ...)``, yielding the raw items."""
        return ResultIterator(
            self.model._get_connection().query,
            (hash_key,),
            {"index_name": index.Meta.index_name, "limit": limit, **query},
            limit=limit,
        )

    def _query_values(
        self, hash_key: str, *, index: Index[Any], limit: int, **query: Any
    ) -> Iterator[dict[str, Any]]:
        """The same, yielding each item's attribute values (``ItemDecoder``) instead of
        model objects: the complaint read paths map items straight to domain objects."""
        return map(self.decode, self._query_items(hash_key, index=index, limit=limit, **query))

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
            _from_values(values),
            dict(values["outbox"] or {}),
            progress,
            int(values["exemption_failures"] or 0),
        )

    def get(self, complaint_id: str) -> Complaint | None:
        stored = self.get_stored(complaint_id)
        return stored.complaint if stored else None

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
        """Newest first, submitted in [since, until].  One Query (more only when filters
        skip many items); reads ``limit + 1`` to know whether another page follows."""
        upper = f"{to_iso(until)}#~"
        if after_key is not None:
            upper = min(upper, after_key)
        range_condition = self.model.list_key.between(f"{to_iso(since)}#", upper)
        filter_condition: Condition | None = None
        for attribute, value in (
            (self.model.status, filters.status),
            (self.model.scenario, filters.scenario),
            (self.model.order_id, filters.order_id),
        ):
            if value is not None:
                clause = attribute == value
                filter_condition = clause if filter_condition is None else filter_condition & clause
        # The range is inclusive, so after a cursor the cursor's own item comes back first.
        wanted = limit + 1 + (1 if after_key is not None else 0)
        found = self._query_items(
            seller_id,
            index=self.model.by_seller,
            limit=wanted,
            range_key_condition=range_condition,
            filter_condition=filter_condition,
            scan_index_forward=False,
        )
        if after_key is not None:
            found = (raw for raw in found if raw["list_key"]["S"] != after_key)
        page = list(islice(found, limit + 1))  # one more than shown: is there a next page?
        items = [_from_values(self.decode(raw)) for raw in page[:limit]]
        if len(page) > limit:
            last = items[-1]
            return Page(items=items, last_key=list_key(last.submitted_at, last.complaint_id))
        return Page(items=items, last_key=None)

    def upheld_against_buyer(
        self, buyer_id: str, *, since: datetime, excluding_seller: str
    ) -> dict[str, frozenset[str]]:
        """Scenario -> other sellers whose complaint against ``buyer_id`` was upheld since
        ``since``: one Query on ``by_buyer``."""
        window_start = since - timedelta(days=30)  # submitted up to a month before W
        found: dict[str, set[str]] = {}
        for item in self.model.by_buyer.query(
            buyer_id,
            range_key_condition=self.model.list_key >= f"{to_iso(window_start)}#",
            filter_condition=self.model.status == "upheld",
        ):
            if item.seller_id != excluding_seller and item.decided_at and item.decided_at >= since:
                found.setdefault(item.scenario, set()).add(item.seller_id)
        return {scenario: frozenset(sellers) for scenario, sellers in found.items()}

    def due_ids(self, shard: str, now: datetime, limit: int) -> list[str]:
        """Ids of complaints in ``shard`` whose sweep time has come, earliest first."""
        results = self.model.due.query(
            shard,
            range_key_condition=self.model.sweep_at <= to_iso(now),
            limit=limit,
            page_size=limit,
        )
        return [item.complaint_id for item in results]

    def shard_names(self) -> list[str]:
        return [str(i) for i in range(self.shards)]

    def review_queue(self, limit: int, after_key: str | None = None) -> Page:
        """Pending complaints, earliest deadline first: one Query per shard, merged."""
        streams = []
        for shard in self.shard_names():
            condition = self.model.queue_key > after_key if after_key else None
            streams.append(
                self._query_values(
                    shard,
                    index=self.model.review_queue,
                    limit=limit + 1,
                    range_key_condition=condition,
                )
            )
        merged = list(heapq.merge(*streams, key=lambda v: v["queue_key"]))[: limit + 1]
        items = [_from_values(v) for v in merged]
        if len(items) > limit:
            return Page(items=items[:limit], last_key=merged[limit - 1]["queue_key"])
        return Page(items=items, last_key=None)

    def pending_counts(self, now: datetime) -> dict[str, int]:
        """Pending, escalated and overdue (pending past their deadline) complaints."""
        counts = {"pending": 0, "escalated": 0, "overdue": 0}
        index = self.model.review_queue
        for shard in self.shard_names():
            counts["pending"] += index.count(shard)
            counts["escalated"] += index.count(
                shard, filter_condition=self.model.escalated_at.exists()
            )
            counts["overdue"] += index.count(
                shard, range_key_condition=self.model.queue_key < to_iso(now)
            )
        return counts

    def decided_between(self, since: datetime, until: datetime) -> list[DecidedRecord]:
        """Decisions in [since, until]: one Query per day on ``by_decided_day``."""
        records = []
        day = since.date()
        while day <= until.date():
            for item in self.model.by_decided_day.query(
                day.isoformat(), range_key_condition=self.model.decided_at.between(since, until)
            ):
                records.append(
                    DecidedRecord(
                        item.submitted_at, item.due_at, item.decided_at, item.decided_by or ""
                    )
                )
            day += timedelta(days=1)
        return records
