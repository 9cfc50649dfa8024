"""The assessment equals the one over the buyer's facts one by one (as it was before the day
counters), whichever way it reads the window — every fact in one page, or, past the page's
limit, the day counters and the partial days' facts (``services/assessment.py``) — for
random histories: several sellers, several versions of each fact delivered out of order and
again, times on both sides of every window's edge (to the microsecond), random ``now``,
window lengths and page limits (set low, so that histories cross them).

The reference below is the list-based computation of every criterion that reads the buyer's
activity — what the rules computed over ``case.buyer.orders``/``disputes``/``reviews`` — kept
here only, not in the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.buyer_activity import activity_range
from chalicelib.domain.facts import DisputeData, OrderData, OrderFacts, ReviewData
from chalicelib.domain.rules import Thresholds, ratio
from chalicelib.services.assessment import ACTIVITY_PAGE_LIMIT, assess_order
from chalicelib.services.ingest import ingest_events
from tests.fakes import InMemoryPorts

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SELLERS = ("s-1", "s-2", "s-3")
SCENARIOS = ("malicious_ordering", "malicious_harassment", "malicious_dispute", "malicious_review")


def reference(facts: list[Any], seller: str, now: datetime, t: Thresholds) -> dict[str, Any]:
    """Every buyer-activity criterion's observed value, computed over the facts in W."""
    orders = [f for f in facts if isinstance(f, OrderData)]
    disputes = [f for f in facts if isinstance(f, DisputeData)]
    reviews = [f for f in facts if isinstance(f, ReviewData)]
    recent = now - timedelta(days=t["ordering_days"])
    at_seller = [o for o in orders if o.seller_id == seller and o.placed_at >= recent]
    bad = [
        o
        for o in at_seller
        if not o.is_paid or (o.status == "cancelled" and o.cancelled_by == "buyer")
    ]
    week = now - timedelta(days=t["harassment_days"])
    noted = [
        o
        for o in orders
        if o.seller_id == seller
        and o.placed_at >= week
        and not o.is_paid
        and o.buyer_note
        and o.buyer_note.strip()
    ]
    paid = [o for o in orders if o.is_paid]
    negative = [r for r in reviews if r.rating <= 2]
    return {
        "orders_at_seller_30d": len(at_seller),
        "unpaid_or_buyer_cancelled_ratio": ratio(len(bad), len(at_seller)),
        "unpaid_orders_with_notes_7d": len(noted),
        "disputes_in_window": len(disputes),
        "disputes_per_paid_order": (
            ratio(len(disputes), len(paid)) if paid else float(len(disputes) > 0)
        ),
        "sellers_disputed": len({d.seller_id for d in disputes}),
        "disputes_closed_in_seller_favour": len(
            [d for d in disputes if d.resolution == "seller_favour"]
        ),
        "reviews_in_window": len(reviews),
        "negative_review_ratio": ratio(len(negative), len(reviews)),
        "sellers_reviewed_negatively": len({r.seller_id for r in negative}),
    }


# --------------------------------------------------------------------------- histories


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@st.composite
def instants(draw: st.DrawFn, now: datetime, edges: list[float]) -> datetime:
    """A time near one of the windows' edges (days before now), or anywhere in ~100 days."""
    if draw(st.booleans()):
        edge = now - timedelta(days=draw(st.sampled_from(edges)))
        exact = st.sampled_from([0, 1, -1, 999_999, -1_000_000])  # on, just after, before
        offset = draw(st.one_of(exact, st.integers(-3_000_000, 3_000_000)))
        return edge + timedelta(microseconds=offset)
    return now - timedelta(seconds=draw(st.integers(-3_600, 100 * 86_400)))


@st.composite
def histories(draw: st.DrawFn) -> tuple[datetime, Thresholds, list[dict[str, Any]]]:
    now = T0 + timedelta(microseconds=draw(st.integers(0, 2 * 86_400 * 10**6)))
    window = draw(st.sampled_from([90, 45]))
    t = Thresholds(
        window_days=window,
        ordering_days=draw(st.sampled_from([30, 29.5, 1, 0.25])),
        harassment_days=draw(st.sampled_from([7, 0.5, 3.25])),
    )
    edges = [window, t["ordering_days"], t["harassment_days"], 0.0]
    events: list[dict[str, Any]] = []

    def event(kind: str, version: int, data: dict[str, Any]) -> None:
        key = data.get(f"{kind}_id")
        events.append(
            {
                "event_id": f"e-{kind}-{key}-{version}",
                "type": kind,
                "version": version,
                "occurred_at": _iso(T0),
                "data": data,
            }
        )

    orders = []
    for i in range(draw(st.integers(0, 12))):
        seller = draw(st.sampled_from(SELLERS))
        placed = draw(instants(now, edges))
        order = {
            "order_id": f"o-{i}",
            "seller_id": seller,
            "buyer_id": "b-1",
            "placed_at": _iso(placed),
        }
        orders.append(order)
        note = draw(st.sampled_from([None, "hi", "  "]))
        first = {**order, "status": "placed", **({"buyer_note": note} if note else {})}
        event("order", 1, first)
        for version in range(2, draw(st.integers(1, 3)) + 1):
            status = draw(st.sampled_from(["paid", "cancelled", "delivered"]))
            later = {**first, "status": status}
            if status != "cancelled" or draw(st.booleans()):
                later["paid_at"] = _iso(placed + timedelta(hours=1))
            if status == "cancelled":
                later["cancelled_by"] = draw(st.sampled_from(["buyer", "seller", "system"]))
            if status == "delivered":
                later["shipped_at"] = _iso(placed + timedelta(days=1))
            event("order", version, later)
    for kind in ("dispute", "review"):
        for i in range(draw(st.integers(0, 6)) if orders else 0):
            order = draw(st.sampled_from(orders))
            when = _iso(draw(instants(now, edges)))
            base = {
                f"{kind}_id": f"{kind[0]}-{i}",
                "order_id": order["order_id"],
                "seller_id": order["seller_id"],
                "buyer_id": "b-1",
            }
            for version in range(1, draw(st.integers(1, 2)) + 1):
                if kind == "dispute":
                    closed = version > 1
                    data = {**base, "opened_at": when, "status": "closed" if closed else "open"}
                    if closed:
                        data["resolution"] = draw(
                            st.sampled_from(["buyer_favour", "seller_favour", "split"])
                        )
                else:
                    data = {**base, "posted_at": when, "rating": draw(st.integers(1, 5))}
                event(kind, version, data)
    # delivered out of order, some twice
    shuffled = draw(st.permutations(events))
    again = draw(st.lists(st.sampled_from(events), max_size=4)) if events else []
    return now, t, [*shuffled, *again]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(1, 30))
def test_the_assessment_from_a_page_or_from_day_counters_equals_the_one_over_every_fact(
    history: tuple[datetime, Thresholds, list[dict[str, Any]]], drawn_limit: int
) -> None:
    now, thresholds, events = history
    ports = InMemoryPorts.create()
    results = ingest_events(ports.facts, ports.metrics, events, T0)
    assert all(r.status != "rejected" for r in results), results
    every = ports.facts.buyer_activity(
        "b-1", *activity_range(now - timedelta(days=thresholds.window_days), now)
    )
    case_order = OrderData("o-case", "s-1", "b-1", "paid", now - timedelta(days=1))
    # the default limit (one page), 1 (the counters whenever the window has a fact) and a
    # drawn one, on either side of the window's number of facts
    for limit in (ACTIVITY_PAGE_LIMIT, 1, drawn_limit):
        heavy = len(every) >= limit
        for scenario in SCENARIOS:
            for seller in SELLERS[:2]:
                expected = reference(every, seller, now, thresholds.with_defaults(_defaults()))
                ports.reset_counts()
                assessed = assess_order(
                    ports.complaints,
                    ports.facts,
                    scenario=scenario,
                    reason=None,
                    seller_id=seller,
                    buyer_id="b-1",
                    order=OrderFacts(order=case_order._replace(seller_id=seller)),
                    now=now,
                    thresholds=thresholds,
                    activity_page_limit=limit,
                )
                # the way the window was read: the page alone, or then the counters
                read = ports.requests()
                assert read["facts.buyer_activity_page"] == 1
                assert read["facts.buyer_days"] == (2 if heavy else 0)
                assert (read["facts.buyer_activity"] > 0) == heavy
                observed = {c.name: c.observed for c in assessed.criteria if c.name in expected}
                assert observed, scenario
                assert observed == {name: expected[name] for name in observed}, (scenario, limit)


def _defaults() -> dict[str, float]:
    from chalicelib.domain.scenarios import REGISTRY

    return REGISTRY.threshold_defaults()
