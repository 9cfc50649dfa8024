"""Adding a scenario is writing one record (issue 13).

This module writes a sixth scenario — 恶意取消, a buyer who repeatedly cancels paid orders
at this seller — as one ``Scenario`` record with its own eligibility check, rule,
thresholds, reasons and exemption, registers it for the test's duration, and runs it
through everything a scenario meets: ``/scenarios``, submission and eligibility, the
rules, a reviewer's decision with its own reason codes, the SLA sweep and the exemption
job.  No other module knows about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.errors import NotEligible
from chalicelib.domain.facts import OrderData, OrderFacts
from chalicelib.domain.metrics import ORDER
from chalicelib.domain.rules import Case, Criterion, Rule, at_least, fixed, path, since
from chalicelib.domain.scenario import Exemption, Scenario
from chalicelib.domain.scenarios import REGISTRY
from chalicelib.domain.text import Text
from tests.builders import T0, order_event
from tests.functional.conftest import Api, scheduled_event

CODE = "malicious_cancellation"


def cancelled_by_buyer_after_payment(order: OrderData, facts: OrderFacts) -> None:
    if not (order.status == "cancelled" and order.cancelled_by == "buyer" and order.is_paid):
        raise NotEligible("the buyer did not cancel this paid order", code="not_buyer_cancelled")


def repeated_cancellations(case: Case) -> list[Criterion]:
    t = case.thresholds
    cancelled = case.buyer.count(
        "orders",
        lambda o: o.status == "cancelled" and o.cancelled_by == "buyer" and o.is_paid,
        since=since(case, t["cancellation_days"]),
        seller_id=case.seller_id,
    )
    return [at_least("paid_orders_cancelled_by_buyer", cancelled, t["cancellation_min"])]


SIXTH = Scenario(
    code=CODE,
    name=Text("恶意取消", "Malicious cancellation"),
    group="abnormal_buyer",
    dimension="buyer_account",
    description=Text("买家反复付款后取消订单", "The buyer repeatedly cancels paid orders"),
    eligibility=(cancelled_by_buyer_after_payment,),
    rule=Rule(
        paths=(path("repeated_cancellations", repeated_cancellations),),
        upheld_reason="malicious_cancellation_confirmed",
        rejected_reason=fixed("cancellations_within_normal_range"),
        rejected_reasons=("cancellations_within_normal_range",),
        thresholds={"cancellation_days": 30, "cancellation_min": 3},
        windows=("cancellation_days",),  # counted since: its first day is read fact by fact
    ),
    reasons={
        "malicious_cancellation_confirmed": Text(
            "确认买家恶意取消", "Malicious cancellations by this buyer confirmed"
        ),
        "cancellations_within_normal_range": Text(
            "买家取消行为在正常范围内", "The buyer's cancellations are within the normal range"
        ),
        "not_buyer_cancelled": Text(
            "该订单不是买家付款后取消的", "The buyer did not cancel this paid order"
        ),
    },
    exemption=(Exemption(ORDER, ("cancellation_rate",)),),
)


@pytest.fixture
def sixth(api: Api) -> Iterator[Scenario]:
    day = timedelta(days=1)
    cancelled = {"status": "cancelled", "cancelled_by": "buyer", "paid_at": T0 - 5 * day}
    api.events(
        *[
            order_event(f"o-x{i}", buyer_id="b-x", placed_at=T0 - 6 * day, **cancelled)
            for i in (1, 2, 3)
        ],
        order_event("o-y1", buyer_id="b-y", placed_at=T0 - 6 * day, **cancelled),
        order_event("o-y2", buyer_id="b-y2", placed_at=T0 - 6 * day, **cancelled),
        order_event("o-paid", buyer_id="b-y", status="paid", placed_at=T0 - 6 * day),
    )
    with REGISTRY.extended(SIXTH) as record:
        yield record
    assert CODE not in REGISTRY  # gone again: nothing leaks into other tests


def _job(client: Client, name: str) -> Any:
    return client.lambda_.invoke(name, scheduled_event(client)).payload


def test_the_catalogue_lists_it_with_its_reasons(api: Api, sixth: Scenario) -> None:
    body = api.call("GET", "/scenarios").body
    entry = next(s for s in body["items"] if s["code"] == CODE)
    assert entry["name"] == {"zh": "恶意取消", "en": "Malicious cancellation"}
    assert entry["decision_reasons"] == {
        "upheld": ["malicious_cancellation_confirmed", "complaint_upheld"],
        "rejected": ["cancellations_within_normal_range", "insufficient_evidence"],
    }
    assert (
        body["reasons"]["not_buyer_cancelled"]["en"] == "The buyer did not cancel this paid order"
    )


def test_it_is_filed_judged_decided_swept_and_exempted(
    api: Api, client: Client, clock: Any, sixth: Scenario
) -> None:
    # eligibility: its own check, with its own reason text
    refused = api.submit("o-paid", CODE)
    assert (refused.status, refused.body["error"]["code"]) == (422, "not_buyer_cancelled")

    # the rules: three paid orders cancelled by b-x in 30 days -> upheld at once
    upheld = api.submit("o-x1", CODE).body
    assert upheld["status"] == "upheld" and upheld["decision"]["decided_by"] == "rules"
    assert upheld["decision"]["reason"]["en"] == "Malicious cancellations by this buyer confirmed"
    assert upheld["decision"]["met_alternative"] == "repeated_cancellations"

    # one cancellation: pending; a reviewer decides with this scenario's reasons only
    pending = api.submit("o-y1", CODE).body
    assert pending["status"] == "pending"
    assert api.decide(pending["complaint_id"], "rejected", "address_valid").status == 400
    rejected = api.decide(pending["complaint_id"], "rejected", "cancellations_within_normal_range")
    assert rejected.status == 200
    seen = api.call("GET", f"/complaints/{pending['complaint_id']}").body
    assert seen["decision"]["unmet_criteria"] == ["paid_orders_cancelled_by_buyer"]

    # the SLA sweep decides one nobody reviewed, from a fresh assessment, before 48 h
    swept = api.submit("o-y2", CODE).body["complaint_id"]
    clock.advance(hours=47, minutes=31)
    _job(client, "sla_sweep")
    decided = api.call("GET", f"/complaints/{swept}").body
    assert decided["decision"]["decided_by"] == "sla"
    assert decided["decision"]["reason_code"] == "cancellations_within_normal_range"

    # the exemption job applies the uphold: the order leaves the cancellation rate
    before = api.call("GET", "/metrics").body["metrics"]["cancellation_rate"]["after_exemptions"]
    _job(client, "exemption_job")
    shown = api.call("GET", f"/complaints/{upheld['complaint_id']}").body["exemption"]
    assert shown["status"] == "applied"
    assert [m["metric"] for m in shown["metrics"]] == ["cancellation_rate"]
    after = api.call("GET", "/metrics").body["metrics"]["cancellation_rate"]["after_exemptions"]
    assert (after["numerator"], after["denominator"]) == (
        before["numerator"] - 1,
        before["denominator"] - 1,
    )
