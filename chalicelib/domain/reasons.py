"""Reason codes with their texts in 中文 and English.

Decision reasons (upheld and rejected) belong to the scenario records (``scenarios/``) and
the generic ones to ``scenario.GENERIC_REASONS``; this module adds the refusals every
scenario shares (422 at submission) and looks any code up.
"""

from __future__ import annotations

from chalicelib.domain.scenario import GENERIC_REASONS
from chalicelib.domain.scenarios import REGISTRY
from chalicelib.domain.text import Text

#: Why a submission is refused (422), whatever the scenario.
ELIGIBILITY_REASONS: dict[str, Text] = {
    "unknown_scenario": Text("不支持的举报场景", "Unknown complaint scenario"),
    "no_negative_review": Text("该订单没有1-2星评价", "The order has no review rated 1-2"),
    "no_dispute": Text("该订单没有纠纷", "The order has no dispute"),
    "order_not_paid": Text("订单尚未付款", "The order has not been paid"),
    "order_already_shipped": Text("订单已发货", "The order has already been shipped"),
    "reason_required": Text("请选择具体原因", "A reason must be given for this scenario"),
    "reason_not_applicable": Text(
        "该原因不适用于此场景", "The reason does not apply to this scenario"
    ),
}


def all_reasons() -> dict[str, Text]:
    """Every code a seller or reviewer can see: refusals, then each scenario's decision
    reasons, then the generic ones (``GET /scenarios``)."""
    found = dict(ELIGIBILITY_REASONS)
    for scenario in REGISTRY:
        found.update(scenario.reasons)
    for texts in GENERIC_REASONS.values():
        found.update(texts)
    return found


def reason_text(code: str) -> Text:
    return REGISTRY.reason_text(code) or ELIGIBILITY_REASONS.get(code) or Text(code, code)
