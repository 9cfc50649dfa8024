from datetime import timedelta

import pytest

from chalicelib.adapters.event_schema import parse_event
from chalicelib.domain.eligibility import check_eligibility
from chalicelib.domain.errors import InvalidRequest, NotEligible, NotFound
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.scenarios import REGISTRY
from tests.builders import T0, dispute_event, message_event, order_event, review_event


def test_each_event_type_parses_and_knows_where_it_lives() -> None:
    order = parse_event(order_event("o-1", status="paid", buyer_note="hi"))
    assert (order.partition, order.sort_key) == ("ORDER#o-1", "ORDER#")
    assert order.activity_key is not None and order.activity_key.endswith("#ORDER#")
    review = parse_event(review_event("r-1", "o-1", rating=1))
    assert (review.partition, review.sort_key) == ("ORDER#o-1", "REVIEW#r-1")
    dispute = parse_event(dispute_event("d-1", "o-1"))
    assert dispute.sort_key == "DISPUTE#d-1" and dispute.buyer_id == "b-1"
    message = parse_event(message_event("m-1", "o-1", sender="seller", sent_at=T0))
    assert message.activity_key is None  # messages are not in the activity indexes


def test_unknown_fields_are_refused_in_the_envelope_and_in_the_payload() -> None:
    """A misspelt field would otherwise be lost silently (issue 12.8)."""
    raw = order_event("o-1")
    raw["data"]["warehouse"] = "x"
    with pytest.raises(InvalidRequest) as err:
        parse_event(raw)
    assert [d["field"] for d in err.value.details] == ["data.warehouse"]
    raw = order_event("o-1")
    raw["extra"] = 1
    with pytest.raises(InvalidRequest) as err:
        parse_event(raw)
    assert err.value.details[0]["field"] == "extra"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.update(type="refund"), "type"),
        (lambda e: e.pop("event_id"), "event_id"),
        (lambda e: e.update(version=-1), "version"),
        (lambda e: e.update(occurred_at="2026-11-20T08:00:00"), "occurred_at"),
        (lambda e: e["data"].pop("seller_id"), "data.seller_id"),
        (lambda e: e["data"].update(status="lost"), "data.status"),
        (lambda e: e["data"].update(placed_at="yesterday"), "data.placed_at"),
        (lambda e: e["data"].update(order_id="a b"), "data.order_id"),
    ],
)
def test_malformed_events_are_rejected_with_the_field_at_fault(mutate, field) -> None:  # type: ignore[no-untyped-def]
    raw = order_event("o-1")
    mutate(raw)
    with pytest.raises(InvalidRequest) as err:
        parse_event(raw)
    assert err.value.code == "invalid_event"
    assert field in [d["field"] for d in err.value.details]


def test_a_review_rating_outside_1_to_5_is_rejected() -> None:
    with pytest.raises(InvalidRequest):
        parse_event(review_event("r-1", "o-1", rating=6))


def _facts(order_raw, *others):  # type: ignore[no-untyped-def]
    parsed = [parse_event(e).payload for e in others]
    return OrderFacts(
        order=parse_event(order_raw).payload,
        reviews=tuple(p for p in parsed if hasattr(p, "rating")),
        disputes=tuple(p for p in parsed if hasattr(p, "dispute_id")),
    )


def test_an_order_of_another_seller_is_not_found() -> None:
    with pytest.raises(NotFound):
        check_eligibility(REGISTRY["malicious_ordering"], "s-2", _facts(order_event("o-1")), None)
    with pytest.raises(NotFound):
        check_eligibility(REGISTRY["malicious_ordering"], "s-1", OrderFacts(order=None), None)


@pytest.mark.parametrize("scenario", ["malicious_ordering", "malicious_harassment"])
def test_any_order_of_the_seller_is_eligible_for(scenario: str) -> None:
    order = check_eligibility(REGISTRY[scenario], "s-1", _facts(order_event("o-1")), None)
    assert order.buyer_id == "b-1"


@pytest.mark.parametrize(("rating", "eligible"), [(1, True), (2, True), (3, False), (5, False)])
def test_malicious_review_needs_a_1_or_2_star_review(rating: int, eligible: bool) -> None:
    facts = _facts(order_event("o-1", status="delivered"), review_event("r", "o-1", rating=rating))
    if eligible:
        check_eligibility(REGISTRY["malicious_review"], "s-1", facts, None)
    else:
        with pytest.raises(NotEligible) as err:
            check_eligibility(REGISTRY["malicious_review"], "s-1", facts, None)
        assert err.value.code == "no_negative_review"


def test_malicious_dispute_needs_a_dispute() -> None:
    scenario = REGISTRY["malicious_dispute"]
    check_eligibility(scenario, "s-1", _facts(order_event("o-1"), dispute_event("d", "o-1")), None)
    with pytest.raises(NotEligible) as err:
        check_eligibility(scenario, "s-1", _facts(order_event("o-1")), None)
    assert err.value.code == "no_dispute"


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [
        ("paid", "address_invalid", None),
        ("paid", "custom_item_no_response", None),
        ("placed", "address_invalid", "order_not_paid"),
        ("shipped", "address_invalid", "order_already_shipped"),
        ("delivered", "custom_item_no_response", "order_already_shipped"),
        ("paid", None, "reason_required"),
        ("paid", "buyer_was_rude", "reason_not_applicable"),
    ],
)
def test_non_fulfillment_protection_needs_paid_unshipped_and_a_sub_reason(
    status: str, reason: str | None, code: str | None
) -> None:
    scenario = REGISTRY["non_fulfillment_protection"]
    facts = _facts(order_event("o-1", status=status, placed_at=T0 - timedelta(days=3)))
    if code is None:
        check_eligibility(scenario, "s-1", facts, reason)
    else:
        with pytest.raises(NotEligible) as err:
            check_eligibility(scenario, "s-1", facts, reason)
        assert err.value.code == code


def test_scenarios_without_sub_reasons_refuse_one() -> None:
    with pytest.raises(NotEligible) as err:
        check_eligibility(
            REGISTRY["malicious_ordering"], "s-1", _facts(order_event("o-1")), "address_invalid"
        )
    assert err.value.code == "reason_not_applicable"
