"""The bench's DynamoDB hooks (``bench/dynamo_calls.py``): what they count and time is what
the README's request budgets and API-overhead ratios are made of."""

from __future__ import annotations

from typing import Any

import pytest

from bench.dynamo_calls import count_dynamodb_calls, time_dynamodb_calls
from chalicelib.adapters.models import fact_model
from chalicelib.config import Settings

pytestmark = [pytest.mark.parametrize("backend", ["moto"], indirect=True)]


def test_one_count_and_one_duration_per_request_inside_the_block(
    aws: None, settings: Settings
) -> None:
    facts = fact_model(settings)
    with count_dynamodb_calls(settings) as calls, time_dynamodb_calls(settings) as durations:
        facts("ORDER#1", "ORDER").save()
        list(facts.query("ORDER#1"))
        facts.get("ORDER#1", "ORDER")
    facts.get("ORDER#1", "ORDER")  # after the block: neither counted nor timed

    assert calls == {"PutItem": 1, "Query": 1, "GetItem": 1}
    assert len(durations) == 3
    assert all(d > 0 for d in durations)


def test_the_timer_starts_before_the_request_is_serialised(aws: None, settings: Settings) -> None:
    """A request made directly costs its whole SDK call, serialisation included."""
    facts = fact_model(settings)
    client = facts._get_connection().connection.client
    started_before_build: list[bool] = []

    def on_build(context: dict[str, Any], **_: Any) -> None:
        started_before_build.append("bench_started" in context)

    client.meta.events.register("before-parameter-build.dynamodb.Query", on_build, "probe")
    try:
        with time_dynamodb_calls(settings):
            list(facts.query("ORDER#1"))
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Query", unique_id="probe")
    assert started_before_build == [True]
