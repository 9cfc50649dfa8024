"""Repositories: the only code that talks to DynamoDB.

Every read is a GetItem or a Query on a key or index; every state change is a conditional
write.  Each business operation uses a small, fixed number of requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.adapters.models import ComplaintModel, complaint_model, fact_model
from chalicelib.config import Settings
from chalicelib.domain.complaints import Complaint, Decision, HistoryEntry
from chalicelib.domain.errors import Conflict, DuplicateComplaint
from chalicelib.domain.facts import (
    DisputeData,
    FactEvent,
    MessageData,
    OrderData,
    OrderFacts,
    ReviewData,
)
from chalicelib.domain.timeutil import parse_iso, to_iso

CONDITIONAL_FAILED = "ConditionalCheckFailedException"


def _conditional_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == CONDITIONAL_FAILED


# --------------------------------------------------------------------------- complaints


def _history_to_item(entry: HistoryEntry) -> dict[str, Any]:
    return entry.as_dict()


def _history_from_item(raw: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        at=parse_iso(raw["at"]),
        actor=raw["actor"],
        action=raw["action"],
        details=dict(raw.get("details") or {}),
    )


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


def _plain(value: Any) -> Any:
    """PynamoDB raw maps/lists -> plain dicts/lists (numbers stay numbers)."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def list_key(submitted_at: datetime, complaint_id: str) -> str:
    return f"{to_iso(submitted_at)}#{complaint_id}"


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    scenario: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Complaint]
    last_key: str | None  # list_key of the last item when more items follow


class ComplaintRepository:
    def __init__(self, settings: Settings) -> None:
        self.model = complaint_model(settings)
        self.retention = timedelta(days=settings.retention_days)

    # conversion --------------------------------------------------------------
    def _to_item(self, complaint: Complaint) -> ComplaintModel:
        return self.model(
            complaint.complaint_id,
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
            decided_at=complaint.decision.decided_at if complaint.decision else None,
            decision=_decision_to_item(complaint.decision) if complaint.decision else None,
            history=[_history_to_item(h) for h in complaint.history],
            list_key=list_key(complaint.submitted_at, complaint.complaint_id),
            expires_at=complaint.submitted_at + self.retention,
        )

    @staticmethod
    def _from_item(item: ComplaintModel) -> Complaint:
        decision = _plain(item.decision) if item.decision is not None else None
        return Complaint(
            complaint_id=item.complaint_id,
            seller_id=item.seller_id,
            order_id=item.order_id,
            buyer_id=item.buyer_id,
            scenario=item.scenario,
            reason=item.reason,
            description=item.description,
            evidence=tuple(item.evidence or ()),
            status=item.status,  # type: ignore[arg-type]
            submitted_at=item.submitted_at,
            due_at=item.due_at,
            history=tuple(_history_from_item(_plain(h)) for h in item.history or ()),
            decision=_decision_from_item(decision) if decision else None,
        )

    # operations ----------------------------------------------------------------
    def add(self, complaint: Complaint) -> None:
        """One conditional PutItem; the key is (order, scenario)-derived, so a second
        complaint for the same pair fails inside DynamoDB, whoever wins a race."""
        item = self._to_item(complaint)
        try:
            item.save(condition=self.model.complaint_id.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                raise DuplicateComplaint(complaint.complaint_id) from exc
            raise

    def get(self, complaint_id: str) -> Complaint | None:
        try:
            item = self.model.get(complaint_id, consistent_read=True)
        except self.model.DoesNotExist:
            return None
        return self._from_item(item)

    def save_decision(self, decided: Complaint) -> None:
        """Persist a decision only if the stored complaint is still pending."""
        assert decided.decision is not None
        item = self._to_item(decided)
        try:
            item.update(
                actions=[
                    self.model.status.set(decided.status),
                    self.model.decided_at.set(decided.decision.decided_at),
                    self.model.decision.set(_decision_to_item(decided.decision)),
                    self.model.history.set([_history_to_item(h) for h in decided.history]),
                ],
                condition=(self.model.status == "pending"),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                raise Conflict("the complaint was already decided", code="already_decided") from exc
            raise

    def list_for_seller(
        self,
        seller_id: str,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        after_key: str | None = None,
        filters: ListFilter = ListFilter(),
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
        results = self.model.by_seller.query(
            seller_id,
            range_key_condition=range_condition,
            filter_condition=filter_condition,
            scan_index_forward=False,
            limit=wanted,
            page_size=wanted,
        )
        items = [
            self._from_item(item)
            for item in results
            if after_key is None or item.list_key != after_key
        ][: limit + 1]
        if len(items) > limit:
            last = items[limit - 1]
            last_key = list_key(last.submitted_at, last.complaint_id)
            return Page(items=items[:limit], last_key=last_key)
        return Page(items=items, last_key=None)


# --------------------------------------------------------------------------- facts

ApplyResult = Literal["accepted", "duplicate", "stale"]

_ORDER_PAYLOADS: dict[str, type[Any]] = {
    "ORDER": OrderData,
    "DISPUTE": DisputeData,
    "REVIEW": ReviewData,
    "MESSAGE": MessageData,
}


class FactRepository:
    def __init__(self, settings: Settings) -> None:
        self.model = fact_model(settings)
        self.retention = timedelta(days=settings.retention_days)
        self.marker_ttl = timedelta(days=settings.event_marker_days)

    def _marker_key(self, event_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", "EVENT"

    def apply(self, event: FactEvent, now: datetime) -> ApplyResult:
        """Store the entity if this event's version is newer than the stored one.

        Order of writes: the entity (conditional on version), then the event-id marker.
        A crash between the two is repaired on redelivery: the stored entity carries the
        event id, so the redelivered event is recognised as a duplicate.
        """
        activity = event.activity_key
        item = self.model(
            event.partition,
            event.sort_key,
            type=event.type,
            version=event.version,
            event_id=event.event_id,
            data=event.data,
            buyer_key=event.buyer_id if activity else None,
            seller_key=event.seller_id if activity else None,
            activity_key=activity,
            recorded_at=now,
            expires_at=(event.activity_time or event.occurred_at) + self.retention,
        )
        try:
            item.save(
                condition=self.model.pk.does_not_exist() | (self.model.version < event.version)
            )
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
            return self._duplicate_or_stale(event, now)
        self._write_marker(event, now)
        return "accepted"

    def _duplicate_or_stale(self, event: FactEvent, now: datetime) -> ApplyResult:
        stored = self.model.get(event.partition, event.sort_key, consistent_read=True)
        if stored.event_id == event.event_id:
            self._write_marker(event, now)
            return "duplicate"
        try:
            self.model.get(*self._marker_key(event.event_id), consistent_read=True)
        except self.model.DoesNotExist:
            return "stale"
        return "duplicate"

    def _write_marker(self, event: FactEvent, now: datetime) -> None:
        pk, sk = self._marker_key(event.event_id)
        self.model(
            pk,
            sk,
            type="event",
            version=event.version,
            recorded_at=now,
            expires_at=now + self.marker_ttl,
        ).save()

    def order_facts(self, order_id: str) -> OrderFacts:
        """The order and its disputes, reviews and messages: one strongly consistent Query."""
        found: dict[str, list[Any]] = {kind: [] for kind in _ORDER_PAYLOADS}
        for item in self.model.query(f"ORDER#{order_id}", consistent_read=True):
            kind = item.sk.split("#", 1)[0]
            payload_type = _ORDER_PAYLOADS.get(kind)
            if payload_type is not None and item.data is not None:
                found[kind].append(payload_type.model_validate(_plain(item.data)))
        orders = found["ORDER"]
        return OrderFacts(
            order=orders[0] if orders else None,
            disputes=tuple(found["DISPUTE"]),
            reviews=tuple(found["REVIEW"]),
            messages=tuple(found["MESSAGE"]),
        )

    def buyer_activity(self, buyer_id: str, since: datetime, until: datetime) -> list[Any]:
        """A buyer's orders, disputes and reviews in [since, until]: one Query on by_buyer."""
        return self._activity(self.model.by_buyer, buyer_id, since, until)

    def seller_activity(self, seller_id: str, since: datetime, until: datetime) -> list[Any]:
        """A seller's orders, disputes and reviews in [since, until]: one Query on by_seller."""
        return self._activity(self.model.by_seller, seller_id, since, until)

    def _activity(self, index: Any, key: str, since: datetime, until: datetime) -> list[Any]:
        condition = self.model.activity_key.between(f"{to_iso(since)}#", f"{to_iso(until)}#~")
        payloads: list[Any] = []
        for item in index.query(key, range_key_condition=condition):
            payload_type = _ORDER_PAYLOADS[item.sk.split("#", 1)[0]]
            payloads.append(payload_type.model_validate(_plain(item.data)))
        return payloads
