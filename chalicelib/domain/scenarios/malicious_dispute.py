"""恶意纠纷 — malicious dispute: bad-faith disputes, judged on the buyer's whole-site
pattern, never on one dispute's wording (docs/product.md)."""

from __future__ import annotations

from chalicelib.domain.eligibility import has_dispute
from chalicelib.domain.metrics import CLEANING_PERIOD, ORDER, ORDER_METRICS
from chalicelib.domain.rules import Case, Criterion, Rule, at_least, fixed, path, ratio
from chalicelib.domain.scenario import Exemption, Scenario
from chalicelib.domain.text import Text


def dispute_pattern(case: Case) -> list[Criterion]:
    """≥ 3 disputes in W, on ≥ 30 % of the buyer's paid orders in W, against ≥ 2 sellers."""
    t = case.thresholds
    disputes = case.buyer.count("disputes")
    paid = case.buyer.count("orders", lambda o: o.is_paid)
    return [
        at_least("disputes_in_window", disputes, t["dispute_min_disputes"]),
        at_least(
            "disputes_per_paid_order",
            ratio(disputes, paid) if paid else float(disputes > 0),
            t["dispute_min_ratio"],
        ),
        at_least("sellers_disputed", len(case.buyer.sellers("disputes")), t["dispute_min_sellers"]),
    ]


def disputes_lost(case: Case) -> list[Criterion]:
    """≥ 2 of the buyer's disputes in W closed in the seller's favour."""
    lost = case.buyer.count("disputes", lambda d: d.resolution == "seller_favour")
    return [
        at_least(
            "disputes_closed_in_seller_favour",
            lost,
            case.thresholds["dispute_min_seller_favour"],
        )
    ]


SCENARIO = Scenario(
    code="malicious_dispute",
    name=Text("恶意纠纷", "Malicious dispute"),
    group="abnormal_buyer",
    dimension="buyer_site_behaviour",
    description=Text(
        "买家恶意提起纠纷，按买家全站行为判定",
        "Bad-faith disputes, judged on the buyer's whole-site behaviour",
    ),
    eligibility=(has_dispute,),
    rule=Rule(
        paths=(path("dispute_pattern", dispute_pattern), path("disputes_lost", disputes_lost)),
        upheld_reason="malicious_dispute_confirmed",
        rejected_reason=fixed("buyer_behaviour_within_normal_range"),
        rejected_reasons=("buyer_behaviour_within_normal_range",),
        thresholds={
            "dispute_min_disputes": 3,
            "dispute_min_ratio": 0.3,
            "dispute_min_sellers": 2,
            "dispute_min_seller_favour": 2,
        },
    ),
    reasons={
        "malicious_dispute_confirmed": Text(
            "确认买家恶意纠纷", "Bad-faith disputes by this buyer confirmed"
        ),
        "buyer_behaviour_within_normal_range": Text(
            "买家全站纠纷行为在正常范围内",
            "The buyer's dispute behaviour is within the normal range",
        ),
    },
    exemption=(Exemption(ORDER, ("dispute_rate",)), Exemption(CLEANING_PERIOD, ORDER_METRICS)),
)
