"""The scheduled SLA sweep and its SQS workers (see services/sweep.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent, SQSEvent

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import get_settings
from chalicelib.domain.sweep_work import decode_sweep_message
from chalicelib.observability import count, level, logger
from chalicelib.services.sla_report import queue_levels
from chalicelib.services.sweep import run_sweep, work_off

#: The base name; the stage's queue is ``seller-report-center-<stage>-sweep`` (see
#: FACTS_QUEUE).
SWEEP_QUEUE = "seller-report-center-sweep"
#: Must stay well below SLA_MARGIN_MINUTES (default 30) so no deadline falls between runs.
#: Each run also hands the workers what comes due before the next run, delayed until due.
SWEEP_EVERY_MINUTES = 5
#: Messages per worker invocation (each ``IDS_PER_MESSAGE`` complaints): 100 complaints,
#: at most 24 s of its 60 s at 20 ms a request (README: "The SLA under a burst").
WORKER_BATCH_SIZE = 10
#: Worker invocations at once: what the 48 h promise's bound is computed with (README:
#: "The SLA under a burst") — 12,500 complaints a minute, above the 12,000 a
#: minute the API's default rate limit (200 requests a second) admits.  Also the worker's
#: reserved concurrency (.chalice/config.json), so that it can always reach it.
WORKER_CONCURRENCY = 50
bp = Blueprint(__name__)


@bp.schedule(Rate(SWEEP_EVERY_MINUTES, unit=Rate.MINUTES), name="sla_sweep")
def sla_sweep(event: CloudWatchEvent) -> dict[str, object]:
    settings = get_settings()
    context: Any = event.context  # the Lambda context (typed as a dict by Chalice)
    adapters, now = Adapters.from_settings(settings), clock.now()
    report = run_sweep(
        adapters,
        now=now,
        policy=settings.sla_policy,
        thresholds=settings.thresholds,
        batch=settings.sweep_batch,
        time_left_ms=context.get_remaining_time_in_millis if context else (lambda: 900_000),
        lookahead=timedelta(minutes=SWEEP_EVERY_MINUTES),
    )
    _record(report.actions)
    levels = queue_levels(adapters.complaints, clock.now())  # after the run's work
    level("PendingComplaints", levels["pending"])
    level("EscalatedComplaints", levels["escalated"])
    level("OverdueComplaints", levels["overdue"])
    logger().info("sla sweep", extra={**report.as_dict(), "queue": levels})
    return report.as_dict()


def _record(actions: Counter[str]) -> None:
    count("Escalations", actions["escalated"])
    count("DecisionsBySla", actions["decided"])
    count("SlaBreaches", actions["late"])


@bp.on_sqs_message(
    queue=SWEEP_QUEUE,
    batch_size=WORKER_BATCH_SIZE,
    maximum_concurrency=WORKER_CONCURRENCY,
    name="sla_sweep_worker",
)
def sla_sweep_worker(event: SQSEvent) -> dict[str, Any]:
    """Each message's complaints brought up to date (``work_off``); a message is reported
    failed (retried whole, then dead-lettered) when it is malformed or storage failed any
    of its complaints."""
    settings = get_settings()
    adapters = Adapters.from_settings(settings)
    failures = []
    done: Counter[str] = Counter()
    for record in event:
        message_id = record.to_dict()["messageId"]
        try:
            complaint_ids = decode_sweep_message(record.body)
        except (ValueError, KeyError, TypeError, RecursionError):
            logger().warning("sweep message is malformed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
            continue
        report = work_off(
            adapters,
            complaint_ids,
            now=clock.now(),
            policy=settings.sla_policy,
            thresholds=settings.thresholds,
        )
        done.update(report.actions)
        if report.failed:
            logger().warning(
                "sweep message failed, will be retried",
                extra={"message_id": message_id, "failed": report.failed},
            )
            failures.append({"itemIdentifier": message_id})
    _record(done)
    logger().info(
        "sla sweep worker",
        extra={
            "messages": len(event.to_dict()["Records"]),
            "failed": len(failures),
            "actions": dict(done),
        },
    )
    return {"batchItemFailures": failures}
