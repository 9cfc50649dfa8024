"""The scenario catalogue (DESIGN §2) — the single place a complaint type is defined.

Adding a scenario is adding one ``Scenario`` to ``CATALOGUE``: its labels, group, what it
is judged on, the fields a submission needs, its sub-reasons and the names of the
eligibility checks (defined in ``eligibility.py``) that must pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Text(NamedTuple):
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


class SubReason(NamedTuple):
    code: str
    name: Text


@dataclass(frozen=True)
class Scenario:
    code: str
    name: Text
    group: str
    dimension: str
    description: Text
    required_fields: tuple[str, ...] = ("order_id", "description")
    sub_reasons: tuple[SubReason, ...] = ()
    eligibility: tuple[str, ...] = field(default=())

    @property
    def sub_reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.sub_reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name.as_dict(),
            "group": self.group,
            "group_name": GROUPS[self.group].as_dict(),
            "dimension": self.dimension,
            "description": self.description.as_dict(),
            "required_fields": list(self.required_fields),
            "sub_reasons": [
                {"code": reason.code, "name": reason.name.as_dict()} for reason in self.sub_reasons
            ],
        }


GROUPS: dict[str, Text] = {
    "abnormal_buyer": Text("异常买家", "Abnormal buyer"),
    "metric_protection": Text("指标保护", "Metric protection"),
}

CATALOGUE: tuple[Scenario, ...] = (
    Scenario(
        code="malicious_ordering",
        name=Text("恶拍下单", "Malicious ordering"),
        group="abnormal_buyer",
        dimension="buyer_account",
        description=Text(
            "同行买家账号大量恶意下单，影响店铺经营",
            "A competitor's buyer accounts place many orders to hurt the store",
        ),
    ),
    Scenario(
        code="malicious_review",
        name=Text("恶意评价", "Malicious review"),
        group="abnormal_buyer",
        dimension="buyer_account",
        description=Text(
            "买家恶意给出差评（如同行恶意差评）",
            "Bad-faith negative reviews, e.g. competitor review bombing",
        ),
        eligibility=("has_negative_review",),
    ),
    Scenario(
        code="malicious_dispute",
        name=Text("恶意纠纷", "Malicious dispute"),
        group="abnormal_buyer",
        dimension="buyer_site_behaviour",
        description=Text(
            "买家恶意提起纠纷，按买家全站行为判定",
            "Bad-faith disputes, judged on the buyer's whole-site behaviour",
        ),
        eligibility=("has_dispute",),
    ),
    Scenario(
        code="malicious_harassment",
        name=Text("恶意骚扰", "Malicious harassment"),
        group="abnormal_buyer",
        dimension="order",
        description=Text(
            "如买家下单不付款并留下垃圾留言",
            "E.g. orders placed and never paid, with junk notes",
        ),
    ),
    Scenario(
        code="non_fulfillment_protection",
        name=Text("成交不卖（指标保护）", "Non-fulfilment (metric protection)"),
        group="metric_protection",
        dimension="order",
        description=Text(
            "因买家原因无法发货：地址无效或不完整、定制商品买家未回复",
            "The seller could not ship for a reason that is the buyer's",
        ),
        required_fields=("order_id", "description", "reason"),
        sub_reasons=(
            SubReason(
                "address_invalid", Text("买家地址无效或不完整", "Invalid or incomplete address")
            ),
            SubReason(
                "custom_item_no_response",
                Text("定制商品买家未回复", "Custom item, no response from the buyer"),
            ),
        ),
        eligibility=("paid_not_shipped",),
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.code: scenario for scenario in CATALOGUE}


def get_scenario(code: str) -> Scenario | None:
    return SCENARIOS.get(code)
