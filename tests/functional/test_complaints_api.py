from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.models import complaint_model
from chalicelib.config import Settings
from tests.builders import T0, dispute_event, order_event, review_event
from tests.functional.conftest import Api


def _stored(settings: Settings) -> int:
    return sum(1 for _ in complaint_model(settings).scan())  # test-only inspection


@pytest.fixture
def orders(api: Api) -> None:
    api.events(
        order_event("o-paid", status="paid"),
        order_event("o-placed", status="placed"),
        order_event("o-shipped", status="shipped"),
        order_event("o-reviewed", status="delivered"),
        review_event("r-bad", "o-reviewed", rating=1),
        order_event("o-fine-review", status="delivered"),
        review_event("r-good", "o-fine-review", rating=4),
        order_event("o-disputed", status="delivered"),
        dispute_event("d-1", "o-disputed"),
        order_event("o-s2", seller_id="s-2", buyer_id="b-9", status="paid"),
    )


pytestmark = pytest.mark.usefixtures("orders")


@pytest.mark.parametrize(
    ("order_id", "scenario", "extra"),
    [
        ("o-placed", "malicious_ordering", {}),
        ("o-placed", "malicious_harassment", {}),
        ("o-reviewed", "malicious_review", {}),
        ("o-disputed", "malicious_dispute", {}),
        ("o-paid", "non_fulfillment_protection", {"reason": "address_invalid"}),
        ("o-paid", "non_fulfillment_protection", {"reason": "custom_item_no_response"}),
    ],
)
def test_each_scenario_can_be_filed_on_an_eligible_order(
    api: Api, order_id: str, scenario: str, extra: dict[str, Any]
) -> None:
    reply = api.submit(order_id, scenario, evidence=["https://img/1.png"], **extra)
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["status"] == "pending" and body["scenario"] == scenario
    assert body["buyer_id"] == "b-1"  # from the order
    assert body["submitted_at"] == "2026-11-20T08:00:00Z"
    assert body["due_at"] == "2026-11-22T08:00:00Z"
    assert body["decision"] is None and body["history"][0]["action"] == "submitted"
    assert reply.headers["Location"] == f"/complaints/{body['complaint_id']}"
    assert api.call("GET", f"/complaints/{body['complaint_id']}").body == body


@pytest.mark.parametrize(
    ("order_id", "scenario", "extra", "code"),
    [
        ("o-fine-review", "malicious_review", {}, "no_negative_review"),
        ("o-paid", "malicious_review", {}, "no_negative_review"),
        ("o-paid", "malicious_dispute", {}, "no_dispute"),
        ("o-placed", "non_fulfillment_protection", {"reason": "address_invalid"}, "order_not_paid"),
        (
            "o-shipped",
            "non_fulfillment_protection",
            {"reason": "address_invalid"},
            "order_already_shipped",
        ),
        ("o-paid", "non_fulfillment_protection", {}, "reason_required"),
        ("o-paid", "malicious_ordering", {"reason": "address_invalid"}, "reason_not_applicable"),
    ],
)
def test_ineligible_submissions_are_422_with_a_reason_and_write_nothing(
    api: Api, settings: Settings, order_id: str, scenario: str, extra: dict[str, Any], code: str
) -> None:
    reply = api.submit(order_id, scenario, **extra)
    assert reply.status == 422
    assert reply.body["error"]["code"] == code
    assert _stored(settings) == 0


def test_unknown_order_and_another_sellers_order_are_the_same_404(
    api: Api, settings: Settings
) -> None:
    missing = api.submit("o-missing", "malicious_ordering")
    foreign = api.submit("o-s2", "malicious_ordering")
    assert missing.status == foreign.status == 404
    assert missing.body == foreign.body
    assert _stored(settings) == 0


def test_second_complaint_for_the_same_order_and_scenario_is_409_with_the_first_id(
    api: Api, clock: Any
) -> None:
    first = api.submit("o-placed", "malicious_ordering").body
    clock.advance(hours=3)
    again = api.submit("o-placed", "malicious_ordering")
    assert again.status == 409
    assert again.body["error"]["details"]["complaint_id"] == first["complaint_id"]
    assert api.call("GET", f"/complaints/{first['complaint_id']}").body == first
    assert api.submit("o-placed", "malicious_harassment").status == 201


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ("[1, 2]", 400, "invalid_body"),
        ('{"order_id": "o-placed", "scenario": "malicious_ordering"}', 400, "invalid_request"),
        (
            '{"order_id": "o-placed", "scenario": "malicious_ordering", "description": "x", '
            '"buyer_id": "b-2"}',
            400,
            "invalid_request",
        ),
        (
            '{"order_id": 42, "scenario": "malicious_ordering", "description": "x"}',
            400,
            "invalid_request",
        ),
        (  # a description of blanks says nothing
            '{"order_id": "o-placed", "scenario": "malicious_ordering", "description": "   "}',
            400,
            "invalid_request",
        ),
        (
            '{"order_id": "o-placed", "scenario": "malicious_ordering", "description": "x", '
            '"evidence": "not-a-list"}',
            400,
            "invalid_request",
        ),
        (
            '{"order_id": "o-placed", "scenario": "malicious_ordering", "description": "'
            + "x" * 70_000
            + '"}',
            413,
            "payload_too_large",
        ),
    ],
)
def test_bad_bodies_are_refused_and_write_nothing(
    api: Api, settings: Settings, raw: str, status: int, code: str
) -> None:
    reply = api.call("POST", "/complaints", raw=raw)
    assert reply.status == status
    assert reply.body["error"]["code"] == code
    assert set(reply.body["error"]) == {"code", "message", "details"}
    assert _stored(settings) == 0


@pytest.mark.parametrize(
    ("scenario", "extra", "field"),
    [
        ("refund_fraud", {}, "scenario"),
        ("non_fulfillment_protection", {"reason": "other"}, "reason"),
    ],
)
def test_unknown_scenarios_and_reasons_are_400_naming_the_field(
    api: Api, settings: Settings, scenario: str, extra: dict[str, Any], field: str
) -> None:
    """Unknown enum values are 400 everywhere (issue 12.13), like ``status=open``."""
    reply = api.submit("o-paid", scenario, **extra)
    assert reply.status == 400
    assert field in [d["field"] for d in reply.body["error"]["details"]]
    assert _stored(settings) == 0


def test_unknown_fields_are_named_in_the_error(api: Api) -> None:
    reply = api.call(
        "POST",
        "/complaints",
        {
            "order_id": "o-placed",
            "scenario": "malicious_ordering",
            "description": "x",
            "seller_id": "s-2",
        },
    )
    assert {"field": "seller_id", "problem": "Extra inputs are not permitted"} in (
        reply.body["error"]["details"]
    )


def test_another_sellers_complaint_is_always_404(api: Api) -> None:
    mine = api.submit("o-placed", "malicious_ordering").body
    theirs = api.call("GET", f"/complaints/{mine['complaint_id']}", seller="s-2")
    assert theirs.status == 404
    assert theirs.body == api.call("GET", "/complaints/c_doesnotexist", seller="s-2").body
    assert api.call("GET", "/complaints", seller="s-2").body["items"] == []


def test_listing_newest_first_with_filters_and_paging_to_the_end(api: Api, clock: Any) -> None:
    filed = []
    for order_id, scenario in [
        ("o-placed", "malicious_ordering"),
        ("o-placed", "malicious_harassment"),
        ("o-reviewed", "malicious_review"),
        ("o-disputed", "malicious_dispute"),
        ("o-paid", "malicious_ordering"),
    ]:
        filed.append(api.submit(order_id, scenario).body["complaint_id"])
        clock.advance(minutes=10)
    collected, cursor, pages = [], None, 0
    while True:
        path = "/complaints?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = api.call("GET", path).body
        collected += [c["complaint_id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert collected == list(reversed(filed)) and pages == 3
    by_order = api.call("GET", "/complaints?order_id=o-placed").body["items"]
    assert [c["scenario"] for c in by_order] == ["malicious_harassment", "malicious_ordering"]
    by_scenario = api.call("GET", "/complaints?scenario=malicious_review").body["items"]
    assert [c["order_id"] for c in by_scenario] == ["o-reviewed"]
    assert api.call("GET", "/complaints?status=upheld").body["items"] == []
    ranged = api.call("GET", "/complaints?from=2026-11-20T08:15:00Z&to=2026-11-20T08:35:00Z")
    assert [c["complaint_id"] for c in ranged.body["items"]] == [filed[3], filed[2]]


def test_the_six_month_window_edge(api: Api, clock: Any) -> None:
    complaint_id = api.submit("o-placed", "malicious_ordering").body["complaint_id"]
    clock.current = T0 + timedelta(days=181)  # 2027-05-20 08:00 is exactly six months later
    clock.current = clock.current.replace(month=5, day=20)
    assert [c["complaint_id"] for c in api.call("GET", "/complaints").body["items"]] == [
        complaint_id
    ]
    assert api.call("GET", f"/complaints/{complaint_id}").status == 200
    clock.advance(seconds=1)
    assert api.call("GET", "/complaints").body["items"] == []
    assert api.call("GET", f"/complaints/{complaint_id}").status == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("status=open", "status"),
        ("scenario=bogus", "scenario"),
        ("scenario=", "scenario"),
        ("from=yesterday", "from"),
        ("from=2026-11-01T00:00:00", "from"),
        ("sort=asc", "sort"),
    ],
)
def test_bad_list_queries_are_400(api: Api, query: str, field: str) -> None:
    reply = api.call("GET", f"/complaints?{query}")
    assert reply.status == 400
    assert field in [d["field"] for d in reply.body["error"]["details"]]


def test_a_bare_date_means_that_days_start_in_utc(api: Api, clock: Any) -> None:
    complaint_id = api.submit("o-placed", "malicious_ordering").body["complaint_id"]
    submitted = api.call("GET", f"/complaints/{complaint_id}").body["submitted_at"]
    day = submitted[:10]
    same_day = api.call("GET", f"/complaints?from={day}")
    assert same_day.status == 200
    assert [c["complaint_id"] for c in same_day.body["items"]] == [complaint_id]
    assert api.call("GET", f"/complaints?to={day}").body["items"] == []  # before 00:00 UTC
    next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    assert api.call("GET", f"/complaints?from={next_day}").body["items"] == []


def test_cursors_cannot_be_forged_or_replayed(api: Api, clock: Any) -> None:
    for scenario in ("malicious_ordering", "malicious_harassment"):
        api.submit("o-placed", scenario)
        clock.advance(minutes=1)
    cursor = api.call("GET", "/complaints?limit=1").body["next_cursor"]
    assert cursor
    assert api.call("GET", f"/complaints?limit=1&cursor={cursor}").status == 200
    other_seller = api.call("GET", f"/complaints?limit=1&cursor={cursor}", seller="s-2")
    other_query = api.call("GET", f"/complaints?limit=1&status=pending&cursor={cursor}")
    tampered = api.call("GET", f"/complaints?limit=1&cursor=x{cursor}")
    for reply in (other_seller, other_query, tampered):
        assert reply.status == 400
        assert reply.body["error"]["code"] == "invalid_cursor"
