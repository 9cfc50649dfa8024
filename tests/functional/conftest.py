from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from bench.operations import LAMBDA_LIMIT_CONTEXT
from chalicelib.adapters.models import complaint_model, fact_model
from chalicelib.config import Settings
from tests.conftest import ROOT


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


class Api:
    """The HTTP API through Chalice's test client, with tokens for each role."""

    def __init__(self, client: Client, tokens: Any) -> None:
        self.client = client
        self.tokens = tokens

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        seller: str | None = "s-1",
        role: str = "seller",
        token: str | None = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is None and seller is not None:
            token = self.tokens(seller, role)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if response.body else ""
        return Reply(
            response.status_code, dict(response.headers), json.loads(text) if text else None
        )

    def events(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.call(
            "POST", "/platform/events", {"events": list(events)}, seller="platform", role="system"
        )
        assert reply.status == 200, reply.body
        return reply.body["results"]  # type: ignore[no-any-return]

    def submit(self, order_id: str, scenario: str, *, seller: str = "s-1", **fields: Any) -> Reply:
        body = {"order_id": order_id, "scenario": scenario, "description": "buyer abuse", **fields}
        return self.call("POST", "/complaints", body, seller=seller)

    def decide(
        self,
        complaint_id: str,
        outcome: str,
        reason_code: str,
        *,
        operator: str = "op-1",
        **fields: Any,
    ) -> Reply:
        """A reviewer's decision on a complaint."""
        body = {"outcome": outcome, "reason_code": reason_code, **fields}
        path = f"/review/complaints/{complaint_id}/decision"
        return self.call("POST", path, body, seller=operator, role="operator")


class Published:
    """complaint events published to SNS, read back through an SQS subscription."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.seen: list[dict[str, Any]] = []

    def __call__(self) -> list[dict[str, Any]]:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = batch.get("Messages", [])
            if not messages:
                return self.seen
            for message in messages:
                self.seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def types(self) -> list[tuple[str, str]]:
        return [(e["type"], e["complaint_id"]) for e in self()]


@pytest.fixture
def published(aws: None, monkeypatch: pytest.MonkeyPatch) -> Published:
    import boto3

    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="complaint-events")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="complaint-events-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    monkeypatch.setenv("COMPLAINT_EVENTS_TOPIC_ARN", topic)
    return Published(sqs, queue_url)


def tables(settings: Settings) -> list[dict[str, Any]]:
    """Every stored item of both tables, in a stable order: compare two snapshots to show
    that a refused request or a failed write changed nothing (test-only scan)."""
    items = [
        i.to_simple_dict()
        for m in (complaint_model(settings), fact_model(settings))
        for i in m.scan()
    ]
    return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, default=str))


def scheduled_event(client: Client) -> dict[str, Any]:
    """A full CloudWatch scheduled event, as EventBridge sends to an ``@app.schedule``."""
    return client.events.generate_cw_event(  # type: ignore[no-any-return]
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/schedule"],
    )


@pytest.fixture
def client(aws: None, published: Published, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    # Job runs get Lambda's longest time, not chalice.test's 3 s: a loaded machine must not
    # change what one run does (bench/operations.py, LAMBDA_LIMIT_CONTEXT).
    monkeypatch.setattr("chalice.test.LambdaContext", LAMBDA_LIMIT_CONTEXT)
    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client


@pytest.fixture
def api(client: Client, tokens: Any, clock: Any) -> Api:
    return Api(client, tokens)
