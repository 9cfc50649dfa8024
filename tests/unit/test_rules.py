"""Every rule of docs/product.md on both sides of every threshold."""

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.event_schema import parse_event
from chalicelib.domain.address import ISO_COUNTRIES, address_problems
from chalicelib.domain.facts import Address, OrderFacts
from chalicelib.domain.reasons import all_reasons
from chalicelib.domain.rules import BuyerActivity, Case, Thresholds, shown_value
from chalicelib.domain.scenarios import REGISTRY
from chalicelib.domain.scenarios import assess_case as assess
from tests.builders import T0, dispute_event, message_event, order_event, review_event

NOW = T0
SELLER = "s-1"
RULES = [rule for scenario in REGISTRY for rule in scenario.rules()]


def decision_reason_codes(outcome: str) -> frozenset[str]:
    """Every code a decision with ``outcome`` may give, in any scenario."""
    return frozenset(code for s in REGISTRY for code in s.decision_reasons()[outcome])


def _decision_reasons(scenario: str, reason: str | None = None) -> dict[str, tuple[str, ...]]:
    found = REGISTRY.get(scenario)
    assert found is not None
    return found.decision_reasons(reason)


def _p(raw: dict[str, Any]) -> Any:
    return parse_event(raw).payload


def _case(
    scenario: str,
    *,
    order: Any = None,
    messages: tuple[Any, ...] = (),
    orders: tuple[Any, ...] = (),
    disputes: tuple[Any, ...] = (),
    reviews: tuple[Any, ...] = (),
    upheld: dict[str, frozenset[str]] | None = None,
    reason: str | None = None,
    now: Any = NOW,
) -> Case:
    order = order or _p(order_event("o-x", status="paid"))
    return Case(
        scenario=scenario,
        reason=reason,
        seller_id=SELLER,
        order=OrderFacts(order=order, messages=messages),
        buyer=BuyerActivity(
            orders=orders, disputes=disputes, reviews=reviews, upheld_elsewhere=upheld or {}
        ),
        now=now,
        thresholds=Thresholds(),
    )


def _criterion(case: Case, name: str) -> dict[str, Any]:
    return next(c for c in assess(case).criteria_dicts() if c["name"] == name)


# --- malicious ordering ----------------------------------------------------------------
def _orders(total: int, bad: int, *, seller: str = SELLER, days_ago: float = 5) -> tuple[Any, ...]:
    made = []
    for i in range(total):
        status = "placed" if i < bad else "delivered"
        made.append(
            _p(
                order_event(
                    f"o-{seller}-{i}",
                    seller_id=seller,
                    status=status,
                    placed_at=NOW - timedelta(days=days_ago),
                )
            )
        )
    return tuple(made)


@pytest.mark.parametrize(
    ("total", "bad", "outcome"),
    [
        (5, 4, "upheld"),
        (4, 4, "rejected"),
        (5, 3, "rejected"),
        (10, 8, "upheld"),
        (10, 7, "rejected"),
    ],
)
def test_ordering_volume_and_ratio(total: int, bad: int, outcome: str) -> None:
    result = assess(_case("malicious_ordering", orders=_orders(total, bad)))
    assert result.outcome == outcome
    assert result.reason_code == (
        "malicious_ordering_confirmed" if outcome == "upheld" else "not_malicious_competition"
    )


def test_ordering_counts_buyer_cancellations_but_not_seller_cancellations() -> None:
    def cancelled(i: int, by: str) -> Any:
        return _p(
            order_event(
                f"c-{by}-{i}",
                status="cancelled",
                paid_at=NOW - timedelta(days=4),
                cancelled_by=by,
                placed_at=NOW - timedelta(days=5),
            )
        )

    by_buyer = tuple(cancelled(i, "buyer") for i in range(5))
    by_seller = tuple(cancelled(i, "seller") for i in range(5))
    assert assess(_case("malicious_ordering", orders=by_buyer)).outcome == "upheld"
    assert assess(_case("malicious_ordering", orders=by_seller)).outcome == "rejected"


def test_ordering_only_counts_this_seller_within_30_days() -> None:
    old = _orders(5, 5, days_ago=31)
    elsewhere = _orders(5, 5, seller="s-2")
    assert assess(_case("malicious_ordering", orders=old + elsewhere)).outcome == "rejected"
    assert (
        _criterion(
            _case("malicious_ordering", orders=_orders(5, 5, days_ago=29.9)), "orders_at_seller_30d"
        )["observed"]
        == 5
    )


@pytest.mark.parametrize(("sellers", "outcome"), [(2, "upheld"), (1, "rejected")])
@pytest.mark.parametrize("scenario", ["malicious_ordering", "malicious_review"])
def test_other_sellers_upheld_complaints(scenario: str, sellers: int, outcome: str) -> None:
    upheld = {scenario: frozenset(f"s-{i + 10}" for i in range(sellers))}
    case = _case(scenario, upheld=upheld)
    assert assess(case).outcome == outcome
    assert _criterion(case, "other_sellers_upheld_in_window")["observed"] == sellers


# --- malicious review -----------------------------------------------------------------
def _reviews(ratings: list[int], sellers: list[str]) -> tuple[Any, ...]:
    return tuple(
        _p(
            review_event(
                f"r-{i}", f"o-r-{i}", rating=r, seller_id=s, posted_at=NOW - timedelta(days=10)
            )
        )
        for i, (r, s) in enumerate(zip(ratings, sellers, strict=True))
    )


@pytest.mark.parametrize(
    ("ratings", "sellers", "outcome"),
    [
        ([1, 1, 2, 5, 5], ["a", "b", "c", "a", "b"], "upheld"),  # 5 reviews, 60 %, 3 sellers
        ([1, 1, 2, 5], ["a", "b", "c", "a"], "rejected"),  # 4 reviews
        ([1, 1, 5, 5, 5], ["a", "b", "c", "a", "b"], "rejected"),  # 40 %
        ([1, 1, 2, 5, 5], ["a", "a", "b", "c", "c"], "rejected"),  # 2 sellers reviewed badly
    ],
)
def test_review_pattern(ratings: list[int], sellers: list[str], outcome: str) -> None:
    result = assess(_case("malicious_review", reviews=_reviews(ratings, sellers)))
    assert result.outcome == outcome
    if outcome == "rejected":
        assert result.reason_code == "subjective_review_of_normal_sale"
        assert result.unmet


# --- malicious dispute ----------------------------------------------------------------
def _disputes(sellers: list[str], resolutions: list[str | None] | None = None) -> tuple[Any, ...]:
    resolutions = resolutions or [None] * len(sellers)
    return tuple(
        _p(
            dispute_event(
                f"d-{i}",
                f"o-d-{i}",
                seller_id=s,
                resolution=res,
                status="closed" if res else "open",
                opened_at=NOW - timedelta(days=20),
            )
        )
        for i, (s, res) in enumerate(zip(sellers, resolutions, strict=True))
    )


def _paid(n: int) -> tuple[Any, ...]:
    return tuple(
        _p(order_event(f"p-{i}", status="delivered", placed_at=NOW - timedelta(days=30)))
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("sellers", "paid", "outcome"),
    [
        (["a", "b", "a"], 10, "upheld"),  # 3 disputes, 30 %, 2 sellers
        (["a", "b"], 5, "rejected"),  # 2 disputes
        (["a", "b", "a"], 11, "rejected"),  # 27 %
        (["a", "a", "a"], 5, "rejected"),  # 1 seller
    ],
)
def test_dispute_pattern(sellers: list[str], paid: int, outcome: str) -> None:
    result = assess(_case("malicious_dispute", disputes=_disputes(sellers), orders=_paid(paid)))
    assert result.outcome == outcome
    if outcome == "rejected":
        assert result.reason_code == "buyer_behaviour_within_normal_range"


@pytest.mark.parametrize(
    ("resolutions", "outcome"),
    [
        (["seller_favour", "seller_favour"], "upheld"),
        (["seller_favour", "buyer_favour"], "rejected"),
    ],
)
def test_disputes_closed_in_the_sellers_favour(resolutions: list[str | None], outcome: str) -> None:
    case = _case("malicious_dispute", disputes=_disputes(["a", "a"], resolutions), orders=_paid(50))
    assert assess(case).outcome == outcome


# --- harassment -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hours", "note", "outcome"),
    [
        (24, "junk", "upheld"),
        (23.9, "junk", "rejected"),
        (48, None, "rejected"),
        (48, "   ", "rejected"),
    ],
)
def test_harassment_unpaid_order_with_a_note(hours: float, note: str | None, outcome: str) -> None:
    order = _p(
        order_event("o-h", status="placed", buyer_note=note, placed_at=NOW - timedelta(hours=hours))
    )
    result = assess(_case("malicious_harassment", order=order))
    assert result.outcome == outcome
    if outcome == "rejected":
        assert result.reason_code == "order_behaviour_normal"


@pytest.mark.parametrize(("count", "outcome"), [(3, "upheld"), (2, "rejected")])
def test_harassment_pattern_of_unpaid_noted_orders(count: int, outcome: str) -> None:
    fresh = _p(
        order_event("o-h", status="placed", buyer_note="x", placed_at=NOW - timedelta(hours=1))
    )
    noted = tuple(
        _p(
            order_event(
                f"o-n-{i}", status="placed", buyer_note="spam", placed_at=NOW - timedelta(days=2)
            )
        )
        for i in range(count)
    )
    old = tuple(
        _p(
            order_event(
                f"o-old-{i}", status="placed", buyer_note="spam", placed_at=NOW - timedelta(days=8)
            )
        )
        for i in range(3)
    )
    assert assess(_case("malicious_harassment", order=fresh, orders=noted + old)).outcome == outcome


# --- non-fulfilment protection --------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        ({"recipient": ""}, ["recipient_missing"]),
        ({"street": None}, ["street_missing"]),
        ({"city": " "}, ["city_missing"]),
        ({"country": None, "postal_code": "62701"}, ["country_missing"]),
        ({"postal_code": None}, ["postal_code_missing"]),
        ({"postal_code": "6270"}, ["postal_code_malformed"]),
        ({"postal_code": "62701-1234"}, []),
    ],
)
def test_us_address_validation(changes: dict[str, Any], problems: list[str]) -> None:
    base = {
        "recipient": "A",
        "street": "1 Main",
        "city": "X",
        "postal_code": "62701",
        "country": "US",
    }
    assert address_problems(Address(**{**base, **changes})) == problems


@pytest.mark.parametrize(
    ("country", "good", "bad"),
    [
        ("CN", "100080", "10008"),
        ("GB", "SW1A 1AA", "12345"),
        ("DE", "10115", "1011"),
        ("FR", "75008", "7500"),
        ("ES", "28013", "53001"),
        ("RU", "101000", "10100"),
        ("BR", "01304-001", "0130-4001"),
    ],
)
def test_postal_codes_per_country(country: str, good: str, bad: str) -> None:
    base = {"recipient": "A", "street": "S", "city": "C", "country": country}
    assert address_problems(Address(**base, postal_code=good)) == []
    assert address_problems(Address(**base, postal_code=bad)) == ["postal_code_malformed"]


def test_address_rule_upholds_an_invalid_address_and_rejects_a_valid_one() -> None:
    bad = _p(order_event("o-a", status="paid", shipping_address={"city": "X", "country": "DE"}))
    good = _p(order_event("o-b", status="paid"))
    upheld = assess(_case("non_fulfillment_protection", order=bad, reason="address_invalid"))
    assert upheld.outcome == "upheld"
    assert upheld.criteria_dicts()[0]["observed"] == [
        "recipient_missing",
        "street_missing",
        "postal_code_missing",
    ]
    rejected = assess(_case("non_fulfillment_protection", order=good, reason="address_invalid"))
    assert (rejected.outcome, rejected.reason_code) == ("rejected", "address_valid")


def _custom_case(
    *,
    custom: bool = True,
    seller_msg_hours_ago: float | None = 80,
    buyer_reply_after: float | None = None,
) -> Case:
    order = _p(
        order_event(
            "o-c",
            status="paid",
            custom_item=custom,
            placed_at=NOW - timedelta(days=10),
            paid_at=NOW - timedelta(days=9),
        )
    )
    messages: list[Any] = []
    if seller_msg_hours_ago is not None:
        sent = NOW - timedelta(hours=seller_msg_hours_ago)
        messages.append(_p(message_event("m-s", "o-c", sender="seller", sent_at=sent)))
        if buyer_reply_after is not None:
            messages.append(
                _p(
                    message_event(
                        "m-b",
                        "o-c",
                        sender="buyer",
                        sent_at=sent + timedelta(hours=buyer_reply_after),
                    )
                )
            )
    return _case(
        "non_fulfillment_protection",
        order=order,
        messages=tuple(messages),
        reason="custom_item_no_response",
    )


@pytest.mark.parametrize(
    ("kwargs", "outcome", "reason"),
    [
        ({}, "upheld", "custom_item_no_response_confirmed"),
        ({"seller_msg_hours_ago": 72}, "upheld", "custom_item_no_response_confirmed"),
        ({"seller_msg_hours_ago": 71.9}, "rejected", "response_window_open"),
        ({"custom": False}, "rejected", "not_custom_item"),
        ({"seller_msg_hours_ago": None}, "rejected", "no_seller_message"),
        ({"buyer_reply_after": 71}, "rejected", "buyer_responded"),
        (
            {"buyer_reply_after": 73, "seller_msg_hours_ago": 80},
            "upheld",
            "custom_item_no_response_confirmed",
        ),
    ],
)
def test_custom_item_without_response(kwargs: dict[str, Any], outcome: str, reason: str) -> None:
    result = assess(_custom_case(**kwargs))
    assert (result.outcome, result.reason_code) == (outcome, reason)


def test_custom_item_ignores_seller_messages_before_payment() -> None:
    case = _custom_case(seller_msg_hours_ago=24 * 9.5)  # before paid_at
    assert assess(case).reason_code == "no_seller_message"


# --- the table ------------------------------------------------------------------------
def test_every_reason_code_a_rule_can_give_has_both_texts() -> None:
    REASONS = all_reasons()
    produced = {rule.upheld_reason for rule in RULES} | decision_reason_codes("rejected")
    for code in produced | decision_reason_codes("upheld"):
        assert code in REASONS and REASONS[code].zh and REASONS[code].en, code


def test_thresholds_are_configuration() -> None:
    orders = _orders(4, 4)
    lenient = Case(
        scenario="malicious_ordering",
        reason=None,
        seller_id=SELLER,
        order=OrderFacts(order=orders[0]),
        buyer=BuyerActivity(orders=orders),
        now=NOW,
        thresholds=Thresholds(ordering_min_orders=4),
    )
    assert assess(lenient).outcome == "upheld"


def test_criteria_report_observed_values_thresholds_and_met() -> None:
    result = assess(_case("malicious_ordering", orders=_orders(6, 3)))
    volume = next(c for c in result.criteria_dicts() if c["name"] == "orders_at_seller_30d")
    ratio = next(
        c for c in result.criteria_dicts() if c["name"] == "unpaid_or_buyer_cancelled_ratio"
    )
    assert volume == {
        "name": "orders_at_seller_30d",
        "alternative": "orders_at_this_seller",
        "observed": 6,
        "threshold": 5,
        "comparison": ">=",
        "met": True,
    }
    assert (ratio["observed"], ratio["threshold"], ratio["met"]) == (0.5, 0.8, False)
    assert {c.name for c in result.unmet} == {
        "unpaid_or_buyer_cancelled_ratio",
        "other_sellers_upheld_in_window",
    }


# --- exact thresholds (issue 12.1) ----------------------------------------------------
def test_harassment_waits_the_full_24_hours_to_the_minute() -> None:
    """23 h 57 min unpaid is not 24 h: compared exactly, and never shown as 24.0."""
    early = _p(
        order_event(
            "o-h",
            status="placed",
            buyer_note="junk",
            placed_at=NOW - timedelta(hours=23, minutes=57),
        )
    )
    result = assess(_case("malicious_harassment", order=early))
    assert result.outcome == "rejected"
    shown = _criterion(_case("malicious_harassment", order=early), "hours_unpaid_since_placed")
    assert shown["met"] is False and shown["observed"] < 24
    just = _p(
        order_event("o-h", status="placed", buyer_note="junk", placed_at=NOW - timedelta(hours=24))
    )
    assert assess(_case("malicious_harassment", order=just)).outcome == "upheld"


def test_custom_item_buyer_keeps_the_last_three_minutes_of_72_hours() -> None:
    case = _custom_case(seller_msg_hours_ago=71 + 57 / 60)
    result = assess(case)
    assert (result.outcome, result.reason_code) == ("rejected", "response_window_open")
    shown = _criterion(case, "hours_since_first_seller_message")
    assert shown["met"] is False and shown["observed"] < 72


@pytest.mark.parametrize(
    ("observed", "threshold", "met", "expected"),
    [
        (23.99999, 24, False, 23.9999),  # would round up to 24.0 >= 24
        (0.79999, 0.8, False, 0.7999),
        (24.00001, 24, True, 24.0),
        (0.5, 0.8, False, 0.5),
        (1 / 3, 0.3, True, 0.3333),
        (5, 5, True, 5),
    ],
)
def test_a_shown_value_never_contradicts_met(
    observed: float, threshold: float, met: bool, expected: float
) -> None:
    shown = shown_value(observed, threshold, ">=", met)
    assert shown == expected
    assert (shown >= threshold) == met


# --- alternatives (issue 12.3) --------------------------------------------------------
def test_an_uphold_by_one_alternative_names_it_and_lists_nothing_unmet() -> None:
    result = assess(_case("malicious_ordering", orders=_orders(6, 5)))  # rule (a) only
    assert result.outcome == "upheld"
    assert result.met_alternative == "orders_at_this_seller"
    assert result.unmet == ()
    # the other alternative's criterion is still reported, as checked and not met
    network = next(c for c in result.criteria if c.name == "other_sellers_upheld_in_window")
    assert (network.alternative, network.met) == ("upheld_by_other_sellers", False)


def test_a_rejection_lists_what_was_not_met_in_every_alternative() -> None:
    result = assess(_case("malicious_ordering", orders=_orders(4, 4)))
    assert result.outcome == "rejected" and result.met_alternative is None
    assert {(c.alternative, c.name) for c in result.unmet} == {
        ("orders_at_this_seller", "orders_at_seller_30d"),
        ("upheld_by_other_sellers", "other_sellers_upheld_in_window"),
    }


# --- reasons by scenario (issue 12.2) -------------------------------------------------
def test_decision_reasons_belong_to_their_scenario() -> None:
    ordering = _decision_reasons("malicious_ordering")
    assert ordering == {
        "upheld": ("malicious_ordering_confirmed", "complaint_upheld"),
        "rejected": ("not_malicious_competition", "insufficient_evidence"),
    }
    address = _decision_reasons("non_fulfillment_protection", "address_invalid")
    assert "address_valid" in address["rejected"] and "buyer_responded" not in address["rejected"]
    both = _decision_reasons("non_fulfillment_protection")
    assert {"address_valid", "buyer_responded"} <= set(both["rejected"])
    every = {code for rule in RULES for code in rule.rejected_reasons}
    assert every | {"insufficient_evidence"} == decision_reason_codes("rejected")


# --- countries (issue 12.4) -----------------------------------------------------------
def test_the_country_list_is_iso_3166_1_alpha_2() -> None:
    assert len(ISO_COUNTRIES) == 249 and all(len(c) == 2 and c.isupper() for c in ISO_COUNTRIES)


@pytest.mark.parametrize("country", ["ZZ", "XX", "UK", "EU", "Q1"])
def test_a_country_that_does_not_exist_is_an_invalid_address(country: str) -> None:
    address = Address(recipient="A", street="S", city="C", postal_code="12345", country=country)
    assert "country_invalid" in address_problems(address)


@pytest.mark.parametrize("country", ["US", "de", "HK", "AX", "SS"])
def test_real_countries_are_valid(country: str) -> None:
    postal = {"US": "62701", "de": "10115"}.get(country, "999")
    address = Address(recipient="A", street="S", city="C", postal_code=postal, country=country)
    assert "country_invalid" not in address_problems(address)


# --- the buyer's activity from day counters (domain/buyer_activity.py) ---------------------


def test_a_day_read_as_counters_cannot_start_a_window_and_other_sellers_days_are_not_read() -> None:
    from chalicelib.domain.buyer_activity import BuyerActivity, counter_key, read_plan

    plan = read_plan(NOW, 90, [30])
    assert len(plan.item_ranges) == 3 and plan.whole_days is not None
    order = _p(order_event("o-1", placed_at=NOW - timedelta(days=40)))
    day = order.placed_at.date()
    buyer = BuyerActivity(
        days={day: {counter_key(order): 2}},
        seller_days={day: {counter_key(order): 2}},
        seller_id=SELLER,
        item_days=plan.item_days,
    )
    assert buyer.count("orders") == 2
    assert buyer.count("orders", seller_id=SELLER, since=NOW - timedelta(days=30)) == 0
    with pytest.raises(ValueError, match="declare it"):  # 20 days: not a window read
        buyer.count("orders", since=NOW - timedelta(days=20))
    with pytest.raises(ValueError, match="were not read"):
        buyer.count("orders", seller_id="s-other")
    with pytest.raises(ValueError, match="not kept by day"):
        buyer.sellers("orders")
