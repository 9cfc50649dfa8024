"""Automated assessment (docs/product.md): the generic machinery, pure.

A scenario's ``Rule`` (in its record, ``chalicelib/domain/scenarios/``) has one or more
*alternatives* (``Path``), each a function returning criteria; the complaint is upheld when
every criterion of at least one alternative is met.  Every criterion checked is reported
with its observed value, threshold and whether it was met, so a rejected seller sees
exactly what was not met.  A rule declares its thresholds with their defaults; the
configuration (``RULE_THRESHOLDS``) overrides them by name (``Thresholds``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from chalicelib.domain.buyer_activity import BuyerActivity as BuyerActivity  # of a Case
from chalicelib.domain.facts import OrderFacts

#: The assessment window W (days): a buyer's behaviour is judged on this much history.
WINDOW_DAYS = 90


class Thresholds:
    """Rule thresholds by name: the configured overrides (``RULE_THRESHOLDS``) over each
    rule's own defaults (``with_defaults``), and the assessment window ``window_days``."""

    __slots__ = ("_values", "window_days")

    def __init__(self, window_days: int = WINDOW_DAYS, **values: float) -> None:
        self.window_days = window_days
        self._values: dict[str, float] = dict(values)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def with_defaults(self, defaults: Mapping[str, float]) -> Thresholds:
        """These thresholds over ``defaults`` (a rule's own)."""
        return Thresholds(self.window_days, **{**defaults, **self._values})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Thresholds) and (self.window_days, self._values) == (
            other.window_days,
            other._values,
        )

    def __hash__(self) -> int:
        return hash((self.window_days, tuple(sorted(self._values.items()))))

    def __repr__(self) -> str:
        return f"Thresholds(window_days={self.window_days}, {self._values})"


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
    #: The thresholds the alternatives read, with their defaults (configurable by name).
    thresholds: Mapping[str, float] = MappingProxyType({})
    #: The thresholds that are windows (days before now) the alternatives count the
    #: buyer's activity in (``since``): the first day of each is read fact by fact, so the
    #: count is exact to the instant (``domain/buyer_activity.py``).
    windows: tuple[str, ...] = ()


def window_days(rule: Rule, thresholds: Thresholds) -> list[float]:
    """The windows (days before now) ``rule`` counts the buyer's activity in, as
    configured (``Rule.windows``)."""
    configured = thresholds.with_defaults(rule.thresholds)
    return [float(configured[name]) for name in rule.windows]


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def since(case: Case, days: float) -> datetime:
    return case.now - timedelta(days=days)


def upheld_by_other_sellers(scenario: str) -> PathCheck:
    """The alternative "≥ N other sellers had this scenario upheld against the buyer in W",
    shared by scenarios judged on the buyer account."""

    def check(case: Case) -> list[Criterion]:
        sellers = case.buyer.upheld_elsewhere.get(scenario, frozenset())
        return [
            at_least(
                "other_sellers_upheld_in_window",
                len(sellers),
                case.thresholds["other_sellers_upheld"],
            )
        ]

    return check


def fixed(code: str) -> Callable[[Case, Sequence[Criterion]], str]:
    """A rejection that always gives ``code``."""
    return lambda case, criteria: code


def path(name: str, check: PathCheck) -> Path:
    """A named alternative whose criteria carry its name."""

    def named(case: Case) -> list[Criterion]:
        return [c._replace(alternative=name) for c in check(case)]

    return Path(name, named)


def assess(rule: Rule, case: Case) -> Assessment:
    """Judge ``case`` by ``rule``: upheld when every criterion of some alternative is met."""
    case = case._replace(thresholds=case.thresholds.with_defaults(rule.thresholds))
    criteria: list[Criterion] = []
    upheld = False
    for alternative in rule.paths:
        checked = alternative.check(case)
        criteria.extend(checked)
        upheld = upheld or all(c.met for c in checked)
    reason = rule.upheld_reason if upheld else rule.rejected_reason(case, criteria)
    return Assessment(
        outcome="upheld" if upheld else "rejected",
        reason_code=reason,
        criteria=tuple(criteria),
        assessed_at=case.now,
    )
