"""Appeals (a seller's second chance on a rejection) and re-categorisation (a reviewer moves
a mis-filed complaint) through the HTTP API — DESIGN §10."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.config import Settings
from tests.builders import T0, order_event, review_event
from tests.functional.conftest import Api, Published, tables
from tests.functional.test_sla_sweep import sweep


@pytest.fixture
def orders(api: Api) -> None:
    """o-1..o-3: delivered orders of ordinary buyers (pending complaints); o-rev has a
    1-star review (malicious_review is eligible); o-paid is paid, not shipped."""
    api.events(
        *[
            order_event(
                f"o-{i}", buyer_id=f"b-{i}", status="delivered", placed_at=T0 - timedelta(days=3)
            )
            for i in range(1, 4)
        ],
        order_event(
            "o-rev", buyer_id="b-rev", status="delivered", placed_at=T0 - timedelta(days=5)
        ),
        review_event("r-1", "o-rev", rating=1, buyer_id="b-rev"),
        order_event("o-paid", buyer_id="b-paid", status="paid", placed_at=T0 - timedelta(days=2)),
    )


pytestmark = pytest.mark.usefixtures("orders")


def _pending(api: Api, order_id: str, scenario: str = "malicious_ordering") -> str:
    reply = api.submit(order_id, scenario)
    assert reply.status == 201 and reply.body["status"] == "pending", reply.body
    return str(reply.body["complaint_id"])


def _rejected(api: Api, order_id: str, *, operator: str = "op-1") -> str:
    complaint_id = _pending(api, order_id)
    reply = api.decide(complaint_id, "rejected", "insufficient_evidence", operator=operator)
    assert reply.status == 200, reply.body
    return complaint_id


def _appeal(api: Api, complaint_id: str, statement: Any = "new chat logs", **kw: Any) -> Any:
    return api.call("POST", f"/complaints/{complaint_id}/appeal", {"statement": statement}, **kw)


def _operator(api: Api, method: str, path: str, body: Any = None, op: str = "op-2") -> Any:
    return api.call(method, path, body, seller=op, role="operator")


def _move(api: Api, complaint_id: str, scenario: str, **fields: Any) -> Any:
    body = {"scenario": scenario, **fields}
    return _operator(api, "POST", f"/review/complaints/{complaint_id}/scenario", body)


# --------------------------------------------------------------------------- appeals


def test_an_appeal_reopens_a_rejection_for_48_hours_with_both_decisions_kept(
    api: Api, clock: Any, published: Published
) -> None:
    complaint_id = _rejected(api, "o-1")
    seen = len(published())
    clock.advance(days=3)
    reply = _appeal(api, complaint_id, "the buyer admitted it in chat")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "pending" and body["decision"] is None and body["decided_at"] is None
    assert body["due_at"] == "2026-11-25T08:00:00Z"  # 48 h after the appeal, not the filing
    assert body["appeal"]["statement"] == "the buyer admitted it in chat"
    assert body["appeal"]["submitted_at"] == "2026-11-23T08:00:00Z"
    previous = body["appeal"]["previous_decision"]
    assert (previous["outcome"], previous["reason_code"]) == ("rejected", "insufficient_evidence")
    assert [h["action"] for h in body["history"]] == ["submitted", "decided:rejected", "appealed"]
    assert published.types()[seen:] == [("complaint.appealed", complaint_id)]
    # back in the queue; the reviewer sees who rejected it and the appeal's statement
    queue = _operator(api, "GET", "/review/queue").body["items"]
    assert [c["complaint_id"] for c in queue] == [complaint_id]
    assert queue[0]["appeal"]["previous_decision"]["actor"] == "operator:op-1"
    appealed = queue[0]["history"][-1]
    assert appealed["action"] == "appealed"
    assert appealed["details"]["statement"] == "the buyer admitted it in chat"
    # the reviewer who rejected it may not decide the appeal; another may
    same = api.decide(complaint_id, "upheld", "complaint_upheld", operator="op-1")
    assert same.status == 403 and same.body["error"]["code"] == "same_reviewer"
    other = api.decide(complaint_id, "upheld", "complaint_upheld", operator="op-2")
    assert other.status == 200 and other.body["status"] == "upheld"
    assert other.body["exemption"] == {"status": "scheduled", "due_by": "2026-11-26T08:00:00Z"}
    assert [h["action"] for h in other.body["history"]] == [
        "submitted",
        "decided:rejected",
        "appealed",
        "decided:upheld",
    ]
    seller_view = api.call("GET", f"/complaints/{complaint_id}").body
    assert seller_view["appeal"]["previous_decision"]["outcome"] == "rejected"
    assert "actor" not in seller_view["appeal"]["previous_decision"]
    ids = [e["event_id"] for e in published()]
    assert len(ids) == len(set(ids))  # the second decision is not de-duplicated away


def test_an_appeal_is_escalated_at_36_hours_and_decided_by_48_after_it(
    api: Api, client: Client, clock: Any, published: Published
) -> None:
    complaint_id = _pending(api, "o-1")
    clock.advance(hours=36)
    assert sweep(client)["actions"] == {"escalated": 1}
    clock.advance(hours=12)
    assert sweep(client)["actions"] == {"decided": 1}  # rejected by the sweep
    clock.advance(days=13)
    assert _appeal(api, complaint_id).status == 200
    assert sweep(client)["actions"] == {}  # its event went out with the appeal
    clock.advance(hours=35, minutes=59)
    assert sweep(client)["actions"] == {}
    clock.advance(minutes=1)  # 36 h after the appeal
    assert sweep(client)["actions"] == {"escalated": 1}
    clock.advance(hours=11, minutes=30)  # 47:30 after the appeal
    assert sweep(client)["actions"] == {"decided": 1}
    seen = api.call("GET", f"/complaints/{complaint_id}").body
    assert seen["status"] == "rejected" and seen["decision"]["decided_by"] == "sla"
    assert [h["action"] for h in seen["history"]] == [
        "submitted",
        "escalated",
        "decided:rejected",
        "appealed",
        "escalated",
        "decided:rejected",
    ]
    events = published()
    assert [e["type"] for e in events] == [
        "complaint.escalated",
        "complaint.decided",
        "complaint.appealed",
        "complaint.escalated",
        "complaint.decided",
    ]
    assert len({e["event_id"] for e in events}) == 5
    # once only, even after the appeal's own rejection
    again = _appeal(api, complaint_id)
    assert again.status == 409 and again.body["error"]["code"] == "already_appealed"


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("pending", 422, "not_appealable"),
        ("upheld", 422, "not_appealable"),
        ("late", 422, "appeal_window_closed"),
        ("appealed", 409, "already_appealed"),
    ],
)
def test_what_cannot_be_appealed_is_refused_and_writes_nothing(
    api: Api, clock: Any, settings: Settings, setup: str, status: int, code: str
) -> None:
    if setup == "pending":
        complaint_id = _pending(api, "o-1")
    elif setup == "upheld":
        complaint_id = _pending(api, "o-1")
        assert api.decide(complaint_id, "upheld", "complaint_upheld").status == 200
    else:
        complaint_id = _rejected(api, "o-1")
        if setup == "late":
            clock.advance(days=14, seconds=1)
        else:
            assert _appeal(api, complaint_id).status == 200
    before = tables(settings)
    reply = _appeal(api, complaint_id)
    assert (reply.status, reply.body["error"]["code"]) == (status, code)
    assert tables(settings) == before


def test_the_appeal_window_is_configurable(
    api: Api, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPEAL_DAYS", "2")
    complaint_id = _rejected(api, "o-1")
    seen = api.call("GET", f"/complaints/{complaint_id}").body
    decided = datetime.fromisoformat(seen["decided_at"])
    # the complaint says until when it may be appealed, from the same setting
    assert datetime.fromisoformat(seen["appeal_until"]) == decided + timedelta(days=2)
    clock.advance(days=2, seconds=1)
    assert _appeal(api, complaint_id).body["error"]["code"] == "appeal_window_closed"
    monkeypatch.setenv("APPEAL_DAYS", "3")
    seen = api.call("GET", f"/complaints/{complaint_id}").body
    assert datetime.fromisoformat(seen["appeal_until"]) == decided + timedelta(days=3)
    appealed = _appeal(api, complaint_id)
    assert appealed.status == 200 and appealed.body["appeal_until"] is None
    pending = api.call("GET", f"/complaints/{_pending(api, 'o-2')}").body
    assert pending["appeal_until"] is None


def test_another_sellers_complaint_is_not_found_and_bad_appeals_are_refused(
    api: Api, settings: Settings
) -> None:
    complaint_id = _rejected(api, "o-1")
    before = tables(settings)
    assert _appeal(api, complaint_id, seller="s-2").status == 404
    assert _appeal(api, "c_" + "a" * 26).status == 404
    assert _appeal(api, complaint_id, seller="op-1", role="operator").status == 403
    assert api.call("POST", f"/complaints/{complaint_id}/appeal", {}, token="x.y.z").status == 401
    for body in (
        {"statement": "   "},
        {"statement": ""},
        {"statement": "x" * 2001},
        {"statement": 12},
        {},
        {"statement": "fine", "extra": 1},
    ):
        reply = api.call("POST", f"/complaints/{complaint_id}/appeal", body)
        assert reply.status == 400, body
    big = api.call("POST", f"/complaints/{complaint_id}/appeal", {"statement": "x" * 70_000})
    assert big.status == 413
    assert tables(settings) == before


# --------------------------------------------------------------------------- re-categorisation


def test_a_reviewer_moves_a_misfiled_complaint_to_its_scenario(
    api: Api, clock: Any, published: Published, settings: Settings
) -> None:
    old_id = _pending(api, "o-rev", "malicious_harassment")
    assert published() == []
    clock.advance(hours=2)
    reply = _move(api, old_id, "malicious_review", note="it is about the 1-star review")
    assert reply.status == 200, reply.body
    moved = reply.body
    new_id = moved["complaint_id"]
    assert new_id != old_id and moved["scenario"] == "malicious_review"
    assert moved["status"] == "pending"
    assert moved["submitted_at"] == "2026-11-20T08:00:00Z"
    assert moved["due_at"] == "2026-11-22T08:00:00Z"  # the deadline stays
    assert moved["description"] == "buyer abuse"
    assert moved["recommendation"] is not None
    assert moved["recommendation"]["assessed_at"] == "2026-11-20T10:00:00Z"  # assessed afresh
    last = moved["history"][-1]
    assert last["action"] == "recategorised" and last["actor"] == "operator:op-2"
    assert (last["details"]["from"], last["details"]["to"]) == (
        "malicious_harassment",
        "malicious_review",
    )
    assert last["details"]["note"] == "it is about the 1-star review"
    # the old id is gone, the new one is in the queue and in the seller's list
    assert _operator(api, "GET", f"/review/complaints/{old_id}").status == 404
    assert api.call("GET", f"/complaints/{old_id}").status == 404
    queue = _operator(api, "GET", "/review/queue").body["items"]
    assert [c["complaint_id"] for c in queue] == [new_id]
    listed = api.call("GET", "/complaints").body["items"]
    assert [c["complaint_id"] for c in listed] == [new_id]
    assert published.types() == [("complaint.recategorised", new_id)]
    # the old (order, scenario) is free again
    again = api.submit("o-rev", "malicious_harassment")
    assert again.status == 201 and again.body["complaint_id"] == old_id
    stored = ComplaintRepository(settings).get_stored(new_id)
    assert stored is not None and stored.outbox == {}


def test_a_moved_complaint_keeps_its_escalation_and_is_decided_by_its_deadline(
    api: Api, client: Client, clock: Any, published: Published
) -> None:
    old_id = _pending(api, "o-paid", "malicious_harassment")
    clock.advance(hours=36)
    assert sweep(client)["actions"] == {"escalated": 1}
    reply = _move(api, old_id, "non_fulfillment_protection", reason="address_invalid")
    assert reply.status == 200, reply.body
    new_id = reply.body["complaint_id"]
    assert reply.body["escalated_at"] == "2026-11-21T20:00:00Z"
    assert reply.body["reason"] == "address_invalid"
    clock.advance(hours=11, minutes=30)
    assert sweep(client)["actions"] == {"decided": 1}
    seen = api.call("GET", f"/complaints/{new_id}").body
    assert seen["status"] != "pending" and seen["decision"]["decided_by"] == "sla"
    assert [h["action"] for h in seen["history"]] == [
        "submitted",
        "escalated",
        "recategorised",
        f"decided:{seen['status']}",
    ]
    assert sweep(client)["actions"] == {}


@pytest.mark.parametrize(
    ("order_id", "body", "status", "code"),
    [
        ("o-1", {"scenario": "malicious_review"}, 422, "no_negative_review"),
        ("o-1", {"scenario": "non_fulfillment_protection"}, 422, "reason_required"),
        (
            "o-1",
            {"scenario": "malicious_harassment", "reason": "address_invalid"},
            422,
            "reason_not_applicable",
        ),
        ("o-1", {"scenario": "malicious_ordering"}, 422, "same_scenario"),
        ("o-1", {"scenario": "nope"}, 400, "invalid_request"),
        ("o-1", {"scenario": "malicious_harassment", "extra": 1}, 400, "invalid_request"),
        ("o-1", {"scenario": "malicious_harassment", "note": "x" * 2001}, 400, "invalid_request"),
        ("o-1", {}, 400, "invalid_request"),
    ],
)
def test_refused_recategorisations_write_nothing(
    api: Api, settings: Settings, order_id: str, body: dict[str, Any], status: int, code: str
) -> None:
    complaint_id = _pending(api, order_id)
    before = tables(settings)
    reply = _operator(api, "POST", f"/review/complaints/{complaint_id}/scenario", body)
    assert (reply.status, reply.body["error"]["code"]) == (status, code), reply.body
    assert tables(settings) == before


def test_recategorising_onto_an_existing_complaint_or_a_decided_one_conflicts(
    api: Api, settings: Settings
) -> None:
    harassment = _pending(api, "o-rev", "malicious_harassment")
    review = api.submit("o-rev", "malicious_review").body["complaint_id"]
    before = tables(settings)
    taken = _move(api, harassment, "malicious_review")
    assert taken.status == 409 and taken.body["error"]["details"] == {"complaint_id": review}
    assert tables(settings) == before
    decided = _rejected(api, "o-2")
    before = tables(settings)
    late = _move(api, decided, "malicious_harassment")
    assert late.status == 409 and late.body["error"]["code"] == "not_pending"
    assert _move(api, "c_" + "a" * 26, "malicious_harassment").status == 404
    assert tables(settings) == before


def test_only_reviewers_recategorise(api: Api, settings: Settings) -> None:
    complaint_id = _pending(api, "o-1")
    before = tables(settings)
    path = f"/review/complaints/{complaint_id}/scenario"
    body = {"scenario": "malicious_harassment"}
    assert api.call("POST", path, body).status == 403  # a seller, even the complaint's own
    assert api.call("POST", path, body, token="x.y.z").status == 401
    assert (
        api.call("POST", path, {"scenario": "x" * 70_000}, seller="op", role="operator").status
        == 413
    )
    assert tables(settings) == before


def test_an_appealed_complaint_can_be_moved_and_keeps_its_appeal(api: Api, clock: Any) -> None:
    complaint_id = _rejected(api, "o-rev", operator="op-1")
    clock.advance(days=1)
    assert _appeal(api, complaint_id).status == 200
    reply = _move(api, complaint_id, "malicious_review")
    assert reply.status == 200, reply.body
    new_id = reply.body["complaint_id"]
    assert reply.body["appeal"]["statement"] == "new chat logs"
    assert reply.body["due_at"] == "2026-11-23T08:00:00Z"  # the appeal's deadline stays
    same = api.decide(new_id, "upheld", "complaint_upheld", operator="op-1")
    assert same.status == 403 and same.body["error"]["code"] == "same_reviewer"
