"""Gather what the rules need and assess.  A fixed number of requests whatever the size of
the buyer's history (DESIGN §8): the order partition (one Query, often already read),
other sellers' upheld complaints (one Query), and the buyer's activity in the window as
``domain/buyer_activity.py`` plans it — the buyer's day counters (one Query) and at this
seller (one Query) for the whole days, and the facts of each partial day (the window's
first day, each of the rule's windows' first day, today: one Query each, reading at most
that day's activity)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.buyer_activity import BuyerActivity, read_plan
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.rules import Assessment, Case, Thresholds, window_days
from chalicelib.domain.scenarios import REGISTRY, assess_case
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
    rule = REGISTRY[scenario].rule_for(reason)
    plan = read_plan(now, thresholds.window_days, window_days(rule, thresholds))
    read = [
        f for _, low, high in plan.item_ranges for f in facts.buyer_activity(buyer_id, low, high)
    ]
    days = seller_days = {}
    if plan.whole_days is not None:
        first, last = plan.whole_days
        days = facts.buyer_days(buyer_id, None, first, last)
        seller_days = facts.buyer_days(buyer_id, seller_id, first, last)
    buyer = BuyerActivity.from_facts(
        read,
        upheld_elsewhere=complaints.upheld_against_buyer(
            buyer_id, since=since, excluding_seller=seller_id
        ),
        days=days,
        seller_days=seller_days,
        seller_id=seller_id,
        item_days=plan.item_days,
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
