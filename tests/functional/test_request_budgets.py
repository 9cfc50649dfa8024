"""DynamoDB requests per business operation stay within the documented budgets (README).
Request counts are deterministic, so they are asserted exactly; times are not asserted."""

from datetime import timedelta
from typing import Any

import boto3
from chalice.test import Client

from bench.operations import BUDGETS, Harness, measure, order
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.config import Settings
from tests.builders import T0


def test_every_operation_costs_exactly_its_budget(
    client: Client, settings: Settings, clock: Any
) -> None:
    def set_now(when: Any) -> None:
        clock.current = when

    def upload(key: str, data: bytes) -> None:
        boto3.client("s3", region_name=settings.region).put_object(
            Bucket=settings.files_bucket, Key=key, Body=data
        )

    measured = measure(Harness(client, settings, set_now), T0, upload)
    assert measured == BUDGETS


def test_the_order_list_and_eligibility_cost_the_same_whatever_the_sellers_volume(
    client: Client, settings: Settings, clock: Any
) -> None:
    """A seller with a few orders, then with 130 (and complaints on some): a page of up to
    100 orders, the next page, and one order's eligibility cost the same requests."""
    h = Harness(client, settings, lambda when: setattr(clock, "current", when))

    facts = FactRepository(settings)

    def ingest(first: int, count: int) -> None:
        # stored as ingestion stores them (the metric counters, which these reads do not
        # touch, are left out: that would only make the test slower)
        for i in range(first, first + count):
            raw = order(f"o-{i}", buyer=f"b-{i}", placed_at=T0 - timedelta(hours=i))
            assert facts.apply(parse_event(raw), T0) == "accepted"

    def costs() -> tuple[int, int, int]:
        first_page: dict[str, Any] = {}
        listing = h.counted(lambda: first_page.update(h.http("GET", "/orders?limit=100")))
        cursor = first_page["next_cursor"]
        path = "/orders?limit=100" + (f"&cursor={cursor}" if cursor else "")
        return (
            listing,
            h.counted(lambda: h.http("GET", path)),
            h.counted(lambda: h.http("GET", "/orders/o-0/eligibility")),
        )

    ingest(0, 5)
    few = costs()
    ingest(5, 125)
    for i in range(0, 20, 2):
        h.http(
            "POST",
            "/complaints",
            {"order_id": f"o-{i}", "scenario": "malicious_ordering", "description": "bench"},
        )
    many = costs()
    page = h.http("GET", "/orders?limit=100")
    assert len(page["items"]) == 100 and page["next_cursor"]
    budget = (BUDGETS["orders page"], BUDGETS["orders page"], BUDGETS["order eligibility"])
    assert few == many == budget
