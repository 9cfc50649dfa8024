"""The registry refuses an incomplete or inconsistent scenario record when it is built — at
import and here — so a missing piece is never a 500 or a crashed job at run time
(issue 13)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.rules import Case, Criterion, Rule, at_least, fixed, path
from chalicelib.domain.scenario import Exemption, Registry, Scenario, ScenarioError, SubReason
from chalicelib.domain.scenarios import REGISTRY, malicious_harassment
from chalicelib.domain.text import Text

BASE = malicious_harassment.SCENARIO
RULE = BASE.rule
assert RULE is not None


def _renamed(**changes: Any) -> Scenario:
    return replace(BASE, **{"code": "sixth", **changes})


def reads_undeclared(case: Case) -> list[Criterion]:
    return [at_least("x", 1, case.thresholds["nobody_declared_this"])]


def checks_nothing(case: Case) -> list[Criterion]:
    return []


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (_renamed(code=""), "code"),
        (_renamed(name=Text("恶意", "")), "name needs both"),
        (_renamed(description=Text("", "x")), "description needs both"),
        (_renamed(group="nowhere"), "group"),
        (_renamed(dimension=""), "dimension"),
        (_renamed(required_fields=("description",)), "required_fields"),
        (_renamed(required_fields=("order_id", "seller_id")), "required_fields"),
        (_renamed(eligibility=("has_dispute",)), "eligibility"),
        (_renamed(rule=None), "rule is missing"),
        (_renamed(rule=RULE._replace(paths=())), "at least one alternative"),
        (_renamed(rule=RULE._replace(rejected_reasons=())), "reasons it can reject"),
        (
            _renamed(rule=RULE._replace(paths=(path("p", reads_undeclared),))),
            "threshold 'nobody_declared_this'",
        ),
        (_renamed(rule=RULE._replace(paths=(path("p", checks_nothing),))), "no criterion"),
        # counts since harassment_days without declaring it a window: its first day would
        # be read as day counters, so the count could not be exact to the instant
        (_renamed(rule=RULE._replace(windows=())), "counts in a window it does not declare"),
        (_renamed(rule=RULE._replace(windows=("a_week",))), "windows must be among"),
        (
            _renamed(rule=RULE._replace(rejected_reason=fixed("not_listed"))),
            "'not_listed', not among",
        ),
        (
            _renamed(reasons={**BASE.reasons, "harassment_confirmed": Text("确认", "")}),
            "'harassment_confirmed' needs both",
        ),
        (
            _renamed(reasons={"order_behaviour_normal": BASE.reasons["order_behaviour_normal"]}),
            "'harassment_confirmed' needs both",
        ),
        (_renamed(exemption=()), "exemption is missing"),
        (_renamed(exemption=(Exemption("whole_store", ("cancellation_rate",)),)), "scope"),
        (_renamed(exemption=(Exemption("order", ("happiness_rate",)),)), "metrics"),
        (_renamed(exemption=(Exemption("order", ()),)), "metrics"),
        (
            _renamed(sub_reasons=(SubReason("a", Text("甲", "A"), RULE),)),
            "must require the reason",
        ),
        (
            _renamed(
                required_fields=("order_id", "description", "reason"),
                sub_reasons=(SubReason("a", Text("甲", "A"), RULE),),
            ),
            "rule must be None",
        ),
    ],
)
def test_an_incomplete_record_is_refused_naming_what_is_missing(
    record: Scenario, problem: str
) -> None:
    with pytest.raises(ScenarioError, match=problem.replace("(", r"\(")):
        Registry([record])


def test_a_scenario_is_registered_once_and_shared_names_keep_one_meaning() -> None:
    with pytest.raises(ScenarioError, match="registered twice"):
        Registry([BASE, BASE])
    other_text = _renamed(
        reasons={**BASE.reasons, "order_behaviour_normal": Text("正常", "Normal enough")}
    )
    with pytest.raises(ScenarioError, match="another text"):
        Registry([BASE, other_text])
    other_default = _renamed(
        rule=RULE._replace(thresholds={**RULE.thresholds, "harassment_days": 8})
    )
    with pytest.raises(ScenarioError, match="another default"):
        Registry([BASE, other_default])


def test_the_five_scenarios_are_complete_and_a_complete_sixth_is_accepted() -> None:
    assert REGISTRY.codes() == (
        "malicious_ordering",
        "malicious_review",
        "malicious_dispute",
        "malicious_harassment",
        "non_fulfillment_protection",
    )
    sixth = _renamed()
    registry = Registry([*REGISTRY, replace(sixth, reasons=BASE.reasons)])
    assert registry["sixth"].rule_for(None) is RULE


def test_extending_the_registry_lasts_for_the_block_only() -> None:
    sixth = _renamed()
    with REGISTRY.extended(sixth):
        assert REGISTRY["sixth"] is sixth
    assert "sixth" not in REGISTRY
    with pytest.raises(ScenarioError), REGISTRY.extended(_renamed(exemption=())):
        pass
    assert "sixth" not in REGISTRY


def test_every_rule_reads_only_thresholds_it_declares() -> None:
    for scenario in REGISTRY:
        for rule in scenario.rules():
            assert isinstance(rule, Rule) and rule.paths, scenario.code
    assert REGISTRY.threshold_defaults()["other_sellers_upheld"] == 2


def test_the_exemption_job_applies_exactly_the_scopes_a_record_may_name() -> None:
    from chalicelib.domain.metrics import EXEMPTION_SCOPES
    from chalicelib.services.exemptions import APPLIED_SCOPES

    assert APPLIED_SCOPES == EXEMPTION_SCOPES
