"""Assessment at submission, reviewer routes and decisions (issue: decisions in 48 h)."""

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.config import Settings
from tests.builders import T0, order_event
from tests.functional.conftest import Api, Published


@pytest.fixture
def flooded(api: Api) -> None:
    """b-flood placed 6 unpaid orders at s-1 in a week; b-1 is an ordinary buyer."""
    api.events(
        *[
            order_event(f"o-f{i}", buyer_id="b-flood", placed_at=T0 - timedelta(days=i + 1))
            for i in range(6)
        ],
        *[
            order_event(f"o-n{i}", status="delivered", placed_at=T0 - timedelta(days=i + 1))
            for i in range(4)
        ],
    )


pytestmark = pytest.mark.usefixtures("flooded")


def _operator(api: Api, method: str, path: str, body: Any = None) -> Any:
    return api.call(method, path, body, seller="op-1", role="operator")


def test_a_conclusive_uphold_decides_at_submission(api: Api, published: Published) -> None:
    body = api.submit("o-f0", "malicious_ordering").body
    assert body["status"] == "upheld"
    assert body["decision"]["decided_by"] == "rules"
    assert body["decision"]["reason"]["en"] == "Malicious ordering by this buyer confirmed"
    assert body["decided_at"] == body["submitted_at"]
    # upheld by rule (a); rule (b)'s criterion was checked but is not "unmet" to a seller
    assert body["decision"]["met_alternative"] == "orders_at_this_seller"
    assert body["decision"]["unmet_criteria"] == []
    network = next(
        c for c in body["decision"]["criteria"] if c["name"] == "other_sellers_upheld_in_window"
    )
    assert (network["alternative"], network["met"]) == ("upheld_by_other_sellers", False)
    assert published.types() == [("complaint.decided", body["complaint_id"])]
    assert _operator(api, "GET", "/review/queue").body["items"] == []


def test_otherwise_pending_with_the_recommendation_for_reviewers(
    api: Api, published: Published
) -> None:
    body = api.submit("o-n0", "malicious_ordering").body
    assert body["status"] == "pending" and body["decision"] is None
    assert "recommendation" not in body  # sellers do not see the pending recommendation
    queued = _operator(api, "GET", "/review/queue").body["items"]
    assert [c["complaint_id"] for c in queued] == [body["complaint_id"]]
    recommendation = queued[0]["recommendation"]
    assert recommendation["outcome"] == "rejected"
    assert recommendation["reason_code"] == "not_malicious_competition"
    assert {c["name"] for c in recommendation["criteria"]} == {
        "orders_at_seller_30d",
        "unpaid_or_buyer_cancelled_ratio",
        "other_sellers_upheld_in_window",
    }
    assert published() == []


def test_review_queue_is_earliest_deadline_first_and_pages(api: Api, clock: Any) -> None:
    ids = []
    for i in range(5):
        ids.append(
            api.submit(f"o-n{i % 4}", ["malicious_ordering", "malicious_harassment"][i // 4]).body[
                "complaint_id"
            ]
        )
        clock.advance(minutes=7)
    seen, cursor = [], None
    while True:
        path = "/review/queue?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = _operator(api, "GET", path).body
        seen += [c["complaint_id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    other = api.call("GET", "/review/queue?limit=2", seller="op-2", role="operator").body
    replay = api.call(
        "GET", f"/review/queue?cursor={other['next_cursor']}", seller="op-1", role="operator"
    )
    assert replay.status == 400


def test_a_reviewer_decides_once_and_the_seller_sees_why(
    api: Api, clock: Any, published: Published
) -> None:
    complaint_id = api.submit("o-n1", "malicious_ordering").body["complaint_id"]
    clock.advance(hours=5)
    decided = api.decide(
        complaint_id, "rejected", "not_malicious_competition", note="ordinary buyer"
    )
    assert decided.status == 200
    assert decided.body["decision"]["actor"] == "operator:op-1"
    again = api.decide(complaint_id, "upheld", "complaint_upheld")
    assert again.status == 409 and again.body["error"]["code"] == "already_decided"
    seen = api.call("GET", f"/complaints/{complaint_id}").body
    assert seen["status"] == "rejected"
    assert seen["decision"]["reason_code"] == "not_malicious_competition"
    assert seen["decision"]["reason"] == {
        "zh": "未发现同行恶意竞争行为",
        "en": "No sign of malicious competition by this buyer",
    }
    assert seen["decision"]["unmet_criteria"] == [
        "orders_at_seller_30d",  # 4 orders, threshold 5
        "unpaid_or_buyer_cancelled_ratio",
        "other_sellers_upheld_in_window",
    ]
    assert seen["decided_at"] == "2026-11-20T13:00:00Z"
    assert [h["action"] for h in seen["history"]] == ["submitted", "decided:rejected"]
    assert seen["history"][1]["actor"] == "operator"  # reviewers stay anonymous to sellers
    assert published.types() == [("complaint.decided", complaint_id)]


def test_two_reviewers_deciding_at_once_exactly_one_wins(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch, published: Published
) -> None:
    complaint_id = api.submit("o-n1", "malicious_ordering").body["complaint_id"]
    stale = ComplaintRepository(settings).get(complaint_id)
    first = api.decide(complaint_id, "upheld", "complaint_upheld")
    # the second reviewer read the complaint before the first one's write landed
    with monkeypatch.context() as patch:
        patch.setattr(ComplaintRepository, "get", lambda self, cid: stale)
        second = api.decide(complaint_id, "rejected", "insufficient_evidence", operator="op-2")
    assert (first.status, second.status) == (200, 409)
    stored = ComplaintRepository(settings).get(complaint_id)
    assert stored is not None and stored.status == "upheld"
    assert [h.action for h in stored.history] == ["submitted", "decided:upheld"]
    assert published.types() == [("complaint.decided", complaint_id)]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"outcome": "upheld", "reason_code": "not_malicious_competition"},
            400,
            "invalid_reason_code",
        ),
        ({"outcome": "rejected", "reason_code": "complaint_upheld"}, 400, "invalid_reason_code"),
        # another scenario's reasons (issue 12.2)
        ({"outcome": "rejected", "reason_code": "address_valid"}, 400, "invalid_reason_code"),
        (
            {"outcome": "upheld", "reason_code": "address_invalid_confirmed"},
            400,
            "invalid_reason_code",
        ),
        ({"outcome": "maybe", "reason_code": "complaint_upheld"}, 400, "invalid_request"),
        (
            {"outcome": "upheld", "reason_code": "complaint_upheld", "extra": 1},
            400,
            "invalid_request",
        ),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    api: Api, settings: Settings, body: dict[str, Any], status: int, code: str
) -> None:
    complaint_id = api.submit("o-n1", "malicious_ordering").body["complaint_id"]
    reply = _operator(api, "POST", f"/review/complaints/{complaint_id}/decision", body)
    assert (reply.status, reply.body["error"]["code"]) == (status, code)
    assert ComplaintRepository(settings).get(complaint_id).status == "pending"  # type: ignore[union-attr]


def test_a_refused_reason_code_names_the_ones_that_fit(api: Api) -> None:
    complaint_id = api.submit("o-n1", "malicious_ordering").body["complaint_id"]
    reply = api.decide(complaint_id, "rejected", "address_valid")
    assert reply.status == 400
    assert reply.body["error"]["details"] == {
        "allowed": ["not_malicious_competition", "insufficient_evidence"]
    }
    catalogue = api.call("GET", "/scenarios", seller="op-1", role="operator").body
    ordering = next(s for s in catalogue["items"] if s["code"] == "malicious_ordering")
    assert ordering["decision_reasons"]["rejected"] == reply.body["error"]["details"]["allowed"]
    assert api.decide(complaint_id, "rejected", "insufficient_evidence").status == 200


def test_review_routes_need_the_operator_role_and_a_real_complaint(api: Api) -> None:
    complaint_id = api.submit("o-n1", "malicious_ordering").body["complaint_id"]
    for method, path in [
        ("GET", "/review/queue"),
        ("GET", f"/review/complaints/{complaint_id}"),
        ("POST", f"/review/complaints/{complaint_id}/decision"),
        ("GET", "/review/sla"),
    ]:
        for role in ("seller", "system"):
            assert api.call(method, path, {"outcome": "upheld"}, role=role).status == 403
        assert api.call(method, path, seller=None).status == 401
    assert _operator(api, "GET", "/review/complaints/c_missing").status == 404
    assert api.decide("c_missing", "upheld", "complaint_upheld").status == 404
    shown = _operator(api, "GET", f"/review/complaints/{complaint_id}").body
    assert shown["seller_id"] == "s-1" and shown["recommendation"]["outcome"] == "rejected"


def test_other_sellers_upheld_complaints_count_against_the_buyer(api: Api, clock: Any) -> None:
    api.events(
        *[
            order_event(f"o-x{s}", seller_id=f"s-{s}", buyer_id="b-x", status="delivered")
            for s in (2, 3, 4)
        ]
    )
    for seller in ("s-2", "s-3"):
        complaint_id = api.submit(f"o-x{seller[-1]}", "malicious_ordering", seller=seller).body[
            "complaint_id"
        ]
        api.decide(complaint_id, "upheld", "complaint_upheld")
    clock.advance(hours=1)
    third = api.submit("o-x4", "malicious_ordering", seller="s-4").body
    assert third["status"] == "upheld" and third["decision"]["decided_by"] == "rules"
    network = next(
        c for c in third["decision"]["criteria"] if c["name"] == "other_sellers_upheld_in_window"
    )
    assert network["observed"] == 2 and network["met"] is True


def test_sla_figures(api: Api, clock: Any) -> None:
    upheld_now = api.submit("o-f0", "malicious_ordering").body  # rules, 0 h
    ids = [api.submit(f"o-n{i}", "malicious_ordering").body["complaint_id"] for i in range(3)]
    for complaint_id, hours in zip(ids[:2], (4, 10), strict=True):
        clock.current = T0 + timedelta(hours=hours)
        api.decide(complaint_id, "rejected", "insufficient_evidence")
    clock.current = T0 + timedelta(hours=49)  # ids[2] was never decided: a breach
    figures = _operator(api, "GET", "/review/sla?window_days=7").body
    assert upheld_now["decision"]["decided_by"] == "rules"
    assert figures == {
        "window_days": 7,
        "pending": 1,
        "escalated": 0,
        "decided": 3,
        "decisions_by": {"operator": 2, "rules": 1, "sla": 0},
        "hours_to_decision": {"p50": 4.0, "p95": 10.0, "max": 10.0},
        "breaches": {"decided_late": 0, "pending_overdue": 1, "total": 1},
    }
    assert _operator(api, "GET", "/review/sla?window_days=0").status == 400
    # a whole number in plain digits only: nothing int() would read as another number
    for written in ("30.0", "+30", "%2B30", "1_0", "%EF%BC%93%EF%BC%90", " 30", "0x10"):
        reply = _operator(api, "GET", f"/review/sla?window_days={written}")
        assert reply.status == 400, (written, reply.body)
    assert _operator(api, "GET", "/review/queue?limit=2.0").status == 400
    assert _operator(api, "GET", "/review/queue?limit=2").status == 200
