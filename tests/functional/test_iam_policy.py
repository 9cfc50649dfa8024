"""Least privilege: every AWS call the app makes is allowed by the stage's hand-written
policy, and the policy grants nothing the app does not use."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.adapters.files import s3_client as files_client
from chalicelib.adapters.messaging import aws_client
from chalicelib.adapters.models import all_models
from chalicelib.config import Settings
from tests.builders import dispute_event, order_event, review_event
from tests.conftest import ROOT
from tests.functional.conftest import Api, scheduled_event

ACCOUNT, REGION = "123456789012", "us-east-1"
#: Granted but called by AWS on the function's behalf, not by the app's code.
USED_BY_LAMBDA_SERVICE = {
    "logs:CreateLogGroup": "the Lambda runtime writes the function's logs",
    "logs:CreateLogStream": "the Lambda runtime writes the function's logs",
    "logs:PutLogEvents": "the Lambda runtime writes the function's logs",
    "sqs:ReceiveMessage": "the SQS event source mapping polls the queues for the consumers",
    "sqs:DeleteMessage": "the SQS event source mapping deletes processed messages",
    "sqs:GetQueueAttributes": "the SQS event source mapping reads the queue's settings",
    "xray:PutTraceSegments": "Lambda's X-Ray daemon sends the traces (active tracing)",
    "xray:PutTelemetryRecords": "Lambda's X-Ray daemon reports its telemetry",
}
#: Granted for requests the app signs but a browser sends (presigned), so never called here.
SIGNED_FOR_BROWSERS = {
    "s3:PutObject": "a seller's upload through the presigned POST is authorised by the role",
}
#: API operation -> the IAM actions it needs
ACTIONS = {
    "SendMessageBatch": ("sqs:SendMessage",),
    # the export's upload: one PutObject, or a multipart upload for a large file
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",),
}
#: A transaction is authorised per item, by the action of the item's kind.
TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _table_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def _transaction_calls(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, table ARN) of each item of a TransactWriteItems."""
    calls = []
    for item in params["TransactItems"]:
        ((kind, body),) = item.items()
        calls.append((TRANSACT_ACTIONS[kind], _table_arn(body["TableName"])))
    return calls


def _resources(service: str, params: dict[str, Any]) -> list[str]:
    if service == "dynamodb":
        if "RequestItems" in params:  # BatchGetItem: its tables
            return [
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t}" for t in params["RequestItems"]
            ]
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{params['TableName']}"
        return [arn + (f"/index/{params['IndexName']}" if "IndexName" in params else "")]
    if service == "sns":
        return [params["TopicArn"].replace("000000000000", ACCOUNT)]
    if service == "sqs":
        name = params["QueueUrl"].rsplit("/", 1)[-1]
        return [f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"]
    if service == "ssm":  # a version selector (name:3) reads the same parameter
        name = params["Name"].split(":", 1)[0]
        return [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"]
    if service == "s3":  # a presigned GET is recorded too: it is signed with the role
        if "Key" not in params:  # a presigned POST's signing: its key is in the form
            return []
        return [f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"]
    raise AssertionError(f"unexpected service {service}")


@contextmanager
def recording(settings: Settings) -> Iterator[list[tuple[str, str]]]:
    """(IAM action, resource ARN) of every call made through the app's own clients."""
    calls: list[tuple[str, str]] = []
    clients = [m._get_connection().connection.client for m in all_models(settings)]
    clients += [aws_client("sns", REGION), aws_client("sqs", REGION), aws_client("ssm", REGION)]
    clients += [files_client(REGION, settings.files_endpoint)]
    clients = list({id(c): c for c in clients}.values())

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.endpoint_prefix
        if model.name == "TransactWriteItems":
            calls.extend(_transaction_calls(params))
            return
        for action in ACTIONS.get(model.name, (f"{service}:{model.name}",)):
            calls.extend((action, resource) for resource in _resources(service, params))

    for client in clients:
        client.meta.events.register("before-parameter-build", hook, unique_id="iam-record")
    try:
        yield calls
    finally:
        for client in clients:
            client.meta.events.unregister("before-parameter-build", unique_id="iam-record")


def _allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if (
            statement["Effect"] == "Allow"
            and action in actions
            and any(fnmatch.fnmatchcase(resource, pattern) for pattern in resources)
        ):
            return True
    return False


def _policy(stage: str) -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())


def _attachments(api: Api, complaint_id: str) -> None:
    """Announce, upload (as the browser would), complete and open an attachment; and one
    refused (deleted)."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    s3 = boto3.client("s3", region_name=REGION)
    for data in (png, b"<html></html>"):
        body = {"filename": "a.png", "content_type": "image/png", "size": len(data)}
        reply = api.call("POST", f"/complaints/{complaint_id}/attachments", body)
        assert reply.status == 201, reply.body
        announced = reply.body
        fields = announced["upload"]["fields"]
        s3.put_object(Bucket="seller-report-center-dev-files", Key=fields["key"], Body=data)
        path = f"/complaints/{complaint_id}/attachments/{announced['attachment_id']}"
        api.call("POST", f"{path}/complete")
    assert api.call("GET", path).status == 409  # the refused one
    listed = api.call("GET", f"/complaints/{complaint_id}").body["attachments"]
    (verified,) = [a for a in listed if a["status"] == "verified"]
    path = f"/complaints/{complaint_id}/attachments/{verified['attachment_id']}"
    assert api.call("GET", path).status == 200
    assert api.call("GET", f"/review{path}", seller="op", role="operator").status == 200


def _run_everything(api: Api, client: Client, clock: Any) -> None:
    """Every route and every job, once."""

    api.events(
        order_event("o-1", status="delivered"),
        review_event("r-1", "o-1", rating=1),
        order_event("o-2", status="delivered"),
        dispute_event("d-2", "o-2"),
        *[order_event(f"o-f{i}", buyer_id="b-f") for i in range(6)],
    )
    api.events(order_event("o-1", status="delivered"))  # a duplicate
    sqs_event = client.events.generate_sqs_event(
        [json.dumps(order_event("o-3", status="paid"))], queue_name="seller-report-center-dev-facts"
    )
    client.lambda_.invoke("on_fact_messages", sqs_event)
    review = api.submit("o-1", "malicious_review").body
    _attachments(api, review["complaint_id"])
    api.submit("o-2", "malicious_dispute")
    misfiled = api.submit("o-3", "malicious_ordering").body
    moved = api.call(
        "POST",
        f"/review/complaints/{misfiled['complaint_id']}/scenario",
        {"scenario": "malicious_harassment"},
        seller="op",
        role="operator",
    )
    assert moved.status == 200, moved.body
    api.submit("o-f0", "malicious_ordering")  # upheld by the rules
    for path in (
        "/scenarios",
        "/complaints",
        f"/complaints/{review['complaint_id']}",
        "/metrics",
        "/complaints/export",
        "/orders",
        "/orders/o-1/eligibility",
    ):
        assert api.call("GET", path).status == 200
    assert api.call("GET", "/openapi.json", seller=None).status == 200
    for path in ("/review/queue", f"/review/complaints/{review['complaint_id']}", "/review/sla"):
        assert api.call("GET", path, seller="op", role="operator").status == 200
    assert (
        api.decide(review["complaint_id"], "upheld", "complaint_upheld", operator="op").status
        == 200
    )
    clock.advance(hours=36)
    client.lambda_.invoke("sla_sweep", scheduled_event(client))  # escalates, fanning out beyond one
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="seller-report-center-dev-sweep")["QueueUrl"]
    bodies = [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]
    client.lambda_.invoke(
        "sla_sweep_worker",
        client.events.generate_sqs_event(bodies, queue_name="seller-report-center-dev-sweep"),
    )
    clock.advance(hours=12)
    client.lambda_.invoke("sla_sweep", scheduled_event(client))  # decides what is left
    client.lambda_.invoke("exemption_job", scheduled_event(client))
    rejected = api.call("GET", f"/complaints/{moved.body['complaint_id']}").body
    assert rejected["status"] == "rejected", rejected
    appeal = {"statement": "please look again"}
    assert api.call("POST", f"/complaints/{rejected['complaint_id']}/appeal", appeal).status == 200
    clock.advance(hours=60)
    client.lambda_.invoke("exemption_job", scheduled_event(client))


def test_the_policy_allows_every_call_and_grants_nothing_unused(
    api: Api,
    client: Client,
    clock: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="seller-report-center-dev-complaint-events")["TopicArn"]
    queue = boto3.client("sqs", region_name=REGION).create_queue(
        QueueName="seller-report-center-dev-sweep"
    )["QueueUrl"]
    monkeypatch.setenv("COMPLAINT_EVENTS_TOPIC_ARN", topic)
    monkeypatch.setenv("SWEEP_QUEUE_URL", queue)
    monkeypatch.setenv("SWEEP_BATCH", "1")
    # the cursor secret as a deployed stage reads it (tokens stay the dev ones: the fixture's)
    secret = "/seller-report-center/dev/cursor-secret"
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=secret, Value="c" * 40, Type="SecureString"
    )
    monkeypatch.setenv("CURSOR_SECRET_PARAMETER", secret)
    policy = _policy("dev")
    with recording(settings) as calls:
        _run_everything(api, client, clock)
    denied = sorted({c for c in calls if not _allowed(policy, *c)})
    assert denied == [], f"calls the policy does not allow: {denied}"
    used = {action for action, _ in calls}
    assert used == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "sns:Publish",
        "sqs:SendMessage",
        "s3:PutObject",
        "s3:GetObject",
        "s3:PutObjectTagging",
        "s3:DeleteObject",
        "ssm:GetParameter",
    }
    granted = {
        a
        for s in policy["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    unused = granted - used - set(USED_BY_LAMBDA_SERVICE) - set(SIGNED_FOR_BROWSERS)
    assert unused == set(), f"granted but never used: {unused}"
    assert not any(fnmatch.fnmatchcase(a, "*:*") and "*" in a for a in granted)


def test_the_prod_policy_is_the_dev_policy_on_prods_resources() -> None:
    dev, prod = (
        json.dumps(_policy(stage))
        .replace(f"-{stage}-", "-STAGE-")
        .replace(f"-{stage}*", "-STAGE*")
        .replace(f"/{stage}/", "/STAGE/")
        for stage in ("dev", "prod")
    )
    assert dev == prod


def test_a_call_outside_the_policy_is_detected() -> None:
    policy = _policy("dev")
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/seller-report-center-dev-complaints"
    assert _allowed(policy, "dynamodb:Query", table + "/index/by_seller")
    assert not _allowed(policy, "dynamodb:Scan", table)
    assert not _allowed(
        policy, "dynamodb:Query", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/someone-elses-table"
    )
    assert not _allowed(policy, "dynamodb:GetItem", table.replace("-dev-", "-prod-"))
    files = "arn:aws:s3:::seller-report-center-dev-files"
    assert _allowed(policy, "s3:PutObject", f"{files}/exports/s-1/e.csv")
    assert _allowed(policy, "s3:GetObject", f"{files}/exports/s-1/e.csv")
    assert not _allowed(policy, "s3:PutObject", f"{files}/other/e.csv")
    assert not _allowed(policy, "s3:DeleteObject", f"{files}/exports/s-1/e.csv")
    assert _allowed(policy, "s3:GetObject", f"{files}/attachments/s-1/c_x/a_1")
    assert _allowed(policy, "s3:DeleteObject", f"{files}/attachments/s-1/c_x/a_1")
    assert not _allowed(policy, "s3:GetObject", f"{files}/elsewhere/x")
    assert not _allowed(policy, "s3:ListBucket", files)
    assert not _allowed(policy, "s3:GetObject", f"{files.replace('-dev-', '-prod-')}/attachments/x")
    # the stage's own parameters, read one at a time, nothing else of SSM
    parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/seller-report-center/dev/"
    assert _allowed(policy, "ssm:GetParameter", parameter + "cursor-secret")
    assert not _allowed(policy, "ssm:GetParameter", parameter.replace("/dev/", "/prod/") + "x")
    assert not _allowed(policy, "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/x")
    for action in ("ssm:GetParameters", "ssm:GetParametersByPath", "ssm:PutParameter"):
        assert not _allowed(policy, action, parameter + "cursor-secret")
    # only complaints move (re-categorisation); facts are never deleted
    assert _allowed(policy, "dynamodb:DeleteItem", table)
    assert not _allowed(policy, "dynamodb:DeleteItem", table.replace("-complaints", "-facts"))
