"""Seller metrics and the exemptions upheld complaints apply to them (docs/product.md).

The seeded seller s-1 has, placed in the last 30 days (hand-computed below):
  o-n0..2 delivered, o-n3 paid (not shipped)            b-1, ordinary buyer
  o-h0 cancelled unpaid with a junk note                 b-h, harassment
  o-nf paid, closed unshipped, invalid address           b-a, non-fulfilment protection
  o-r delivered, reviewed 1 star                         b-r, malicious review
  o-d delivered, disputed                                b-d, malicious dispute
  o-o0..4 cancelled unpaid by the buyer                  b-o, malicious ordering
and a 5-star review on o-n0.
13 orders.  Raw: cancellation 6/13, non-fulfilment 1/7, dispute 1/5, negative reviews 1/2.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.config import Settings
from chalicelib.domain.timeutil import to_iso
from tests.builders import T0, dispute_event, order_event, review_event
from tests.functional.conftest import Api, Published, scheduled_event

BAD_ADDRESS = {"recipient": "X", "city": "Berlin", "country": "DE", "postal_code": "1"}


def seed_events() -> list[dict[str, Any]]:
    day = timedelta(days=1)
    events = [
        order_event(f"o-n{i}", status="delivered", placed_at=T0 - (i + 2) * day) for i in range(3)
    ]
    events += [
        order_event("o-n3", status="paid", placed_at=T0 - 2 * day),
        review_event("r-good", "o-n0", rating=5),
        order_event(
            "o-h0",
            buyer_id="b-h",
            status="cancelled",
            cancelled_by="system",
            buyer_note="cheap stuff add me",
            placed_at=T0 - 3 * day,
        ),
        order_event(
            "o-nf",
            buyer_id="b-a",
            status="closed_unshipped",
            placed_at=T0 - 4 * day,
            shipping_address=BAD_ADDRESS,
        ),
        order_event("o-r", buyer_id="b-r", status="delivered", placed_at=T0 - 9 * day),
        review_event("r-bad", "o-r", buyer_id="b-r", rating=1),
        order_event("o-d", buyer_id="b-d", status="delivered", placed_at=T0 - 9 * day),
        dispute_event("d-1", "o-d", buyer_id="b-d"),
    ]
    events += [
        order_event(
            f"o-o{i}",
            buyer_id="b-o",
            status="cancelled",
            cancelled_by="buyer",
            placed_at=T0 - (i + 1) * day,
        )
        for i in range(5)
    ]
    return events


@pytest.fixture
def seeded(api: Api) -> None:
    results = api.events(*seed_events())
    assert {r["status"] for r in results} == {"accepted"}


pytestmark = pytest.mark.usefixtures("seeded")


def run_job(client: Client) -> dict[str, Any]:
    event = scheduled_event(client)
    return client.lambda_.invoke("exemption_job", event).payload  # type: ignore[no-any-return]


def figures(api: Api, kind: str = "after_exemptions") -> dict[str, tuple[int, int]]:
    body = api.call("GET", "/metrics").body
    return {
        code: (m[kind]["numerator"], m[kind]["denominator"]) for code, m in body["metrics"].items()
    }


RAW = {
    "cancellation_rate": (6, 13),
    "non_fulfillment_rate": (1, 7),
    "dispute_rate": (1, 5),
    "negative_review_rate": (1, 2),
}


def uphold(api: Api, order_id: str, scenario: str, **extra: Any) -> dict[str, Any]:
    body = api.submit(order_id, scenario, **extra).body
    if body["status"] == "pending":
        body = api.decide(body["complaint_id"], "upheld", "complaint_upheld", operator="op").body
    assert body["status"] == "upheld", body
    return body


def test_metrics_are_reported_raw_and_after_exemptions_with_windows(api: Api) -> None:
    body = api.call("GET", "/metrics").body
    assert figures(api, "raw") == RAW == figures(api)
    cancellation = body["metrics"]["cancellation_rate"]
    assert cancellation["raw"]["value"] == round(6 / 13, 4)
    assert cancellation["window_days"] == 30 and cancellation["name"]["zh"] == "取消率"
    assert cancellation["window"] == {"from": "2026-10-22", "to": "2026-11-20"}
    assert body["metrics"]["negative_review_rate"]["window_days"] == 90
    assert body["exemptions"] == []
    assert api.call("GET", "/metrics", seller="s-2").body["metrics"]["cancellation_rate"][
        "raw"
    ] == {"numerator": 0, "denominator": 0, "value": None}
    assert api.call("GET", "/metrics", role="operator").status == 403


@pytest.mark.parametrize(
    ("order_id", "scenario", "extra", "after"),
    [
        (
            "o-nf",
            "non_fulfillment_protection",
            {"reason": "address_invalid"},
            {"non_fulfillment_rate": (0, 6)},
        ),
        ("o-h0", "malicious_harassment", {}, {"cancellation_rate": (5, 12)}),
        ("o-o2", "malicious_ordering", {}, {"cancellation_rate": (1, 8)}),
        ("o-r", "malicious_review", {}, {"negative_review_rate": (0, 1)}),
        ("o-d", "malicious_dispute", {}, {"dispute_rate": (0, 4)}),
    ],
)
def test_each_scenarios_exemption_matches_hand_computed_metrics(
    api: Api,
    client: Client,
    clock: Any,
    published: Published,
    order_id: str,
    scenario: str,
    extra: dict[str, Any],
    after: dict[str, tuple[int, int]],
) -> None:
    complaint = uphold(api, order_id, scenario, **extra)
    assert complaint["exemption"] == {"status": "scheduled", "due_by": "2026-11-23T08:00:00Z"}
    assert figures(api) == RAW  # nothing before the job runs
    clock.advance(minutes=40)
    assert run_job(client)["actions"] == {"applied": 1}
    assert figures(api) == {**RAW, **after}
    assert figures(api, "raw") == RAW  # raw figures never change; reviews stay visible
    shown = api.call("GET", f"/complaints/{complaint['complaint_id']}").body["exemption"]
    assert shown["status"] == "applied" and shown["applied_at"] == "2026-11-20T08:40:00Z"
    (entry,) = api.call("GET", "/metrics").body["exemptions"]
    assert entry["complaint_id"] == complaint["complaint_id"]
    assert entry["effective_at"] == "2026-11-20T08:40:00Z"
    for metric, (num, den) in after.items():
        row = next(m for m in entry["metrics"] if m["metric"] == metric)
        assert row["before"] == round(RAW[metric][0] / RAW[metric][1], 4)
        assert row["after"] == (round(num / den, 4) if den else None)
        assert row in shown["metrics"]
    assert ("complaint.exemption_applied", complaint["complaint_id"]) in published.types()
    assert run_job(client)["actions"] == {}  # nothing left to do
    clock.current = clock.current.replace(year=2027, month=5, day=20, minute=41)
    assert api.call("GET", "/metrics").body["exemptions"] == []  # > 6 months: not shown


def test_malicious_ordering_exempts_each_of_the_buyers_orders(
    api: Api, client: Client, settings: Settings
) -> None:
    complaint_id = uphold(api, "o-o2", "malicious_ordering")["complaint_id"]
    run_job(client)
    (entry,) = api.call("GET", "/metrics").body["exemptions"]
    metrics = ("cancellation_rate", "non_fulfillment_rate")
    assert entry["rows"] == [  # one row per metric, however many orders the buyer has
        {
            "metric": m,
            "scope": "buyer_orders",
            "buyer_id": "b-o",
            "from": "2026-08-22T08:00:00Z",
            "until": "2026-11-20T08:00:00Z",
            "orders": 5,
        }
        for m in metrics
    ]
    for i in range(5):  # each order has its records, whether it counts against a metric or not
        assert _exemption_records(settings, f"o-o{i}") == {
            ("ORDER", m): complaint_id for m in metrics
        }
        assert _exempt_by(settings, f"o-o{i}") == {"cancellation_rate": complaint_id}


def test_the_dispute_cleaning_period_excludes_bad_orders_as_their_facts_arrive(
    api: Api,
    client: Client,
    clock: Any,
) -> None:
    uphold(api, "o-d", "malicious_dispute")
    clock.advance(hours=1)
    run_job(client)
    after_job = figures(api)
    assert after_job["dispute_rate"] == (0, 4)
    clock.advance(days=3)
    later = T0 + timedelta(days=2)
    api.events(
        order_event(
            "o-d2", buyer_id="b-d", status="cancelled", cancelled_by="buyer", placed_at=later
        ),  # bad: excluded
        order_event("o-d3", buyer_id="b-d", status="delivered", placed_at=later),
        dispute_event("d-3", "o-d3", buyer_id="b-d", opened_at=later + timedelta(hours=5)),
        review_event("r-d3", "o-d3", buyer_id="b-d", rating=1, posted_at=later),  # still counts
        order_event("o-d4", buyer_id="b-d", status="delivered", placed_at=later),  # good: counts
        dispute_event("d-0", "o-n1", opened_at=later),  # another buyer's dispute counts
    )
    raw, kept = figures(api, "raw"), figures(api)
    assert raw["cancellation_rate"] == (7, 16) and kept["cancellation_rate"] == (6, 15)
    assert raw["dispute_rate"] == (3, 7) and kept["dispute_rate"] == (1, 5)
    assert kept["negative_review_rate"] == raw["negative_review_rate"] == (2, 3)
    assert run_job(client)["actions"] == {}


def test_late_and_out_of_order_facts_end_up_counted_correctly(api: Api, client: Client) -> None:
    uphold(api, "o-nf", "non_fulfillment_protection", reason="address_invalid")
    run_job(client)
    # a review arrives before its order, then the order, then an older version of the order
    newer = order_event(
        "o-late",
        buyer_id="b-9",
        status="closed_unshipped",
        version=3,
        placed_at=T0 - timedelta(days=1),
    )
    api.events(review_event("r-late", "o-late", buyer_id="b-9", rating=2))
    assert figures(api)["negative_review_rate"] == (2, 3)
    api.events(dispute_event("d-late", "o-late", buyer_id="b-9"))  # dispute before the order
    assert figures(api)["dispute_rate"] == (1, 5)  # not attributable yet
    api.events(newer)
    assert figures(api)["dispute_rate"] == (2, 6)
    assert figures(api)["non_fulfillment_rate"] == (1, 7)  # o-nf exempt, o-late counts
    stale = order_event(
        "o-late", buyer_id="b-9", status="paid", version=2, placed_at=T0 - timedelta(days=1)
    )
    assert api.events(stale)[0]["status"] == "stale"
    assert figures(api)["non_fulfillment_rate"] == (1, 7)
    withdrawn = dispute_event("d-late", "o-late", buyer_id="b-9", status="withdrawn", version=2)
    api.events(withdrawn)
    assert figures(api)["dispute_rate"] == (1, 5)


def _partition(settings: Settings, order_id: str) -> Any:
    items = FactRepository(settings).order_items(order_id)
    return MetricsRepository.partition_from_items(items)


def _exempt_by(settings: Settings, order_id: str) -> dict[str, str]:
    """The metrics the order's stored contribution is exempted from, and by which complaint."""
    return dict(_partition(settings, order_id).contributions["ORDER"].contribution.exempt_by)


def _exemption_records(settings: Settings, order_id: str) -> dict[tuple[str, str], str]:
    """The order's exemption records: (unit, metric) -> complaint id."""
    return dict(_partition(settings, order_id).exemptions)


def _all_counters(settings: Settings) -> dict[str, Any]:
    repo = MetricsRepository(settings)
    days = repo.day_counters("s-1", T0.date() - timedelta(days=100), T0.date() + timedelta(days=5))
    return {d.isoformat(): {k: v for k, v in c.items() if v} for d, c in days.items()}


def test_reruns_redeliveries_and_a_crash_mid_job_leave_the_same_metrics(
    api: Api,
    client: Client,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uphold(api, "o-o2", "malicious_ordering")
    uphold(api, "o-d", "malicious_dispute")
    calls = {"n": 0}
    real = MetricsRepository.write_contribution

    def crash_after_two(self: MetricsRepository, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 2:
            raise RuntimeError("Lambda died mid-job")
        real(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(MetricsRepository, "write_contribution", crash_after_two)
        with pytest.raises(RuntimeError):
            run_job(client)
    assert calls["n"] == 3  # it died after two counted writes
    assert sum(run_job(client)["actions"].values()) >= 1
    assert run_job(client)["actions"] == {}
    expected = {**RAW, "cancellation_rate": (1, 8), "dispute_rate": (0, 4)}
    assert figures(api) == expected
    counters = _all_counters(settings)
    assert run_job(client)["actions"] == {}
    api.events(*seed_events())  # every fact redelivered
    assert _all_counters(settings) == counters
    assert figures(api) == expected
    (log_d, log_o) = sorted(
        api.call("GET", "/metrics").body["exemptions"], key=lambda e: e["scenario"]
    )
    assert next(m for m in log_d["metrics"] if m["metric"] == "dispute_rate") == {
        "metric": "dispute_rate",
        "before": 0.2,
        "after": 0.0,
    }
    assert next(m for m in log_o["metrics"] if m["metric"] == "cancellation_rate")[
        "before"
    ] == round(6 / 13, 4)  # the first run's "before", not the crashed state's


def test_not_applicable_for_pending_and_rejected_complaints(api: Api) -> None:
    pending = api.submit("o-n1", "malicious_ordering").body
    assert pending["exemption"] == {"status": "not_applicable"}
    rejected = api.decide(
        pending["complaint_id"], "rejected", "insufficient_evidence", operator="op"
    ).body
    assert rejected["exemption"] == {"status": "not_applicable"}


def test_an_exemption_still_unapplied_48_hours_after_the_decision_raises_one_alert(
    api: Api,
    client: Client,
    clock: Any,
    published: Published,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.domain.errors import StorageUnavailable
    from chalicelib.services import exemptions

    complaint = uphold(api, "o-h0", "malicious_harassment")

    def broken(*_: Any, **__: Any) -> None:
        raise StorageUnavailable("throttled")  # as the adapters raise it

    with monkeypatch.context() as patch:
        patch.setattr(exemptions, "exemption_step", broken)
        for hours, actions in [
            (1, {"failed": 1}),
            (47, {"failed": 1}),
            (48, {"alerted": 1, "failed": 1}),
            (49, {"failed": 1}),
        ]:
            clock.current = T0 + timedelta(hours=hours)
            assert run_job(client)["actions"] == actions
    clock.current = T0 + timedelta(hours=50)
    assert run_job(client)["actions"] == {"applied": 1}
    kinds = [t for t, cid in published.types() if cid == complaint["complaint_id"]]
    assert kinds.count("complaint.exemption_overdue") == 1
    assert kinds[-1] == "complaint.exemption_applied"


def test_every_exemption_of_a_simulated_month_is_applied_within_72_hours(
    api: Api,
    client: Client,
    clock: Any,
    settings: Settings,
) -> None:
    rng = random.Random(7)
    orders = [f"o-t{i}" for i in range(25)]
    api.events(
        *[
            order_event(o, buyer_id=f"b-t{i}", status="delivered", placed_at=T0 - timedelta(days=1))
            for i, o in enumerate(orders)
        ]
    )
    decisions = sorted((T0 + timedelta(minutes=rng.randrange(0, 30 * 24 * 60)), o) for o in orders)
    tick = T0 + timedelta(minutes=rng.randrange(0, 60))
    upheld: list[str] = []
    while tick <= T0 + timedelta(days=31):
        while decisions and decisions[0][0] <= tick:
            at, order_id = decisions.pop(0)
            clock.current = at
            upheld.append(uphold(api, order_id, "malicious_harassment")["complaint_id"])
        clock.current = tick
        run_job(client)
        tick += timedelta(hours=1)
    assert len(upheld) == len(orders)
    for complaint_id in upheld:
        body = api.call("GET", f"/complaints/{complaint_id}").body
        applied = body["exemption"]["applied_at"]
        assert applied <= (
            (
                T0.fromisoformat(body["decided_at"].replace("Z", "+00:00")) + timedelta(hours=72)
            ).strftime("%Y-%m-%dT%H:%M:%SZ")
        )


def test_the_shown_exemption_deadline_is_the_configured_one_the_job_is_scheduled_with(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters.models import complaint_model
    from chalicelib.config import get_settings

    monkeypatch.setenv("EXEMPTION_DUE_HOURS", "24")
    complaint = uphold(api, "o-r", "malicious_review")
    expected = {"status": "scheduled", "due_by": "2026-11-21T08:00:00Z"}
    assert complaint["exemption"] == expected
    complaint_id = complaint["complaint_id"]
    assert api.call("GET", f"/complaints/{complaint_id}").body["exemption"] == expected
    review = api.call("GET", f"/review/complaints/{complaint_id}", role="operator")
    assert review.body["exemption"] == expected
    stored = complaint_model(get_settings()).get(complaint_id)
    assert stored.exempt_due == expected["due_by"]


def test_orders_never_paid_count_in_the_cancellation_rate_the_exemption_then_removes(
    api: Api, client: Client, clock: Any
) -> None:
    """ "Never paid" is the rule's meaning in the metric too (no payment so far): the unpaid
    orders a harassment or ordering complaint is upheld on were counting against the seller,
    so the exemption lowers the rate, and a payment arriving later takes an order out."""
    placed = [
        order_event(
            f"o-u{i}", buyer_id="b-u", status="placed", placed_at=T0 - timedelta(hours=i + 1)
        )
        for i in range(5)
    ]
    noted = order_event(
        "o-hu",
        buyer_id="b-hu",
        status="placed",
        buyer_note="add me on chat",
        placed_at=T0 - timedelta(hours=30),
    )
    api.events(*placed, noted)
    assert figures(api, "raw")["cancellation_rate"] == (6 + 6, 13 + 6)
    ordering = api.submit("o-u0", "malicious_ordering").body
    harassment = api.submit("o-hu", "malicious_harassment").body
    assert ordering["status"] == harassment["status"] == "upheld"  # by the rules at once
    clock.advance(minutes=30)
    assert run_job(client)["actions"] == {"applied": 2}
    assert figures(api)["cancellation_rate"] == (6, 13)
    rows = [
        next(m for m in entry["metrics"] if m["metric"] == "cancellation_rate")
        for entry in api.call("GET", "/metrics").body["exemptions"]
    ]
    assert len(rows) == 2 and all(row["after"] < row["before"] for row in rows)
    assert max(row["before"] for row in rows) == round(12 / 19, 4)  # the first one applied
    assert min(row["after"] for row in rows) == round(6 / 13, 4)  # the last one applied
    paid = order_event(
        "o-u1",
        buyer_id="b-u",
        status="paid",
        placed_at=T0 - timedelta(hours=2),
        version=2,
    )
    api.events(paid)  # paid late after all: no longer never paid, and not exempt either
    assert figures(api, "raw")["cancellation_rate"] == (11, 19)
    assert figures(api)["cancellation_rate"] == (6, 14)


def test_the_cleaning_period_excludes_orders_placed_before_it_that_go_bad_in_it(
    api: Api, client: Client, clock: Any, settings: Settings
) -> None:
    """docs/product.md "every bad order this buyer causes … for a cleaning period": an order placed
    in the period, or whose bad event (cancellation, dispute, closure unshipped) happens in
    it.  Orders that went bad before the decision keep counting — judged by when the event
    happened (``occurred_at``, a dispute's ``opened_at``), not by when it arrived."""
    day = timedelta(days=1)

    def order(order_id: str, status: str, placed: int, **extra: Any) -> dict[str, Any]:
        return order_event(
            order_id, buyer_id="b-d", status=status, placed_at=T0 - placed * day, **extra
        )

    api.events(
        order("o-c1", "paid", 5, occurred_at=T0 - 5 * day),
        order("o-c2", "delivered", 6),
        order("o-c3", "placed", 4, occurred_at=T0 - 4 * day),
        order("o-c4", "cancelled", 7, cancelled_by="buyer", occurred_at=T0 - 2 * day),
        order("o-c5", "paid", 3, occurred_at=T0 - 3 * day),
        order("o-c6", "delivered", 8),
    )
    complaint_id = uphold(api, "o-d", "malicious_dispute")["complaint_id"]
    # bad before the job stored the period: the job's refresh must find it
    clock.advance(minutes=10)
    api.events(dispute_event("d-c6", "o-c6", buyer_id="b-d", opened_at=clock.current))
    clock.advance(minutes=50)
    assert run_job(client)["actions"] == {"applied": 1}
    assert _exempt_by(settings, "o-c6") == {"dispute_rate": complaint_id}
    # bad after the job: through ingestion
    clock.advance(days=3)
    paid_at = {"paid_at": T0 - 5 * day + timedelta(hours=1)}
    api.events(
        order("o-c1", "closed_unshipped", 5, version=2, occurred_at=T0 + day, **paid_at),
        dispute_event("d-c2", "o-c2", buyer_id="b-d", opened_at=T0 + 2 * day),
        order("o-c3", "cancelled", 4, version=2, cancelled_by="system", occurred_at=T0 + 3 * day),
        # a cancellation that happened before the decision, arriving late
        order(
            "o-c5",
            "cancelled",
            3,
            version=2,
            cancelled_by="buyer",
            paid_at=T0 - 3 * day + timedelta(hours=1),
            occurred_at=T0 - timedelta(hours=1),
        ),
    )
    assert _exempt_by(settings, "o-c1") == {"non_fulfillment_rate": complaint_id}
    assert _exempt_by(settings, "o-c2") == {"dispute_rate": complaint_id}
    assert _exempt_by(settings, "o-c3") == {"cancellation_rate": complaint_id}
    assert _exempt_by(settings, "o-c4") == {}  # went bad before the decision
    assert _exempt_by(settings, "o-c5") == {}  # likewise, though it arrived after
    raw, kept = figures(api, "raw"), figures(api)
    # seed: 13 orders (6 cancelled), 7 paid (1 closed unshipped), 5 delivered or disputed (1)
    assert raw["cancellation_rate"] == (6 + 3, 13 + 6)  # o-c3, o-c4, o-c5
    assert kept["cancellation_rate"] == (6 + 2, 13 + 5)  # o-c3 leaves
    assert raw["non_fulfillment_rate"] == (1 + 1, 7 + 4)  # paid: o-c1, o-c2, o-c5, o-c6
    assert kept["non_fulfillment_rate"] == (1, 7 + 3)  # o-c1 leaves
    assert raw["dispute_rate"] == (1 + 2, 5 + 2)  # o-c2, o-c6 (delivered anyway)
    assert kept["dispute_rate"] == (0, 5 + 2 - 3)  # o-d, o-c2 and o-c6 leave
    assert run_job(client)["actions"] == {}


def test_the_exemption_log_is_shown_newest_first_a_page_at_a_time(
    api: Api, settings: Settings
) -> None:
    """``GET /metrics`` shows the 50 newest exemptions and a cursor; ``GET
    /metrics/exemptions`` reads the rest, page by page; a cursor is the seller's own and
    the log's own (a forged one, another seller's or a list's is a 400)."""
    metrics = MetricsRepository(settings)
    count = 57
    for i in range(count):  # complaint ids in the reverse order of their times
        at = T0 - timedelta(hours=i)
        cid = f"c_{count - i:03d}"
        entry = {"complaint_id": cid, "scenario": "malicious_review", "order_id": f"o-{i}"}
        metrics.start_exemption_log("s-1", cid, at, {**entry, "effective_at": to_iso(at)})
    old = T0 - timedelta(days=200)  # older than the six months shown
    metrics.start_exemption_log(
        "s-1", "c_old", old, {"complaint_id": "c_old", "effective_at": to_iso(old)}
    )
    body = api.call("GET", "/metrics").body
    assert [e["order_id"] for e in body["exemptions"]] == [f"o-{i}" for i in range(50)]
    cursor, seen = body["exemptions_next_cursor"], []
    assert (
        cursor and api.call("GET", "/metrics", seller="s-2").body["exemptions_next_cursor"] is None
    )
    while cursor:
        page = api.call("GET", f"/metrics/exemptions?limit=3&cursor={cursor}")
        assert page.status == 200, page.body
        seen += [e["order_id"] for e in page.body["items"]]
        cursor = page.body["next_cursor"]
    assert seen == [f"o-{i}" for i in range(50, count)]
    first = api.call("GET", "/metrics/exemptions?limit=20").body
    assert len(first["items"]) == 20 and first["items"][0]["order_id"] == "o-0"
    list_cursor = api.call("GET", "/complaints?limit=1").body["next_cursor"]
    for bad, seller in (
        (first["next_cursor"], "s-2"),
        (first["next_cursor"][:-2] + "xx", "s-1"),
        (list_cursor or "a.b", "s-1"),
    ):
        refused = api.call("GET", f"/metrics/exemptions?cursor={bad}", seller=seller)
        assert refused.status == 400 and refused.body["error"]["code"] == "invalid_cursor"
    assert api.call("GET", "/metrics/exemptions?limit=101").status == 400
    assert api.call("GET", "/metrics/exemptions", role="operator").status == 403
