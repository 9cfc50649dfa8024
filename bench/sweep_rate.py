"""The sweep worker's time per complaint (issue 16): what the 48 h promise's bound under a
burst is derived from (README, "The SLA under a burst").

    .venv/bin/python -m bench.sweep_rate [complaints]      (300)

Against dynalite (started here, or ``DYNALITE_ENDPOINT``), on fresh tables: ``complaints``
pending complaints, escalated then decided by ``work_off`` — the function the Lambda
worker runs for each message — 10 to a message.  Prints the time and DynamoDB requests per
complaint; the SNS publishes (one per escalation, one per decision) are logged, not sent,
so their time is not in the figures.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import timedelta

from bench.exemption_scale import _dynalite


def main(complaints: int) -> None:
    suffix = uuid.uuid4().hex[:8]
    with _dynalite() as endpoint:
        os.environ.update(
            DYNAMODB_ENDPOINT=endpoint,
            COMPLAINTS_TABLE=f"rate{suffix}-complaints",
            FACTS_TABLE=f"rate{suffix}-facts",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            METRICS_DISABLED="true",
            LOG_LEVEL="WARNING",
        )
        os.environ.pop("COMPLAINT_EVENTS_TOPIC_ARN", None)
        _run(complaints)


def _run(complaints: int) -> None:
    from bench.dynamo_calls import count_dynamodb_calls
    from chalicelib.adapters.event_schema import parse_event
    from chalicelib.adapters.models import create_tables
    from chalicelib.adapters.wiring import Adapters
    from chalicelib.config import get_settings
    from chalicelib.services.sweep import work_off
    from tests.builders import T0, order_event, submit

    settings = get_settings()
    create_tables(settings)
    adapters = Adapters.from_settings(settings)
    placed = T0 - timedelta(days=3)
    ids = []
    for i in range(complaints):
        event = order_event(f"o-{i}", buyer_id=f"b-{i}", status="delivered", placed_at=placed)
        adapters.facts.apply(parse_event(event), T0)
        ids.append(submit(adapters, settings, f"o-{i}").complaint_id)
    for step, hours in (("escalate", 36.1), ("decide", 47.6)):
        with count_dynamodb_calls(settings) as calls:
            start = time.perf_counter()
            for first in range(0, complaints, 10):
                work_off(
                    adapters,
                    ids[first : first + 10],
                    now=T0 + timedelta(hours=hours),
                    policy=settings.sla_policy,
                    thresholds=settings.thresholds,
                )
            took_ms = (time.perf_counter() - start) * 1000
        requests = sum(calls.values())
        print(
            f"{step}: {took_ms / complaints:.1f} ms a complaint, "
            f"{requests / complaints:.1f} DynamoDB requests each "
            f"({took_ms / requests:.1f} ms a request, the app's own time included)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
