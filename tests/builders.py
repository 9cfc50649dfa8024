"""Builders of platform fact events and tokens for tests (and the demo data set), and a
seller's submission through the service."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.domain.complaints import Complaint
from chalicelib.domain.timeutil import to_iso
from chalicelib.services.complaints import submit_complaint

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
GOOD_ADDRESS = {
    "recipient": "Mary Major",
    "street": "1 Main St",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
}
_ids = itertools.count(1)


def _event(
    kind: str,
    data: dict[str, Any],
    version: int,
    event_id: str | None,
    occurred_at: datetime = T0,
) -> dict[str, Any]:
    return {
        "event_id": event_id or f"evt-{kind}-{next(_ids)}",
        "type": kind,
        "version": version,
        "occurred_at": to_iso(occurred_at),
        "data": data,
    }


def _stamp(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (to_iso(v) if isinstance(v, datetime) else v) for k, v in data.items() if v is not None
    }


def order_event(
    order_id: str,
    *,
    seller_id: str = "s-1",
    buyer_id: str = "b-1",
    status: str = "placed",
    placed_at: datetime = T0 - timedelta(days=2),
    paid_at: datetime | None = None,
    shipped_at: datetime | None = None,
    version: int = 1,
    event_id: str | None = None,
    occurred_at: datetime = T0,
    **extra: Any,
) -> dict[str, Any]:
    """An order event; ``occurred_at`` is when its status was reached (the envelope's)."""
    extra.setdefault("shipping_address", GOOD_ADDRESS)
    if status in ("paid", "shipped", "delivered", "closed_unshipped") and paid_at is None:
        paid_at = placed_at + timedelta(hours=1)
    if status in ("shipped", "delivered") and shipped_at is None:
        shipped_at = placed_at + timedelta(days=1)
    data = _stamp(
        {
            "order_id": order_id,
            "seller_id": seller_id,
            "buyer_id": buyer_id,
            "status": status,
            "placed_at": placed_at,
            "paid_at": paid_at,
            "shipped_at": shipped_at,
            **extra,
        }
    )
    return _event("order", data, version, event_id, occurred_at)


def review_event(
    review_id: str,
    order_id: str,
    *,
    rating: int,
    seller_id: str = "s-1",
    buyer_id: str = "b-1",
    posted_at: datetime = T0 - timedelta(days=1),
    version: int = 1,
    event_id: str | None = None,
) -> dict[str, Any]:
    data = _stamp(
        {
            "review_id": review_id,
            "order_id": order_id,
            "seller_id": seller_id,
            "buyer_id": buyer_id,
            "rating": rating,
            "posted_at": posted_at,
        }
    )
    return _event("review", data, version, event_id)


def dispute_event(
    dispute_id: str,
    order_id: str,
    *,
    seller_id: str = "s-1",
    buyer_id: str = "b-1",
    status: str = "open",
    opened_at: datetime = T0 - timedelta(days=1),
    resolution: str | None = None,
    version: int = 1,
    event_id: str | None = None,
) -> dict[str, Any]:
    data = _stamp(
        {
            "dispute_id": dispute_id,
            "order_id": order_id,
            "seller_id": seller_id,
            "buyer_id": buyer_id,
            "status": status,
            "opened_at": opened_at,
            "resolution": resolution,
        }
    )
    return _event("dispute", data, version, event_id)


def message_event(
    message_id: str,
    order_id: str,
    *,
    sender: str,
    sent_at: datetime,
    version: int = 1,
    event_id: str | None = None,
) -> dict[str, Any]:
    data = _stamp(
        {"message_id": message_id, "order_id": order_id, "sender": sender, "sent_at": sent_at}
    )
    return _event("message", data, version, event_id)


def buyer_event(
    buyer_id: str,
    *,
    registered_at: datetime = T0 - timedelta(days=400),
    version: int = 1,
    event_id: str | None = None,
) -> dict[str, Any]:
    return _event(
        "buyer", _stamp({"buyer_id": buyer_id, "registered_at": registered_at}), version, event_id
    )


def submit(
    adapters: Adapters,
    settings: Settings,
    order_id: str,
    scenario: str = "malicious_ordering",
    *,
    seller_id: str = "s-1",
    now: datetime = T0,
) -> Complaint:
    """A seller's submission through the service, with the configured rules and SLA."""
    return submit_complaint(
        adapters,
        seller_id=seller_id,
        order_id=order_id,
        scenario=scenario,
        description="d",
        reason=None,
        evidence=(),
        now=now,
        decision_hours=48,
        thresholds=settings.thresholds,
        policy=settings.sla_policy,
    )
