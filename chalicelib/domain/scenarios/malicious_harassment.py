"""恶意骚扰 — malicious harassment: e.g. orders placed and never paid, with junk notes
(docs/product.md)."""

from __future__ import annotations

from chalicelib.domain.metrics import ORDER
from chalicelib.domain.rules import Case, Criterion, Rule, at_least, equals, fixed, path, since
from chalicelib.domain.scenario import Exemption, Scenario
from chalicelib.domain.text import Text


def unpaid_order_with_note(case: Case) -> list[Criterion]:
    """This order is unpaid ≥ 24 h after being placed and carries a buyer note."""
    order = case.order.order
    assert order is not None
    hours = case.thresholds["harassment_unpaid_hours"]
    unpaid_hours = (case.now - order.placed_at).total_seconds() / 3600 if not order.is_paid else 0.0
    return [
        equals("order_has_buyer_note", bool(order.buyer_note and order.buyer_note.strip()), True),
        at_least("hours_unpaid_since_placed", unpaid_hours, hours),
    ]


def unpaid_orders_with_notes(case: Case) -> list[Criterion]:
    """The buyer placed ≥ 3 unpaid orders with notes at this seller in the last 7 days."""
    t = case.thresholds
    recent = since(case, t["harassment_days"])
    noted = case.buyer.count(
        "orders", lambda o: not o.is_paid and o.has_note, since=recent, seller_id=case.seller_id
    )
    return [at_least("unpaid_orders_with_notes_7d", noted, t["harassment_min_orders"])]


SCENARIO = Scenario(
    code="malicious_harassment",
    name=Text("恶意骚扰", "Malicious harassment"),
    group="abnormal_buyer",
    dimension="order",
    description=Text(
        "如买家下单不付款并留下垃圾留言",
        "E.g. orders placed and never paid, with junk notes",
    ),
    eligibility=(),
    rule=Rule(
        paths=(
            path("unpaid_order_with_note", unpaid_order_with_note),
            path("unpaid_orders_with_notes_7d", unpaid_orders_with_notes),
        ),
        upheld_reason="harassment_confirmed",
        rejected_reason=fixed("order_behaviour_normal"),
        rejected_reasons=("order_behaviour_normal",),
        thresholds={
            "harassment_unpaid_hours": 24,
            "harassment_days": 7,
            "harassment_min_orders": 3,
        },
        windows=("harassment_days",),
    ),
    reasons={
        "harassment_confirmed": Text("确认买家恶意骚扰", "Harassment by this buyer confirmed"),
        "order_behaviour_normal": Text("订单行为正常", "The order behaviour is normal"),
    },
    exemption=(Exemption(ORDER, ("cancellation_rate", "non_fulfillment_rate")),),
)
