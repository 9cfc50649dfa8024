"""A small month (``bench/simulate.py``, ``make simulate`` runs 100,000 complaints): the real
services and jobs on their schedules keep the product's promises through a burst day and a
flash burst that the sweep must fan out."""

from __future__ import annotations

from typing import Any

import pytest

from bench.simulate import Month, Params, simulate, simulated_settings


@pytest.fixture(scope="module")
def month() -> tuple[Month, dict[str, Any]]:
    # a small sweep batch, so that the flash burst overflows a run and is fanned out
    return simulate(Params(complaints=2_000, seed=7), simulated_settings(SWEEP_BATCH="3"))


def test_every_result_and_appeal_is_decided_within_48_hours(month: Any) -> None:
    _, result = month
    promises = result["promises"]
    assert promises["pending_at_end"] == 0
    assert promises["results_hours"]["count"] == promises["complaints"] > 1_900
    assert promises["results_hours"]["later_than_48h"] == 0
    assert promises["results_hours"]["max"] <= 48
    assert promises["appeal_results_hours"]["count"] >= 20
    assert promises["appeal_results_hours"]["later_than_48h"] == 0


def test_each_escalation_happens_exactly_once(month: Any) -> None:
    _, result = month
    escalations = result["promises"]["escalations"]
    assert escalations["published"] > 100
    assert escalations["not_exactly_once"] == 0


def test_every_upheld_exemption_is_applied_within_72_hours(month: Any) -> None:
    _, result = month
    exemptions = result["promises"]["exemptions"]
    assert exemptions["applied"] > 100 and exemptions["unapplied"] == 0
    assert exemptions["later_than_72h"] == 0 and exemptions["lag_hours_max"] <= 72


def test_the_month_exercised_what_it_claims(month: Any) -> None:
    _, result = month
    outcomes = result["outcomes"]
    assert outcomes["recategorised"] > 0 and outcomes["appealed"] > 0
    assert outcomes["review:too_late"] > 0  # some reviewers come after the sweep decided
    assert result["sweep"]["fanned_out"] > 0 and result["sweep_worker"]["runs"] > 0
    assert result["sweep"]["max_simulated_s"] < result["sweep"]["lambda_timeout_s"]
    assert result["exemption_job"]["max_simulated_s"] < result["exemption_job"]["lambda_timeout_s"]
    assert result["sweep"]["stopped_early"] == 0
