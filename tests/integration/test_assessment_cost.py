from datetime import timedelta
from typing import Any

import pytest

from bench.dynamo_calls import count_dynamodb_calls, dynamodb_hooks
from bench.operations import BUDGETS, HEAVY_BUYER_ORDERS, HEAVY_SUBMIT, seed_buyer_window
from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.services.assessment import ACTIVITY_PAGE_LIMIT, assess_order
from tests.builders import T0, order_event, review_event, submit

pytestmark = pytest.mark.usefixtures("aws")


def test_assessment_requests_do_not_grow_with_the_buyers_history(settings: Settings) -> None:
    facts, complaints = FactRepository(settings), ComplaintRepository(settings)
    facts.apply(parse_event(order_event("o-now", status="delivered")), T0)

    def assess_and_count() -> int:
        order = facts.order_facts("o-now")
        with count_dynamodb_calls(settings) as calls:
            result = assess_order(
                complaints,
                facts,
                scenario="malicious_review",
                reason=None,
                seller_id="s-1",
                buyer_id="b-1",
                order=order,
                now=T0,
                thresholds=settings.thresholds,
            )
        assert result.outcome == "rejected"
        return sum(calls.values())

    small = assess_and_count()
    for i in range(150):  # a long history, all older than the 90-day window
        placed = T0 - timedelta(days=100 + i)
        facts.apply(parse_event(order_event(f"o-old-{i}", placed_at=placed)), T0)
        facts.apply(
            parse_event(
                review_event(
                    f"r-old-{i}", f"o-old-{i}", rating=1, posted_at=placed + timedelta(days=1)
                )
            ),
            T0,
        )
    # one page of the window's facts (the old history is outside it), other sellers' upholds
    assert assess_and_count() == small == 2


@pytest.mark.parametrize("backend", ["dynalite"], indirect=True)  # moto's index Query is O(table)
def test_submit_costs_the_same_for_a_buyer_with_500_orders_and_with_2000(
    settings: Settings,
) -> None:
    """The assessment reads a buyer's window in one page of facts when it holds them all
    (``services/assessment.py``), else as day counters and its partial days fact by fact
    (``domain/buyer_activity.py``): filing against a buyer with 5 orders in the window
    costs a submission's budget; against one with 500, or 2,000, over 90 days at several
    sellers, the heavy buyer's budget — the same whatever the number of orders."""
    assert 5 < ACTIVITY_PAGE_LIMIT < 500 and HEAVY_BUYER_ORDERS > ACTIVITY_PAGE_LIMIT
    adapters = Adapters.from_settings(settings)
    seed_buyer_window(adapters.facts, "b-few", 5, T0)
    seed_buyer_window(adapters.facts, "b-many", 500, T0)
    seed_buyer_window(adapters.facts, "b-most", 2_000, T0)
    days = adapters.facts.buyer_days("b-many", None, (T0 - timedelta(days=89)).date(), T0.date())
    assert len(days) > 80

    read: list[int] = []

    def count_items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            read[-1] += int(parsed.get("Count", 0))

    def cost(order_id: str) -> int:
        read.append(0)
        with (
            count_dynamodb_calls(settings) as calls,
            dynamodb_hooks(settings, {"after-call.dynamodb.*": count_items}),
        ):
            complaint = submit(adapters, settings, order_id, seller_id="s-1")
        assert complaint.status == "pending"
        return sum(calls.values())

    assert cost("o-b-few-0") == BUDGETS["submit (pending)"]
    assert cost("o-b-many-0") == cost("o-b-most-0") == BUDGETS[HEAVY_SUBMIT]
    # what the heavy buyers' submissions read is bounded whatever their orders: the first
    # page, a day counter item per day (the buyer's, and at s-1) and the partial days'
    # facts (3 days, at most 23 orders a day here) — not all of the 2,000 orders
    bound = ACTIVITY_PAGE_LIMIT + 2 * 91 + 3 * 23
    assert read[1] <= bound and read[2] <= bound < 2_000
