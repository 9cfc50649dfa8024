"""Reason codes with their texts in 中文 and English — the one catalogue for every code a
seller or reviewer can see (eligibility refusals and decision reasons)."""

from __future__ import annotations

from chalicelib.domain.rules import GENERIC_REASONS, RULES
from chalicelib.domain.scenarios import Text

REASONS: dict[str, Text] = {
    # eligibility (422 at submission)
    "unknown_scenario": Text("不支持的举报场景", "Unknown complaint scenario"),
    "no_negative_review": Text("该订单没有1-2星评价", "The order has no review rated 1-2"),
    "no_dispute": Text("该订单没有纠纷", "The order has no dispute"),
    "order_not_paid": Text("订单尚未付款", "The order has not been paid"),
    "order_already_shipped": Text("订单已发货", "The order has already been shipped"),
    "reason_required": Text("请选择具体原因", "A reason must be given for this scenario"),
    "reason_not_applicable": Text(
        "该原因不适用于此场景", "The reason does not apply to this scenario"
    ),
    # upheld
    "complaint_upheld": Text("举报成立", "Complaint upheld"),
    "malicious_ordering_confirmed": Text(
        "确认买家恶意下单", "Malicious ordering by this buyer confirmed"
    ),
    "malicious_review_confirmed": Text(
        "确认买家恶意评价", "Malicious reviews by this buyer confirmed"
    ),
    "malicious_dispute_confirmed": Text(
        "确认买家恶意纠纷", "Bad-faith disputes by this buyer confirmed"
    ),
    "harassment_confirmed": Text("确认买家恶意骚扰", "Harassment by this buyer confirmed"),
    "address_invalid_confirmed": Text(
        "确认买家地址无效或不完整", "The buyer's address is invalid or incomplete"
    ),
    "custom_item_no_response_confirmed": Text(
        "确认定制商品买家未在72小时内回复",
        "The buyer did not answer about the custom item in 72 hours",
    ),
    # rejections (DESIGN §4)
    "not_malicious_competition": Text(
        "未发现同行恶意竞争行为", "No sign of malicious competition by this buyer"
    ),
    "subjective_review_of_normal_sale": Text(
        "该评价属于正常交易的主观评价", "The review is a subjective review of a normal sale"
    ),
    "buyer_behaviour_within_normal_range": Text(
        "买家全站纠纷行为在正常范围内", "The buyer's dispute behaviour is within the normal range"
    ),
    "order_behaviour_normal": Text("订单行为正常", "The order behaviour is normal"),
    "address_valid": Text("买家收货地址有效", "The buyer's shipping address is valid"),
    "not_custom_item": Text("该商品不是定制商品", "The item is not a custom item"),
    "buyer_responded": Text("买家已在规定时间内回复", "The buyer responded in time"),
    "no_seller_message": Text(
        "付款后卖家未联系买家", "The seller did not message the buyer after payment"
    ),
    "insufficient_evidence": Text("证据不足", "Insufficient evidence"),
    "response_window_open": Text(
        "买家回复期（72小时）尚未结束", "The buyer's 72-hour response window has not ended"
    ),
}


def reason_text(code: str) -> Text:
    return REASONS.get(code, Text(code, code))


#: Codes a decision may give, by outcome (eligibility codes are for 422s only); which of
#: them fit a given scenario: ``rules.decision_reasons``.
UPHELD_REASONS = frozenset(
    code for rule in RULES.values() for code in (rule.upheld_reason, *GENERIC_REASONS["upheld"])
)
REJECTION_REASONS = frozenset(
    code
    for rule in RULES.values()
    for code in (*rule.rejected_reasons, *GENERIC_REASONS["rejected"])
)
