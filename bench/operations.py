"""DynamoDB requests per business operation — measured the same way by ``make bench`` and
by the budget test, through the HTTP API and the Lambda handlers (Chalice test client)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from unittest import mock

from chalice.local import LambdaContext
from chalice.test import Client

from bench.dynamo_calls import count_dynamodb_calls
from chalicelib.api.auth import mint_token
from chalicelib.config import Settings
from chalicelib.domain.complaints import DECISION_HOURS, ESCALATION_HOURS
from chalicelib.domain.timeutil import to_iso

#: ``chalice.test`` gives every invocation a Lambda context of 3 seconds.  The jobs divide
#: their work into turns by the time left, so with 3 s a loaded machine would change how
#: many turns — and requests — a run takes.  Runs measured here get Lambda's longest time
#: (15 minutes): the request counts are the same on any machine.  What the jobs do when
#: time runs short is tested with simulated budgets (``tests/lambda_budget.py``).
LAMBDA_LIMIT_CONTEXT = partial(LambdaContext, max_runtime_ms=15 * 60 * 1000)

#: The budgets: DynamoDB requests per operation (README, "Performance budgets").
BUDGETS: dict[str, int] = {
    "submit (pending)": 4,
    "submit (upheld by the rules)": 6,
    "list page": 2,
    "list page (order_id filter)": 1,
    "list page (status filter)": 2,
    "list page (scenario filter)": 4,
    "export, per 100 complaints": 2,
    "get": 1,
    "review queue page": 5,
    "review complaint": 1,
    "decide": 4,
    "appeal": 3,
    "recategorise": 7,
    "ingest one event": 7,
    "metrics read": 2,
    "metrics exemptions page": 1,
    "orders page": 1,
    "order eligibility": 2,
    "sweep, per due complaint (escalate)": 3,
    "sweep, per due complaint (decide)": 7,
    "exemption, per complaint (one order)": 10,
    "exemption, per further order of the buyer (malicious ordering)": 2,
    "attachment announce": 2,
    "attachment complete": 2,
    "attachment open": 1,
    "sla report (90 days)": 6,
    "submit (buyer with more than 300 facts in 90 days)": 8,
}
#: A buyer heavier than the assessment's first page of facts (``ACTIVITY_PAGE_LIMIT``):
#: its window is read as day counters and partial days.
HEAVY_SUBMIT = "submit (buyer with more than 300 facts in 90 days)"
HEAVY_BUYER_ORDERS = 330
#: Measured only where a files bucket exists (the tests' moto): ``measure(upload=...)``.
NEEDS_FILES = ("attachment complete", "attachment open")


def _event(kind: str, version: int, **data: Any) -> dict[str, Any]:
    key = data.get("order_id") or data.get("review_id")
    return {
        "event_id": f"bench-{kind}-{key}-{version}",
        "type": kind,
        "version": version,
        "occurred_at": to_iso(datetime(2026, 11, 20, tzinfo=UTC)),
        "data": data,
    }


def seed_buyer_window(facts: Any, buyer: str, count: int, now: datetime, sellers: int = 4) -> None:
    """``count`` orders of ``buyer`` spread evenly over the 90 days before ``now``, at
    ``sellers`` sellers (``s-1``…), a third each delivered, placed (unpaid) and cancelled:
    stored as ingestion stores them, in batches, and counted into the buyer's day counters
    as ingestion counts them (the same cells) — a day's orders in one write, where
    ingestion writes one per order.  The seller metrics, which the assessment does not
    read, are left out.  ``facts``: a ``FactRepository``."""
    from collections import Counter

    from chalicelib.adapters.event_schema import parse_event
    from chalicelib.domain.buyer_activity import cell_deltas, cells

    by_day: dict[Any, Counter[Any]] = {}
    with facts.model.batch_write() as batch:
        for i in range(count):
            raw = order(
                f"o-{buyer}-{i}",
                buyer=buyer,
                seller=f"s-{1 + i % sellers}",
                status=("delivered", "placed", "cancelled")[i % 3],
                placed_at=now - timedelta(days=90 * i / count, hours=1),
            )
            event = parse_event(raw)
            batch.save(facts.item_for(event, now))
            made = cells(event.payload)
            by_day.setdefault(next(iter(made)).day, Counter()).update(made)
    for day, counted in by_day.items():
        deltas = cell_deltas((), counted.elements())
        facts.write_activity(f"seed-{buyer}", f"SEED#{day}", None, frozenset(), 1, deltas)


def order(
    order_id: str,
    *,
    seller: str = "s-1",
    buyer: str = "b-1",
    status: str = "delivered",
    placed_at: datetime,
    **extra: Any,
) -> dict[str, Any]:
    paid = None if status in ("placed", "cancelled") else to_iso(placed_at + timedelta(hours=1))
    data = {
        "order_id": order_id,
        "seller_id": seller,
        "buyer_id": buyer,
        "status": status,
        "placed_at": to_iso(placed_at),
        **extra,
    }
    if paid:
        data["paid_at"] = paid
    if status in ("shipped", "delivered"):
        data["shipped_at"] = to_iso(placed_at + timedelta(days=1))
    data.setdefault(
        "shipping_address",
        {
            "recipient": "A",
            "street": "1 Main St",
            "city": "X",
            "postal_code": "62701",
            "country": "US",
        },
    )
    return _event("order", 1, **data)


class Harness:
    """Calls the app as its users do, with a movable clock."""

    def __init__(self, client: Client, settings: Settings, set_now: Callable[[datetime], None]):
        self.client = client
        self.settings = settings
        self.set_now = set_now

    def _token(self, subject: str, role: str) -> str:
        return mint_token(
            self.settings,
            subject=subject,
            role=role,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        subject: str = "s-1",
        role: str = "seller",
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {self._token(subject, role)}",
            "Content-Type": "application/json",
        }
        response = getattr(self.client.http, method.lower())(
            path, headers=headers, body=json.dumps(body) if body is not None else None
        )
        assert response.status_code < 300, (path, response.status_code, response.body)
        return json.loads(response.body) if response.body else None

    def job(self, name: str) -> Any:
        event = self.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        with mock.patch("chalice.test.LambdaContext", LAMBDA_LIMIT_CONTEXT):
            return self.client.lambda_.invoke(name, event).payload

    def counted(self, action: Callable[[], Any]) -> int:
        with count_dynamodb_calls(self.settings) as calls:
            action()
        return sum(calls.values())


def measure(
    harness: Harness, start: datetime, upload: Callable[[str, bytes], None] | None = None
) -> dict[str, int]:
    """Requests of each operation in ``BUDGETS``, on a small fixed data set (those of
    ``NEEDS_FILES`` only with ``upload``, which puts a file where its form says, as a
    browser would)."""
    h, counts = harness, {}
    h.set_now(start)
    h.http(
        "POST",
        "/platform/events",
        {
            "events": [order(f"o-{i}", placed_at=start - timedelta(days=2)) for i in range(4)]
            + [
                order(
                    f"o-flood-{i}",
                    buyer="b-flood",
                    status="cancelled",
                    cancelled_by="buyer",
                    placed_at=start - timedelta(days=1),
                )
                for i in range(5)
            ]
            + [order("o-h", buyer="b-h", placed_at=start - timedelta(days=2))]
            + [
                order(f"o-m{n}-{i}", buyer=f"b-m{n}", placed_at=start - timedelta(days=3))
                for n in (5, 10)
                for i in range(n)
            ]
        },
        subject="p",
        role="system",
    )
    counts["ingest one event"] = h.counted(
        lambda: h.http(
            "POST",
            "/platform/events",
            {"events": [order("o-new", placed_at=start - timedelta(days=1))]},
            subject="p",
            role="system",
        )
    )
    ids: list[str] = []

    def submit(order_id: str, scenario: str = "malicious_ordering") -> None:
        ids.append(
            h.http(
                "POST",
                "/complaints",
                {"order_id": order_id, "scenario": scenario, "description": "bench"},
            )["complaint_id"]
        )

    counts["submit (pending)"] = h.counted(lambda: submit("o-0"))
    counts["submit (upheld by the rules)"] = h.counted(lambda: submit("o-flood-0"))
    for order_id in ("o-1", "o-2"):
        submit(order_id)
    path = f"/complaints/{ids[2]}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + bytes(24)
    announced: list[Any] = []
    counts["attachment announce"] = h.counted(
        lambda: announced.append(
            h.http("POST", path, {"filename": "a.png", "content_type": "image/png", "size": 32})
        )
    )
    if upload is not None:
        upload(announced[0]["upload"]["fields"]["key"], png)
        one = f"{path}/{announced[0]['attachment_id']}"
        counts["attachment complete"] = h.counted(lambda: h.http("POST", f"{one}/complete"))
        counts["attachment open"] = h.counted(lambda: h.http("GET", one))
    counts["list page"] = h.counted(lambda: h.http("GET", "/complaints?limit=2"))
    counts.update(filtered_list_costs(h))
    # a page of 100 complaints (here one page): a Query of the keys-only ``by_seller``, then
    # one BatchGetItem; then the upload (S3, not counted)
    counts["export, per 100 complaints"] = h.counted(lambda: h.http("GET", "/complaints/export"))
    counts["get"] = h.counted(lambda: h.http("GET", f"/complaints/{ids[0]}"))
    # one Query per shard of the sparse, keys-only review queue, merged by deadline, then
    # one BatchGetItem of the page
    counts["review queue page"] = h.counted(
        lambda: h.http("GET", "/review/queue?limit=2", subject="op", role="operator")
    )
    counts["review complaint"] = h.counted(
        lambda: h.http("GET", f"/review/complaints/{ids[0]}", subject="op", role="operator")
    )
    counts["decide"] = h.counted(
        lambda: h.http(
            "POST",
            f"/review/complaints/{ids[0]}/decision",
            {"outcome": "upheld", "reason_code": "complaint_upheld"},
            subject="op",
            role="operator",
        )
    )
    counts["metrics read"] = h.counted(lambda: h.http("GET", "/metrics"))
    counts["orders page"] = h.counted(lambda: h.http("GET", "/orders?limit=5"))
    counts["order eligibility"] = h.counted(lambda: h.http("GET", "/orders/o-0/eligibility"))
    # a run's own requests: a Query per due shard, then the queue's levels for the
    # dashboard (one Query of the counters, one counting Query per review_queue shard)
    per_run = 2 * h.settings.due_shards + 1
    h.set_now(start + timedelta(hours=ESCALATION_HOURS, minutes=1))
    escalating = h.counted(lambda: h.job("sla_sweep"))  # ids[2], ids[3] escalate
    counts["sweep, per due complaint (escalate)"] = (escalating - per_run) // 2
    h.set_now(start + timedelta(hours=47, minutes=31))
    deciding = h.counted(lambda: h.job("sla_sweep"))
    counts["sweep, per due complaint (decide)"] = (deciding - per_run) // 2
    counts["appeal"] = h.counted(  # ids[2]: just rejected by the sweep
        lambda: h.http("POST", f"/complaints/{ids[2]}/appeal", {"statement": "bench"})
    )
    # the review queue's counters, its overdue entries and the 90 days' figures
    counts["sla report (90 days)"] = h.counted(
        lambda: h.http("GET", "/review/sla?window_days=90", subject="op", role="operator")
    )
    submit("o-3")
    counts["recategorise"] = h.counted(
        lambda: h.http(
            "POST",
            f"/review/complaints/{ids[-1]}/scenario",
            {"scenario": "malicious_harassment", "note": "bench"},
            subject="op",
            role="operator",
        )
    )
    h.set_now(start + timedelta(hours=DECISION_HOURS))
    h.job("exemption_job")  # the rules' and the reviewer's upheld complaints

    def upheld_exemption(order_id: str, scenario: str) -> int:
        """Requests of the job run that applies one complaint's exemption."""
        submit(order_id, scenario)
        h.http(
            "POST",
            f"/review/complaints/{ids[-1]}/decision",
            {"outcome": "upheld", "reason_code": "complaint_upheld"},
            subject="op",
            role="operator",
        )
        # less the run's own exemptions_due Query per shard
        return h.counted(lambda: h.job("exemption_job")) - h.settings.due_shards

    # a buyer of its own, so that no earlier exemption covers the order already
    counts["exemption, per complaint (one order)"] = upheld_exemption("o-h", "malicious_harassment")
    five = upheld_exemption("o-m5-0", "malicious_ordering")
    ten = upheld_exemption("o-m10-0", "malicious_ordering")
    per_order, rest = divmod(ten - five, 5)
    assert rest == 0, (five, ten)  # every further order costs the same
    counts["exemption, per further order of the buyer (malicious ordering)"] = per_order
    counts["metrics exemptions page"] = h.counted(
        lambda: h.http("GET", "/metrics/exemptions?limit=2")
    )
    counts[HEAVY_SUBMIT] = heavy_submit_cost(h, start + timedelta(hours=DECISION_HOURS))
    return counts


def heavy_submit_cost(h: Harness, now: datetime, orders: int = HEAVY_BUYER_ORDERS) -> int:
    """Requests of a submission against a buyer with ``orders`` orders in the window (more
    than the assessment's first page holds: it reads the day counters), at ``now``."""
    from chalicelib.adapters.fact_repository import FactRepository

    seed_buyer_window(FactRepository(h.settings), "b-heavy", orders, now)
    made: list[Any] = []
    cost = h.counted(
        lambda: made.append(
            h.http(
                "POST",
                "/complaints",
                {"order_id": "o-b-heavy-0", "scenario": "malicious_ordering", "description": "b"},
            )
        )
    )
    assert made[0]["status"] == "pending", made
    return cost


#: The filtered list pages ``filtered_list_costs`` reads: each finds complaints of s-1.
FILTERED_PAGES = {
    "list page (order_id filter)": "/complaints?order_id=o-0&limit=2",
    "list page (status filter)": "/complaints?status=pending&limit=2",
    "list page (scenario filter)": "/complaints?scenario=malicious_ordering&limit=2",
}


def filtered_list_costs(h: Harness) -> dict[str, int]:
    """Requests of a list page with each filter (``FILTERED_PAGES``), the seller's pending
    complaints of ``malicious_ordering`` on order ``o-0`` among those listed."""
    costs, shown = {}, []

    def read(path: str) -> None:
        shown.append(h.http("GET", path))

    for name, path in FILTERED_PAGES.items():
        costs[name] = h.counted(partial(read, path))
        assert shown[-1]["items"], (path, "lists nothing: the count would not be a page's")
    return costs
