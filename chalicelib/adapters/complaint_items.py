"""How a complaint is stored: its item's attribute values (by the model's Python names)
from a ``Complaint`` and back, and the keys of the indexes it sits in.

Pure mapping — no requests.  Items are written with PynamoDB's own model (``Model.save``
and ``Model.update``) and read through ``ItemDecoder`` (``adapters/codecs.py``), whose
values ``complaint_from_values`` turns into a ``Complaint``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.attachments import Attachment
from chalicelib.domain.complaints import Appeal, Complaint, Decision, HistoryEntry
from chalicelib.domain.rules import Assessment, Criterion
from chalicelib.domain.timeutil import parse_iso, to_iso

# --------------------------------------------------------------------------- index keys


def list_key(submitted_at: datetime, complaint_id: str) -> str:
    """Range key of ``by_seller`` and ``by_buyer``: newest first when read backwards."""
    return f"{to_iso(submitted_at)}#{complaint_id}"


def seller_status(seller_id: str, status: str) -> str:
    """Hash key of ``by_seller_status``.  Statuses and scenario codes hold no ``#``, so
    this key and ``seller_scenario``'s each name one (seller, [scenario,] status)."""
    return f"{seller_id}#{status}"


def seller_scenario(seller_id: str, scenario: str, status: str) -> str:
    """Hash key of ``by_seller_scenario``."""
    return f"{seller_id}#{scenario}#{status}"


def filter_keys(seller_id: str, scenario: str, status: str) -> dict[str, str]:
    """The filtered lists' hash keys, by attribute: set whenever a complaint is stored
    under an id or changes status."""
    return {
        "seller_status": seller_status(seller_id, status),
        "seller_scenario": seller_scenario(seller_id, scenario, status),
    }


def queue_key(complaint: Complaint) -> str:
    """Range key of ``review_queue``: earliest deadline first."""
    return f"{to_iso(complaint.due_at)}#{complaint.complaint_id}"


# --------------------------------------------------------------------------- Complaint -> item


def decision_value(decision: Decision) -> dict[str, Any]:
    value: dict[str, Any] = {
        "outcome": decision.outcome,
        "reason_code": decision.reason_code,
        "decided_by": decision.decided_by,
        "decided_at": to_iso(decision.decided_at),
        "actor": decision.actor,
        "criteria": [dict(c) for c in decision.criteria],
    }
    if decision.note is not None:
        value["note"] = decision.note
    return value


def assessment_value(assessment: Assessment) -> dict[str, Any]:
    return {
        "outcome": assessment.outcome,
        "reason_code": assessment.reason_code,
        "assessed_at": to_iso(assessment.assessed_at),
        "criteria": [c.as_dict() for c in assessment.criteria],
    }


def appeal_value(appeal: Appeal) -> dict[str, Any]:
    return {
        "statement": appeal.statement,
        "submitted_at": to_iso(appeal.submitted_at),
        "previous_decision": decision_value(appeal.previous_decision),
    }


def decided_values(decided: Complaint, shard: str, exemption_due: timedelta) -> dict[str, Any]:
    """What a decision sets on the item: the decision (and its time, which ``by_buyer``
    projects) — and, for an upheld complaint, its entry in the sparse ``exemptions_due``
    index (the exemption job's work queue)."""
    decision = decided.decision
    assert decision is not None
    values: dict[str, Any] = {
        "decided_at": decision.decided_at,
        "decision": decision_value(decision),
    }
    if decided.status == "upheld":
        values["exempt_shard"] = shard
        values["exempt_due"] = to_iso(decision.decided_at + exemption_due)
    return values


def new_item_values(
    complaint: Complaint,
    *,
    shard: str,
    sweep_at: datetime | None,
    outbox: dict[str, dict[str, Any]],
    retention: timedelta,
    exemption_due: timedelta,
) -> dict[str, Any]:
    """A submitted complaint's item: the complaint, its outbox, its expiry, and its entries
    in the sparse indexes it starts in (``due`` when ``sweep_at`` is set, ``review_queue``
    while pending, ``exemptions_due`` when upheld at once) and the filtered lists' indexes
    (``filter_keys``)."""
    values: dict[str, Any] = {
        "complaint_id": complaint.complaint_id,
        "seller_id": complaint.seller_id,
        "order_id": complaint.order_id,
        "buyer_id": complaint.buyer_id,
        "scenario": complaint.scenario,
        "reason": complaint.reason,
        "description": complaint.description,
        "evidence": list(complaint.evidence),
        "status": complaint.status,
        "submitted_at": complaint.submitted_at,
        "due_at": complaint.due_at,
        "escalated_at": complaint.escalated_at,
        "history": [h.as_dict() for h in complaint.history],
        "list_key": list_key(complaint.submitted_at, complaint.complaint_id),
        **filter_keys(complaint.seller_id, complaint.scenario, complaint.status),
        "outbox": dict(outbox),
        "expires_at": complaint.submitted_at + retention,
    }
    if complaint.assessment is not None:
        values["assessment"] = assessment_value(complaint.assessment)
    if complaint.appeal is not None:
        values["appeal"] = appeal_value(complaint.appeal)
    if complaint.decision is not None:
        values.update(decided_values(complaint, shard, exemption_due))
    if sweep_at is not None:
        values.update(sweep_shard=shard, sweep_at=to_iso(sweep_at))
    if complaint.is_pending:
        values.update(queue_shard=shard, queue_key=queue_key(complaint))
    return values


# --------------------------------------------------------------------------- item -> Complaint


def _decision(raw: dict[str, Any]) -> Decision:
    return Decision(
        outcome=raw["outcome"],
        reason_code=raw["reason_code"],
        decided_by=raw["decided_by"],
        decided_at=parse_iso(raw["decided_at"]),
        actor=raw["actor"],
        note=raw.get("note"),
        criteria=tuple(dict(c) for c in raw.get("criteria") or ()),
    )


def _appeal(raw: dict[str, Any]) -> Appeal:
    return Appeal(
        statement=raw["statement"],
        submitted_at=parse_iso(raw["submitted_at"]),
        previous_decision=_decision(raw["previous_decision"]),
    )


def _assessment(raw: dict[str, Any]) -> Assessment:
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


def _history_entry(raw: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        at=parse_iso(raw["at"]),
        actor=raw["actor"],
        action=raw["action"],
        details=dict(raw.get("details") or {}),
    )


def attachments_from_value(raw: dict[str, Any] | None) -> tuple[Attachment, ...]:
    """The ``attachments`` map (by id) as a tuple, oldest first."""
    found = (Attachment.from_dict(a) for a in (raw or {}).values())
    return tuple(sorted(found, key=lambda a: (a.created_at, a.attachment_id)))


def complaint_from_values(v: dict[str, Any]) -> Complaint:
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
        history=tuple(_history_entry(h) for h in v["history"] or ()),
        decision=_decision(decision) if decision else None,
        assessment=_assessment(assessment) if assessment else None,
        escalated_at=v["escalated_at"],
        exemption_applied_at=parse_iso(exemption["applied_at"]) if exemption else None,
        exemption_metrics=tuple(exemption.get("metrics") or ()) if exemption else (),
        attachments=attachments_from_value(v.get("attachments")),
        appeal=_appeal(v["appeal"]) if v.get("appeal") else None,
    )
