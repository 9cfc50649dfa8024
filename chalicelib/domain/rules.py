"""Automated assessment (DESIGN §4): pure and table-driven.

Each scenario (and, for the protection, each sub-reason) has a ``Rule``: one or more
*paths*, each a list of criteria; the complaint is upheld when every criterion of at least
one path is met.  Every criterion checked is reported with its observed value, threshold
and whether it was met, so a rejected seller sees exactly what was not met.  Thresholds are
configuration (``Thresholds``; overrides via ``RULE_THRESHOLDS``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from chalicelib.domain.address import address_problems
from chalicelib.domain.facts import DisputeData, OrderData, OrderFacts, ReviewData


@dataclass(frozen=True)
class Thresholds:
    window_days: int = 90
    ordering_days: int = 30
    ordering_min_orders: int = 5
    ordering_min_bad_ratio: float = 0.8
    other_sellers_upheld: int = 2
    review_min_reviews: int = 5
    review_min_negative_ratio: float = 0.6
    review_min_sellers: int = 3
    dispute_min_disputes: int = 3
    dispute_min_ratio: float = 0.3
    dispute_min_sellers: int = 2
    dispute_min_seller_favour: int = 2
    harassment_unpaid_hours: int = 24
    harassment_days: int = 7
    harassment_min_orders: int = 3
    custom_response_hours: int = 72

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


class Criterion(NamedTuple):
    name: str
    observed: Any
    threshold: Any
    comparison: Literal[">=", "==", "<="]
    met: bool

    def as_dict(self) -> dict[str, Any]:
        observed = round(self.observed, 4) if isinstance(self.observed, float) else self.observed
        return {
            "name": self.name,
            "observed": observed,
            "threshold": self.threshold,
            "comparison": self.comparison,
            "met": self.met,
        }


def at_least(name: str, observed: float, threshold: float) -> Criterion:
    return Criterion(name, observed, threshold, ">=", observed >= threshold)


def equals(name: str, observed: Any, expected: Any) -> Criterion:
    return Criterion(name, observed, expected, "==", observed == expected)


class BuyerActivity(NamedTuple):
    """A buyer's facts within the assessment window, and other sellers' upheld complaints."""

    orders: tuple[OrderData, ...] = ()
    disputes: tuple[DisputeData, ...] = ()
    reviews: tuple[ReviewData, ...] = ()
    #: scenario -> ids of *other* sellers with an upheld complaint against this buyer in W
    upheld_elsewhere: Mapping[str, frozenset[str]] = MappingProxyType({})


class Case(NamedTuple):
    """Everything a rule may look at."""

    scenario: str
    reason: str | None
    seller_id: str
    order: OrderFacts
    buyer: BuyerActivity
    now: datetime
    thresholds: Thresholds


class Assessment(NamedTuple):
    outcome: Literal["upheld", "rejected"]
    reason_code: str
    criteria: tuple[Criterion, ...]
    assessed_at: datetime

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)

    def criteria_dicts(self) -> tuple[dict[str, Any], ...]:
        return tuple(c.as_dict() for c in self.criteria)


PathCheck = Callable[[Case], list[Criterion]]


class Rule(NamedTuple):
    paths: tuple[PathCheck, ...]
    upheld_reason: str
    rejected_reason: Callable[[Case, Sequence[Criterion]], str]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _since(case: Case, days: int) -> datetime:
    return case.now - timedelta(days=days)


def _network(scenario: str) -> PathCheck:
    def check(case: Case) -> list[Criterion]:
        sellers = case.buyer.upheld_elsewhere.get(scenario, frozenset())
        return [
            at_least(
                "other_sellers_upheld_in_window", len(sellers), case.thresholds.other_sellers_upheld
            )
        ]

    return check


# --- malicious ordering -------------------------------------------------------------------
def _ordering_volume(case: Case) -> list[Criterion]:
    t = case.thresholds
    since = _since(case, t.ordering_days)
    orders = [
        o for o in case.buyer.orders if o.seller_id == case.seller_id and o.placed_at >= since
    ]
    bad = [
        o
        for o in orders
        if not o.is_paid or (o.status == "cancelled" and o.cancelled_by == "buyer")
    ]
    return [
        at_least("orders_at_seller_30d", len(orders), t.ordering_min_orders),
        at_least(
            "unpaid_or_buyer_cancelled_ratio",
            _ratio(len(bad), len(orders)),
            t.ordering_min_bad_ratio,
        ),
    ]


# --- malicious review ---------------------------------------------------------------------
def _review_pattern(case: Case) -> list[Criterion]:
    t = case.thresholds
    reviews = case.buyer.reviews
    negative = [r for r in reviews if r.rating <= 2]
    return [
        at_least("reviews_in_window", len(reviews), t.review_min_reviews),
        at_least(
            "negative_review_ratio",
            _ratio(len(negative), len(reviews)),
            t.review_min_negative_ratio,
        ),
        at_least(
            "sellers_reviewed_negatively",
            len({r.seller_id for r in negative}),
            t.review_min_sellers,
        ),
    ]


# --- malicious dispute --------------------------------------------------------------------
def _dispute_pattern(case: Case) -> list[Criterion]:
    t = case.thresholds
    disputes = case.buyer.disputes
    paid = [o for o in case.buyer.orders if o.is_paid]
    return [
        at_least("disputes_in_window", len(disputes), t.dispute_min_disputes),
        at_least(
            "disputes_per_paid_order",
            _ratio(len(disputes), len(paid)) if paid else float(len(disputes) > 0),
            t.dispute_min_ratio,
        ),
        at_least("sellers_disputed", len({d.seller_id for d in disputes}), t.dispute_min_sellers),
    ]


def _disputes_lost(case: Case) -> list[Criterion]:
    lost = [d for d in case.buyer.disputes if d.resolution == "seller_favour"]
    return [
        at_least(
            "disputes_closed_in_seller_favour", len(lost), case.thresholds.dispute_min_seller_favour
        )
    ]


# --- harassment ---------------------------------------------------------------------------
def _unpaid_with_note(order: OrderData, now: datetime, hours: int) -> bool:
    limit = order.placed_at + timedelta(hours=hours)
    unpaid = order.paid_at is None or order.paid_at > limit
    return bool(order.buyer_note and order.buyer_note.strip()) and unpaid and now >= limit


def _harassment_order(case: Case) -> list[Criterion]:
    order = case.order.order
    assert order is not None
    hours = case.thresholds.harassment_unpaid_hours
    unpaid_hours = (case.now - order.placed_at).total_seconds() / 3600 if not order.is_paid else 0
    return [
        equals("order_has_buyer_note", bool(order.buyer_note and order.buyer_note.strip()), True),
        at_least("hours_unpaid_since_placed", round(unpaid_hours, 1), hours),
    ]


def _harassment_pattern(case: Case) -> list[Criterion]:
    t = case.thresholds
    since = _since(case, t.harassment_days)
    noted = [
        o
        for o in case.buyer.orders
        if o.seller_id == case.seller_id
        and o.placed_at >= since
        and not o.is_paid
        and o.buyer_note
        and o.buyer_note.strip()
    ]
    return [at_least("unpaid_orders_with_notes_7d", len(noted), t.harassment_min_orders)]


# --- non-fulfilment protection ------------------------------------------------------------
def _address(case: Case) -> list[Criterion]:
    order = case.order.order
    assert order is not None
    problems = address_problems(order.shipping_address)
    return [Criterion("address_problems", problems, "any", ">=", bool(problems))]


def _first_seller_message_after_payment(case: Case) -> datetime | None:
    order = case.order.order
    assert order is not None
    paid_at = order.paid_at
    sent = sorted(
        m.sent_at
        for m in case.order.messages
        if m.sender == "seller" and paid_at is not None and m.sent_at >= paid_at
    )
    return sent[0] if sent else None


def _custom_silence(case: Case) -> list[Criterion]:
    order = case.order.order
    assert order is not None
    hours = case.thresholds.custom_response_hours
    first = _first_seller_message_after_payment(case)
    replied = first is not None and any(
        m.sender == "buyer" and first <= m.sent_at <= first + timedelta(hours=hours)
        for m in case.order.messages
    )
    waited = (case.now - first).total_seconds() / 3600 if first is not None else 0.0
    return [
        equals("custom_item", order.custom_item, True),
        equals("seller_messaged_after_payment", first is not None, True),
        equals("buyer_replied_within_window", replied, False),
        at_least("hours_since_first_seller_message", round(waited, 1), hours),
    ]


def _custom_rejection(case: Case, criteria: Sequence[Criterion]) -> str:
    unmet = {c.name for c in criteria if not c.met}
    if "custom_item" in unmet:
        return "not_custom_item"
    if "seller_messaged_after_payment" in unmet:
        return "no_seller_message"
    if "buyer_replied_within_window" in unmet:
        return "buyer_responded"
    return "response_window_open"


def _fixed(code: str) -> Callable[[Case, Sequence[Criterion]], str]:
    return lambda case, criteria: code


#: The rule table: scenario code, or "scenario/sub-reason" for the protection.
RULES: dict[str, Rule] = {
    "malicious_ordering": Rule(
        (_ordering_volume, _network("malicious_ordering")),
        "malicious_ordering_confirmed",
        _fixed("not_malicious_competition"),
    ),
    "malicious_review": Rule(
        (_review_pattern, _network("malicious_review")),
        "malicious_review_confirmed",
        _fixed("subjective_review_of_normal_sale"),
    ),
    "malicious_dispute": Rule(
        (_dispute_pattern, _disputes_lost),
        "malicious_dispute_confirmed",
        _fixed("buyer_behaviour_within_normal_range"),
    ),
    "malicious_harassment": Rule(
        (_harassment_order, _harassment_pattern),
        "harassment_confirmed",
        _fixed("order_behaviour_normal"),
    ),
    "non_fulfillment_protection/address_invalid": Rule(
        (_address,), "address_invalid_confirmed", _fixed("address_valid")
    ),
    "non_fulfillment_protection/custom_item_no_response": Rule(
        (_custom_silence,), "custom_item_no_response_confirmed", _custom_rejection
    ),
}


def rule_for(scenario: str, reason: str | None) -> Rule:
    return RULES.get(f"{scenario}/{reason}") or RULES[scenario]


def assess(case: Case) -> Assessment:
    """Judge ``case``: upheld when every criterion of some path is met."""
    rule = rule_for(case.scenario, case.reason)
    criteria: list[Criterion] = []
    upheld = False
    for path in rule.paths:
        checked = path(case)
        criteria.extend(checked)
        upheld = upheld or all(c.met for c in checked)
    reason = rule.upheld_reason if upheld else rule.rejected_reason(case, criteria)
    return Assessment(
        outcome="upheld" if upheld else "rejected",
        reason_code=reason,
        criteria=tuple(criteria),
        assessed_at=case.now,
    )
