"""The scheduled SLA sweep and its SQS workers (see services/sweep.py)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent, SQSEvent

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import get_settings
from chalicelib.domain.errors import StorageError
from chalicelib.observability import count, logger
from chalicelib.services.sweep import process_due, run_sweep

SWEEP_QUEUE = "seller-report-center-sweep"
#: Must stay well below SLA_MARGIN_MINUTES (default 30) so no deadline falls between runs.
SWEEP_EVERY_MINUTES = 5
bp = Blueprint(__name__)


@bp.schedule(Rate(SWEEP_EVERY_MINUTES, unit=Rate.MINUTES), name="sla_sweep")
def sla_sweep(event: CloudWatchEvent) -> dict[str, object]:
    settings = get_settings()
    context: Any = event.context  # the Lambda context (typed as a dict by Chalice)
    report = run_sweep(
        Adapters.from_settings(settings),
        now=clock.now(),
        policy=settings.sla_policy,
        thresholds=settings.thresholds,
        batch=settings.sweep_batch,
        time_left_ms=context.get_remaining_time_in_millis if context else (lambda: 900_000),
    )
    _record(report.actions)
    logger().info("sla sweep", extra=report.as_dict())
    return report.as_dict()


def _record(actions: Counter[str]) -> None:
    count("Escalations", actions["escalated"])
    count("DecisionsBySla", actions["decided"])
    count("SlaBreaches", actions["late"])


@bp.on_sqs_message(queue=SWEEP_QUEUE, batch_size=10, name="sla_sweep_worker")
def sla_sweep_worker(event: SQSEvent) -> dict[str, Any]:
    settings = get_settings()
    adapters = Adapters.from_settings(settings)
    failures = []
    for record in event:
        message_id = record.to_dict()["messageId"]
        try:
            complaint_id = json.loads(record.body)["complaint_id"]
            process_due(
                adapters, complaint_id, clock.now(), settings.sla_policy, settings.thresholds
            )
        except (ValueError, KeyError, TypeError, RecursionError):
            logger().warning("sweep message is malformed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
        except StorageError:
            logger().exception(
                "sweep message failed, will be retried", extra={"message_id": message_id}
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
