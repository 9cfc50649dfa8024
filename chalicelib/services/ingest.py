"""Platform fact ingestion — one code path for the SQS consumer and POST /platform/events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.facts import contradicted_parties
from chalicelib.services.buyer_days import refresh_buyer_days
from chalicelib.services.metrics import refresh_order
from chalicelib.services.ports import ContributionStore, FactStore

#: Facts that change an order's metric contributions.
METRIC_FACTS = frozenset({"order", "dispute", "review"})


class EventResult(NamedTuple):
    event_id: str | None
    status: str  # accepted | duplicate | stale | rejected
    error: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"event_id": self.event_id, "status": self.status}
        if self.error is not None:
            body["error"] = self.error
        return body


def ingest_event(
    facts: FactStore, metrics: ContributionStore, raw: Any, now: datetime
) -> EventResult:
    """Validate and apply one event, then bring the order's metric contributions up to
    date.  A malformed event, or an order, dispute or review naming another seller or buyer
    than its stored order, is ``rejected`` with its reason and writes nothing; storage
    failures propagate so the caller can retry (SQS) or answer 5xx (HTTP).  The order's
    partition is then read once for both the seller's metric contributions and the buyer's
    day counters (``services/buyer_days.py``).  A duplicate refreshes too, which repairs a
    crash between storing a fact and counting it."""
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    # Imported here, not at module level: the schemas load pydantic (~50 ms), which only a
    # function that receives events needs; every function of the app imports this module.
    from chalicelib.adapters.event_schema import parse_event

    try:
        event = parse_event(raw)
    except InvalidRequest as exc:
        return EventResult(
            event_id=event_id if isinstance(event_id, str) else None,
            status="rejected",
            error={"code": exc.code, "message": exc.message, "details": exc.details},
        )
    if event.type in METRIC_FACTS:  # an order, dispute or review names a seller and a buyer
        wrong = contradicted_parties(event.payload, facts.stored_order(event.payload.order_id))
        if wrong:
            return EventResult(
                event_id=event.event_id,
                status="rejected",
                error={
                    "code": "contradicts_order",
                    "message": "the fact names another seller or buyer than its order",
                    "details": [
                        {"field": f"data.{name}", "problem": "differs from the stored order"}
                        for name in wrong
                    ],
                },
            )
    status = facts.apply(event, now)
    if status != "stale" and event.type in METRIC_FACTS:
        order_id = event.payload.order_id
        items = facts.order_items(order_id)  # one read for both refreshes
        refresh_order(facts, metrics, order_id, items=items)
        refresh_buyer_days(facts, order_id, items)
    return EventResult(event_id=event.event_id, status=status)


def ingest_events(
    facts: FactStore, metrics: ContributionStore, raws: list[Any], now: datetime
) -> list[EventResult]:
    return [ingest_event(facts, metrics, raw, now) for raw in raws]


def ingest_message(
    facts: FactStore, metrics: ContributionStore, body: str, now: datetime
) -> EventResult:
    """One queue message, whose body is one event as JSON (not JSON: ``rejected``)."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError):
        return EventResult(
            event_id=None,
            status="rejected",
            error={"code": "malformed_json", "message": "the message is not JSON", "details": None},
        )
    return ingest_event(facts, metrics, raw, now)
