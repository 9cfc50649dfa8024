"""Platform fact ingestion — one code path for the SQS consumer and POST /platform/events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.facts import parse_event


@dataclass(frozen=True)
class EventResult:
    event_id: str | None
    status: str  # accepted | duplicate | stale | rejected
    error: dict[str, Any] | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"event_id": self.event_id, "status": self.status}
        if self.error is not None:
            body["error"] = self.error
        return body


def ingest_event(facts: FactRepository, raw: Any, now: datetime) -> EventResult:
    """Validate and apply one event.  A malformed event is ``rejected`` with its reason;
    storage failures propagate so the caller can retry (SQS) or answer 5xx (HTTP)."""
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    try:
        event = parse_event(raw)
    except InvalidRequest as exc:
        return EventResult(
            event_id=event_id if isinstance(event_id, str) else None,
            status="rejected",
            error={"code": exc.code, "message": exc.message, "details": exc.details},
        )
    return EventResult(event_id=event.event_id, status=facts.apply(event, now))


def ingest_events(facts: FactRepository, raws: list[Any], now: datetime) -> list[EventResult]:
    return [ingest_event(facts, raw, now) for raw in raws]
