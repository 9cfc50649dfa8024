"""Seller service metrics (docs/product.md) and what exemptions remove from them.  Pure.

Every order and every review is a *unit* that contributes to a seller's daily counters:
for each metric, whether it is in the numerator and in the denominator, raw and after
exemptions.  An exemption stops a unit counting *against* the seller: an exempted unit in
the metric's numerator leaves both numerator and denominator; an exempted unit that is not
(a completed order, say) keeps counting, since removing it would raise the rate.  Both are
re-evaluated whenever the unit's facts change.  A unit's contribution is recomputed from its
facts whenever they change, and only the difference is added to the day's counters — so
late, repeated or out-of-order facts always end up counted once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.facts import (
    DisputeData,
    OrderData,
    OrderFacts,
    ReviewData,
    contradicted_parties,
)
from chalicelib.domain.text import Text


class Metric(NamedTuple):
    code: str
    name: Text
    window_days: int
    definition: str


METRICS: tuple[Metric, ...] = (
    Metric(
        "non_fulfillment_rate",
        Text("成交不卖率", "Non-fulfilment rate"),
        30,
        "paid orders closed without shipment / paid orders",
    ),
    Metric(
        "dispute_rate",
        Text("纠纷率", "Dispute rate"),
        30,
        "orders with a dispute not withdrawn / (delivered orders + disputed orders)",
    ),
    Metric(
        "cancellation_rate",
        Text("取消率", "Cancellation rate"),
        30,
        "orders cancelled or never paid (no payment recorded so far) / orders placed",
    ),
    Metric(
        "negative_review_rate",
        Text("差评率", "Negative review rate"),
        90,
        "reviews rated 1-2 / reviews",
    ),
)
METRIC_CODES = tuple(m.code for m in METRICS)
ORDER_METRICS = ("non_fulfillment_rate", "dispute_rate", "cancellation_rate")
LONGEST_WINDOW = max(m.window_days for m in METRICS)
#: The order metrics' window: an order placed longer ago than this counts in none of them.
ORDER_WINDOW = max(m.window_days for m in METRICS if m.code in ORDER_METRICS)

#: (numerator, denominator) membership of one unit in one metric
Flags = tuple[int, int]


def order_flags(order: OrderData, disputes: Iterable[DisputeData]) -> dict[str, Flags]:
    """The order's membership in each order metric.

    *Never paid* means what the malicious_ordering rule means by it (docs/product.md, ``rules.py``):
    no payment recorded so far.  An order counts in ``cancellation_rate``'s numerator from
    its placement until a payment arrives (then it leaves it), and keeps counting if it is
    cancelled or closed unpaid — the platform's payment window ends with such a fact.  So
    the metric and the rule agree at every moment, the contribution depends on the facts
    alone (not on the clock), and an upheld harassment or ordering complaint removes the
    unpaid orders it is about from the metric."""
    paid = order.is_paid
    disputed = any(d.status != "withdrawn" for d in disputes)
    delivered = order.status == "delivered"
    never_paid = not paid
    return {
        "non_fulfillment_rate": (int(paid and order.status == "closed_unshipped"), int(paid)),
        "dispute_rate": (int(disputed), int(delivered or disputed)),
        "cancellation_rate": (int(order.status == "cancelled" or never_paid), 1),
    }


def review_flags(review: ReviewData) -> dict[str, Flags]:
    return {"negative_review_rate": (int(review.rating <= 2), 1)}


def went_bad_at(
    order: OrderData, disputes: Iterable[DisputeData], status_at: datetime | None = None
) -> dict[str, datetime]:
    """For each order metric whose numerator the order is in, when the event that put it
    there happened: the first dispute not withdrawn was opened (``dispute_rate``); the order
    was closed unshipped (``non_fulfillment_rate``); it was cancelled or closed before
    payment, or — still unpaid — placed (``cancellation_rate``: never paid counts from the
    placement).  ``status_at`` is when the order's current status was reported (its
    event's ``occurred_at``); unknown, the placement stands in for it."""
    flags = order_flags(order, disputes)
    closed_at = status_at or order.placed_at
    opened = [d.opened_at for d in disputes if d.status != "withdrawn"]
    when: dict[str, datetime] = {}
    if flags["dispute_rate"][0]:
        when["dispute_rate"] = min(opened)
    if flags["non_fulfillment_rate"][0]:
        when["non_fulfillment_rate"] = closed_at
    if flags["cancellation_rate"][0]:
        closed = order.status in ("cancelled", "closed_unshipped")
        when["cancellation_rate"] = closed_at if closed else order.placed_at
    return when


class CleaningPeriod(NamedTuple):
    """After an upheld malicious_dispute, for ``[start, end)`` (docs/product.md: "every bad order
    this buyer causes at this seller for a cleaning period"): an order of this buyer at this
    seller leaves an order metric it counts against when it was *placed* in the period, or
    when the *bad event* that makes it count against that metric (``went_bad_at``: its
    cancellation, its dispute, its closure unshipped) happened in the period.  An order
    placed before the decision that goes bad after it is therefore excluded; one that had
    gone bad before the decision keeps counting (unless another exemption covers it)."""

    complaint_id: str
    start: datetime
    end: datetime

    def covers(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def excludes(self, placed_at: datetime, bad_at: datetime | None) -> bool:
        return self.covers(placed_at) or (bad_at is not None and self.covers(bad_at))


class Contribution(NamedTuple):
    unit: str  # "ORDER" or "REVIEW#<id>"
    seller_id: str
    day: date
    raw: Mapping[str, Flags]
    kept: Mapping[str, Flags]  # after exemptions
    exempt_by: Mapping[str, str]  # metric -> complaint id that exempted it

    def counters(self) -> dict[str, int]:
        """This unit's share of the day's counters."""
        out: dict[str, int] = {}
        for metric, (num, den) in self.raw.items():
            out[f"{metric}.num"] = num
            out[f"{metric}.den"] = den
        for metric, (num, den) in self.kept.items():
            out[f"{metric}.num_kept"] = num
            out[f"{metric}.den_kept"] = den
        return out


def contributions(
    facts: OrderFacts,
    exemptions: Mapping[tuple[str, str], str],
    cleaning: Iterable[CleaningPeriod] = (),
    order_status_at: datetime | None = None,
) -> list[Contribution]:
    """The contributions of the units of one order: the order (once its own fact is known)
    and each of its reviews.  ``exemptions`` maps (unit, metric) to the complaint id;
    ``cleaning`` are the buyer's cleaning periods at the order's seller; ``order_status_at``
    is when the order's current status was reported (see ``went_bad_at``)."""
    made: list[Contribution] = []
    windows = list(cleaning)
    order = facts.order
    if order is not None:
        disputes = [d for d in facts.disputes if not contradicted_parties(d, order)]
        raw = order_flags(order, disputes)
        exempt_by = {m: exemptions[("ORDER", m)] for m in raw if ("ORDER", m) in exemptions}
        bad_at = went_bad_at(order, disputes, order_status_at) if windows else {}
        for window in windows:
            for metric in raw:
                if window.excludes(order.placed_at, bad_at.get(metric)):
                    exempt_by.setdefault(metric, window.complaint_id)
        made.append(_contribution("ORDER", order.seller_id, order.placed_at, raw, exempt_by))
    for review in facts.reviews:
        unit = f"REVIEW#{review.review_id}"
        raw = review_flags(review)
        if contradicted_parties(review, order):
            # Ingestion refuses a fact that contradicts a stored order, but one may arrive
            # first, naming another seller, and its order then: from then on it counts for
            # no one (counting it against the seller it names would charge them with
            # another seller's order).
            raw = {m: (0, 0) for m in raw}
        exempt_by = {m: exemptions[(unit, m)] for m in raw if (unit, m) in exemptions}
        made.append(_contribution(unit, review.seller_id, review.posted_at, raw, exempt_by))
    return made


def _contribution(
    unit: str, seller_id: str, when: datetime, raw: dict[str, Flags], exempt_by: dict[str, str]
) -> Contribution:
    exempt_by = {m: cid for m, cid in exempt_by.items() if raw[m][0]}  # only what counts against
    kept = {m: ((0, 0) if m in exempt_by else flags) for m, flags in raw.items()}
    return Contribution(
        unit=unit, seller_id=seller_id, day=when.date(), raw=raw, kept=kept, exempt_by=exempt_by
    )


def counter_delta(
    old: Contribution | None, new: Contribution | None
) -> dict[tuple[str, date], dict[str, int]]:
    """What to add to which (seller, day) counters to go from ``old`` to ``new``."""
    delta: dict[tuple[str, date], dict[str, int]] = {}
    for contribution, sign in ((old, -1), (new, 1)):
        if contribution is None:
            continue
        day = delta.setdefault((contribution.seller_id, contribution.day), {})
        for counter, value in contribution.counters().items():
            day[counter] = day.get(counter, 0) + sign * value
    return {
        key: {c: v for c, v in counters.items() if v}
        for key, counters in delta.items()
        if any(counters.values())
    }


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def metric_values(days: Mapping[date, Mapping[str, int]], now: datetime) -> dict[str, Any]:
    """Each metric over its window, raw and after exemptions, from daily counters."""
    today = now.date()
    values: dict[str, Any] = {}
    for metric in METRICS:
        first = today - timedelta(days=metric.window_days - 1)
        sums = {"num": 0, "den": 0, "num_kept": 0, "den_kept": 0}
        for day, counters in days.items():
            if first <= day <= today:
                for key in sums:
                    sums[key] += int(counters.get(f"{metric.code}.{key}", 0))
        values[metric.code] = {
            "name": metric.name.as_dict(),
            "definition": metric.definition,
            "window_days": metric.window_days,
            "window": {"from": first.isoformat(), "to": today.isoformat()},
            "raw": {
                "numerator": sums["num"],
                "denominator": sums["den"],
                "value": _rate(sums["num"], sums["den"]),
            },
            "after_exemptions": {
                "numerator": sums["num_kept"],
                "denominator": sums["den_kept"],
                "value": _rate(sums["num_kept"], sums["den_kept"]),
            },
        }
    return values


#: What an upheld complaint's exemption can cover — a scenario record names its scopes
#: (``Exemption``) and the exemption job applies each (``services.exemptions``):
ORDER = "order"  # the complaint's order
BUYER_ORDERS = "buyer_orders"  # the buyer's orders at this seller within the window W
REVIEWS = "reviews"  # the order's negative reviews by the buyer
CLEANING_PERIOD = (
    "cleaning_period"  # the buyer's bad orders at this seller during the cleaning period
)
EXEMPTION_SCOPES = frozenset({ORDER, BUYER_ORDERS, REVIEWS, CLEANING_PERIOD})
