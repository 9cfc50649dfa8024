"""成交不卖（指标保护） — non-fulfilment metric protection: the seller could not ship for a
reason that is the buyer's; one rule per sub-reason (docs/product.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.domain.address import address_problems
from chalicelib.domain.eligibility import paid_not_shipped
from chalicelib.domain.metrics import ORDER
from chalicelib.domain.rules import Case, Criterion, Rule, at_least, equals, fixed, path
from chalicelib.domain.scenario import Exemption, Scenario, SubReason
from chalicelib.domain.text import Text


def address_fails_validation(case: Case) -> list[Criterion]:
    """The shipping address fails validation (``address.address_problems``)."""
    order = case.order.order
    assert order is not None
    problems = address_problems(order.shipping_address)
    return [Criterion("address_problems", problems, "any", ">=", bool(problems))]


def _first_seller_message_after_payment(case: Case) -> datetime | None:
    order = case.order.order
    assert order is not None
    paid_at = order.paid_at
    sent = sorted(
        m.sent_at
        for m in case.order.messages
        if m.sender == "seller" and paid_at is not None and m.sent_at >= paid_at
    )
    return sent[0] if sent else None


def custom_item_silence(case: Case) -> list[Criterion]:
    """A custom item; the seller messaged the buyer after payment; no answer within 72 h
    of the seller's first such message."""
    order = case.order.order
    assert order is not None
    hours = case.thresholds["custom_response_hours"]
    first = _first_seller_message_after_payment(case)
    replied = first is not None and any(
        m.sender == "buyer" and first <= m.sent_at <= first + timedelta(hours=hours)
        for m in case.order.messages
    )
    waited = (case.now - first).total_seconds() / 3600 if first is not None else 0.0
    return [
        equals("custom_item", order.custom_item, True),
        equals("seller_messaged_after_payment", first is not None, True),
        equals("buyer_replied_within_window", replied, False),
        at_least("hours_since_first_seller_message", waited, hours),
    ]


def custom_rejection(case: Case, criteria: Sequence[Criterion]) -> str:
    """The first unmet step names the rejection."""
    unmet = {c.name for c in criteria if not c.met}
    if "custom_item" in unmet:
        return "not_custom_item"
    if "seller_messaged_after_payment" in unmet:
        return "no_seller_message"
    if "buyer_replied_within_window" in unmet:
        return "buyer_responded"
    return "response_window_open"


SCENARIO = Scenario(
    code="non_fulfillment_protection",
    name=Text("成交不卖（指标保护）", "Non-fulfilment (metric protection)"),
    group="metric_protection",
    dimension="order",
    description=Text(
        "因买家原因无法发货：地址无效或不完整、定制商品买家未回复",
        "The seller could not ship for a reason that is the buyer's",
    ),
    required_fields=("order_id", "description", "reason"),
    eligibility=(paid_not_shipped,),
    rule=None,
    sub_reasons=(
        SubReason(
            "address_invalid",
            Text("买家地址无效或不完整", "Invalid or incomplete address"),
            Rule(
                paths=(path("address_fails_validation", address_fails_validation),),
                upheld_reason="address_invalid_confirmed",
                rejected_reason=fixed("address_valid"),
                rejected_reasons=("address_valid",),
            ),
        ),
        SubReason(
            "custom_item_no_response",
            Text("定制商品买家未回复", "Custom item, no response from the buyer"),
            Rule(
                paths=(path("custom_item_no_response", custom_item_silence),),
                upheld_reason="custom_item_no_response_confirmed",
                rejected_reason=custom_rejection,
                rejected_reasons=(
                    "not_custom_item",
                    "no_seller_message",
                    "buyer_responded",
                    "response_window_open",
                ),
                thresholds={"custom_response_hours": 72},
            ),
        ),
    ),
    reasons={
        "address_invalid_confirmed": Text(
            "确认买家地址无效或不完整", "The buyer's address is invalid or incomplete"
        ),
        "custom_item_no_response_confirmed": Text(
            "确认定制商品买家未在72小时内回复",
            "The buyer did not answer about the custom item in 72 hours",
        ),
        "address_valid": Text("买家收货地址有效", "The buyer's shipping address is valid"),
        "not_custom_item": Text("该商品不是定制商品", "The item is not a custom item"),
        "buyer_responded": Text("买家已在规定时间内回复", "The buyer responded in time"),
        "no_seller_message": Text(
            "付款后卖家未联系买家", "The seller did not message the buyer after payment"
        ),
        "response_window_open": Text(
            "买家回复期（72小时）尚未结束", "The buyer's 72-hour response window has not ended"
        ),
    },
    exemption=(Exemption(ORDER, ("non_fulfillment_rate",)),),
)
