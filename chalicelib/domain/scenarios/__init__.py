"""The scenarios (docs/product.md), one module each, and the registry built from them.

Each module holds one ``Scenario`` record (``chalicelib.domain.scenario``): labels, group,
dimension, fields and sub-reasons, eligibility checks, rule alternatives with their
criteria and thresholds, reason texts, and what an uphold exempts.  The registry checks
every record when this package is imported, so an incomplete scenario fails at import
(and in the test suite), never at run time.

**Adding a scenario**: write a module like ``malicious_harassment.py`` with its
``SCENARIO`` and add it to ``REGISTRY`` below.  Nothing else changes: the catalogue
(``GET /scenarios``), submission and eligibility, the rules, reviewers' reason codes, the
SLA sweep and the exemption job all read the record.  A test can register one for its own
duration with ``REGISTRY.extended(record)``.
"""

from __future__ import annotations

from chalicelib.domain.rules import Assessment, Case, assess
from chalicelib.domain.scenario import Registry, Scenario
from chalicelib.domain.scenarios import (
    malicious_dispute,
    malicious_harassment,
    malicious_ordering,
    malicious_review,
    non_fulfillment_protection,
)

REGISTRY = Registry(
    [
        malicious_ordering.SCENARIO,
        malicious_review.SCENARIO,
        malicious_dispute.SCENARIO,
        malicious_harassment.SCENARIO,
        non_fulfillment_protection.SCENARIO,
    ]
)


def get_scenario(code: str) -> Scenario | None:
    return REGISTRY.get(code)


def assess_case(case: Case) -> Assessment:
    """Judge ``case`` by its scenario's rule (of its sub-reason, if any)."""
    scenario = REGISTRY.get(case.scenario)
    if scenario is None:
        raise KeyError(f"unknown scenario {case.scenario!r}")
    return assess(scenario.rule_for(case.reason), case)
