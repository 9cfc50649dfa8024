"""Gather what the rules need and assess.  A fixed number of requests whatever the size of
the buyer's history (DESIGN §8): the order partition (one Query, often already read),
other sellers' upheld complaints (one Query), and the buyer's activity in the window.

The activity is read adaptively.  Most buyers have a few dozen facts in the window, so the
first read is one Query of the whole window's facts, at most ``ACTIVITY_PAGE_LIMIT`` of
them; when that is all of them the rules count over the facts themselves, as before the
day counters existed.  Only a heavier buyer's window is then read as
``domain/buyer_activity.py`` plans it — the buyer's day counters (one Query) and at this
seller (one Query) for the whole days, and the facts of each partial day (the window's
first day, each of the rule's windows' first day, today: one Query each, reading at most
that day's activity; the window's first day is taken from the full page when the page
reaches past it) — so its cost stays bounded whatever the number of its orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain.buyer_activity import (
    BuyerActivity,
    ReadPlan,
    activity_range,
    activity_time,
    read_plan,
    utc_day,
)
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.rules import Assessment, Case, Thresholds, window_days
from chalicelib.domain.scenarios import REGISTRY, assess_case
from chalicelib.services.ports import BuyerActivityReader, UpheldElsewhere

#: How many facts the first read of a buyer's window may bring back.  Fact items are small
#: (measured: an order with its address and a note 0.6 KB, a dispute or review 0.3 KB), so
#: 300 of them, ~175 KB at most, stay far below a Query's 1 MB page — one request — and
#: cost ~22 read units at most (an index read is eventually consistent: half a unit per
#: 4 KB), while covering buyers ten times as active as the usual few dozen facts in 90
#: days.  Past it, the day counters bound the read instead (``read_plan``: 2 counter
#: Queries and one per partial day but the window's first, on top of this one).
ACTIVITY_PAGE_LIMIT = 300


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
    activity_page_limit: int = ACTIVITY_PAGE_LIMIT,
) -> Assessment:
    """Assess ``order`` on ``scenario``'s rule; ``activity_page_limit``: see
    ``ACTIVITY_PAGE_LIMIT`` (tests set it low to take both ways of reading)."""
    since = now - timedelta(days=thresholds.window_days)
    rule = REGISTRY[scenario].rule_for(reason)
    upheld_elsewhere = complaints.upheld_against_buyer(
        buyer_id, since=since, excluding_seller=seller_id
    )
    page, complete = facts.buyer_activity_page(
        buyer_id, *activity_range(since, now), activity_page_limit
    )
    if complete:  # every fact of the window, counted one by one
        buyer = BuyerActivity.from_facts(
            page, upheld_elsewhere=upheld_elsewhere, seller_id=seller_id
        )
    else:  # a heavy buyer: the whole days as counters, the partial days fact by fact
        plan = read_plan(now, thresholds.window_days, window_days(rule, thresholds))
        read: list[Any] = []
        for day, low, high in plan.item_ranges:
            taken = _first_day_from_page(page, day, plan)
            read.extend(facts.buyer_activity(buyer_id, low, high) if taken is None else taken)
        days = seller_days = {}
        if plan.whole_days is not None:
            first, last = plan.whole_days
            days = facts.buyer_days(buyer_id, None, first, last)
            seller_days = facts.buyer_days(buyer_id, seller_id, first, last)
        buyer = BuyerActivity.from_facts(
            read,
            upheld_elsewhere=upheld_elsewhere,
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


def _first_day_from_page(page: list[Any], day: date, plan: ReadPlan) -> list[Any] | None:
    """The facts of the window's first day taken from the first page (oldest first, from
    the window's start), when the page reaches past that day — so holds all of it (a
    heavy buyer's first page usually does: one Query fewer); None otherwise, or for
    another day."""
    first = plan.item_ranges[0][0]
    if day != first or not page or utc_day(activity_time(page[-1])) <= first:
        return None
    return [f for f in page if utc_day(activity_time(f)) == first]
