"""May this seller file this scenario on this order?  One answer for the submission
(``POST /complaints``) and for the filing form's question (``GET /orders/{id}/eligibility``):
both call ``eligible_order``, so the form can never promise what the submission refuses, or
the reverse.

The answer for the form, per registered scenario:

* ``eligible`` and, when not, the ``reason_code`` a submission would be refused with (422);
* a scenario with sub-reasons (``non_fulfillment_protection``) is answered per sub-reason,
  each exactly as a submission with that ``reason`` would be, and the scenario is eligible
  when at least one of its sub-reasons is (when none is, its ``reason_code`` is the first
  sub-reason's refusal).  A submission without a reason is refused with
  ``reason_required`` whatever the order: that is the form's to ask, not the order's, so the
  answer never reports it;
* ``complaint_id``: the complaint already filed for (order, scenario), if any — filing
  again is then a 409 even when ``eligible`` is true (``eligible`` speaks of the order).

Requests: one Query of the order's partition and one BatchGetItem of the scenarios'
complaint ids (``complaint_id_for``), whatever the seller's volume.
"""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.domain.complaints import complaint_id_for
from chalicelib.domain.eligibility import check_eligibility
from chalicelib.domain.errors import NotEligible, NotFound
from chalicelib.domain.facts import OrderData, OrderFacts, is_fact_id
from chalicelib.domain.scenario import Scenario
from chalicelib.domain.scenarios import REGISTRY, get_scenario
from chalicelib.services.ports import ComplaintRefs, OrderFactsReader


def eligible_order(
    seller_id: str, facts: OrderFacts, scenario: str, reason: str | None
) -> tuple[Scenario, OrderData]:
    """The scenario's record and the order when ``seller_id`` may file ``scenario`` (with
    sub-reason ``reason``) on the order of ``facts``; raise ``NotFound`` (no such order, or
    another seller's) or ``NotEligible`` (with the refusal's code) otherwise."""
    definition = get_scenario(scenario)
    if definition is None:
        raise NotEligible(f"unknown scenario {scenario!r}", code="unknown_scenario")
    return definition, check_eligibility(definition, seller_id, facts, reason)


def refusal(seller_id: str, facts: OrderFacts, scenario: str, reason: str | None) -> str | None:
    """The code ``eligible_order`` refuses with (None: eligible)."""
    try:
        eligible_order(seller_id, facts, scenario, reason)
    except NotEligible as refused:
        return refused.code
    return None


class SubReasonEligibility(NamedTuple):
    code: str
    eligible: bool
    reason_code: str | None


class ScenarioEligibility(NamedTuple):
    scenario: Scenario
    eligible: bool
    reason_code: str | None
    sub_reasons: tuple[SubReasonEligibility, ...]
    complaint_id: str | None


def _scenario_eligibility(
    scenario: Scenario, seller_id: str, facts: OrderFacts, complaint_id: str | None
) -> ScenarioEligibility:
    if not scenario.sub_reasons:
        code = refusal(seller_id, facts, scenario.code, None)
        return ScenarioEligibility(scenario, code is None, code, (), complaint_id)
    subs = tuple(
        SubReasonEligibility(reason, code is None, code)
        for reason in scenario.sub_reason_codes
        for code in (refusal(seller_id, facts, scenario.code, reason),)
    )
    eligible = any(sub.eligible for sub in subs)
    first_refusal = None if eligible else subs[0].reason_code
    return ScenarioEligibility(scenario, eligible, first_refusal, subs, complaint_id)


def order_eligibility(
    facts_reader: OrderFactsReader, complaints: ComplaintRefs, *, seller_id: str, order_id: str
) -> tuple[OrderData, list[ScenarioEligibility]]:
    """The order and, for every registered scenario, whether the seller may file it (see
    the module's docstring).  Another seller's order is the same ``NotFound`` as a missing
    one, and reads no complaint; an id no order can have reads nothing."""
    if not is_fact_id(order_id):
        raise NotFound("order not found")
    facts = facts_reader.order_facts(order_id)
    order = facts.order
    if order is None or order.seller_id != seller_id:
        raise NotFound("order not found")
    scenarios = list(REGISTRY)
    filed = {
        ref.scenario: ref.complaint_id
        for ref in complaints.refs([complaint_id_for(order.order_id, s.code) for s in scenarios])
        if ref.seller_id == seller_id and ref.order_id == order.order_id
    }
    return order, [
        _scenario_eligibility(scenario, seller_id, facts, filed.get(scenario.code))
        for scenario in scenarios
    ]
