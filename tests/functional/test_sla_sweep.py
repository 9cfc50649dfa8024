"""The SLA sweep, through the scheduled Lambda handler with an injected clock."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from bench.dynamo_calls import count_dynamodb_calls
from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.models import complaint_model
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.domain.errors import StorageError
from chalicelib.services import decisions
from chalicelib.services.sweep import process_due
from tests.builders import T0, order_event
from tests.functional.conftest import Api, Published, scheduled_event
from tests.lambda_budget import lambda_budget


def sweep(client: Client) -> dict[str, Any]:
    event = scheduled_event(client)
    return client.lambda_.invoke("sla_sweep", event).payload  # type: ignore[no-any-return]


def snapshot(settings: Settings) -> list[dict[str, Any]]:
    return sorted(
        (i.to_simple_dict() for i in complaint_model(settings).scan()),
        key=lambda i: i["complaint_id"],
    )


@pytest.fixture
def orders(api: Api) -> list[str]:
    ids = [f"o-{i}" for i in range(60)]
    api.events(
        *[
            order_event(o, buyer_id=f"b-{i}", status="delivered", placed_at=T0 - timedelta(days=3))
            for i, o in enumerate(ids)
        ]
    )
    return ids


def _submit(api: Api, order_id: str) -> str:
    reply = api.submit(order_id, "malicious_ordering")
    assert reply.status == 201 and reply.body["status"] == "pending", reply.body
    return str(reply.body["complaint_id"])


def test_escalates_once_at_36_hours_then_decides_before_48(
    api: Api,
    client: Client,
    clock: Any,
    orders: list[str],
    published: Published,
    settings: Settings,
) -> None:
    complaint_id = _submit(api, orders[0])
    clock.advance(hours=35, minutes=59)
    assert sweep(client)["actions"] == {}
    clock.advance(minutes=1)
    assert sweep(client)["actions"] == {"escalated": 1}
    before = snapshot(settings)
    assert sweep(client)["actions"] == {}  # re-run: nothing twice
    assert snapshot(settings) == before
    assert published.types() == [("complaint.escalated", complaint_id)]
    clock.advance(hours=11, minutes=29)  # 47:29, not yet at the decision point
    assert sweep(client)["actions"] == {}
    clock.advance(minutes=1)  # 47:30 = deadline - margin
    assert sweep(client)["actions"] == {"decided": 1}
    assert sweep(client)["actions"] == {}
    seen = api.call("GET", f"/complaints/{complaint_id}").body
    assert seen["status"] == "rejected" and seen["decision"]["decided_by"] == "sla"
    assert seen["decision"]["reason_code"] == "not_malicious_competition"
    assert [h["action"] for h in seen["history"]] == ["submitted", "escalated", "decided:rejected"]
    assert published.types() == [
        ("complaint.escalated", complaint_id),
        ("complaint.decided", complaint_id),
    ]
    queue = api.call("GET", "/review/queue", seller="op", role="operator").body["items"]
    assert queue == []


def test_the_sla_decision_uses_a_fresh_assessment(
    api: Api, client: Client, clock: Any, orders: list[str]
) -> None:
    complaint_id = _submit(api, orders[0])  # b-0: one delivered order, nothing malicious
    api.events(
        *[
            order_event(f"o-late-{i}", buyer_id="b-0", placed_at=T0 + timedelta(hours=i))
            for i in range(6)
        ]
    )  # b-0 then floods the seller with unpaid orders
    clock.advance(hours=48)
    sweep(client)
    seen = api.call("GET", f"/complaints/{complaint_id}").body
    assert seen["status"] == "upheld" and seen["decision"]["decided_by"] == "sla"


def test_a_crash_before_publishing_is_repaired_by_the_next_run(
    api: Api,
    client: Client,
    clock: Any,
    orders: list[str],
    published: Published,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complaint_id = _submit(api, orders[0])
    clock.advance(hours=36)
    sweep(client)
    clock.advance(hours=12)

    def crash(*_: Any) -> None:
        raise RuntimeError("Lambda timed out")

    with monkeypatch.context() as patch:
        patch.setattr(decisions, "deliver", crash)
        with pytest.raises(RuntimeError):
            client.lambda_.invoke(
                "sla_sweep",
                scheduled_event(client),
            )
    assert api.call("GET", f"/complaints/{complaint_id}").body["status"] == "rejected"
    assert published.types() == [("complaint.escalated", complaint_id)]
    # Within the grace the event may still be on its way from its writer: left to it.
    assert sweep(client)["actions"] == {"rescheduled": 1}
    assert published.types() == [("complaint.escalated", complaint_id)]
    clock.advance(minutes=5)
    assert sweep(client)["actions"] == {"delivered:decided": 1}
    assert sweep(client)["actions"] == {}
    assert published.types() == [
        ("complaint.escalated", complaint_id),
        ("complaint.decided", complaint_id),
    ]


def test_the_sweep_and_a_reviewer_deciding_at_once_make_one_decision(
    api: Api,
    client: Client,
    clock: Any,
    orders: list[str],
    published: Published,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complaint_id = _submit(api, orders[0])
    clock.advance(hours=47, minutes=40)
    stale = ComplaintRepository(settings).get_stored(complaint_id)
    reviewer = api.decide(complaint_id, "upheld", "complaint_upheld")
    assert reviewer.status == 200
    published()
    # a sweep run that listed and read the complaint just before the reviewer's write landed
    with monkeypatch.context() as patch:
        patch.setattr(ComplaintRepository, "get_stored", lambda self, cid: stale)
        done = process_due(
            Adapters.from_settings(settings),
            complaint_id,
            clock.current,
            settings.sla_policy,
            settings.thresholds,
        )
    assert done == ["raced"]
    assert sweep(client)["actions"] == {}
    stored = ComplaintRepository(settings).get(complaint_id)
    assert stored is not None and stored.decision is not None
    assert stored.decision.decided_by == "operator"
    assert [h.action for h in stored.history] == ["submitted", "decided:upheld"]
    assert [t for t, _ in published.types()] == ["complaint.decided"]


def test_sweep_requests_do_not_grow_with_complaints_that_are_not_due(
    api: Api,
    client: Client,
    clock: Any,
    orders: list[str],
    settings: Settings,
) -> None:
    due = [_submit(api, o) for o in orders[:3]]
    clock.advance(hours=36)

    def count_idle_and_due(not_due: int) -> tuple[int, int]:
        for order_id in orders[
            3 + count_idle_and_due.offset : 3 + count_idle_and_due.offset + not_due
        ]:
            _submit(api, order_id)
        count_idle_and_due.offset += not_due
        with count_dynamodb_calls(settings) as calls:
            sweep(client)  # nothing due yet for the newly filed ones
        return sum(calls.values()), calls["Query"]

    count_idle_and_due.offset = 0  # type: ignore[attr-defined]
    with count_dynamodb_calls(settings) as first:
        sweep(client)
    assert first["UpdateItem"] >= len(due)  # the due ones were escalated
    few = count_idle_and_due(2)
    many = count_idle_and_due(40)
    # a Query per due shard, then the queue's levels for the dashboard: one Query of the
    # counters and one counting Query per review_queue shard (overdue entries only)
    idle = 2 * settings.due_shards + 1
    assert few == many == (idle, idle)


def test_more_due_than_one_run_fans_out_through_sqs(
    api: Api,
    client: Client,
    clock: Any,
    orders: list[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="seller-report-center-sweep")["QueueUrl"]
    monkeypatch.setenv("SWEEP_QUEUE_URL", queue_url)
    monkeypatch.setenv("SWEEP_BATCH", "2")
    ids = [_submit(api, o) for o in orders[:25]]
    clock.advance(hours=36)
    report = sweep(client)
    assert report["processed"] == 2 and report["actions"] == {"escalated": 2}
    assert report["fanned_out"] == 23 and report["queue_requests"] == 1  # 3 messages
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        messages += batch
        for m in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    bodies = [json.loads(m["Body"]) for m in messages]
    sent = [cid for body in bodies for cid in body["complaint_ids"]]
    assert len(bodies) == 3 and len(sent) == len(set(sent)) == 23
    repo = ComplaintRepository(settings)
    assert {c for c in ids if repo.get(c).escalated_at is None} == set(sent)  # type: ignore[union-attr]
    # one id of the first message fails in storage: that message is reported, the rest done
    first = max(range(3), key=lambda i: len(bodies[i]["complaint_ids"]))  # one of 10 ids
    failing = bodies[first]["complaint_ids"][-1]
    get_stored = ComplaintRepository.get_stored

    def storage_fails(self: ComplaintRepository, complaint_id: str) -> Any:
        if complaint_id == failing:
            raise StorageError("throttled")
        return get_stored(self, complaint_id)

    event = client.events.generate_sqs_event(
        [m["Body"] for m in messages], queue_name="seller-report-center-sweep"
    )
    for i, record in enumerate(event["Records"]):
        record["messageId"] = f"m-{i}"
    with monkeypatch.context() as patch:
        patch.setattr(ComplaintRepository, "get_stored", storage_fails)
        reply = client.lambda_.invoke("sla_sweep_worker", event).payload
    assert reply == {"batchItemFailures": [{"itemIdentifier": f"m-{first}"}]}
    assert [c for c in ids if repo.get(c).escalated_at is None] == [failing]  # type: ignore[union-attr]
    # the retry of the whole message: the failed one escalated, the others not again
    retry = client.events.generate_sqs_event(
        [messages[first]["Body"]], queue_name="seller-report-center-sweep"
    )
    assert client.lambda_.invoke("sla_sweep_worker", retry).payload == {"batchItemFailures": []}
    for complaint_id in ids:
        history = [h.action for h in repo.get(complaint_id).history]  # type: ignore[union-attr]
        assert history == ["submitted", "escalated"], complaint_id
    malformed = client.events.generate_sqs_event(["{}"], queue_name="seller-report-center-sweep")
    assert client.lambda_.invoke("sla_sweep_worker", malformed).payload == {
        "batchItemFailures": [{"itemIdentifier": "message-id"}]
    }


def test_stops_before_the_lambda_time_limit_and_the_next_run_continues(
    api: Api,
    clock: Any,
    orders: list[str],
    settings: Settings,
) -> None:
    from chalicelib.services.sweep import run_sweep

    for order_id in orders[:4]:
        _submit(api, order_id)
    clock.advance(hours=36)
    adapters = Adapters.from_settings(settings)
    args = {
        "now": clock.current,
        "policy": settings.sla_policy,
        "thresholds": settings.thresholds,
        "batch": 100,
    }
    # 1 s a DynamoDB request, 12.5 s a run, 2.5 s of it kept in reserve: the 4 Queries of
    # the due index (one per shard), then 2 escalations of 3 requests each, and no third
    with lambda_budget(settings, run_ms=12_500, ms_per_request=1_000) as budget, budget.run():
        first = run_sweep(adapters, time_left_ms=lambda: int(budget.remaining()), **args)  # type: ignore[arg-type]
    assert first.actions == {"escalated": 2} and first.processed == 2 and first.stopped_early
    second = run_sweep(adapters, time_left_ms=lambda: 600_000, **args)  # type: ignore[arg-type]
    assert second.actions == {"escalated": 2} and not second.stopped_early


def test_a_simulated_month_keeps_every_promise(
    api: Api,
    client: Client,
    clock: Any,
    settings: Settings,
    published: Published,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A month of submissions, reviewers deciding some and not others, sellers appealing
    some rejections, the sweep every 15 minutes at an arbitrary phase: every complaint has
    a result within 48 h, and every appeal within 48 h of it; escalations happen once per
    review, and re-running a sweep changes nothing."""
    monkeypatch.setenv("DUE_SHARDS", "2")  # fewer requests per run: moto answers slowly
    rng = random.Random(20261124)
    start = T0
    orders = [f"o-m{i}" for i in range(60)]
    api.events(
        *[
            order_event(
                o, buyer_id=f"b-m{i}", status="delivered", placed_at=start - timedelta(days=2)
            )
            for i, o in enumerate(orders)
        ]
    )
    submit_at = sorted(start + timedelta(minutes=rng.randrange(0, 30 * 24 * 60)) for _ in orders)
    pending_submissions = list(zip(submit_at, orders, strict=True))
    sweep_phase = timedelta(minutes=rng.randrange(0, 15))
    tick = start + sweep_phase
    end = start + timedelta(days=36)
    # (when, complaint_id, what): a reviewer's decision ("upheld"/"rejected", the first
    # review by op, an appeal's by op-2), or the seller's appeal ("appeal")
    plan: list[tuple[Any, str, str]] = []
    appealed: set[str] = set()

    def schedule(at: Any, complaint_id: str, what: str) -> None:
        plan.append((at, complaint_id, what))
        plan.sort()

    while tick <= end:
        while pending_submissions and pending_submissions[0][0] <= tick:
            at, order_id = pending_submissions.pop(0)
            clock.current = at
            complaint_id = _submit(api, order_id)
            outcome = rng.choice(["upheld", "rejected"])
            choice = rng.random()
            if choice < 0.4:  # decided by a reviewer before escalation
                schedule(at + timedelta(hours=rng.uniform(1, 35)), complaint_id, outcome)
            elif choice < 0.6:  # decided by a reviewer after escalation
                schedule(at + timedelta(hours=rng.uniform(36.5, 47)), complaint_id, outcome)
            if rng.random() < 0.35:  # appealed if rejected, some time after the decision
                schedule(at + timedelta(hours=rng.uniform(48, 24 * 4)), complaint_id, "appeal")
        while plan and plan[0][0] <= tick:
            at, complaint_id, what = plan.pop(0)
            clock.current = at
            if what == "appeal":
                reply = api.call(
                    "POST", f"/complaints/{complaint_id}/appeal", {"statement": "look again"}
                )
                assert reply.status in (200, 422), reply.body  # 422: it was upheld
                if reply.status == 200:
                    appealed.add(complaint_id)
                    choice = rng.random()
                    if choice < 0.5:  # decided by another reviewer, before or after 36 h
                        delay = rng.choice([rng.uniform(1, 35), rng.uniform(36.5, 47)])
                        schedule(at + timedelta(hours=delay), complaint_id, "upheld")
                continue
            reviewer = "op-2" if complaint_id in appealed else "op"
            code = "complaint_upheld" if what == "upheld" else "insufficient_evidence"
            reply = api.decide(complaint_id, what, code, operator=reviewer)
            assert reply.status in (200, 409), reply.body
        clock.current = tick
        sweep(client)
        tick += timedelta(minutes=15)
    before = snapshot(settings)
    sweep(client)
    assert snapshot(settings) == before
    stored = [
        c for c in (ComplaintRepository(settings).get(i["complaint_id"]) for i in before) if c
    ]
    assert len(stored) == len(orders)
    assert len(appealed) >= 5
    events = published.types()
    for complaint in stored:
        assert complaint.decision is not None, complaint.complaint_id
        assert complaint.decision.decided_at <= complaint.due_at
        escalations = [h for h in complaint.history if h.action == "escalated"]
        decisions = [h for h in complaint.history if h.action.startswith("decided:")]
        appeal = complaint.appeal
        assert (appeal is not None) == (complaint.complaint_id in appealed)
        if appeal is not None:
            # the appeal's result within 48 h of it; its review escalated once at most
            # (the appeal's time is kept to the second, the clock's has microseconds)
            filed = appeal.submitted_at
            assert filed <= complaint.due_at - timedelta(hours=48) < filed + timedelta(seconds=1)
            assert complaint.decision.decided_at < filed + timedelta(hours=48, seconds=1)
            assert appeal.previous_decision.outcome == "rejected"
            assert len(decisions) == 2
            after_appeal = [h for h in escalations if h.at >= appeal.submitted_at]
            assert len(after_appeal) <= 1
            if complaint.decision.decided_at - appeal.submitted_at > timedelta(
                hours=36, minutes=15
            ):
                assert len(after_appeal) == 1
            review_started = appeal.submitted_at
        else:
            assert len(decisions) == 1 and len(escalations) <= 1
            review_started = complaint.submitted_at
        if complaint.decision.decided_at - review_started > timedelta(hours=36, minutes=15):
            assert any(h.at >= review_started for h in escalations)
        assert events.count(("complaint.decided", complaint.complaint_id)) == len(decisions)
        assert events.count(("complaint.escalated", complaint.complaint_id)) == len(escalations)
        assert events.count(("complaint.appealed", complaint.complaint_id)) == (appeal is not None)
    by = {c.decision.decided_by for c in stored if c.decision}
    assert by == {"operator", "sla"}
    figures = api.call("GET", "/review/sla?window_days=60", seller="op", role="operator").body
    # every decision counts on its day: an appealed rejection and the appeal's decision too
    assert figures["pending"] == 0 and figures["decided"] == len(orders) + len(appealed)
    assert sum(figures["decisions_by"].values()) == figures["decided"]
    assert figures["breaches"]["total"] == 0
    assert figures["hours_to_decision"]["max"] <= 48
