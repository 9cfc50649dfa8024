"""The complaint and its lifecycle (DESIGN §3): pending -> upheld | rejected.

Pure: every function takes ``now``; nothing here reads a clock or touches storage.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.domain.errors import Conflict
from chalicelib.domain.timeutil import to_iso

Status = Literal["pending", "upheld", "rejected"]
Outcome = Literal["upheld", "rejected"]
DecidedBy = Literal["operator", "rules", "sla"]


def complaint_id_for(order_id: str, scenario: str) -> str:
    """The id is derived from (order, scenario), so the table's key itself enforces
    "each scenario once per order" with a single conditional put."""
    digest = hashlib.sha256(f"{order_id}\n{scenario}".encode()).digest()
    return "c_" + base64.b32encode(digest).decode("ascii").rstrip("=").lower()[:26]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": to_iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason_code: str
    decided_by: DecidedBy
    decided_at: datetime
    actor: str
    note: str | None = None
    criteria: tuple[dict[str, Any], ...] = ()


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

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


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
    decision_hours: int = 48,
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
