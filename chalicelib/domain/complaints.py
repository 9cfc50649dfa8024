"""The complaint and its lifecycle (docs/product.md): pending -> upheld | rejected.

Pure: every function takes ``now``; nothing here reads a clock or touches storage.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from chalicelib.domain.attachments import Attachment
from chalicelib.domain.errors import Conflict, NotEligible
from chalicelib.domain.rules import WINDOW_DAYS, Assessment
from chalicelib.domain.timeutil import parse_iso, to_iso

#: The promises (docs/product.md) and their defaults, each defined here once; configuration
#: (``chalicelib.config``) may change them per deployment.
DECISION_HOURS = 48  # every complaint has a result this long after submission at the latest
ESCALATION_HOURS = 36  # still pending this long after submission: escalated to reviewers
SLA_MARGIN_MINUTES = 30  # the sweep decides this long before the deadline
EXEMPTION_DUE_HOURS = 72  # an upheld complaint's exemption is applied within this
EXEMPTION_ALERT_HOURS = 48  # still unapplied this long after the decision: one alert
CLEANING_PERIOD_DAYS = 90  # the cleaning period after an upheld malicious dispute
APPEAL_DAYS = 14  # a rejected complaint may be appealed (once) this long after the decision

Status = Literal["pending", "upheld", "rejected"]
Outcome = Literal["upheld", "rejected"]
DecidedBy = Literal["operator", "rules", "sla"]


def complaint_id_for(order_id: str, scenario: str) -> str:
    """The id is derived from (order, scenario), so the table's key itself enforces
    "each scenario once per order" with a single conditional put."""
    digest = hashlib.sha256(f"{order_id}\n{scenario}".encode()).digest()
    return "c_" + base64.b32encode(digest).decode("ascii").rstrip("=").lower()[:26]


def shard_of(key: str, shards: int) -> str:
    """A stable shard number for a complaint's entries in write-sharded indexes."""
    return str(zlib.crc32(key.encode()) % shards)


_COMPLAINT_ID = re.compile(r"c_[a-z2-7]{26}")


def is_complaint_id(text: str) -> bool:
    """Whether ``text`` has the shape of an id ``complaint_id_for`` makes (anything else
    names no complaint: a path with it is a 404 before any storage request)."""
    return _COMPLAINT_ID.fullmatch(text) is not None


class HistoryEntry(NamedTuple):
    at: datetime
    actor: str
    action: str
    details: Mapping[str, Any] = MappingProxyType({})

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": to_iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "details": dict(self.details),
        }


class Decision(NamedTuple):
    outcome: Outcome
    reason_code: str
    decided_by: DecidedBy
    decided_at: datetime
    actor: str
    note: str | None = None
    criteria: tuple[dict[str, Any], ...] = ()


class Appeal(NamedTuple):
    """A seller's appeal of a rejection: their statement, when they filed it, and the
    decision it appeals (kept: the history shows both decisions)."""

    statement: str
    submitted_at: datetime
    previous_decision: Decision


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    seller_id: str
    order_id: str
    buyer_id: str
    scenario: str
    reason: str | None
    description: str
    evidence: tuple[str, ...]
    status: Status
    submitted_at: datetime
    due_at: datetime
    history: tuple[HistoryEntry, ...]
    decision: Decision | None = None
    assessment: Assessment | None = None
    escalated_at: datetime | None = None
    exemption_applied_at: datetime | None = None
    exemption_metrics: tuple[dict[str, Any], ...] = ()
    #: evidence files, oldest first (``domain/attachments.py``)
    attachments: tuple[Attachment, ...] = ()
    appeal: Appeal | None = None

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @property
    def review_started_at(self) -> datetime:
        """When the current review began: the appeal's filing for an appealed complaint
        (its deadline and escalation count from there), else the submission."""
        return self.appeal.submitted_at if self.appeal is not None else self.submitted_at

    def exemption_state(self, due_after: timedelta) -> dict[str, Any]:
        """not_applicable (not upheld), scheduled (due ``due_after`` after the decision)
        or applied."""
        if self.status != "upheld" or self.decision is None:
            return {"status": "not_applicable"}
        if self.exemption_applied_at is None:
            due_by = self.decision.decided_at + due_after
            return {"status": "scheduled", "due_by": to_iso(due_by)}
        return {
            "status": "applied",
            "applied_at": to_iso(self.exemption_applied_at),
            "metrics": [dict(m) for m in self.exemption_metrics],
        }

    def with_exemption(self, at: datetime, metrics: tuple[dict[str, Any], ...]) -> Complaint:
        entry = HistoryEntry(at=at, actor="exemption_job", action="exemption_applied")
        return replace(
            self, exemption_applied_at=at, exemption_metrics=metrics, history=(*self.history, entry)
        )


class SlaPolicy(NamedTuple):
    """When the sweep must act on a pending complaint (docs/product.md)."""

    escalation_hours: int = ESCALATION_HOURS
    #: The sweep decides this long before the deadline; it must exceed the sweep interval
    #: plus one run's duration, so the 48 h promise holds whatever the sweep's phase.
    margin: timedelta = timedelta(minutes=SLA_MARGIN_MINUTES)
    #: A state change's writer publishes its outbox event right after the write; the sweep
    #: delivers an event itself only once it is this old, i.e. when the writer crashed —
    #: never while the writer is still delivering it (one event, not two).
    outbox_grace: timedelta = timedelta(minutes=5)

    def redeliver_at(self, event: dict[str, Any]) -> datetime:
        """When the sweep may deliver an outbox event (``occurred_at`` + the grace)."""
        return parse_iso(event["occurred_at"]) + self.outbox_grace

    def escalate_at(self, complaint: Complaint) -> datetime:
        """``escalation_hours`` after the review began (the appeal, for an appeal)."""
        return complaint.review_started_at + timedelta(hours=self.escalation_hours)

    def decide_at(self, complaint: Complaint) -> datetime:
        return complaint.due_at - self.margin

    def next_action_at(self, complaint: Complaint) -> datetime | None:
        """The next time the sweep must look at ``complaint`` (None once decided)."""
        if not complaint.is_pending:
            return None
        if complaint.escalated_at is None:
            return min(self.escalate_at(complaint), self.decide_at(complaint))
        return self.decide_at(complaint)

    def needs_escalation(self, complaint: Complaint, now: datetime) -> bool:
        return (
            complaint.is_pending
            and complaint.escalated_at is None
            and now >= self.escalate_at(complaint)
        )

    def needs_decision(self, complaint: Complaint, now: datetime) -> bool:
        return complaint.is_pending and now >= self.decide_at(complaint)


class ExemptionPolicy(NamedTuple):
    """How an upheld complaint's exemption is scoped and watched (docs/product.md)."""

    window_days: int = WINDOW_DAYS  # W: malicious_ordering exempts the buyer's orders this far
    cleaning_period_days: int = CLEANING_PERIOD_DAYS
    #: An upheld complaint's exemption is due this long after the decision (the promise).
    due_after: timedelta = timedelta(hours=EXEMPTION_DUE_HOURS)
    alert_after: timedelta = timedelta(hours=EXEMPTION_ALERT_HOURS)


def escalate(complaint: Complaint, now: datetime) -> Complaint:
    """Flag a complaint still pending at the escalation point; once only."""
    if not complaint.is_pending or complaint.escalated_at is not None:
        raise Conflict(
            f"complaint {complaint.complaint_id} cannot be escalated", code="not_escalatable"
        )
    entry = HistoryEntry(at=now, actor="sla", action="escalated")
    return replace(complaint, escalated_at=now, history=(*complaint.history, entry))


def new_complaint(
    *,
    seller_id: str,
    order_id: str,
    buyer_id: str,
    scenario: str,
    reason: str | None,
    description: str,
    evidence: tuple[str, ...],
    now: datetime,
    decision_hours: int = DECISION_HOURS,
    assessment: Assessment | None = None,
) -> Complaint:
    """A freshly submitted complaint: pending, due ``decision_hours`` after ``now``."""
    return Complaint(
        complaint_id=complaint_id_for(order_id, scenario),
        seller_id=seller_id,
        order_id=order_id,
        buyer_id=buyer_id,
        scenario=scenario,
        reason=reason,
        description=description,
        evidence=evidence,
        status="pending",
        submitted_at=now,
        due_at=now + timedelta(hours=decision_hours),
        history=(HistoryEntry(at=now, actor=f"seller:{seller_id}", action="submitted"),),
        assessment=assessment,
    )


def decide(
    complaint: Complaint,
    *,
    outcome: Outcome,
    reason_code: str,
    decided_by: DecidedBy,
    actor: str,
    now: datetime,
    note: str | None = None,
    criteria: tuple[dict[str, Any], ...] = (),
) -> Complaint:
    """Record a decision.  A complaint is decided once; deciding again is a ``Conflict``."""
    if not complaint.is_pending:
        raise Conflict(
            f"complaint {complaint.complaint_id} is already {complaint.status}",
            code="already_decided",
        )
    decision = Decision(
        outcome=outcome,
        reason_code=reason_code,
        decided_by=decided_by,
        decided_at=now,
        actor=actor,
        note=note,
        criteria=criteria,
    )
    entry = HistoryEntry(
        at=now,
        actor=actor,
        action=f"decided:{outcome}",
        details={"reason_code": reason_code, "decided_by": decided_by},
    )
    return replace(
        complaint, status=outcome, decision=decision, history=(*complaint.history, entry)
    )


def decide_as_assessed(
    complaint: Complaint, assessment: Assessment, *, by: Literal["rules", "sla"], now: datetime
) -> Complaint:
    """Decide as ``assessment`` concludes — the rules at submission, the SLA sweep at the
    deadline — keeping it as the complaint's recommendation and its criteria as the
    decision's."""
    return decide(
        replace(complaint, assessment=assessment),
        outcome=assessment.outcome,
        reason_code=assessment.reason_code,
        decided_by=by,
        actor=by,
        now=now,
        criteria=assessment.criteria_dicts(),
    )


def appeal_until(complaint: Complaint, appeal_days: int = APPEAL_DAYS) -> datetime | None:
    """Until when the seller may appeal: ``appeal_days`` after the rejection, for a rejected
    complaint not yet appealed (None: no appeal possible — whatever the time)."""
    if complaint.status != "rejected" or complaint.decision is None or complaint.appeal:
        return None
    return complaint.decision.decided_at + timedelta(days=appeal_days)


def appeal(
    complaint: Complaint,
    *,
    statement: str,
    now: datetime,
    appeal_days: int = APPEAL_DAYS,
    decision_hours: int = DECISION_HOURS,
) -> Complaint:
    """The seller's one appeal of a rejection, within ``appeal_days`` of it: pending again,
    due ``decision_hours`` after ``now``, not escalated (its escalation counts from the
    appeal), the rejection kept as ``appeal.previous_decision``.

    ``Conflict`` ``already_appealed`` (a second appeal); ``NotEligible``
    ``not_appealable`` (not rejected) or ``appeal_window_closed``."""
    if complaint.appeal is not None:
        raise Conflict("the complaint was already appealed", code="already_appealed")
    decision = complaint.decision
    if complaint.status != "rejected" or decision is None:
        raise NotEligible(
            f"only a rejected complaint can be appealed; this one is {complaint.status}",
            code="not_appealable",
        )
    closes_at = appeal_until(complaint, appeal_days)
    assert closes_at is not None
    if now > closes_at:
        raise NotEligible(
            f"the appeal window closed {appeal_days} days after the decision",
            code="appeal_window_closed",
            details={"closed_at": to_iso(closes_at)},
        )
    entry = HistoryEntry(
        at=now,
        actor=f"seller:{complaint.seller_id}",
        action="appealed",
        details={"statement": statement, "previous_outcome": decision.outcome},
    )
    return replace(
        complaint,
        status="pending",
        decision=None,
        due_at=now + timedelta(hours=decision_hours),
        escalated_at=None,
        appeal=Appeal(statement=statement, submitted_at=now, previous_decision=decision),
        history=(*complaint.history, entry),
    )


def recategorise(
    complaint: Complaint,
    *,
    scenario: str,
    reason: str | None,
    assessment: Assessment,
    actor: str,
    note: str | None,
    now: datetime,
) -> Complaint:
    """The pending ``complaint`` moved to ``scenario``: a new id (ids derive from (order,
    scenario)), the fresh ``assessment`` as its recommendation, and everything else —
    submission, deadline, escalation, appeal, history — kept, plus a ``recategorised``
    entry.  It stays pending whatever the assessment says: a reviewer is handling it.

    ``Conflict`` ``not_pending`` (decided meanwhile); ``NotEligible`` ``same_scenario``."""
    if not complaint.is_pending:
        raise Conflict(
            f"complaint {complaint.complaint_id} is already {complaint.status}",
            code="not_pending",
        )
    if scenario == complaint.scenario:
        raise NotEligible(f"the complaint is already a {scenario} complaint", code="same_scenario")
    details: dict[str, Any] = {
        "from": complaint.scenario,
        "to": scenario,
        "from_complaint_id": complaint.complaint_id,
        "from_reason": complaint.reason,
        "reason": reason,
        "note": note,
    }
    entry = HistoryEntry(at=now, actor=actor, action="recategorised", details=details)
    return replace(
        complaint,
        complaint_id=complaint_id_for(complaint.order_id, scenario),
        scenario=scenario,
        reason=reason,
        assessment=assessment,
        history=(*complaint.history, entry),
    )
