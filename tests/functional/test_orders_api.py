"""GET /orders and GET /orders/{order_id}/eligibility: what the filing form asks before a
seller files a complaint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.complaints import complaint_id_for
from chalicelib.domain.scenarios import REGISTRY
from tests.builders import T0, dispute_event, message_event, order_event, review_event
from tests.functional.conftest import Api

SCENARIOS = [
    "malicious_ordering",
    "malicious_review",
    "malicious_dispute",
    "malicious_harassment",
    "non_fulfillment_protection",
]


def _by_scenario(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["scenario"]: entry for entry in body["scenarios"]}


# --------------------------------------------------------------------------- GET /orders


def test_the_list_shows_the_sellers_orders_of_90_days_newest_first(api: Api) -> None:
    api.events(
        order_event("o-old", placed_at=T0 - timedelta(days=91)),
        order_event("o-edge", placed_at=T0 - timedelta(days=89, hours=23)),
        order_event("o-new", status="paid", buyer_id="b-7", placed_at=T0 - timedelta(hours=1)),
        order_event("o-mid", status="delivered", placed_at=T0 - timedelta(days=10)),
        # what the seller's order partitions also hold is not listed
        dispute_event("d-1", "o-mid"),
        review_event("r-1", "o-mid", rating=1),
        message_event("m-1", "o-mid", sender="buyer", sent_at=T0 - timedelta(days=9)),
        order_event("o-other", seller_id="s-2", placed_at=T0 - timedelta(hours=2)),
    )
    reply = api.call("GET", "/orders")
    assert reply.status == 200, reply.body
    assert reply.body == {
        "items": [
            {
                "order_id": "o-new",
                "buyer_id": "b-7",
                "status": "paid",
                "placed_at": "2026-11-20T07:00:00Z",
            },
            {
                "order_id": "o-mid",
                "buyer_id": "b-1",
                "status": "delivered",
                "placed_at": "2026-11-10T08:00:00Z",
            },
            {
                "order_id": "o-edge",
                "buyer_id": "b-1",
                "status": "placed",
                "placed_at": "2026-08-22T09:00:00Z",
            },
        ],
        "next_cursor": None,
    }
    assert [i["order_id"] for i in api.call("GET", "/orders", seller="s-2").body["items"]] == [
        "o-other"
    ]


def test_a_new_version_of_an_order_moves_it_in_the_list(api: Api) -> None:
    api.events(order_event("o-1", placed_at=T0 - timedelta(days=3)))
    api.events(order_event("o-1", status="cancelled", version=2, placed_at=T0 - timedelta(days=3)))
    (item,) = api.call("GET", "/orders").body["items"]
    assert item["status"] == "cancelled"


def test_pages_follow_the_cursor_without_gaps_or_repeats(api: Api) -> None:
    api.events(
        *[order_event(f"o-{i:02d}", placed_at=T0 - timedelta(hours=i)) for i in range(7)],
        # two orders placed in the same second: the order id tells them apart
        order_event("o-tie-a", placed_at=T0 - timedelta(hours=3)),
    )
    seen, cursor = [], None
    for _ in range(10):
        path = "/orders?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = api.call("GET", path).body
        assert len(body["items"]) <= 3
        seen += [i["order_id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["o-00", "o-01", "o-02", "o-tie-a", "o-03", "o-04", "o-05", "o-06"]


def test_a_cursor_is_bound_to_the_seller_and_the_list(api: Api) -> None:
    api.events(*[order_event(f"o-{i}", placed_at=T0 - timedelta(hours=i)) for i in range(3)])
    api.submit("o-0", "malicious_ordering")
    api.submit("o-1", "malicious_ordering")
    cursor = api.call("GET", "/orders?limit=1").body["next_cursor"]
    assert cursor
    replayed = api.call("GET", f"/orders?limit=1&cursor={cursor}", seller="s-2")
    assert replayed.status == 400 and replayed.body["error"]["code"] == "invalid_cursor"
    complaints_cursor = api.call("GET", "/complaints?limit=1").body["next_cursor"]
    assert complaints_cursor
    crossed = api.call("GET", f"/orders?cursor={complaints_cursor}")
    assert crossed.status == 400 and crossed.body["error"]["code"] == "invalid_cursor"
    back = api.call("GET", f"/complaints?cursor={cursor}")
    assert back.status == 400 and back.body["error"]["code"] == "invalid_cursor"
    forged = api.call("GET", f"/orders?cursor={cursor[:-2]}xx")
    assert forged.status == 400 and forged.body["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=x", "status=paid", "order_id=o-1", "limit=2&limit=3"],
)
def test_bad_or_unknown_query_parameters_are_400(api: Api, query: str) -> None:
    reply = api.call("GET", f"/orders?{query}")
    assert reply.status == 400, reply.body
    assert set(reply.body["error"]) == {"code", "message", "details"}


# --------------------------------------------------------------------------- eligibility


@pytest.fixture
def orders(api: Api) -> None:
    api.events(
        order_event("o-paid", status="paid"),
        order_event("o-placed", status="placed"),
        order_event("o-shipped", status="shipped"),
        order_event("o-reviewed", status="delivered"),
        review_event("r-bad", "o-reviewed", rating=2),
        review_event("r-good", "o-reviewed", rating=5, buyer_id="b-1"),
        order_event("o-disputed", status="delivered"),
        dispute_event("d-1", "o-disputed"),
        order_event("o-s2", seller_id="s-2", buyer_id="b-9", status="paid"),
    )


@pytest.mark.usefixtures("orders")
def test_eligibility_answers_every_scenario_with_codes_and_texts(api: Api) -> None:
    reply = api.call("GET", "/orders/o-placed/eligibility")
    assert reply.status == 200, reply.body
    body = reply.body
    assert {k: body[k] for k in ("order_id", "buyer_id", "status", "placed_at")} == {
        "order_id": "o-placed",
        "buyer_id": "b-1",
        "status": "placed",
        "placed_at": "2026-11-18T08:00:00Z",
    }
    assert [e["scenario"] for e in body["scenarios"]] == SCENARIOS
    answers = _by_scenario(body)
    assert answers["malicious_ordering"] == {
        "scenario": "malicious_ordering",
        "scenario_name": REGISTRY["malicious_ordering"].name.as_dict(),
        "eligible": True,
        "reason_code": None,
        "reason": None,
        "sub_reasons": [],
        "complaint_id": None,
    }
    assert answers["malicious_harassment"]["eligible"] is True
    review = answers["malicious_review"]
    assert (review["eligible"], review["reason_code"]) == (False, "no_negative_review")
    assert review["reason"] == {
        "zh": "该订单没有1-2星评价",
        "en": "The order has no review rated 1-2",
    }
    assert answers["malicious_dispute"]["reason_code"] == "no_dispute"
    protection = answers["non_fulfillment_protection"]
    assert (protection["eligible"], protection["reason_code"]) == (False, "order_not_paid")
    assert [(s["code"], s["eligible"], s["reason_code"]) for s in protection["sub_reasons"]] == [
        ("address_invalid", False, "order_not_paid"),
        ("custom_item_no_response", False, "order_not_paid"),
    ]
    assert protection["sub_reasons"][0]["reason"]["en"] == "The order has not been paid"
    assert protection["sub_reasons"][0]["name"] == (
        REGISTRY["non_fulfillment_protection"].sub_reasons[0].name.as_dict()
    )


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize(
    ("order_id", "eligible"),
    [
        ("o-paid", {"malicious_ordering", "malicious_harassment", "non_fulfillment_protection"}),
        ("o-shipped", {"malicious_ordering", "malicious_harassment"}),
        ("o-reviewed", {"malicious_ordering", "malicious_harassment", "malicious_review"}),
        ("o-disputed", {"malicious_ordering", "malicious_harassment", "malicious_dispute"}),
    ],
)
def test_eligibility_agrees_with_what_a_submission_does(
    api: Api, order_id: str, eligible: set[str]
) -> None:
    answers = _by_scenario(api.call("GET", f"/orders/{order_id}/eligibility").body)
    assert {code for code, a in answers.items() if a["eligible"]} == eligible
    for code, answer in answers.items():
        subs = answer["sub_reasons"] or [{"code": None, **answer}]
        for sub in subs:
            extra = {"reason": sub["code"]} if sub["code"] else {}
            reply = api.submit(order_id, code, **extra)
            if sub["eligible"]:
                assert reply.status == 201, (code, reply.body)
                break  # filed: a second sub-reason would be a duplicate
            assert reply.status == 422, (code, reply.body)
            assert reply.body["error"]["code"] == sub["reason_code"]


@pytest.mark.usefixtures("orders")
def test_eligibility_names_the_complaints_already_filed(api: Api) -> None:
    filed = api.submit("o-paid", "non_fulfillment_protection", reason="address_invalid").body
    api.submit("o-paid", "malicious_harassment")
    api.submit("o-s2", "malicious_ordering", seller="s-2")  # another seller's order
    answers = _by_scenario(api.call("GET", "/orders/o-paid/eligibility").body)
    assert answers["non_fulfillment_protection"]["complaint_id"] == filed["complaint_id"]
    assert answers["non_fulfillment_protection"]["eligible"] is True
    assert answers["malicious_harassment"]["complaint_id"] == complaint_id_for(
        "o-paid", "malicious_harassment"
    )
    assert answers["malicious_ordering"]["complaint_id"] is None
    duplicate = api.submit("o-paid", "malicious_harassment")
    assert duplicate.status == 409


@pytest.mark.usefixtures("orders")
@pytest.mark.parametrize("order_id", ["o-s2", "o-missing", "x" * 129, "o%20bad"])
def test_another_sellers_or_a_missing_order_is_404(api: Api, order_id: str) -> None:
    reply = api.call("GET", f"/orders/{order_id}/eligibility")
    assert reply.status == 404, reply.body
    assert reply.body["error"]["code"] == "not_found"
    assert api.call("GET", "/orders/o-s2/eligibility", seller="s-2").status == 200


@pytest.mark.usefixtures("orders")
def test_eligibility_takes_no_query_parameters(api: Api) -> None:
    reply = api.call("GET", "/orders/o-paid/eligibility?scenario=malicious_ordering")
    assert reply.status == 400


@pytest.mark.parametrize("path", ["/orders", "/orders/o-paid/eligibility"])
def test_only_sellers_with_a_valid_token_may_ask(api: Api, path: str) -> None:
    assert api.call("GET", path, seller=None).status == 401
    assert api.call("GET", path, token="not-a-token").status == 401
    for role in ("operator", "system"):
        assert api.call("GET", path, seller="x", role=role).status == 403
