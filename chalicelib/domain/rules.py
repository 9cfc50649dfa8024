"""Automated assessment (DESIGN §4): pure and table-driven.

Each scenario (and, for the protection, each sub-reason) has a ``Rule``: one or more
*paths*, each a list of criteria; the complaint is upheld when every criterion of at least
one path is met.  Every criterion checked is reported with its observed value, threshold
and whether it was met, so a rejected seller sees exactly what was not met.  Thresholds are
configuration (``Thresholds``; overrides via ``RULE_THRESHOLDS``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
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


#: Decimal places of a fractional observed value as shown (the comparison uses the exact one).
SHOWN_DECIMALS = 4


class Criterion(NamedTuple):
    """One check of a rule: ``met`` is decided on the exact ``observed`` value; only what is
    shown (``as_dict``) is rounded.  ``alternative`` names the rule path it belongs to."""

    name: str
    observed: Any
    threshold: Any
    comparison: Literal[">=", "==", "<="]
    met: bool
    alternative: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alternative": self.alternative,
            "observed": shown_value(self.observed, self.threshold, self.comparison, self.met),
            "threshold": self.threshold,
            "comparison": self.comparison,
            "met": self.met,
        }


def shown_value(observed: Any, threshold: Any, comparison: str, met: bool) -> Any:
    """``observed`` rounded for display, never to a value that contradicts ``met``: 23.9999
    hours against a 24 h threshold shows 23.9999, not 24.0.  Rounding goes towards the side
    of the threshold the exact value is on."""
    if not isinstance(observed, float) or not math.isfinite(observed):
        return observed
    shown = round(observed, SHOWN_DECIMALS)
    if comparison != ">=" or not isinstance(threshold, int | float):
        return shown
    if (shown >= threshold) == met:
        return shown
    scale = 10**SHOWN_DECIMALS
    directed = math.ceil(observed * scale) / scale if met else math.floor(observed * scale) / scale
    return directed if (directed >= threshold) == met else observed


def at_least(name: str, observed: float, threshold: float) -> Criterion:
    """Met when the exact ``observed`` reaches ``threshold`` (no rounding first)."""
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
        """What kept the complaint from being upheld: nothing when upheld, else every
        criterion not met in every alternative."""
        if self.outcome == "upheld":
            return ()
        return tuple(c for c in self.criteria if not c.met)

    @property
    def met_alternative(self) -> str | None:
        """The rule path whose criteria were all met (the first, if several)."""
        return met_alternative(c.as_dict() for c in self.criteria)

    def criteria_dicts(self) -> tuple[dict[str, Any], ...]:
        return tuple(c.as_dict() for c in self.criteria)


def met_alternative(criteria: Iterable[Mapping[str, Any]]) -> str | None:
    """The first alternative (rule path) all of whose criteria are met, from criteria as
    stored (``Criterion.as_dict``); None when no alternative was met."""
    by_path: dict[str, bool] = {}
    for criterion in criteria:
        path = str(criterion.get("alternative") or "")
        by_path[path] = by_path.get(path, True) and bool(criterion.get("met"))
    return next((path for path, met in by_path.items() if met and path), None)


def unmet_names(outcome: str, criteria: Iterable[Mapping[str, Any]]) -> list[str]:
    """What a seller reads as "not met": empty for an upheld decision (the alternative
    that was met is enough), else the unmet criteria of every alternative."""
    if outcome == "upheld":
        return []
    return [str(c["name"]) for c in criteria if not c.get("met")]


PathCheck = Callable[[Case], list[Criterion]]


class Path(NamedTuple):
    """One alternative of a rule: upheld when every criterion ``check`` returns is met."""

    name: str
    check: PathCheck


class Rule(NamedTuple):
    paths: tuple[Path, ...]
    upheld_reason: str
    rejected_reason: Callable[[Case, Sequence[Criterion]], str]
    #: Every code ``rejected_reason`` can return: what a reviewer may reject with, too.
    rejected_reasons: tuple[str, ...]


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
def _harassment_order(case: Case) -> list[Criterion]:
    order = case.order.order
    assert order is not None
    hours = case.thresholds.harassment_unpaid_hours
    unpaid_hours = (case.now - order.placed_at).total_seconds() / 3600 if not order.is_paid else 0.0
    return [
        equals("order_has_buyer_note", bool(order.buyer_note and order.buyer_note.strip()), True),
        at_least("hours_unpaid_since_placed", unpaid_hours, hours),
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
        at_least("hours_since_first_seller_message", waited, hours),
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


def _path(name: str, check: PathCheck) -> Path:
    """A named alternative whose criteria carry its name."""

    def named(case: Case) -> list[Criterion]:
        return [c._replace(alternative=name) for c in check(case)]

    return Path(name, named)


#: The rule table: scenario code, or "scenario/sub-reason" for the protection.
RULES: dict[str, Rule] = {
    "malicious_ordering": Rule(
        (
            _path("orders_at_this_seller", _ordering_volume),
            _path("upheld_by_other_sellers", _network("malicious_ordering")),
        ),
        "malicious_ordering_confirmed",
        _fixed("not_malicious_competition"),
        ("not_malicious_competition",),
    ),
    "malicious_review": Rule(
        (
            _path("review_pattern", _review_pattern),
            _path("upheld_by_other_sellers", _network("malicious_review")),
        ),
        "malicious_review_confirmed",
        _fixed("subjective_review_of_normal_sale"),
        ("subjective_review_of_normal_sale",),
    ),
    "malicious_dispute": Rule(
        (
            _path("dispute_pattern", _dispute_pattern),
            _path("disputes_lost", _disputes_lost),
        ),
        "malicious_dispute_confirmed",
        _fixed("buyer_behaviour_within_normal_range"),
        ("buyer_behaviour_within_normal_range",),
    ),
    "malicious_harassment": Rule(
        (
            _path("unpaid_order_with_note", _harassment_order),
            _path("unpaid_orders_with_notes_7d", _harassment_pattern),
        ),
        "harassment_confirmed",
        _fixed("order_behaviour_normal"),
        ("order_behaviour_normal",),
    ),
    "non_fulfillment_protection/address_invalid": Rule(
        (_path("address_fails_validation", _address),),
        "address_invalid_confirmed",
        _fixed("address_valid"),
        ("address_valid",),
    ),
    "non_fulfillment_protection/custom_item_no_response": Rule(
        (_path("custom_item_no_response", _custom_silence),),
        "custom_item_no_response_confirmed",
        _custom_rejection,
        ("not_custom_item", "no_seller_message", "buyer_responded", "response_window_open"),
    ),
}

#: Reason codes a reviewer may give whatever the scenario.
GENERIC_REASONS: dict[str, tuple[str, ...]] = {
    "upheld": ("complaint_upheld",),
    "rejected": ("insufficient_evidence",),
}


def rule_for(scenario: str, reason: str | None) -> Rule:
    return RULES.get(f"{scenario}/{reason}") or RULES[scenario]


def _rules_of(scenario: str, reason: str | None) -> list[Rule]:
    """The rule of (scenario, sub-reason); every sub-reason's rule when ``reason`` is None."""
    if reason is not None:
        return [rule_for(scenario, reason)]
    return [rule for key, rule in RULES.items() if key.split("/", 1)[0] == scenario]


def decision_reasons(scenario: str, reason: str | None = None) -> dict[str, tuple[str, ...]]:
    """The reason codes a decision of this scenario (and sub-reason) may give, by outcome:
    the rule's own codes and the generic ones.  A reviewer's decision must use one."""
    rules = _rules_of(scenario, reason)
    upheld = [r.upheld_reason for r in rules]
    rejected = [code for r in rules for code in r.rejected_reasons]
    return {
        "upheld": tuple(dict.fromkeys([*upheld, *GENERIC_REASONS["upheld"]])),
        "rejected": tuple(dict.fromkeys([*rejected, *GENERIC_REASONS["rejected"]])),
    }


def assess(case: Case) -> Assessment:
    """Judge ``case``: upheld when every criterion of some path is met."""
    rule = rule_for(case.scenario, case.reason)
    criteria: list[Criterion] = []
    upheld = False
    for path in rule.paths:
        checked = path.check(case)
        criteria.extend(checked)
        upheld = upheld or all(c.met for c in checked)
    reason = rule.upheld_reason if upheld else rule.rejected_reason(case, criteria)
    return Assessment(
        outcome="upheld" if upheld else "rejected",
        reason_code=reason,
        criteria=tuple(criteria),
        assessed_at=case.now,
    )
