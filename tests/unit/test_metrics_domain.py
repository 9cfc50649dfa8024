from datetime import date, timedelta
from typing import Any

from chalicelib.adapters.event_schema import parse_event
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.metrics import (
    CleaningPeriod,
    contributions,
    counter_delta,
    metric_values,
    order_flags,
    went_bad_at,
)
from chalicelib.domain.rules import BuyerActivity, Case, Thresholds
from chalicelib.domain.scenarios import assess_case as assess
from tests.builders import T0, dispute_event, order_event, review_event


def _p(raw: dict[str, Any]) -> Any:
    return parse_event(raw).payload


def test_order_flags_follow_the_metric_definitions() -> None:
    def flags(status: str, **extra: Any) -> dict[str, tuple[int, int]]:
        return order_flags(_p(order_event("o", status=status, **extra)), [])

    assert flags("placed") == {
        "non_fulfillment_rate": (0, 0),
        "dispute_rate": (0, 0),
        "cancellation_rate": (1, 1),  # never paid: no payment so far
    }
    assert flags("paid")["cancellation_rate"] == (0, 1)
    assert flags("closed_unshipped")["non_fulfillment_rate"] == (1, 1)
    assert flags("delivered")["dispute_rate"] == (0, 1)
    assert flags("cancelled", cancelled_by="buyer")["cancellation_rate"] == (1, 1)
    disputed = order_flags(_p(order_event("o", status="delivered")), [_p(dispute_event("d", "o"))])
    assert disputed["dispute_rate"] == (1, 1)
    withdrawn = order_flags(
        _p(order_event("o", status="shipped")), [_p(dispute_event("d", "o", status="withdrawn"))]
    )
    assert withdrawn["dispute_rate"] == (0, 0)


def test_never_paid_means_the_same_to_the_metric_and_to_the_malicious_ordering_rule() -> None:
    """Every order the rule counts as never paid is in cancellation_rate's numerator, at
    any moment: while it waits for payment, once it is closed unpaid, and not once paid."""
    orders = [
        _p(order_event(f"o{i}", status=status, placed_at=T0 - timedelta(hours=i + 1), **extra))
        for i, (status, extra) in enumerate(
            [
                ("placed", {}),
                ("placed", {"buyer_note": "add me"}),
                ("cancelled", {"cancelled_by": "system"}),
                ("paid", {}),
                ("delivered", {}),
            ]
        )
    ]
    case = Case(
        scenario="malicious_ordering",
        reason=None,
        seller_id="s-1",
        order=OrderFacts(order=orders[0]),
        buyer=BuyerActivity(orders=tuple(orders)),
        now=T0,
        thresholds=Thresholds(),
    )
    ratio = next(
        c.observed for c in assess(case).criteria if c.name == "unpaid_or_buyer_cancelled_ratio"
    )
    numerator = sum(order_flags(o, [])["cancellation_rate"][0] for o in orders)
    assert ratio == numerator / len(orders) == 3 / 5


def test_an_exemption_removes_only_what_counts_against_the_seller() -> None:
    good = OrderFacts(order=_p(order_event("o", status="paid")))
    (unit,) = contributions(good, {("ORDER", "non_fulfillment_rate"): "c1"})
    assert unit.kept["non_fulfillment_rate"] == (0, 1) and unit.exempt_by == {}
    turned_bad = OrderFacts(order=_p(order_event("o", status="closed_unshipped", version=2)))
    (unit,) = contributions(turned_bad, {("ORDER", "non_fulfillment_rate"): "c1"})
    assert unit.raw["non_fulfillment_rate"] == (1, 1)
    assert unit.kept["non_fulfillment_rate"] == (0, 0)
    assert unit.exempt_by == {"non_fulfillment_rate": "c1"}


def test_cleaning_windows_cover_orders_placed_within_them() -> None:
    window = CleaningPeriod("c9", T0, T0 + timedelta(days=90))
    inside = OrderFacts(
        order=_p(
            order_event(
                "o", status="cancelled", cancelled_by="buyer", placed_at=T0 + timedelta(days=1)
            )
        )
    )
    before = OrderFacts(
        order=_p(
            order_event(
                "o", status="cancelled", cancelled_by="buyer", placed_at=T0 - timedelta(days=1)
            )
        )
    )
    assert contributions(inside, {}, [window])[0].kept["cancellation_rate"] == (0, 0)
    assert contributions(before, {}, [window])[0].kept["cancellation_rate"] == (1, 1)


def test_an_order_placed_before_the_cleaning_period_leaves_a_metric_it_goes_bad_in_it() -> None:
    window = CleaningPeriod("c9", T0, T0 + timedelta(days=90))
    placed = T0 - timedelta(days=3)

    def kept(status_at: Any, *disputes: Any, **order: Any) -> dict[str, tuple[int, int]]:
        facts = OrderFacts(order=_p(order_event("o", placed_at=placed, **order)), disputes=disputes)
        (unit,) = contributions(facts, {}, [window], status_at)
        return dict(unit.kept)

    cancelled = {"status": "cancelled", "cancelled_by": "buyer"}
    assert kept(T0 + timedelta(hours=1), **cancelled)["cancellation_rate"] == (0, 0)
    assert kept(T0 - timedelta(seconds=1), **cancelled)["cancellation_rate"] == (1, 1)
    assert kept(T0 + timedelta(days=90), **cancelled)["cancellation_rate"] == (1, 1)  # ended
    closed = {"status": "closed_unshipped"}
    assert kept(T0 + timedelta(days=2), **closed)["non_fulfillment_rate"] == (0, 0)
    assert kept(T0 - timedelta(days=2), **closed)["non_fulfillment_rate"] == (1, 1)
    # a dispute opened in the period: that metric only; a still unpaid order went bad when
    # it was placed (never paid counts from the placement)
    late = _p(dispute_event("d", "o", opened_at=T0 + timedelta(days=1)))
    early = _p(dispute_event("d0", "o", opened_at=T0 - timedelta(days=1)))
    assert kept(T0 - timedelta(days=3), late, status="delivered")["dispute_rate"] == (0, 0)
    assert kept(T0 - timedelta(days=3), early, late, status="delivered")["dispute_rate"] == (1, 1)
    assert kept(T0 + timedelta(days=1), status="placed")["cancellation_rate"] == (1, 1)
    assert went_bad_at(_p(order_event("o", status="placed", placed_at=placed)), [], None) == {
        "cancellation_rate": placed
    }


def test_reviews_are_their_own_units_on_their_posting_day() -> None:
    facts = OrderFacts(order=None, reviews=(_p(review_event("r", "o", rating=2)),))
    (unit,) = contributions(facts, {})
    assert unit.unit == "REVIEW#r" and unit.day == (T0 - timedelta(days=1)).date()
    assert unit.raw == {"negative_review_rate": (1, 1)}


def test_counter_delta_moves_a_unit_between_days_and_cancels_out() -> None:
    a = contributions(OrderFacts(order=_p(order_event("o", status="placed"))), {})[0]
    b = contributions(OrderFacts(order=_p(order_event("o", status="cancelled", placed_at=T0))), {})[
        0
    ]
    delta = counter_delta(a, b)
    assert delta[("s-1", a.day)] == {
        "cancellation_rate.num": -1,
        "cancellation_rate.den": -1,
        "cancellation_rate.num_kept": -1,
        "cancellation_rate.den_kept": -1,
    }
    assert delta[("s-1", b.day)]["cancellation_rate.num"] == 1
    assert counter_delta(b, b) == {}


def test_metric_values_sum_each_metrics_own_window() -> None:
    today = T0.date()
    days = {
        today: {
            "cancellation_rate.num": 1,
            "cancellation_rate.den": 2,
            "negative_review_rate.num": 1,
            "negative_review_rate.den": 1,
        },
        today - timedelta(days=30): {
            "cancellation_rate.num": 5,
            "cancellation_rate.den": 5,
            "negative_review_rate.den": 1,
        },
        date(2020, 1, 1): {"negative_review_rate.den": 9},
    }
    values = metric_values(days, T0)
    assert values["cancellation_rate"]["raw"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert values["negative_review_rate"]["raw"]["denominator"] == 2
    assert values["dispute_rate"]["raw"]["value"] is None
