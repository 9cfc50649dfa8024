"""The exemption job through its Lambda handler keeps within the Lambda's time, however
many orders a complaint covers, and one failing complaint blocks no other (issue 12, item
15).  The run's time is simulated (``tests/lambda_budget.py``): the handler reads it from
the Lambda context, as deployed.  The same at a larger scale, on dynalite:
``tests/integration/test_exemption_job_at_scale.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.config import Settings
from chalicelib.domain.errors import StorageUnavailable
from tests.builders import T0, order_event
from tests.functional.conftest import Api, Published, scheduled_event
from tests.lambda_budget import Budget, LambdaTimeout, lambda_budget

BIG = 24  # orders of the malicious buyer at the seller
RUN_MS, MS_PER_REQUEST = 3_000.0, 40.0  # 75 requests a run


@pytest.fixture
def budget(client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Budget]:
    from chalice.local import LambdaContext

    with lambda_budget(settings, RUN_MS, MS_PER_REQUEST) as spent:
        monkeypatch.setattr(
            LambdaContext, "get_remaining_time_in_millis", lambda _: spent.remaining()
        )
        yield spent


def run_job(client: Client, budget: Budget) -> Any:
    """One scheduled run within the budget: its report, or "killed"."""
    with budget.run():
        try:
            return client.lambda_.invoke("exemption_job", scheduled_event(client)).payload
        except LambdaTimeout:
            return "killed"


def cancellation(api: Api, kind: str = "after_exemptions") -> tuple[int, int]:
    figures = api.call("GET", "/metrics").body["metrics"]["cancellation_rate"][kind]
    return figures["numerator"], figures["denominator"]


def exemption(api: Api, complaint_id: str) -> dict[str, Any]:
    return api.call("GET", f"/complaints/{complaint_id}").body["exemption"]  # type: ignore[no-any-return]


def upheld_harassment(api: Api, orders: list[str]) -> list[str]:
    api.events(
        *[
            order_event(o, buyer_id=f"b-{o}", status="cancelled", cancelled_by="system")
            for o in orders
        ]
    )
    ids = []
    for order_id in orders:
        complaint_id = api.submit(order_id, "malicious_harassment").body["complaint_id"]
        api.decide(complaint_id, "upheld", "complaint_upheld", operator="op")
        ids.append(complaint_id)
    return ids


def test_a_buyer_with_many_orders_takes_several_runs_and_the_others_go_first(
    api: Api, client: Client, clock: Any, budget: Budget
) -> None:
    flood = [
        order_event(
            f"o-big-{i:02d}",
            buyer_id="b-big",
            status="cancelled",
            cancelled_by="buyer",
            placed_at=T0 - timedelta(days=10) + timedelta(minutes=i // 4),
        )
        for i in range(BIG)
    ]
    api.events(*flood)
    big = api.submit("o-big-00", "malicious_ordering").body
    assert big["status"] == "upheld"  # by the rules at once: first in the queue
    clock.advance(minutes=5)
    behind = upheld_harassment(api, ["o-s0", "o-s1", "o-s2"])
    clock.advance(hours=1)
    first = run_job(client, budget)
    assert first != "killed", "the first run outlived the Lambda's time"
    assert first["actions"] == {"applied": 3, "deferred": 1} and first["stopped_early"]
    assert all(exemption(api, c)["status"] == "applied" for c in behind)
    assert exemption(api, big["complaint_id"])["status"] == "scheduled"
    runs = [first]
    while exemption(api, big["complaint_id"])["status"] != "applied":
        assert len(runs) < 5
        clock.advance(hours=1)
        runs.append(run_job(client, budget))
        assert runs[-1] != "killed", f"run {len(runs)} outlived the Lambda's time"
    assert len(runs) >= 2 and sum(r["units"] for r in runs) == BIG + 3
    assert cancellation(api, "raw") == (BIG + 3, BIG + 3)
    assert cancellation(api) == (0, 0)
    assert run_job(client, budget)["actions"] == {}


def test_a_failing_complaint_is_retried_then_alerted_and_blocks_no_other(
    api: Api,
    client: Client,
    clock: Any,
    published: Published,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.services import exemptions

    failing, *others = upheld_harassment(api, ["o-x", "o-y", "o-z"])  # o-x: due first
    real = exemptions.refresh_order

    def refresh(facts: Any, metrics: Any, order_id: str, *args: Any, **kwargs: Any) -> Any:
        if order_id == "o-x":
            raise StorageUnavailable("its partition is throttled")  # as the adapters raise it
        return real(facts, metrics, order_id, *args, **kwargs)

    runs = []
    with monkeypatch.context() as patch:
        patch.setattr(exemptions, "refresh_order", refresh)
        for _ in range(4):
            clock.advance(hours=1)
            runs.append(client.lambda_.invoke("exemption_job", scheduled_event(client)).payload)
    assert [r["actions"] for r in runs] == [
        {"applied": 2, "failed": 1},  # the others are applied in the first run
        {"failed": 1},
        {"failed": 1, "alerted": 1},  # the third failure: alerted (4 h after the decision)
        {"failed": 1},  # once
    ]
    assert all(exemption(api, c)["status"] == "applied" for c in others)
    alerts = [e for e in published() if e["type"] == "complaint.exemption_overdue"]
    assert [(e["complaint_id"], e["reason"], e["failures"]) for e in alerts] == [
        (failing, "failing", 3)
    ]
    stored = ComplaintRepository(settings).get_stored(failing)
    assert stored is not None and stored.exemption_failures == 4
    clock.advance(hours=1)  # repaired: the next run applies it
    run = client.lambda_.invoke("exemption_job", scheduled_event(client)).payload
    assert run["actions"] == {"applied": 1}
    assert exemption(api, failing)["status"] == "applied"
