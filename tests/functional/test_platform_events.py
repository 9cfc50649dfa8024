import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.models import fact_model
from chalicelib.config import Settings
from tests.builders import order_event, review_event
from tests.functional.conftest import Api


def _facts_snapshot(settings: Settings) -> list[dict[str, Any]]:
    items = [
        {k: v for k, v in item.to_simple_dict().items() if k not in ("recorded_at", "expires_at")}
        for item in fact_model(settings).scan()
    ]
    return sorted(items, key=lambda i: (i["pk"], i["sk"]))


def test_batch_results_per_event_and_a_bad_event_does_not_block_the_rest(
    api: Api, settings: Settings
) -> None:
    good = order_event("o-1", status="paid", version=2)
    bad = order_event("o-2")
    bad["data"]["rating"] = 9
    del bad["data"]["buyer_id"]
    results = api.events(good, bad, "not an object", review_event("r-1", "o-1", rating=2))  # type: ignore[arg-type]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "accepted"]
    assert results[1]["event_id"] == bad["event_id"]
    assert results[1]["error"]["details"] == [
        {"field": "data.buyer_id", "problem": "Field required"}
    ]
    assert FactRepository(settings).order_facts("o-2").order is None


def test_duplicate_and_out_of_order_events_change_nothing(api: Api, settings: Settings) -> None:
    v1 = order_event("o-1", status="placed", version=1)
    v2 = order_event("o-1", status="paid", version=2)
    assert [r["status"] for r in api.events(v2)] == ["accepted"]
    snapshot = _facts_snapshot(settings)
    assert [r["status"] for r in api.events(v1, v2)] == ["stale", "duplicate"]
    assert _facts_snapshot(settings) == snapshot
    assert FactRepository(settings).order_facts("o-1").order.status == "paid"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"events": []}, 400), ({"events": [{}] * 101}, 400), ({"event": []}, 400)],
)
def test_batch_limits(api: Api, body: dict[str, Any], status: int) -> None:
    reply = api.call("POST", "/platform/events", body, seller="platform", role="system")
    assert reply.status == status


def _sqs_event(client: Client, *bodies: str) -> Any:
    event = client.events.generate_sqs_event(
        message_bodies=list(bodies), queue_name="seller-report-center-facts"
    )
    for index, record in enumerate(event["Records"]):
        record["messageId"] = f"msg-{index}"
    return event


def test_queue_consumer_shares_the_code_path_and_fails_only_poison_messages(
    api: Api, client: Client, settings: Settings
) -> None:
    good = order_event("o-1", status="paid")
    invalid = order_event("o-2")
    invalid["version"] = "three"
    event = _sqs_event(
        client,
        json.dumps(good),
        "{broken",
        json.dumps(invalid),
        json.dumps(review_event("r-1", "o-1", rating=1)),
    )
    result = client.lambda_.invoke("on_fact_messages", event).payload
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]
    }
    facts = FactRepository(settings).order_facts("o-1")
    assert facts.order is not None and [r.rating for r in facts.reviews] == [1]
    snapshot = _facts_snapshot(settings)
    again = client.lambda_.invoke("on_fact_messages", event).payload  # redelivery
    assert again == result
    assert _facts_snapshot(settings) == snapshot
