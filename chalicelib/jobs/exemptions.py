"""The hourly exemption job (see services/exemptions.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import get_settings
from chalicelib.observability import count, logger, milliseconds
from chalicelib.services.exemptions import ExemptionReport, run_exemption_job

bp = Blueprint(__name__)

#: The log line of each kind of ``Failure`` in a run's report.
FAILURE_MESSAGES = {
    "step": "exemption step failed; the next run retries",
    "count": "could not record the failure",
}


@bp.schedule(Rate(1, unit=Rate.HOURS), name="exemption_job")
def exemption_job(event: CloudWatchEvent) -> dict[str, object]:
    settings = get_settings()
    adapters = Adapters.from_settings(settings)
    context: Any = event.context  # the Lambda context (typed as a dict by Chalice)
    report = run_exemption_job(
        adapters,
        now=clock.now(),
        policy=settings.exemption_policy,
        sla=settings.sla_policy,
        batch=settings.sweep_batch,
        time_left_ms=context.get_remaining_time_in_millis if context else (lambda: 900_000),
    )
    count("ExemptionsApplied", report.actions["applied"])
    count("ExemptionsOverdue", report.actions["alerted"])
    if report.lag_hours:
        milliseconds("ExemptionLag", timedelta(hours=max(report.lag_hours)))
    _log_failures(report)
    logger().info("exemption job", extra=report.as_dict())
    return report.as_dict()


def _log_failures(report: ExemptionReport) -> None:
    for failure in report.failures:
        logger().error(
            FAILURE_MESSAGES[failure.what],
            extra={"complaint_id": failure.complaint_id},
            exc_info=failure.error,
        )
