"""SNS and SQS adapters: complaint events out, sweep work fanned out.

boto3 clients are cached per (service, region): creating one costs more than a request, and
a warm Lambda reuses it.  boto3 itself is imported with the first client, so a function
that never publishes (most reads) never pays for its import.  Endpoints follow boto3's own
``AWS_ENDPOINT_URL_SNS`` / ``AWS_ENDPOINT_URL_SQS`` variables (``make run`` points them at
the local server).  Their failures reach the callers as domain errors
(``adapters/storage_errors.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.domain.errors import StorageError
from chalicelib.domain.sweep_work import (
    MAX_DELAY_SECONDS,
    MESSAGES_PER_REQUEST,
    SweepMessage,
    encode_sweep_message,
)

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def aws_client(service: str, region: str) -> Any:
    """One boto3 client per service and region per container (SNS, SQS, SSM)."""
    import boto3

    return boto3.session.Session().client(service, region_name=region)


class EventPublisher(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...


@translates_storage_errors
class SnsPublisher:
    def __init__(self, topic_arn: str, region: str) -> None:
        self.topic_arn = topic_arn
        self.region = region

    def publish(self, event: dict[str, Any]) -> None:
        aws_client("sns", self.region).publish(
            TopicArn=self.topic_arn,
            Message=json.dumps(event, ensure_ascii=False, sort_keys=True),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event["type"]}},
        )


class LogPublisher:
    """Used when no topic is configured (development without SNS): events are logged."""

    def publish(self, event: dict[str, Any]) -> None:
        log.info("complaint event (no topic configured): %s", json.dumps(event, sort_keys=True))


@translates_storage_errors
class SweepQueue:
    """Complaint ids the sweep hands to its SQS workers when more is due than one run does."""

    def __init__(self, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region

    def send(self, messages: Sequence[SweepMessage]) -> None:
        """At most ``MESSAGES_PER_REQUEST`` messages in one SendMessageBatch; entries SQS
        did not take are sent once more (a second request), then a ``StorageError``."""
        if not 0 < len(messages) <= MESSAGES_PER_REQUEST:
            raise ValueError(f"1 to {MESSAGES_PER_REQUEST} messages per request")
        entries = [
            {
                "Id": str(i),
                "MessageBody": encode_sweep_message(m.complaint_ids),
                "DelaySeconds": min(max(m.delay_seconds, 0), MAX_DELAY_SECONDS),
            }
            for i, m in enumerate(messages)
        ]
        client = aws_client("sqs", self.region)
        for _ in range(2):
            failed = client.send_message_batch(QueueUrl=self.queue_url, Entries=entries).get(
                "Failed", []
            )
            if not failed:
                return
            again = {f["Id"] for f in failed}
            entries = [e for e in entries if e["Id"] in again]
        raise StorageError(f"SQS did not take {len(entries)} sweep messages: {failed}")
