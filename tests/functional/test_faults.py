"""Throttling and transient faults: retried with backoff (botocore standard mode), or a
clean 503 with Retry-After — never a half-written state.  Queue redelivery and poison
messages change nothing twice."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.models import fact_model
from chalicelib.config import Settings
from tests.builders import order_event
from tests.faults import dynamodb_fault
from tests.functional.conftest import Api, Published, scheduled_event, tables

ATTEMPTS = 4  # PynamoDB's default: 1 + 3 retries, botocore standard retry mode


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


@pytest.fixture
def order(api: Api) -> str:
    api.events(order_event("o-1", status="delivered"))
    return "o-1"


def test_throttled_writes_are_retried_with_backoff(
    api: Api, settings: Settings, order: str, sleeps: list[float]
) -> None:
    # a pending submission is one transaction with the review queue's counters
    with dynamodb_fault(settings, "TransactWriteItems", times=2) as fault:
        reply = api.submit(order, "malicious_ordering")
    assert reply.status == 201 and fault["injected"] == 2
    assert len(sleeps) == 2 and all(s >= 0 for s in sleeps)
    assert ComplaintRepository(settings).get(reply.body["complaint_id"]) is not None


def test_a_submission_that_stays_throttled_is_a_clean_503(
    api: Api, settings: Settings, order: str
) -> None:
    before = tables(settings)
    with dynamodb_fault(settings, "TransactWriteItems", times=ATTEMPTS) as fault:
        reply = api.submit(order, "malicious_ordering")
    assert fault["injected"] == ATTEMPTS
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    assert reply.body["error"]["code"] == "service_unavailable"
    assert tables(settings) == before
    assert api.submit(order, "malicious_ordering").status == 201  # the retry succeeds


def test_a_storage_failure_no_retry_fixes_is_a_500_that_writes_nothing(
    api: Api, settings: Settings, order: str
) -> None:
    before = tables(settings)
    with dynamodb_fault(settings, "TransactWriteItems", times=1, code="AccessDeniedException"):
        reply = api.submit(order, "malicious_ordering")
    assert reply.status == 500 and "Retry-After" not in reply.headers
    assert reply.body["error"]["code"] == "internal_error"
    assert tables(settings) == before


def test_a_decision_that_stays_throttled_changes_nothing(
    api: Api, settings: Settings, order: str, published: Published
) -> None:
    complaint_id = api.submit(order, "malicious_ordering").body["complaint_id"]
    published()
    before = tables(settings)
    # the decision is one transaction with its day's SLA figures
    with dynamodb_fault(settings, "TransactWriteItems", times=ATTEMPTS):
        reply = api.decide(complaint_id, "upheld", "complaint_upheld", operator="op")
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    assert tables(settings) == before and published() == []


def test_a_throttled_sweep_run_is_finished_by_the_next(
    api: Api, client: Client, clock: Any, settings: Settings, order: str, published: Published
) -> None:
    complaint_id = api.submit(order, "malicious_ordering").body["complaint_id"]
    clock.advance(hours=36)
    before = tables(settings)
    # an escalation is one transaction with the review queue's counters
    with (
        dynamodb_fault(settings, "TransactWriteItems", times=ATTEMPTS),
        pytest.raises(Exception) as err,
    ):
        client.lambda_.invoke("sla_sweep", scheduled_event(client))
    assert "ProvisionedThroughputExceeded" in str(err.value)
    assert tables(settings) == before  # the Lambda failed before changing anything
    assert client.lambda_.invoke("sla_sweep", scheduled_event(client)).payload["actions"] == {
        "escalated": 1
    }
    assert client.lambda_.invoke("sla_sweep", scheduled_event(client)).payload["actions"] == {}
    assert published.types() == [("complaint.escalated", complaint_id)]


def test_a_throttled_exemption_is_retried_by_the_next_run_without_double_counting(
    api: Api,
    client: Client,
    clock: Any,
    settings: Settings,
) -> None:
    api.events(
        *[
            order_event(f"o-f{i}", buyer_id="b-f", status="cancelled", cancelled_by="buyer")
            for i in range(5)
        ]
    )
    assert api.submit("o-f0", "malicious_ordering").body["status"] == "upheld"
    with dynamodb_fault(settings, "TransactWriteItems", times=ATTEMPTS * 2):
        report = client.lambda_.invoke("exemption_job", scheduled_event(client)).payload
    assert report["actions"] == {"failed": 1}
    assert client.lambda_.invoke("exemption_job", scheduled_event(client)).payload["actions"] == {
        "applied": 1
    }
    figures = api.call("GET", "/metrics").body["metrics"]["cancellation_rate"]
    assert figures["raw"] == {"numerator": 5, "denominator": 5, "value": 1.0}
    assert figures["after_exemptions"] == {"numerator": 0, "denominator": 0, "value": None}


def test_the_exemption_job_logs_a_failed_step_with_its_storage_error(
    api: Api, client: Client, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    """The service reports what failed; the job's handler, at the edge, logs it."""
    api.events(
        *[
            order_event(f"o-f{i}", buyer_id="b-f", status="cancelled", cancelled_by="buyer")
            for i in range(5)
        ]
    )
    complaint = api.submit("o-f0", "malicious_ordering").body
    assert complaint["status"] == "upheld"
    capsys.readouterr()
    with dynamodb_fault(settings, "TransactWriteItems", times=ATTEMPTS):
        report = client.lambda_.invoke("exemption_job", scheduled_event(client)).payload
    assert report["actions"] == {"failed": 1}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    failed = [line for line in lines if line.get("message", "").startswith("exemption step")]
    assert len(failed) == 1 and failed[0]["level"] == "ERROR"
    assert failed[0]["complaint_id"] == complaint["complaint_id"]
    assert failed[0]["exception_name"] == "StorageUnavailable"
    assert "ProvisionedThroughputExceededException" in failed[0]["exception"]


def test_a_poison_message_alone_reaches_the_dead_letter_queue(
    api: Api,
    client: Client,
    settings: Settings,
) -> None:
    """The event source mapping, simulated on moto's SQS: deliveries until each message
    is deleted or has been received ``maxReceiveCount`` times."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.create_queue(QueueName="facts-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue = sqs.create_queue(
        QueueName="seller-report-center-facts",
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )
    url = queue["QueueUrl"]
    bodies = [json.dumps(order_event(f"o-q{i}", status="paid")) for i in range(4)]
    bodies.insert(2, json.dumps({"event_id": "poison", "type": "order"}))
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    for _ in range(6):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            break
        event = client.events.generate_sqs_event(
            [m["Body"] for m in messages], queue_name="seller-report-center-facts"
        )
        for record, message in zip(event["Records"], messages, strict=True):
            record["messageId"] = message["MessageId"]
        failures = {
            f["itemIdentifier"]
            for f in client.lambda_.invoke("on_fact_messages", event).payload["batchItemFailures"]
        }
        for message in messages:
            if message["MessageId"] not in failures:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["event_id"] for m in dead] == ["poison"]
    stored = [i.pk for i in fact_model(settings).scan() if i.pk.startswith("ORDER#o-q")]
    assert len(set(stored)) == 4
    metrics = api.call("GET", "/metrics").body["metrics"]["non_fulfillment_rate"]["raw"]
    assert metrics["denominator"] == 4  # each paid order counted once despite redeliveries
