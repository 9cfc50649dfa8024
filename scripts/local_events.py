"""``make run``'s subscriber to the complaint events topic: what the service publishes,
shown as it happens.

A local SQS queue is subscribed to the embedded SNS topic (raw delivery: a message's body
is the event itself) and drained by a thread of the runner, which prints each event as one
readable ``[event] ...`` line (``describe``) and records it in the journal
``GET /dev/events`` lists (``chalicelib/dev_events.py``).  Nothing deployed has it: on AWS
the topic's subscribers are the platform's notification and alerting systems.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from chalicelib.dev_events import EventJournal

#: The local queue subscribed to the topic (``make run`` only).
EVENTS_QUEUE = "seller-report-center-local-events"
#: Messages one receive takes (SQS's most).
RECEIVE_AT_MOST = 10


def subscribe(topic_arn: str, region: str) -> str:
    """A queue subscribed to ``topic_arn`` with raw delivery; returns its URL."""
    import boto3

    sqs = boto3.client("sqs", region_name=region)
    queue_url: str = sqs.create_queue(QueueName=EVENTS_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    boto3.client("sns", region_name=region).subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    return queue_url


def _decided(e: dict[str, Any]) -> str:
    return f"{e.get('outcome')} by {e.get('decided_by')} ({e.get('reason_code')})"


def _escalated(e: dict[str, Any]) -> str:
    return f"escalated to the reviewers, due {e.get('due_at')}"


def _appealed(e: dict[str, Any]) -> str:
    return f"appealed after {e.get('previous_outcome')}, due {e.get('due_at')}"


def _recategorised(e: dict[str, Any]) -> str:
    return f"moved from {e.get('previous_complaint_id')} ({e.get('previous_scenario')})"


def _exemption_applied(e: dict[str, Any]) -> str:
    metrics = sorted({str(m.get("metric")) for m in e.get("metrics") or []})
    return f"exemption applied ({', '.join(metrics) or 'no metric'})"


def _exemption_overdue(e: dict[str, Any]) -> str:
    return f"exemption overdue ({e.get('reason', 'late')})"


#: What each event type adds to its line, by type.
_DETAILS: dict[str, Callable[[dict[str, Any]], str]] = {
    "complaint.decided": _decided,
    "complaint.escalated": _escalated,
    "complaint.appealed": _appealed,
    "complaint.recategorised": _recategorised,
    "complaint.exemption_applied": _exemption_applied,
    "complaint.exemption_overdue": _exemption_overdue,
}


def describe(event: dict[str, Any]) -> str:
    """One line for a person: the type, the complaint and whose it is, what happened."""
    kind = str(event.get("type"))
    details = _DETAILS.get(kind)
    what = details(event) if details else f"status {event.get('status')}"
    return (
        f"[event] {kind} {event.get('complaint_id')} "
        f"(seller {event.get('seller_id')}, {event.get('scenario')}): {what}"
    )


def _parse(body: str) -> dict[str, Any]:
    """A message's event; a body that is not an event's JSON is kept as ``{"body": ...}``."""
    try:
        event = json.loads(body)
    except ValueError:
        return {"type": "unreadable", "body": body}
    return event if isinstance(event, dict) else {"type": "unreadable", "body": body}


def run_event_log_forever(
    stop: threading.Event, queue_url: str, region: str, journal: EventJournal
) -> None:
    """Until ``stop``: each event on ``queue_url`` printed (``describe``), recorded in
    ``journal`` and deleted, in the order received."""
    import boto3

    sqs = boto3.client("sqs", region_name=region)
    while not stop.is_set():
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=RECEIVE_AT_MOST, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages:
            continue
        events = [_parse(m["Body"]) for m in messages]
        for event in events:
            print(describe(event), flush=True)
        journal.record(events)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
