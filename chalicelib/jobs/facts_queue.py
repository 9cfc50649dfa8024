"""SQS consumer of platform fact events — the same code path as POST /platform/events.

Returns ``batchItemFailures`` so only failed messages are redelivered (the packaged
template enables ``ReportBatchItemFailures``; Chalice cannot).  A malformed message fails
every time and so reaches the dead-letter queue after its retries; a storage error is
retried; an unexpected error fails its own message only.  Successful messages are never
reprocessed, and reprocessing would be a no-op.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import get_settings
from chalicelib.observability import count, logger
from chalicelib.services.ingest import ingest_message

#: The base name: the packaged template points the event source at the stage's queue,
#: ``seller-report-center-<stage>-facts`` (scripts/infra.py).
FACTS_QUEUE = "seller-report-center-facts"
#: Consumer invocations at once (10 messages each), and the function's reserved
#: concurrency (.chalice/config.json): a flood of platform events cannot take the
#: account's concurrency from the API, and SQS's pollers never exceed what is reserved
#: (beyond it, throttled deliveries would count as receives and dead-letter good messages).
FACTS_CONCURRENCY = 20
bp = Blueprint(__name__)


@bp.on_sqs_message(queue=FACTS_QUEUE, batch_size=10, maximum_concurrency=FACTS_CONCURRENCY)
def on_fact_messages(event: SQSEvent) -> dict[str, Any]:
    adapters = Adapters.from_settings(get_settings())
    now = clock.now()
    failures: list[dict[str, str]] = []
    for record in event:
        message_id = record.to_dict()["messageId"]
        try:
            result = ingest_message(adapters.facts, adapters.metrics, record.body, now)
        except Exception:  # one message's failure must fail that message only
            # A storage error is retried by redelivery; anything else (a bug this message
            # reveals) fails the same way every time and reaches the dead-letter queue — in
            # both cases alone: its neighbours in the batch are not redelivered.
            logger().exception(
                "fact message failed, will be retried", extra={"message_id": message_id}
            )
            failures.append({"itemIdentifier": message_id})
            continue
        if result.status == "rejected":
            logger().warning(
                "fact message rejected", extra={"message_id": message_id, "error": result.error}
            )
            count("RejectedEvents")
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
