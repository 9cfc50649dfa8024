"""DynamoDB requests per business operation stay within the documented budgets (README).
Request counts are deterministic, so they are asserted exactly; times are not asserted."""

from datetime import timedelta
from typing import Any

import boto3
from chalice.test import Client

from bench.operations import BUDGETS, Harness, measure, order
from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.config import Settings
from chalicelib.domain.complaints import complaint_id_for, decide, escalate, new_complaint
from chalicelib.domain.sla_days import decision_sample
from chalicelib.domain.timeutil import to_iso
from tests.builders import T0


def test_every_operation_costs_exactly_its_budget(
    client: Client, settings: Settings, clock: Any
) -> None:
    def set_now(when: Any) -> None:
        clock.current = when

    def upload(key: str, data: bytes) -> None:
        boto3.client("s3", region_name=settings.region).put_object(
            Bucket=settings.files_bucket, Key=key, Body=data
        )

    measured = measure(Harness(client, settings, set_now), T0, upload)
    assert measured == BUDGETS


def test_the_order_list_and_eligibility_cost_the_same_whatever_the_sellers_volume(
    client: Client, settings: Settings, clock: Any
) -> None:
    """A seller with a few orders, then with 130 (and complaints on some): a page of up to
    100 orders, the next page, and one order's eligibility cost the same requests."""
    h = Harness(client, settings, lambda when: setattr(clock, "current", when))

    facts = FactRepository(settings)

    def ingest(first: int, count: int) -> None:
        # stored as ingestion stores them (the metric counters, which these reads do not
        # touch, are left out: that would only make the test slower)
        for i in range(first, first + count):
            raw = order(f"o-{i}", buyer=f"b-{i}", placed_at=T0 - timedelta(hours=i))
            assert facts.apply(parse_event(raw), T0) == "accepted"

    def costs() -> tuple[int, int, int]:
        first_page: dict[str, Any] = {}
        listing = h.counted(lambda: first_page.update(h.http("GET", "/orders?limit=100")))
        cursor = first_page["next_cursor"]
        path = "/orders?limit=100" + (f"&cursor={cursor}" if cursor else "")
        return (
            listing,
            h.counted(lambda: h.http("GET", path)),
            h.counted(lambda: h.http("GET", "/orders/o-0/eligibility")),
        )

    ingest(0, 5)
    few = costs()
    ingest(5, 125)
    for i in range(0, 20, 2):
        h.http(
            "POST",
            "/complaints",
            {"order_id": f"o-{i}", "scenario": "malicious_ordering", "description": "bench"},
        )
    many = costs()
    page = h.http("GET", "/orders?limit=100")
    assert len(page["items"]) == 100 and page["next_cursor"]
    budget = (BUDGETS["orders page"], BUDGETS["orders page"], BUDGETS["order eligibility"])
    assert few == many == budget


def test_filtered_lists_and_the_exemption_log_cost_the_same_whatever_the_sellers_volume(
    client: Client, settings: Settings, clock: Any
) -> None:
    """A seller with 5 complaints and exemptions, then with 300 more of each (the new
    complaints decided, in another scenario): a list page filtered by order, by status
    (few matches), by scenario, the metrics and a page of the exemption log cost the
    same requests — and show the same complaints."""
    h = Harness(client, settings, lambda when: setattr(clock, "current", when))
    clock.current = T0
    complaints, metrics = ComplaintRepository(settings), MetricsRepository(settings)

    def add(first: int, count: int, scenario: str, decided: bool) -> None:
        # stored as the services store them; filing through the API would only be slower
        for i in range(first, first + count):
            complaint = new_complaint(
                seller_id="s-1",
                order_id=f"o-{i}",
                buyer_id="b-1",
                scenario=scenario,
                reason=None,
                description="d",
                evidence=(),
                now=T0 - timedelta(minutes=i),
            )
            if decided:
                complaint = decide(
                    complaint,
                    outcome="rejected",
                    reason_code="insufficient_evidence",
                    decided_by="operator",
                    actor="operator:a",
                    now=T0,
                )
            complaints.add(complaint, sweep_at=None)
            at = T0 - timedelta(minutes=i)
            entry = {
                "complaint_id": complaint.complaint_id,
                "scenario": scenario,
                "order_id": complaint.order_id,
                "effective_at": to_iso(at),
            }
            metrics.start_exemption_log("s-1", complaint.complaint_id, at, entry)

    def costs() -> tuple[tuple[int, ...], list[Any]]:
        shown: list[Any] = []
        paths = [
            "/complaints?order_id=o-0",
            "/complaints?status=pending&limit=3",
            "/complaints?scenario=malicious_ordering&limit=3",
            "/metrics",
            "/metrics/exemptions?limit=3",
        ]
        counted = tuple(
            h.counted(lambda path=path: shown.append(h.http("GET", path))) for path in paths
        )
        listed = [s.get("items", s.get("exemptions")) for s in shown]
        return counted, [[c["complaint_id"] for c in entries] for entries in listed]

    add(0, 5, "malicious_ordering", decided=False)
    few, few_shown = costs()
    add(5, 300, "malicious_review", decided=True)
    many, many_shown = costs()
    budget = (
        BUDGETS["list page (order_id filter)"],
        BUDGETS["list page (status filter)"],
        BUDGETS["list page (scenario filter)"],
        BUDGETS["metrics read"],
        BUDGETS["metrics exemptions page"],
    )
    assert few == many == budget
    # the new complaints match none of the filters; the log's newest entries are the same
    assert few_shown[:3] == many_shown[:3] and few_shown[4] == many_shown[4]
    assert len(many_shown[1]) == 3 and many_shown[0] == [
        complaint_id_for("o-0", "malicious_ordering")
    ]
    # GET /metrics shows the newest 50 exemptions of 305, the first five as before
    assert len(few_shown[3]) == 5 and many_shown[3][:5] == few_shown[3]
    assert len(many_shown[3]) == 50


def test_an_export_and_the_unfiltered_list_cost_per_page_whatever_the_complaints_size(
    client: Client, settings: Settings, clock: Any
) -> None:
    """``by_seller`` holds keys only: a list page is its Query and one BatchGetItem, and an
    export two requests per 100 complaints — 201 complaints of 6 KB each (a whole-item
    index would have paged them by 1 MB instead) are three pages."""
    h = Harness(client, settings, lambda when: setattr(clock, "current", when))
    clock.current = T0 + timedelta(hours=1)
    repo = ComplaintRepository(settings)
    for i in range(201):
        complaint = new_complaint(
            seller_id="s-1",
            order_id=f"o-{i}",
            buyer_id="b-1",
            scenario="malicious_ordering",
            reason=None,
            description="长" * 2000,
            evidence=(),
            now=T0 - timedelta(minutes=i),
        )
        repo.add(complaint, sweep_at=None)
    body: dict[str, Any] = {}
    cost = h.counted(lambda: body.update(h.http("GET", "/complaints/export?format=jsonl")))
    assert body["rows"] == 201 and cost == 3 * BUDGETS["export, per 100 complaints"]
    shown: dict[str, Any] = {}
    cost = h.counted(lambda: shown.update(h.http("GET", "/complaints?limit=100")))
    assert cost == BUDGETS["list page"]
    assert [c["order_id"] for c in shown["items"]] == [f"o-{i}" for i in range(100)]


def test_the_sla_report_costs_the_same_for_few_and_many_decisions_and_pending(
    client: Client, settings: Settings, clock: Any
) -> None:
    """90 days' figures are one Query whatever the decisions in them, the pending and
    escalated counts one Query of their counters whatever is pending (plus one Query per
    shard for the overdue, which reads only those): decisions spread over the window,
    every block of a day; 2 pending, then 120."""
    h = Harness(client, settings, lambda when: setattr(clock, "current", when))
    repo = ComplaintRepository(settings)
    now = T0 + timedelta(days=90)

    def decide_many(first: int, count: int) -> None:
        for i in range(first, first + count):
            filed = now - timedelta(days=i % 86, hours=(i * 7) % 60, minutes=i % 57)
            complaint = new_complaint(
                seller_id="s-1",
                order_id=f"o-{i}",
                buyer_id="b-1",
                scenario="malicious_ordering",
                reason=None,
                description="d",
                evidence=(),
                now=filed - timedelta(hours=(i * 7) % 53),
            )
            repo.add(complaint, sweep_at=None)
            decided = decide(
                complaint,
                outcome="rejected",
                reason_code="insufficient_evidence",
                decided_by="operator",
                actor="operator:op",
                now=filed,
            )
            repo.save_decision(decided, {"event_id": f"e-{i}"}, filed)
            repo.record_slowest(decision_sample(decided))

    def report() -> tuple[int, dict[str, Any]]:
        clock.current = now
        body: dict[str, Any] = {}
        path = "/review/sla?window_days=90"
        cost = h.counted(lambda: body.update(h.http("GET", path, subject="op", role="operator")))
        return cost, body

    def file_pending(first: int, count: int) -> None:
        for i in range(first, first + count):
            complaint = new_complaint(
                seller_id="s-1",
                order_id=f"o-p-{i}",
                buyer_id="b-1",
                scenario="malicious_ordering",
                reason=None,
                description="d",
                evidence=(),
                now=now - timedelta(hours=1 + i % 40),
            )
            repo.add(complaint, sweep_at=None)
            if i % 10 == 0:
                repo.save_escalation(escalate(complaint, now), {"event_id": f"x-{i}"}, now)

    decide_many(0, 10)
    file_pending(0, 2)
    few, small = report()
    decide_many(10, 190)
    file_pending(2, 118)
    many, large = report()
    assert (small["decided"], large["decided"]) == (10, 200)
    assert (small["pending"], small["escalated"]) == (2, 1)
    assert (large["pending"], large["escalated"]) == (120, 12)
    assert large["breaches"]["decided_late"] > 0  # some decided past 48 h: every block used
    assert few == many == BUDGETS["sla report (90 days)"]
