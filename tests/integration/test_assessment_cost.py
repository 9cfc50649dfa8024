from datetime import timedelta
from typing import Any

import pytest

from bench.dynamo_calls import count_dynamodb_calls, dynamodb_hooks
from bench.operations import BUDGETS, seed_buyer_window
from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.services.assessment import assess_order
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
    # the facts of the window's first day and of today, the day counters between (the
    # buyer's and at this seller), other sellers' upholds
    assert assess_and_count() == small == 5


@pytest.mark.parametrize("backend", ["dynalite"], indirect=True)  # moto's index Query is O(table)
def test_submit_costs_the_same_for_a_buyer_with_5_orders_and_with_500(settings: Settings) -> None:
    """The assessment reads a buyer's window as day counters and its partial days fact by
    fact (``domain/buyer_activity.py``): filing against a buyer with 5 orders in the window
    and against one with 500 over 90 days, at several sellers, costs the same requests —
    the budget of a submission."""
    adapters = Adapters.from_settings(settings)
    seed_buyer_window(adapters.facts, "b-few", 5, T0)
    seed_buyer_window(adapters.facts, "b-many", 500, T0)
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

    assert cost("o-b-few-0") == cost("o-b-many-0") == BUDGETS["submit (pending)"]
    # and what it reads is a day counter item per day (the buyer's, and at s-1) and the
    # partial days' facts (3 days of about 6 orders), not the 500 orders
    assert read[1] <= 2 * 90 + 3 * 7 < 500
