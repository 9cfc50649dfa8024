from datetime import timedelta

import pytest

from bench.dynamo_calls import count_dynamodb_calls
from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.config import Settings
from chalicelib.services.assessment import assess_order
from tests.builders import T0, order_event, review_event

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
    assert assess_and_count() == small == 2  # buyer activity + other sellers' upholds
