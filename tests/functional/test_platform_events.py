import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.models import fact_model
from chalicelib.config import Settings
from tests.builders import (
    T0,
    buyer_event,
    dispute_event,
    message_event,
    order_event,
    review_event,
)
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
        {"field": "data.buyer_id", "problem": "Field required"},
        {"field": "data.rating", "problem": "Extra inputs are not permitted"},
    ]
    assert FactRepository(settings).order_facts("o-2").order is None


def test_duplicate_and_out_of_order_events_change_nothing(api: Api, settings: Settings) -> None:
    v1 = order_event("o-1", status="placed", version=1)
    v2 = order_event("o-1", status="paid", version=2)
    assert [r["status"] for r in api.events(v2)] == ["accepted"]
    snapshot = _facts_snapshot(settings)
    assert [r["status"] for r in api.events(v1, v2)] == ["stale", "duplicate"]
    # the stale event changed no fact or counter; only its id is remembered (a marker)
    after = _facts_snapshot(settings)
    added = [i for i in after if i not in snapshot]
    assert [(i["pk"], i["type"]) for i in added] == [(f"EVENT#{v1['event_id']}", "event")]
    assert [r["status"] for r in api.events(v1)] == ["duplicate"]
    assert _facts_snapshot(settings) == after
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


# --- poison events, strict types, contradictions (issue 12.8, 12.9) -----------------------
FAR_OFF = ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z"]


def _poisoned(field: str, value: str) -> dict[str, Any]:
    if field == "occurred_at":
        event = order_event("o-poison")
        event["occurred_at"] = value
        return event
    if field == "posted_at":
        event = review_event("r-poison", "o-good-1", rating=1)
    elif field == "opened_at":
        event = dispute_event("d-poison", "o-good-1")
    else:
        event = order_event("o-poison")
    event["data"][field] = value
    return event


@pytest.mark.parametrize("value", FAR_OFF)
@pytest.mark.parametrize("field", ["placed_at", "posted_at", "opened_at", "occurred_at"])
def test_a_far_off_time_is_rejected_alone_and_its_neighbours_are_stored(
    api: Api, settings: Settings, field: str, value: str
) -> None:
    good, good2 = order_event("o-good-1", status="paid"), order_event("o-good-2", status="paid")
    results = api.events(good, _poisoned(field, value), good2)
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    named = [d["field"] for d in results[1]["error"]["details"]]
    assert named == [field if field == "occurred_at" else f"data.{field}"]
    repo = FactRepository(settings)
    assert repo.order_facts("o-good-1").order is not None
    assert repo.order_facts("o-good-2").order is not None
    assert repo.order_facts("o-poison").order is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"version": "3"}, "version"),
        ({"version": True}, "version"),
        ({"data": {"custom_item": "yes"}}, "data.custom_item"),
        ({"data": {"custom_item": 1}}, "data.custom_item"),
        ({"data": {"discount": 5}}, "data.discount"),
        (
            {"data": {"shipping_address": {"recipient": "A", "planet": "Mars"}}},
            "data.shipping_address.planet",
        ),
    ],
)
def test_types_are_strict_and_unknown_data_fields_are_refused(
    api: Api, settings: Settings, change: dict[str, Any], field: str
) -> None:
    event = order_event("o-1")
    event.update({k: v for k, v in change.items() if k != "data"})
    event["data"].update(change.get("data", {}))
    [result] = api.events(event)
    assert result["status"] == "rejected"
    assert field in [d["field"] for d in result["error"]["details"]]
    assert FactRepository(settings).order_facts("o-1").order is None


def test_a_rating_must_be_a_number() -> None:
    from chalicelib.adapters.event_schema import parse_event
    from chalicelib.domain.errors import InvalidRequest

    event = review_event("r-1", "o-1", rating=1)
    event["data"]["rating"] = "1"
    with pytest.raises(InvalidRequest) as err:
        parse_event(event)
    assert [d["field"] for d in err.value.details] == ["data.rating"]


@pytest.mark.parametrize(
    "contradicting",
    [
        review_event("r-1", "o-1", rating=1, seller_id="s-2"),
        review_event("r-1", "o-1", rating=1, buyer_id="b-9"),
        dispute_event("d-1", "o-1", seller_id="s-2"),
        order_event("o-1", status="paid", version=2, seller_id="s-2"),
        order_event("o-1", status="paid", version=2, buyer_id="b-9"),
    ],
)
def test_facts_naming_another_seller_or_buyer_than_their_order_are_refused(
    api: Api, settings: Settings, contradicting: dict[str, Any]
) -> None:
    assert [r["status"] for r in api.events(order_event("o-1"))] == ["accepted"]
    snapshot = _facts_snapshot(settings)
    [result] = api.events(contradicting)
    assert result["status"] == "rejected" and result["error"]["code"] == "contradicts_order"
    assert _facts_snapshot(settings) == snapshot  # no fact, no marker, no counter moved
    # the same id, corrected, is not a duplicate: nothing of it was remembered
    fixed = {
        **contradicting,
        "data": {**contradicting["data"], "seller_id": "s-1", "buyer_id": "b-1"},
    }
    assert [r["status"] for r in api.events(fixed)] == ["accepted"]


def test_a_reused_event_id_answers_duplicate_over_http(api: Api, settings: Settings) -> None:
    first = order_event("o-1", status="placed", event_id="evt-x")
    assert [r["status"] for r in api.events(first)] == ["accepted"]
    snapshot = _facts_snapshot(settings)
    reused = [
        order_event("o-1", status="paid", version=5, event_id="evt-x"),
        order_event("o-9", status="paid", event_id="evt-x"),
    ]
    assert [r["status"] for r in api.events(*reused)] == ["duplicate", "duplicate"]
    assert _facts_snapshot(settings) == snapshot


def test_an_unexpected_failure_fails_its_own_sqs_message_only(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.jobs import facts_queue

    real = facts_queue.ingest_message

    def flaky(facts: Any, metrics: Any, body: str, now: Any) -> Any:
        if json.loads(body)["data"]["order_id"] == "o-bug":
            raise OverflowError("a bug this message reveals")
        return real(facts, metrics, body, now)

    monkeypatch.setattr(facts_queue, "ingest_message", flaky)
    event = _sqs_event(
        client,
        json.dumps(order_event("o-1")),
        json.dumps(order_event("o-bug")),
        json.dumps(order_event("o-2")),
    )
    result = client.lambda_.invoke("on_fact_messages", event).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    repo = FactRepository(settings)
    assert repo.order_facts("o-1").order is not None and repo.order_facts("o-2").order is not None


def test_a_poison_message_fails_alone_on_the_queue(client: Client, settings: Settings) -> None:
    event = _sqs_event(
        client,
        json.dumps(order_event("o-1")),
        json.dumps(_poisoned("placed_at", "9999-12-31T23:59:59+00:00")),
        json.dumps(order_event("o-2")),
    )
    result = client.lambda_.invoke("on_fact_messages", event).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    repo = FactRepository(settings)
    assert repo.order_facts("o-1").order is not None and repo.order_facts("o-2").order is not None


# --- fuzzing (issue 12.9): any date the schema's type admits, any id length -------------
#: every offset an ISO-8601 time can carry, and every time Python can hold — weighted
#: towards the ends of its range, where arithmetic overflows (hypothesis takes naive bounds)
ANY_OFFSET = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
ANY_TIME = st.one_of(
    st.datetimes(timezones=ANY_OFFSET),
    st.datetimes(max_value=datetime(2, 1, 1), timezones=ANY_OFFSET),  # noqa: DTZ001
    st.datetimes(min_value=datetime(9997, 1, 1), timezones=ANY_OFFSET),  # noqa: DTZ001
).map(lambda t: t.isoformat())
ANY_ID = st.text(alphabet="abcXYZ019_.:-", min_size=1, max_size=400)
TIME_FIELDS = {
    "order": ["placed_at", "paid_at", "shipped_at", "delivered_at"],
    "dispute": ["opened_at", "closed_at"],
    "review": ["posted_at"],
    "buyer": ["registered_at"],
    "message": ["sent_at"],
}


def _fuzzed(kind: str, field: str, when: str, some_id: str) -> dict[str, Any]:
    builders = {
        "order": lambda: order_event(some_id, status="paid"),
        "dispute": lambda: dispute_event(some_id, "o-good-1"),
        "review": lambda: review_event(some_id, "o-good-1", rating=2),
        "buyer": lambda: buyer_event(some_id),
        "message": lambda: message_event(some_id, "o-good-1", sender="buyer", sent_at=T0),
    }
    event = builders[kind]()
    if field == "occurred_at":
        event["occurred_at"] = when
    else:
        event["data"][field] = when
    event["event_id"] = some_id
    return event


@pytest.mark.usefixtures("client")
def test_fuzzed_events_never_fail_their_batch(api: Api, settings: Settings) -> None:
    api.events(order_event("o-good-1", status="paid"))

    @settings_(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        kind=st.sampled_from(sorted(TIME_FIELDS)),
        data=st.data(),
        when=ANY_TIME,
        some_id=ANY_ID,
    )
    def attempt(kind: str, data: Any, when: str, some_id: str) -> None:
        field = data.draw(st.sampled_from([*TIME_FIELDS[kind], "occurred_at"]))
        neighbour = order_event(f"o-n-{uuid.uuid4().hex[:8]}", status="paid")
        reply = api.call(
            "POST",
            "/platform/events",
            {"events": [_fuzzed(kind, field, when, some_id), neighbour]},
            seller="platform",
            role="system",
        )
        assert reply.status == 200, reply.body
        first, second = reply.body["results"]
        assert first["status"] in ("accepted", "duplicate", "stale", "rejected")
        assert second["status"] == "accepted"
        stored = FactRepository(settings).order_facts(neighbour["data"]["order_id"]).order
        assert stored is not None

    attempt()


def test_facts_that_arrive_before_their_order_count_for_no_one_once_it_names_another_seller(
    api: Api,
) -> None:
    """A review and a dispute naming s-1 arrive before their order, which names s-2: once
    the order is known they count against neither seller (black-box finding)."""
    api.events(
        review_event("r-early", "o-late", rating=1, seller_id="s-1"),
        dispute_event("d-early", "o-late", seller_id="s-1"),
    )
    first = api.call("GET", "/metrics", seller="s-1").body["metrics"]
    assert first["negative_review_rate"]["raw"]["denominator"] == 1  # the order is unknown yet
    [result] = api.events(order_event("o-late", seller_id="s-2", status="delivered"))
    assert result["status"] == "accepted"
    for seller in ("s-1", "s-2"):
        shown = api.call("GET", "/metrics", seller=seller).body["metrics"]
        assert shown["negative_review_rate"]["raw"]["denominator"] == 0, seller
        assert shown["dispute_rate"]["raw"]["numerator"] == 0, seller
