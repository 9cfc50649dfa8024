"""Scenario eligibility (docs/product.md): may this seller file this scenario on this order?

``check_eligibility`` applies what every scenario shares (the seller's own order, the
sub-reason) and then the scenario record's own checks; the checks scenarios use are
defined here, each once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.errors import NotEligible, NotFound
from chalicelib.domain.facts import OrderData, OrderFacts

if TYPE_CHECKING:  # the scenario records import the checks below
    from chalicelib.domain.scenario import Scenario


def has_negative_review(order: OrderData, facts: OrderFacts) -> None:
    if not any(r.rating <= 2 and r.seller_id == order.seller_id for r in facts.reviews):
        raise NotEligible(
            "malicious_review needs a review rated 1-2 on this order", code="no_negative_review"
        )


def has_dispute(order: OrderData, facts: OrderFacts) -> None:
    if not any(d.seller_id == order.seller_id for d in facts.disputes):
        raise NotEligible("malicious_dispute needs a dispute on this order", code="no_dispute")


def paid_not_shipped(order: OrderData, facts: OrderFacts) -> None:
    if not order.is_paid:
        raise NotEligible("the order has not been paid", code="order_not_paid")
    if order.is_shipped:
        raise NotEligible("the order has already been shipped", code="order_already_shipped")


def check_eligibility(
    scenario: Scenario, seller_id: str, facts: OrderFacts, reason: str | None
) -> OrderData:
    """Return the order when ``seller_id`` may file ``scenario`` on it; raise otherwise.

    An order that does not exist and an order of another seller are the same 404.
    """
    order = facts.order
    if order is None or order.seller_id != seller_id:
        raise NotFound("order not found")
    if scenario.sub_reasons:
        if reason is None:
            raise NotEligible(
                f"{scenario.code} needs a reason: one of {', '.join(scenario.sub_reason_codes)}",
                code="reason_required",
            )
        if reason not in scenario.sub_reason_codes:
            raise NotEligible(
                f"unknown reason {reason!r} for {scenario.code}", code="reason_not_applicable"
            )
    elif reason is not None:
        raise NotEligible(f"{scenario.code} takes no reason", code="reason_not_applicable")
    for check in scenario.eligibility:
        check(order, facts)
    return order
