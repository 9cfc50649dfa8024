"""What a complaint scenario is: one declarative record (``Scenario``), and the registry that
checks every record when it is built.

A scenario record holds everything about one scenario (docs/product.md):

* who it is: ``code``, ``name`` (中文/English), ``group``, ``dimension``, ``description``;
* what a submission needs: ``required_fields`` and, for the protection, ``sub_reasons``;
* when it may be filed: ``eligibility``, checks on the order that raise ``NotEligible``;
* how it is judged: a ``Rule`` (alternatives of criteria; see ``rules``), one per
  sub-reason when it has them;
* what a decision may say: ``reasons``, the text of every reason code its rules and its
  reviewers may give, by outcome;
* what an uphold exempts: ``exemption``, (scope, metrics) pairs the exemption job applies.

The registry (``Registry``) refuses a record with a missing or inconsistent part when it is
built — at import, so at test time — never with a 500 or a crashed job at run time.  The
five scenarios live one module each in ``chalicelib/domain/scenarios/``; adding one is
writing one such module and listing it there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.buyer_activity import read_plan
from chalicelib.domain.facts import OrderData, OrderFacts
from chalicelib.domain.metrics import EXEMPTION_SCOPES, METRIC_CODES
from chalicelib.domain.rules import BuyerActivity, Case, Rule, Thresholds, assess, window_days
from chalicelib.domain.text import Text

#: An eligibility check: returns when the order qualifies, raises ``NotEligible`` otherwise.
Check = Callable[[OrderData, OrderFacts], None]

GROUPS: dict[str, Text] = {
    "abnormal_buyer": Text("异常买家", "Abnormal buyer"),
    "metric_protection": Text("指标保护", "Metric protection"),
}
#: Fields a submission may require (``POST /complaints``).
SUBMISSION_FIELDS = frozenset({"order_id", "description", "reason", "evidence"})
#: Reason codes any decision may give, whatever the scenario (a reviewer's judgement).
GENERIC_REASONS: dict[str, dict[str, Text]] = {
    "upheld": {"complaint_upheld": Text("举报成立", "Complaint upheld")},
    "rejected": {"insufficient_evidence": Text("证据不足", "Insufficient evidence")},
}


class ScenarioError(ValueError):
    """A scenario record is incomplete or inconsistent."""


class SubReason(NamedTuple):
    code: str
    name: Text
    rule: Rule


class Exemption(NamedTuple):
    """What an upheld complaint exempts: ``scope`` (one of ``EXEMPTION_SCOPES``, which the
    exemption job knows how to apply) from each of ``metrics``."""

    scope: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    code: str
    name: Text
    group: str
    dimension: str
    description: Text
    eligibility: tuple[Check, ...]
    #: the rule; None when every sub-reason has its own
    rule: Rule | None
    #: the text of every reason code a decision of this scenario may give
    reasons: Mapping[str, Text]
    exemption: tuple[Exemption, ...]
    sub_reasons: tuple[SubReason, ...] = ()
    required_fields: tuple[str, ...] = ("order_id", "description")
    #: extra, free-form facts about the scenario the catalogue shows (none yet)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sub_reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.sub_reasons)

    def rules(self) -> Iterator[Rule]:
        if self.rule is not None:
            yield self.rule
        for sub_reason in self.sub_reasons:
            yield sub_reason.rule

    def rule_for(self, reason: str | None) -> Rule:
        """The rule a complaint with sub-reason ``reason`` is judged by."""
        for sub_reason in self.sub_reasons:
            if sub_reason.code == reason:
                return sub_reason.rule
        if self.rule is None:
            raise KeyError(f"{self.code} has no rule for reason {reason!r}")
        return self.rule

    def decision_reasons(self, reason: str | None = None) -> dict[str, tuple[str, ...]]:
        """The reason codes a decision may give, by outcome: the rule's own (of the
        sub-reason, or of every sub-reason when ``reason`` is None) and the generic ones."""
        rules = [self.rule_for(reason)] if reason is not None else list(self.rules())
        upheld = [r.upheld_reason for r in rules]
        rejected = [code for r in rules for code in r.rejected_reasons]
        return {
            "upheld": tuple(dict.fromkeys([*upheld, *GENERIC_REASONS["upheld"]])),
            "rejected": tuple(dict.fromkeys([*rejected, *GENERIC_REASONS["rejected"]])),
        }

    def as_dict(self) -> dict[str, Any]:
        """The catalogue entry (``GET /scenarios``)."""
        return {
            "code": self.code,
            "name": self.name.as_dict(),
            "group": self.group,
            "group_name": GROUPS[self.group].as_dict(),
            "dimension": self.dimension,
            "description": self.description.as_dict(),
            "required_fields": list(self.required_fields),
            "sub_reasons": [
                {
                    "code": sub.code,
                    "name": sub.name.as_dict(),
                    "decision_reasons": _lists(self.decision_reasons(sub.code)),
                }
                for sub in self.sub_reasons
            ],
            "decision_reasons": _lists(self.decision_reasons()),
        }


def _lists(reasons: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {outcome: list(codes) for outcome, codes in reasons.items()}


def validate(scenario: Scenario) -> None:
    """Raise ``ScenarioError`` naming the first missing or inconsistent part."""

    def fail(problem: str) -> None:
        raise ScenarioError(f"scenario {scenario.code or '(no code)'}: {problem}")

    if not scenario.code or not scenario.code.replace("_", "").isalnum():
        fail("code must be a non-empty identifier")
    for name in ("name", "description"):
        text = getattr(scenario, name)
        if not isinstance(text, Text) or not text.complete:
            fail(f"{name} needs both a Chinese and an English text")
    if scenario.group not in GROUPS:
        fail(f"group {scenario.group!r} is not one of {sorted(GROUPS)}")
    if not scenario.dimension:
        fail("dimension is missing")
    unknown_fields = set(scenario.required_fields) - SUBMISSION_FIELDS
    if "order_id" not in scenario.required_fields or unknown_fields:
        fail(f"required_fields must include order_id, within {sorted(SUBMISSION_FIELDS)}")
    if not all(callable(check) for check in scenario.eligibility):
        fail("every eligibility check must be a function of (order, facts)")
    _validate_rules(scenario, fail)
    _validate_exemption(scenario, fail)


def _validate_rules(scenario: Scenario, fail: Callable[[str], None]) -> None:
    if scenario.sub_reasons:
        if "reason" not in scenario.required_fields:
            fail("a scenario with sub-reasons must require the reason field")
        if scenario.rule is not None:
            fail("with sub-reasons, each sub-reason has the rule (rule must be None)")
        codes = scenario.sub_reason_codes
        if len(set(codes)) != len(codes):
            fail("sub-reason codes repeat")
        for sub in scenario.sub_reasons:
            if not sub.code or not sub.name.complete:
                fail(f"sub-reason {sub.code!r} needs a code and both texts")
    elif scenario.rule is None:
        fail("a rule is missing")
    for rule in scenario.rules():
        if not isinstance(rule, Rule) or not rule.paths:
            fail("every rule needs at least one alternative (path)")
        names = [path.name for path in rule.paths]
        if not all(names) or len(set(names)) != len(names):
            fail("a rule's alternatives need distinct names")
        if not rule.rejected_reasons:
            fail("a rule must list the reasons it can reject with")
        undeclared = [name for name in rule.windows if name not in rule.thresholds]
        if undeclared:
            fail(f"a rule's windows must be among its thresholds: {', '.join(undeclared)}")
    for sub_reason, rule in rules_by_reason(scenario):
        _dry_run(scenario, sub_reason, rule, fail)
    for codes in scenario.decision_reasons().values():
        for code in codes:
            text = scenario.reasons.get(code) or _generic_text(code)
            if text is None or not text.complete:
                fail(f"reason code {code!r} needs both a Chinese and an English text")


def rules_by_reason(scenario: Scenario) -> list[tuple[str | None, Rule]]:
    if scenario.rule is not None:
        return [(None, scenario.rule)]
    return [(sub.code, sub.rule) for sub in scenario.sub_reasons]


#: The moment of the dry run (a constant: the domain reads no clock).
DRY_RUN_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _dry_run(
    scenario: Scenario, reason: str | None, rule: Rule, fail: Callable[[str], None]
) -> None:
    """Assess an ordinary paid order once with the rule's default thresholds: a rule that
    reads a threshold it does not declare, checks nothing, or rejects with a code it does
    not list fails here, at registration, instead of as a 500 at run time."""
    case = dry_run_case(scenario.code, reason, rule)
    try:
        result = assess(rule, case)
    except KeyError as exc:
        fail(f"a rule reads threshold {exc.args[0]!r}, which it does not declare")
        return
    except ValueError as exc:  # a window not in ``Rule.windows``
        fail(f"a rule counts in a window it does not declare: {exc}")
        return
    if not result.criteria:
        fail("a rule checked no criterion")
    if result.outcome == "rejected" and result.reason_code not in rule.rejected_reasons:
        fail(f"a rule rejected with {result.reason_code!r}, not among its rejected_reasons")


def dry_run_case(scenario: str, reason: str | None, rule: Rule) -> Case:
    """An ordinary paid order, its buyer's only one, as of ``DRY_RUN_AT`` with default
    thresholds: what the registry assesses every rule on once (and what lists the
    criteria a rule reports).  The buyer's activity is read as the assessment reads it
    for ``rule`` (its declared windows' first days fact by fact, the others as day
    counters), so a rule counting since a window it does not declare fails here."""
    order = OrderData(
        order_id="dry-run",
        seller_id="dry-run-seller",
        buyer_id="dry-run-buyer",
        status="paid",
        placed_at=DRY_RUN_AT - timedelta(days=1),
        paid_at=DRY_RUN_AT - timedelta(hours=23),
    )
    thresholds = Thresholds()
    plan = read_plan(DRY_RUN_AT, thresholds.window_days, window_days(rule, thresholds))
    return Case(
        scenario=scenario,
        reason=reason,
        seller_id=order.seller_id,
        order=OrderFacts(order=order),
        buyer=BuyerActivity(orders=(order,), seller_id=order.seller_id, item_days=plan.item_days),
        now=DRY_RUN_AT,
        thresholds=thresholds,
    )


def _validate_exemption(scenario: Scenario, fail: Callable[[str], None]) -> None:
    if not scenario.exemption:
        fail("exemption is missing (what an uphold exempts)")
    for exemption in scenario.exemption:
        if exemption.scope not in EXEMPTION_SCOPES:
            fail(
                f"exemption scope {exemption.scope!r} is not one the exemption job applies "
                f"({', '.join(sorted(EXEMPTION_SCOPES))})"
            )
        if not exemption.metrics or set(exemption.metrics) - set(METRIC_CODES):
            fail(f"exemption metrics must be among {', '.join(METRIC_CODES)}")


def _generic_text(code: str) -> Text | None:
    return next((texts[code] for texts in GENERIC_REASONS.values() if code in texts), None)


class Registry:
    """The scenarios by code, each validated (``validate``) when registered."""

    def __init__(self, records: Iterable[Scenario]) -> None:
        self._by_code: dict[str, Scenario] = {}
        for record in records:
            self._add(record)

    def _add(self, record: Scenario) -> None:
        validate(record)
        if record.code in self._by_code:
            raise ScenarioError(f"scenario {record.code}: registered twice")
        for code, text in record.reasons.items():
            other = self.reason_text(code)
            if other is not None and other != text:
                raise ScenarioError(
                    f"scenario {record.code}: reason code {code!r} already has another text"
                )
        known = self.threshold_defaults()
        for rule in record.rules():
            for name, value in rule.thresholds.items():
                if name in known and known[name] != value:
                    raise ScenarioError(
                        f"scenario {record.code}: threshold {name!r} already has another "
                        "default (thresholds are configured by name)"
                    )
        self._by_code[record.code] = record

    def get(self, code: str) -> Scenario | None:
        return self._by_code.get(code)

    def __getitem__(self, code: str) -> Scenario:
        return self._by_code[code]

    def threshold_defaults(self) -> dict[str, float]:
        """Every rule threshold by name, with its default (configurable by name)."""
        return {
            name: value
            for record in self._by_code.values()
            for rule in record.rules()
            for name, value in rule.thresholds.items()
        }

    def __iter__(self) -> Iterator[Scenario]:
        return iter(tuple(self._by_code.values()))

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

    def reason_text(self, code: str) -> Text | None:
        """The text of a decision reason code of any scenario (or a generic one)."""
        for record in self._by_code.values():
            if code in record.reasons:
                return record.reasons[code]
        return _generic_text(code)

    @contextmanager
    def extended(self, record: Scenario) -> Iterator[Scenario]:
        """``record`` registered for the duration of the block (tests; a scenario being
        tried out)."""
        self._add(record)
        try:
            yield record
        finally:
            self._by_code.pop(record.code, None)
