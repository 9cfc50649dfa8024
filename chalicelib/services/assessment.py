"""Gather what the rules need and assess.  A fixed number of requests whatever the size of
the buyer's history: the order partition (one Query, often already read), the buyer's
activity in the window (one Query) and other sellers' upheld complaints (one Query)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.facts import DisputeData, OrderData, OrderFacts, ReviewData
from chalicelib.domain.rules import Assessment, BuyerActivity, Case, Thresholds
from chalicelib.domain.scenarios import assess_case
from chalicelib.services.ports import BuyerActivityReader, UpheldElsewhere


def assess_order(
    complaints: UpheldElsewhere,
    facts: BuyerActivityReader,
    *,
    scenario: str,
    reason: str | None,
    seller_id: str,
    buyer_id: str,
    order: OrderFacts,
    now: datetime,
    thresholds: Thresholds,
) -> Assessment:
    since = now - timedelta(days=thresholds.window_days)
    activity = facts.buyer_activity(buyer_id, since, now)
    buyer = BuyerActivity(
        orders=tuple(a for a in activity if isinstance(a, OrderData)),
        disputes=tuple(a for a in activity if isinstance(a, DisputeData)),
        reviews=tuple(a for a in activity if isinstance(a, ReviewData)),
        upheld_elsewhere=complaints.upheld_against_buyer(
            buyer_id, since=since, excluding_seller=seller_id
        ),
    )
    return assess_case(
        Case(
            scenario=scenario,
            reason=reason,
            seller_id=seller_id,
            order=order,
            buyer=buyer,
            now=now,
            thresholds=thresholds,
        )
    )
