"""The edge schemas and the domain payloads describe the same facts, and a fact's stored
form is unchanged by the move from pydantic payloads to plain named tuples."""

from datetime import timedelta, timezone
from typing import Any

import pytest

from chalicelib.adapters.event_schema import SCHEMAS, parse_event
from chalicelib.domain.facts import (
    PAYLOADS,
    Address,
    OrderData,
    payload_from_dict,
    payload_to_dict,
)
from tests.builders import (
    T0,
    buyer_event,
    dispute_event,
    message_event,
    order_event,
    review_event,
)

ADDRESS = {
    "recipient": "Li Lei",
    "street": "1 Road",
    "city": "Shenzhen",
    "postal_code": "518000",
    "country": "CN",
}
EVENTS = [
    order_event(
        "o-1",
        status="delivered",
        buyer_note="call me",
        custom_item=True,
        shipping_address=ADDRESS,
        delivered_at=T0 + timedelta(days=3),
    ),
    review_event("r-1", "o-1", rating=2),
    dispute_event("d-1", "o-1"),
    message_event("m-1", "o-1", sender="buyer", sent_at=T0),
    buyer_event("b-1"),
    {
        **order_event("o-2"),
        "data": {**order_event("o-2")["data"], "placed_at": "2026-11-20T16:00:00.25+08:00"},
    },
]


@pytest.mark.parametrize("fact_type", sorted(PAYLOADS))
def test_each_schema_has_exactly_the_fields_of_its_domain_payload(fact_type: str) -> None:
    assert set(SCHEMAS[fact_type].model_fields) == set(PAYLOADS[fact_type]._fields)


def test_the_address_schema_matches_the_domain_address() -> None:
    shipping = SCHEMAS["order"].model_fields["shipping_address"].annotation
    schema = next(arg for arg in shipping.__args__ if arg is not type(None))  # type: ignore[union-attr]
    assert set(schema.model_fields) == set(Address._fields)


@pytest.mark.parametrize("raw", EVENTS, ids=lambda e: e["type"])
def test_stored_form_is_what_the_pydantic_payloads_stored(raw: dict[str, Any]) -> None:
    """Facts already in the table were written as the schema's JSON dump without Nones."""
    event = parse_event(raw)
    schema = SCHEMAS[event.type].model_validate(raw["data"])
    assert event.data == schema.model_dump(mode="json", exclude_none=True)


@pytest.mark.parametrize("raw", EVENTS, ids=lambda e: e["type"])
def test_a_stored_fact_loads_back_equal(raw: dict[str, Any]) -> None:
    event = parse_event(raw)
    assert payload_from_dict(type(event.payload), event.data) == event.payload


def test_loading_keeps_offsets_and_ignores_fields_this_version_does_not_know() -> None:
    stored = {
        "order_id": "o-1",
        "seller_id": "s-1",
        "buyer_id": "b-1",
        "status": "paid",
        "placed_at": "2026-11-20T16:00:00.250000+08:00",
        "paid_at": "2026-11-20T08:05:00Z",
        "shipping_address": ADDRESS,
        "loyalty_tier": "gold",
    }
    order = payload_from_dict(OrderData, stored)
    assert order.placed_at.utcoffset() == timezone(timedelta(hours=8)).utcoffset(None)
    assert order.placed_at.microsecond == 250000
    assert order.paid_at is not None and order.paid_at.tzinfo is not None
    assert order.shipping_address == Address(**ADDRESS)
    assert payload_to_dict(order)["placed_at"] == "2026-11-20T16:00:00.250000+08:00"
    assert "loyalty_tier" not in payload_to_dict(order)
