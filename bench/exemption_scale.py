"""The exemption job against one buyer with many orders at the seller (issue 12, item 15):
how many runs of the job's Lambda it takes to apply a malicious_ordering complaint's
exemption to all of them, each run kept to a real time limit as Lambda keeps it.

    .venv/bin/python -m bench.exemption_scale [orders] [run seconds]     (10000, 60)

Against dynalite (started here, or ``DYNALITE_ENDPOINT``), on fresh tables.  The orders are
loaded straight into the facts table (BatchWriteItem: ingesting 10,000 events one by one
would only make the setup slow); their metric contributions are then made by the job
itself, which costs it the same two requests per order as on counted orders.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def _dynalite() -> Iterator[str]:
    """``DYNALITE_ENDPOINT``, else a dynalite of its own — the one ``make run`` starts."""
    from scripts.local import start_dynalite

    given = os.environ.get("DYNALITE_ENDPOINT")
    if given:
        yield given
        return
    with contextlib.ExitStack() as running:
        yield start_dynalite(running)


def main(orders: int, run_seconds: float) -> None:
    suffix = uuid.uuid4().hex[:8]
    with _dynalite() as endpoint:
        os.environ.update(
            DYNAMODB_ENDPOINT=endpoint,
            COMPLAINTS_TABLE=f"scale{suffix}-complaints",
            FACTS_TABLE=f"scale{suffix}-facts",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            METRICS_DISABLED="true",
        )
        _run(orders, run_seconds)


def _run(orders: int, run_seconds: float) -> None:
    from bench.dynamo_calls import count_dynamodb_calls
    from chalicelib.adapters.event_schema import parse_event
    from chalicelib.adapters.models import all_models, create_tables, fact_model
    from chalicelib.adapters.wiring import Adapters
    from chalicelib.config import get_settings
    from chalicelib.services.decisions import decide_by_operator
    from chalicelib.services.exemptions import run_exemption_job
    from tests.builders import T0, order_event, submit

    settings = get_settings()
    create_tables(settings)
    adapters = Adapters.from_settings(settings)
    facts = fact_model(settings)
    try:
        with facts.batch_write() as batch:
            for i in range(orders):
                event = parse_event(
                    order_event(
                        f"o-{i:05d}",
                        buyer_id="b-flood",
                        status="cancelled",
                        cancelled_by="buyer",
                        placed_at=T0 - timedelta(days=60) + timedelta(seconds=i * 30),
                    )
                )
                batch.save(adapters.facts.item_for(event, T0))  # as ingestion stores it
        complaint = submit(adapters, settings, "o-00000", "malicious_ordering")
        if complaint.status != "upheld":
            decide_by_operator(
                adapters,
                complaint_id=complaint.complaint_id,
                operator_id="bench",
                outcome="upheld",
                reason_code="complaint_upheld",
                note=None,
                now=T0,
                policy=settings.sla_policy,
            )
        now, runs, requests, started = T0, [], 0, time.perf_counter()
        while adapters.complaints.get(complaint.complaint_id).exemption_applied_at is None:  # type: ignore[union-attr]
            now += timedelta(hours=1)
            deadline = time.monotonic() + run_seconds

            def time_left_ms(end: float = deadline) -> float:
                return (end - time.monotonic()) * 1000

            began = time.perf_counter()
            with count_dynamodb_calls(settings) as calls:
                report = run_exemption_job(
                    adapters,
                    now=now,
                    policy=settings.exemption_policy,
                    sla=settings.sla_policy,
                    batch=settings.sweep_batch,
                    time_left_ms=time_left_ms,
                )
            took = time.perf_counter() - began
            made = sum(calls.values())
            requests += made
            runs.append((took, report.units, made))
            print(f"run {len(runs)}: {report.units} orders, {made} requests, {took:.1f} s")
        total = time.perf_counter() - started
        print(
            f"{orders} orders exempted in {len(runs)} runs of at most {run_seconds:.0f} s "
            f"({total:.0f} s in all), {requests} requests ({requests / orders:.2f} per order), "
            f"{total * 1000 / requests:.1f} ms per request here"
        )
    finally:
        for model in all_models(settings)[:2]:
            model.delete_table()


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 10_000, float(args[1]) if len(args) > 1 else 60.0)
