"""恶拍下单 — malicious ordering: a competitor's buyer accounts place many orders to hurt
the store (docs/product.md)."""

from __future__ import annotations

from chalicelib.domain.buyer_activity import OrderProfile
from chalicelib.domain.metrics import BUYER_ORDERS
from chalicelib.domain.rules import (
    Case,
    Criterion,
    Rule,
    at_least,
    fixed,
    path,
    ratio,
    since,
    upheld_by_other_sellers,
)
from chalicelib.domain.scenario import Exemption, Scenario
from chalicelib.domain.text import Text


def unpaid_or_buyer_cancelled(order: OrderProfile) -> bool:
    return not order.is_paid or (order.status == "cancelled" and order.cancelled_by == "buyer")


def orders_at_this_seller(case: Case) -> list[Criterion]:
    """(a) ≥ 5 orders at this seller in 30 days, ≥ 80 % never paid or cancelled by the buyer."""
    t = case.thresholds
    recent = since(case, t["ordering_days"])
    orders = case.buyer.count("orders", since=recent, seller_id=case.seller_id)
    bad = case.buyer.count(
        "orders", unpaid_or_buyer_cancelled, since=recent, seller_id=case.seller_id
    )
    return [
        at_least("orders_at_seller_30d", orders, t["ordering_min_orders"]),
        at_least(
            "unpaid_or_buyer_cancelled_ratio", ratio(bad, orders), t["ordering_min_bad_ratio"]
        ),
    ]


SCENARIO = Scenario(
    code="malicious_ordering",
    name=Text("恶拍下单", "Malicious ordering"),
    group="abnormal_buyer",
    dimension="buyer_account",
    description=Text(
        "同行买家账号大量恶意下单，影响店铺经营",
        "A competitor's buyer accounts place many orders to hurt the store",
    ),
    eligibility=(),
    rule=Rule(
        paths=(
            path("orders_at_this_seller", orders_at_this_seller),
            path("upheld_by_other_sellers", upheld_by_other_sellers("malicious_ordering")),
        ),
        upheld_reason="malicious_ordering_confirmed",
        rejected_reason=fixed("not_malicious_competition"),
        rejected_reasons=("not_malicious_competition",),
        thresholds={
            "ordering_days": 30,
            "ordering_min_orders": 5,
            "ordering_min_bad_ratio": 0.8,
            "other_sellers_upheld": 2,
        },
        windows=("ordering_days",),
    ),
    reasons={
        "malicious_ordering_confirmed": Text(
            "确认买家恶意下单", "Malicious ordering by this buyer confirmed"
        ),
        "not_malicious_competition": Text(
            "未发现同行恶意竞争行为", "No sign of malicious competition by this buyer"
        ),
    },
    exemption=(Exemption(BUYER_ORDERS, ("cancellation_rate", "non_fulfillment_rate")),),
)
