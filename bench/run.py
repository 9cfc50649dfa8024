"""``make bench``: performance figures, printed as a table and written to
``bench/results.json``, against dynalite (``DYNALITE_ENDPOINT``, started by make with the
``TransactWriteItems`` of ``tools/dynalite/server.js``): its LevelDB store answers key
queries in time that does not depend on table size, as DynamoDB does, where moto scans the
table, which would hide the app's own overhead behind a slow server.

1. DynamoDB requests per business operation (the budgets of ``bench/operations.py``).
2. Cost against data size: sweep, metrics read, buyer assessment, list page, a seller's
   orders page, an order's eligibility and the 90-day SLA report with
   ``BENCH_SMALL`` (1 000) and ``BENCH_LARGE`` (100 000) complaints and orders.
3. API overhead: latency through ``chalice local`` over the time the same operation's
   DynamoDB requests take against the same server in the same run (timed by a botocore hook
   around each request while the operation runs in-process, alternating with the HTTP
   calls so both see the same data and load; the in-process total is shown beside it).
4. Cold start: importing ``app.py`` against importing chalice + pynamodb alone, and the
   zipped deployment package size.
5. Submissions per second with 1, 4 and 16 concurrent clients through ``chalice local``.
6. Export: ``GET /complaints/export``'s service for a seller with ``BENCH_EXPORT``
   (10 000) complaints in six months — DynamoDB requests and time per 1 000 rows, the
   file's size and the whole export's time against API Gateway's 29 s (S3 is moto's
   server on a free port, as under ``make run``).  ``python -m bench.run export`` measures
   this section alone (and the request budgets), merged into ``bench/results.json``.
7. Pages: the seller center's and the reviewer console's bytes, requests, first contentful
   paint and time to main content, signed in, in Chromium against the whole local service
   (``bench/pages.py``).  ``python -m bench.run pages`` measures this section alone.
8. Memory per function: each function's cold start, warm p50 and peak memory on the
   unpacked package, and the same modelled at 128, 256 and 512 MB — the sizes in
   ``.chalice/config.json`` (``bench/memory.py``).  ``python -m bench.run memory``
   measures this section alone.

Figures are printed (the same Markdown ``bench/readme.py`` puts in the README), never
asserted: times depend on the machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scripts.local import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
NOW = datetime.now(UTC).replace(microsecond=0)
STAGE_TABLES = "seller-report-center-dev"
API_SCENARIO = "malicious_ordering"


def _env(prefix: str) -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ["METRICS_DISABLED"] = "true"  # no EMF lines between the figures
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["STAGE"] = "dev"
    os.environ["COMPLAINTS_TABLE"] = f"{prefix}-complaints"
    os.environ["FACTS_TABLE"] = f"{prefix}-facts"
    for name in ("COMPLAINT_EVENTS_TOPIC_ARN", "SWEEP_QUEUE_URL"):
        os.environ.pop(name, None)


def _fresh_tables(prefix: str, endpoint: str) -> Any:
    from chalicelib.adapters.models import create_tables
    from chalicelib.config import get_settings

    _env(prefix)
    os.environ["DYNAMODB_ENDPOINT"] = endpoint
    settings = get_settings()
    create_tables(settings)
    return settings


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _first_page(adapters: Any, seller_id: str, now: datetime, **filters: str) -> Any:
    """What ``GET /complaints?limit=20[&<filters>]`` asks of the service."""
    from chalicelib.adapters.complaint_repository import ListFilter
    from chalicelib.services.complaints import list_complaints

    return list_complaints(
        adapters.complaints,
        seller_id=seller_id,
        now=now,
        months=6,
        submitted_from=None,
        submitted_to=None,
        filters=ListFilter(**filters),
        limit=20,
        after_key=None,
    )


def _interleaved(
    settings: Any, direct: Callable[[], Any], through_api: Callable[[], Any], runs: int
) -> dict[str, Any]:
    """The same operation in-process (its DynamoDB requests timed as they are made) and
    through the API, alternately, so both see the same data and the same machine load."""
    from bench.dynamo_calls import time_dynamodb_calls

    direct_ms, dynamo_ms, api_ms = [], [], []
    for _ in range(runs):
        with time_dynamodb_calls(settings) as durations:
            direct_ms += _timed(direct, 1)
        dynamo_ms.append(sum(durations))
        api_ms += _timed(through_api, 1)
    return {
        "api_ms": {
            "p50": round(statistics.median(api_ms), 2),
            "p99": round(_percentile(api_ms, 0.99), 2),
        },
        "in_process_ms": {"p50": round(statistics.median(direct_ms), 2)},
        "dynamodb_requests_ms": {"p50": round(statistics.median(dynamo_ms), 2)},
        "ratio_p50": round(statistics.median(api_ms) / statistics.median(dynamo_ms), 2),
    }


def _timed(action: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


# ------------------------------------------------------------------ 1. requests per operation
def requests_per_operation(endpoint: str) -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from bench.operations import BUDGETS, Harness, measure
    from chalicelib import clock

    settings = _fresh_tables(STAGE_TABLES, endpoint)  # Chalice applies the stage's tables
    current = {"now": NOW}
    original = clock.now
    clock.now = lambda: current["now"]

    def upload(key: str, data: bytes) -> None:  # as a browser would, to the bench's S3
        import boto3

        boto3.client("s3", region_name=settings.region).put_object(
            Bucket=settings.files_bucket, Key=key, Body=data
        )

    try:
        with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
            measured = measure(
                Harness(client, settings, lambda t: current.update(now=t)),
                NOW - timedelta(days=3),
                upload,
            )
    finally:
        clock.now = original
    return {
        op: {"requests": measured[op], "budget": BUDGETS[op]} for op in BUDGETS if op in measured
    }


# ------------------------------------------------------------------ 2. cost against data size
def _delivered_order(repo: Any, order_id: str, seller: str, buyer: str, placed: datetime) -> Any:
    """A stored order fact, written directly (the item ingestion would store)."""
    from chalicelib.domain.facts import FactEvent, OrderData

    order = OrderData(order_id, seller, buyer, "delivered", placed, paid_at=placed)
    return repo.item_for(FactEvent(f"e-{order_id}", "order", 1, placed, order), NOW)


def _seed(settings: Any, size: int) -> None:
    """``size`` complaints of one seller — a tenth of them pending, in the review queue (and
    its counters) and the sweep's index but not yet due, the rest decided — plus one due
    complaint; the seller's daily metric counters for every day of the longest metric window;
    ``size`` orders of one buyer — all but 50 older than the 90-day window — and ``size``
    orders of another buyer, all in the window (``bench.operations.seed_buyer_window``)."""
    from bench.operations import seed_buyer_window
    from chalicelib.adapters import sla_days
    from chalicelib.adapters.complaint_items import seller_scenario, seller_status
    from chalicelib.adapters.fact_repository import FactRepository
    from chalicelib.adapters.models import complaint_model, fact_model
    from chalicelib.domain.complaints import DECISION_HOURS, complaint_id_for
    from chalicelib.domain.facts import FactEvent, OrderData
    from chalicelib.domain.queue_counts import QueueCounts
    from chalicelib.domain.timeutil import to_iso

    complaints, facts = complaint_model(settings), fact_model(settings)
    repo = FactRepository(settings)
    with complaints.batch_write() as batch:
        for i in range(size):
            submitted = NOW - timedelta(minutes=i * 3)
            due_at = submitted + timedelta(hours=DECISION_HOURS)
            complaint_id = complaint_id_for(f"o-{i}", "malicious_ordering")
            pending: dict[str, Any] = {}
            if i % 10 == 0:  # pending, its sweep time (escalation) still ahead
                ahead = NOW + timedelta(days=1, minutes=i)
                pending = {
                    "sweep_shard": str(i % settings.due_shards),
                    "sweep_at": to_iso(ahead),
                    "queue_shard": str(i % settings.due_shards),
                    "queue_key": f"{to_iso(ahead)}#{complaint_id}",
                    "outbox": {},
                }
            status = "pending" if pending else "rejected"
            batch.save(
                complaints(
                    complaint_id,
                    seller_id="s-big",
                    order_id=f"o-{i}",
                    buyer_id=f"b-{i % 500}",
                    scenario="malicious_ordering",
                    description="bench",
                    status=status,
                    submitted_at=submitted,
                    due_at=due_at,
                    decided_at=None if pending else submitted,
                    history=[],
                    evidence=[],
                    list_key=f"{to_iso(submitted)}#{complaint_id}",
                    seller_status=seller_status("s-big", status),
                    seller_scenario=seller_scenario("s-big", "malicious_ordering", status),
                    **pending,
                )
            )
        due, due_id = NOW - timedelta(hours=40), complaint_id_for("o-due", "malicious_ordering")
        batch.save(
            complaints(
                due_id,
                seller_id="s-big",
                order_id="o-due",
                buyer_id="b-big",
                scenario="malicious_ordering",
                description="bench",
                status="pending",
                submitted_at=due,
                due_at=due + timedelta(hours=DECISION_HOURS),
                history=[],
                evidence=[],
                list_key=f"{to_iso(due)}#{due_id}",
                seller_status=seller_status("s-big", "pending"),
                seller_scenario=seller_scenario("s-big", "malicious_ordering", "pending"),
                sweep_shard="0",
                sweep_at=to_iso(due),
                queue_shard="0",
                queue_key=f"{to_iso(due + timedelta(hours=DECISION_HOURS))}#{due_id}",
                outbox={},
            )
        )
    # the review queue's counters, as the writes of those pending complaints leave them
    pending_seeded = QueueCounts(pending=len(range(0, size, 10)) + 1)
    facts(sla_days.PARTITION, f"{sla_days.QUEUE_PREFIX}0").update(
        actions=sla_days.queue_actions(pending_seeded)
    )
    _seed_day_counters(settings, "s-big")
    with facts.batch_write() as batch:
        for i in range(size):
            placed = NOW - (timedelta(days=i % 80) if i < 50 else timedelta(days=100 + i % 800))
            batch.save(_delivered_order(repo, f"bo-{i}", f"s-{i % 7}", "b-big", placed))
    due_order = OrderData("o-due", "s-big", "b-big", "placed", NOW - timedelta(days=3))
    repo.item_for(FactEvent("e-due", "order", 1, due_order.placed_at, due_order), NOW).save()
    # a buyer with ``size`` orders in the 90-day window, at 7 sellers
    seed_buyer_window(repo, "b-heavy", size, NOW, sellers=7)


def _seed_day_counters(settings: Any, seller_id: str) -> None:
    """A busy seller's daily metric counters, one item per day of the longest window."""
    from chalicelib.adapters.models import COUNTER_KEYS, counter_attribute, metrics_day_model
    from chalicelib.domain.metrics import LONGEST_WINDOW

    days = metrics_day_model(settings)
    with days.batch_write() as batch:
        for back in range(LONGEST_WINDOW):
            day = (NOW - timedelta(days=back)).date()
            item = days(f"METRICS#{seller_id}", f"DAY#{day.isoformat()}")
            for key in COUNTER_KEYS:
                setattr(item, counter_attribute(key), 40 + back % 7)
            batch.save(item)


def _seed_seller_history(settings: Any, size: int) -> None:
    """More of the volume on the seller under test (s-big, with ``_seed``'s ``size``
    complaints of ``malicious_ordering``): one ``malicious_review`` complaint, on order
    ``o-hist``, and an exemption log of ``size`` entries, a minute apart."""
    from chalicelib.adapters.complaint_repository import ComplaintRepository
    from chalicelib.adapters.metrics_repository import MetricsRepository
    from chalicelib.domain.complaints import new_complaint
    from chalicelib.domain.timeutil import to_iso

    complaint = new_complaint(
        seller_id="s-big",
        order_id="o-hist",
        buyer_id="b-big",
        scenario="malicious_review",
        reason=None,
        description="bench",
        evidence=(),
        now=NOW - timedelta(hours=1),
    )
    ComplaintRepository(settings).add(complaint, sweep_at=None)
    metrics = MetricsRepository(settings)
    with metrics.facts.batch_write() as batch:
        for i in range(size):
            at = NOW - timedelta(minutes=i)
            entry = {"complaint_id": f"c-log-{i}", "scenario": "malicious_ordering"}
            entry |= {"order_id": f"o-{i}", "effective_at": to_iso(at)}
            batch.save(metrics.exemption_log_item("s-big", f"c-log-{i}", at, entry))


def _seed_sla_days(settings: Any, size: int) -> None:
    """The per-day SLA figures ``size`` decisions spread over the 90 days before ``NOW``
    leave (``adapters/sla_days.py``) — written per (day, block) as their transactions
    would have added them up, since deciding 100 000 complaints one by one would take the
    bench hours: what the report reads is the same."""
    from chalicelib.adapters import sla_days
    from chalicelib.adapters.models import fact_model
    from chalicelib.domain.sla_days import (
        DECIDERS,
        WRITE_SHARDS,
        DaySummary,
        DecisionSample,
        summary_of,
    )

    spread = timedelta(days=89, hours=23)
    blocks: dict[tuple[Any, int, int], list[DecisionSample]] = {}
    for i in range(size):
        decided_at = NOW - spread * (i / size)
        seconds = (i * 7919) % (49 * 3600)  # every block, a few past the 48 h deadline
        late = seconds > 48 * 3600
        sample = DecisionSample(decided_at.date(), DECIDERS[i % 3], late, seconds, i % WRITE_SHARDS)
        blocks.setdefault((sample.day, sample.block, sample.shard), []).append(sample)
    facts = fact_model(settings)
    retention = timedelta(days=settings.retention_days)
    for (day, block, shard), samples in blocks.items():
        counts: DaySummary = summary_of(samples)
        facts(sla_days.PARTITION, sla_days.day_key(day, block, shard)).update(
            actions=sla_days.counter_actions(facts, day, counts, retention)
        )
        sla_days.record_slowest(facts, max(samples, key=lambda s: s.seconds))


def _scale_figures(size: int, endpoint: str) -> dict[str, dict[str, float]]:
    from bench.dynamo_calls import count_dynamodb_calls
    from chalicelib.adapters.wiring import Adapters
    from chalicelib.domain.complaints import complaint_id_for
    from chalicelib.domain.timeutil import to_iso
    from chalicelib.services.assessment import assess_order
    from chalicelib.services.complaints import get_complaint
    from chalicelib.services.eligibility import order_eligibility
    from chalicelib.services.metrics import exemption_log, seller_metrics
    from chalicelib.services.orders import list_orders
    from chalicelib.services.review import review_queue
    from chalicelib.services.sla_report import sla_report
    from chalicelib.services.sweep import run_sweep

    settings = _fresh_tables(f"scale{size}-{uuid.uuid4().hex[:6]}", endpoint)
    _seed(settings, size)
    _seed_seller_history(settings, size)
    _seed_sla_days(settings, size)
    adapters = Adapters.from_settings(settings)
    order = adapters.facts.order_facts("o-due")
    heavy_order = adapters.facts.order_facts("o-b-heavy-0")  # at s-1
    operations: dict[str, Callable[[], Any]] = {
        # the seeded pending complaint is rescheduled by the warm-up run; then none is due
        "sweep (none due)": lambda: run_sweep(
            adapters,
            now=NOW - timedelta(hours=4, minutes=1),
            policy=settings.sla_policy,
            thresholds=settings.thresholds,
            batch=200,
            time_left_ms=lambda: 900_000,
        ),
        # s-big's exemption log holds ``size`` entries (the newest 50 are shown)
        "metrics read": lambda: seller_metrics(adapters.metrics, "s-big", NOW),
        "exemption log page (50)": lambda: exemption_log(
            adapters.metrics, "s-big", NOW, 6, 50, f"{to_iso(NOW - timedelta(minutes=60))}#"
        ),
        "buyer assessment": lambda: assess_order(
            adapters.complaints,
            adapters.facts,
            scenario="malicious_review",
            reason=None,
            seller_id="s-big",
            buyer_id="b-big",
            order=order,
            now=NOW,
            thresholds=settings.thresholds,
        ),
        # the buyer's whole window is in the data set: day counters and the partial days
        "buyer assessment (all orders in the window)": lambda: assess_order(
            adapters.complaints,
            adapters.facts,
            scenario="malicious_ordering",
            reason=None,
            seller_id="s-1",
            buyer_id="b-heavy",
            order=heavy_order,
            now=NOW,
            thresholds=settings.thresholds,
        ),
        "list page (20)": lambda: _first_page(adapters, "s-big", NOW),
        "get": lambda: get_complaint(
            adapters.complaints,
            seller_id="s-big",
            complaint_id=complaint_id_for("o-1", "malicious_ordering"),
            now=NOW,
            months=6,
        ),
        # a tenth of the seller's complaints are pending: the queue holds size / 10
        "review queue page (20)": lambda: review_queue(
            adapters.complaints, limit=20, after_key=None
        ),
        "list page (order_id filter)": lambda: _first_page(
            adapters, "s-big", NOW, order_id="o-hist"
        ),
        # a tenth of s-big's complaints are pending; one is of malicious_review
        "list page (status=pending)": lambda: _first_page(adapters, "s-big", NOW, status="pending"),
        "list page (scenario, 1 match)": lambda: _first_page(
            adapters, "s-big", NOW, scenario="malicious_review"
        ),
        # s-0 holds a seventh of the orders, all but a few placed before the 90-day window
        "orders page (20)": lambda: list_orders(
            adapters.facts, seller_id="s-0", now=NOW, limit=20, after_key=None
        ),
        "order eligibility": lambda: order_eligibility(
            adapters.facts, adapters.complaints, seller_id="s-big", order_id="o-due"
        ),
        # ``size`` decisions in the window: the review queue's counts and one Query
        "sla report (90 days)": lambda: sla_report(adapters.complaints, now=NOW, window_days=90),
    }
    figures = {}
    for name, action in operations.items():
        action()  # warm
        with count_dynamodb_calls(settings) as calls:
            action()
        times = _timed(action, 15)
        figures[name] = {"requests": sum(calls.values()), "ms_p50": statistics.median(times)}
    return figures


def cost_against_size(endpoint: str) -> dict[str, Any]:
    small = int(os.environ.get("BENCH_SMALL", "1000"))
    large = int(os.environ.get("BENCH_LARGE", "100000"))
    a, b = _scale_figures(small, endpoint), _scale_figures(large, endpoint)
    return {
        "sizes": [small, large],
        "operations": {
            name: {
                "requests": [a[name]["requests"], b[name]["requests"]],
                "ms_p50": [round(a[name]["ms_p50"], 2), round(b[name]["ms_p50"], 2)],
                "time_ratio": round(b[name]["ms_p50"] / a[name]["ms_p50"], 2),
            }
            for name in a
        },
    }


# ------------------------------------------------------------------ 3 & 5. through chalice local
class LocalApi:
    def __init__(self, settings: Any) -> None:
        from chalicelib.api.auth import mint_token

        self.port = free_port()
        self.token = mint_token(
            settings, subject="s-api", role="seller", expires_at=NOW + timedelta(hours=2)
        )
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("chalice")),
                "local",
                "--port",
                str(self.port),
                "--stage",
                "dev",
                "--no-autoreload",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_serving(f"http://127.0.0.1:{self.port}/health", self.process, timeout=30)

    def call(self, method: str, path: str, body: Any = None) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _seed_orders(settings: Any, count: int, prefix: str) -> None:
    from chalicelib.adapters.fact_repository import FactRepository
    from chalicelib.adapters.models import fact_model

    repo = FactRepository(settings)
    placed = NOW - timedelta(days=2)
    with fact_model(settings).batch_write() as batch:
        for i in range(count):
            batch.save(_delivered_order(repo, f"{prefix}{i}", "s-api", f"b-{i}", placed))


def api_overhead_and_throughput(endpoint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from chalicelib.adapters.wiring import Adapters
    from chalicelib.domain.complaints import DECISION_HOURS
    from chalicelib.services.complaints import get_complaint, submit_complaint

    runs = int(os.environ.get("BENCH_REQUESTS", "200"))
    settings = _fresh_tables(STAGE_TABLES, endpoint)  # chalice local applies stage tables
    _seed_orders(settings, runs * 2, "d")
    _seed_orders(settings, runs * 2 + 4000, "h")
    adapters = Adapters.from_settings(settings)
    direct_ids, http_ids = iter(range(runs * 2)), iter(range(runs * 2 + 4000))

    def direct_submit() -> Any:
        return submit_complaint(
            adapters,
            seller_id="s-api",
            order_id=f"d{next(direct_ids)}",
            scenario=API_SCENARIO,
            description="bench",
            reason=None,
            evidence=(),
            now=datetime.now(UTC),
            decision_hours=DECISION_HOURS,
            thresholds=settings.thresholds,
            policy=settings.sla_policy,
        )

    # one complaint of the seller's for GET /complaints/{id}
    one = direct_submit().complaint_id
    api = LocalApi(settings)
    try:

        def http_submit(order_id: str | None = None) -> int:
            order_id = order_id or f"h{next(http_ids)}"
            body = {"order_id": order_id, "scenario": API_SCENARIO, "description": "bench"}
            return api.call("POST", "/complaints", body)

        overhead = {
            "POST /complaints": _interleaved(settings, direct_submit, http_submit, runs),
            "GET /complaints": _interleaved(
                settings,
                lambda: _first_page(adapters, "s-api", datetime.now(UTC)),
                lambda: api.call("GET", "/complaints?limit=20"),
                runs,
            ),
            "GET /complaints/{id}": _interleaved(
                settings,
                lambda: get_complaint(
                    adapters.complaints,
                    seller_id="s-api",
                    complaint_id=one,
                    now=datetime.now(UTC),
                    months=6,
                ),
                lambda: api.call("GET", f"/complaints/{one}"),
                runs,
            ),
        }
        # chalice local's own cost of a request that touches nothing (GET /health): the
        # floor every route pays locally, large beside a route of one GetItem
        overhead_floor = round(
            statistics.median(_timed(lambda: api.call("GET", "/health"), runs)), 2
        )
        throughput, failed = {}, {}
        seconds = float(os.environ.get("BENCH_SECONDS", "5"))
        for clients in (1, 4, 16):
            # [submitted, failed]: a request can fail at 16 clients, as chalice local's
            # server accepts only 5 waiting connections; it is counted, not fatal
            counts, lock, deadline = [0, 0], threading.Lock(), time.monotonic() + seconds

            def worker(
                counts: list[int] = counts, lock: threading.Lock = lock, deadline: float = deadline
            ) -> None:
                while time.monotonic() < deadline:
                    with lock:  # the shared id counter
                        order_id = f"h{next(http_ids)}"
                    try:
                        ok = http_submit(order_id) == 201
                    except OSError:  # refused or reset connection, HTTP error status
                        ok = False
                    with lock:
                        counts[0 if ok else 1] += 1

            threads = [threading.Thread(target=worker) for _ in range(clients)]
            start = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            throughput[str(clients)] = round(counts[0] / (time.monotonic() - start), 1)
            failed[str(clients)] = counts[1]
    finally:
        api.stop()
    return overhead, {
        "submissions_per_second": throughput,
        "failed_requests": failed,
        "health_p50_ms": overhead_floor,
    }


# ------------------------------------------------------------------ 6. export
def start_s3(bucket: str) -> Any:
    """moto's S3 on a free port (``AWS_ENDPOINT_URL_S3``) with the files bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    from chalicelib.adapters.files import s3_client

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL_S3"] = f"http://{host}:{port}"
    s3_client.cache_clear()
    boto3.client("s3", region_name=os.environ["AWS_DEFAULT_REGION"]).create_bucket(Bucket=bucket)
    return server


def _exported_complaint(i: int) -> Any:
    """A decided complaint as a seller's record looks after its life: assessed, decided by a
    reviewer with criteria, upheld ones exempted with before/after values."""
    from chalicelib.domain.complaints import decide, new_complaint

    submitted = NOW - timedelta(minutes=25 * i + 1)  # 10 000 fit in ~174 days
    complaint = new_complaint(
        seller_id="s-export",
        order_id=f"o-{i:06d}",
        buyer_id=f"b-{i % 700}",
        scenario="malicious_ordering",
        reason=None,
        description="买家多次恶意下单后取消，影响店铺指标 / repeated orders cancelled by the buyer",
        evidence=("https://img.example/1.png",),
        now=submitted,
    )
    criteria = tuple(
        {
            "name": name,
            "alternative": "flood",
            "observed": 4,
            "threshold": 3,
            "comparison": ">=",
            "met": True,
        }
        for name in ("cancelled_orders_7d", "orders_7d", "account_age_days", "other_sellers")
    )
    upheld = i % 2 == 0
    decided = decide(
        complaint,
        outcome="upheld" if upheld else "rejected",
        reason_code="malicious_ordering_confirmed" if upheld else "not_malicious_competition",
        decided_by="operator",
        actor="operator:op-1",
        now=submitted + timedelta(hours=20),
        note="checked the buyer's orders",
        criteria=criteria,
    )
    if not upheld:
        return decided
    metrics = (
        {"metric": "cancellation_rate", "before": 0.0412, "after": 0.0388},
        {"metric": "dispute_rate", "before": 0.0105, "after": 0.0101},
    )
    return decided.with_exemption(submitted + timedelta(hours=40), metrics)


def _seed_export(settings: Any, size: int) -> None:
    """``size`` complaints of one seller, written as the repository writes them (its item
    mapping, ``BatchWriteItem`` for speed)."""
    from chalicelib.adapters.complaint_items import new_item_values
    from chalicelib.adapters.models import complaint_model
    from chalicelib.domain.timeutil import to_iso

    model = complaint_model(settings)
    with model.batch_write() as batch:
        for i in range(size):
            complaint = _exported_complaint(i)
            values = new_item_values(
                complaint,
                shard="0",
                sweep_at=None,
                outbox={},
                retention=timedelta(days=settings.retention_days),
                exemption_due=settings.exemption_policy.due_after,
            )
            for applied in ("exempt_shard", "exempt_due"):  # not in the job's queue
                values.pop(applied, None)
            if complaint.exemption_applied_at is not None:
                values["exemption"] = {
                    "applied_at": to_iso(complaint.exemption_applied_at),
                    "metrics": [dict(m) for m in complaint.exemption_metrics],
                }
            batch.save(model(**values))


def export_figures(endpoint: str) -> dict[str, Any]:
    from bench.dynamo_calls import count_dynamodb_calls, time_dynamodb_calls
    from chalicelib.adapters.complaint_repository import ComplaintRepository
    from chalicelib.adapters.files import S3Files
    from chalicelib.domain.export import FORMATS, ExportFormat
    from chalicelib.services.export import export_complaints

    size = int(os.environ.get("BENCH_EXPORT", "10000"))
    settings = _fresh_tables(f"export-{uuid.uuid4().hex[:6]}", endpoint)
    seeding = time.perf_counter()
    _seed_export(settings, size)
    seeded_s = time.perf_counter() - seeding
    repository, files = ComplaintRepository(settings), S3Files(settings)
    formats: dict[str, Any] = {}
    fmt: ExportFormat
    for fmt in FORMATS:
        runs = []
        for _ in range(int(os.environ.get("BENCH_EXPORT_RUNS", "3"))):
            with count_dynamodb_calls(settings) as calls, time_dynamodb_calls(settings) as ms:
                start = time.perf_counter()
                result = export_complaints(
                    repository,
                    files,
                    seller_id="s-export",
                    export_id=uuid.uuid4().hex,
                    fmt=fmt,
                    now=NOW,
                    months=settings.listing_months,
                    submitted_from=None,
                    submitted_to=None,
                    exemption_due=settings.exemption_policy.due_after,
                )
                total_ms = (time.perf_counter() - start) * 1000
            assert result.rows == size, (result.rows, size)
            runs.append((total_ms, sum(calls.values()), sum(ms), result.size))
        total_ms, requests, dynamo_ms, size_bytes = sorted(runs)[len(runs) // 2]  # median
        formats[fmt] = {
            "rows": size,
            "dynamodb_requests": requests,
            "requests_per_1000_rows": round(requests * 1000 / size, 2),
            "total_s": round(total_ms / 1000, 2),
            "ms_per_1000_rows": round(total_ms * 1000 / size, 1),
            "dynamodb_ms_per_1000_rows": round(dynamo_ms * 1000 / size, 1),
            "object_mb": round(size_bytes / 2**20, 2),
        }
    return {
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "seller_complaints": size,
        "seeded_s": round(seeded_s, 1),
        "formats": formats,
    }


# ------------------------------------------------------------------ 4. cold start, package size
def cold_start() -> dict[str, Any]:
    """Import times measured on what Lambda imports (``bench.lambda_package``): both
    figures use the same paths."""
    from bench.lambda_package import PACKAGE, python_command, unpacked

    package = PACKAGE
    with unpacked() as (code_dir, sdk_dir):

        def one_import_ms(statement: str) -> float:
            code = (
                f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
            )
            output = subprocess.run(
                python_command(code_dir, sdk_dir, code),
                cwd=code_dir,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            return float(output) * 1000

        statements = (
            "import app",
            "import chalice.app, pynamodb.models",
            # What the first invocation of the HTTP function and of the fact consumer load
            # on top: the pydantic schemas (see chalicelib/api/validation.py).
            "import app; import chalicelib.api.validation",
            "import app; import chalicelib.adapters.event_schema",
        )
        one_import_ms("import app")  # warm the file cache
        # Rounds alternate the statements, so that all see the same machine load.
        times: dict[str, list[float]] = {statement: [] for statement in statements}
        for _ in range(int(os.environ.get("BENCH_IMPORT_ROUNDS", "15"))):
            for statement in statements:
                times[statement].append(one_import_ms(statement))
        app_ms, base_ms, http_ms, consumer_ms = (statistics.median(times[s]) for s in statements)
    return {
        "measured_on": "unpacked build/prod/deployment.zip + runtime-provided AWS SDK",
        "import_app_ms": round(app_ms, 1),
        "import_chalice_pynamodb_ms": round(base_ms, 1),
        "ratio": round(app_ms / base_ms, 2),
        "with_request_schemas_ms": round(http_ms, 1),
        "with_request_schemas_ratio": round(http_ms / base_ms, 2),
        "with_event_schemas_ms": round(consumer_ms, 1),
        "with_event_schemas_ratio": round(consumer_ms / base_ms, 2),
        "package_mb": round(package.stat().st_size / 2**20, 2),
    }


# ------------------------------------------------------------------ 8. memory per function
def memory_per_function(endpoint: str) -> dict[str, Any]:
    """Each function's cold start, warm p50 and peak memory, measured on the unpacked
    package against dynalite, and modelled at each size (``bench/memory.py``)."""
    from chalice.test import Client

    from app import app
    from bench import memory
    from bench.lambda_package import unpacked
    from bench.operations import Harness
    from chalicelib import clock

    settings = _fresh_tables(STAGE_TABLES, endpoint)  # Chalice applies the stage's tables
    current = {"now": NOW}
    original = clock.now
    clock.now = lambda: current["now"]
    try:
        with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
            start = NOW - timedelta(hours=1)  # what the seller lists has been submitted
            ids = memory.seed(Harness(client, settings, lambda t: current.update(now=t)), start)
    finally:
        clock.now = original
    handlers = memory.handler_strings(ROOT / "build" / "prod" / "sam.json")
    with unpacked() as (code_dir, sdk_dir):
        return memory.measure(
            memory.python_runner(code_dir, sdk_dir, dict(os.environ)),
            handlers,
            memory.events(settings, ids, start),
        )


def main(sections: list[str]) -> int:
    """Every section; ``requests``: only the request budgets, ``export``: the request
    budgets and the export, ``api``: the request budgets, the API overhead and the
    throughput, ``size``: the request budgets and the cost against data size, merged into
    the committed results; ``memory``: only the memory per function, merged likewise;
    ``pages``: only the pages (no
    dynalite needed), merged likewise."""
    from bench.pages import page_figures

    if sections == ["pages"]:
        results = json.loads(RESULTS.read_text())
        results["pages"] = page_figures()
        return _write(results)
    dynalite = os.environ.get("DYNALITE_ENDPOINT")
    if not dynalite:
        print("DYNALITE_ENDPOINT is not set: run `make bench`", file=sys.stderr)
        return 2
    wait_until_serving(dynalite)
    from chalicelib.config import get_settings

    _env(STAGE_TABLES)
    s3 = start_s3(get_settings().files_bucket)
    try:
        if sections == ["memory"]:
            results = json.loads(RESULTS.read_text())
            results["memory"] = memory_per_function(dynalite)
        elif sections in (["export"], ["requests"], ["api"], ["size"]):
            results = json.loads(RESULTS.read_text())
            results["requests_per_operation"] = requests_per_operation(dynalite)
            if sections == ["export"]:
                results["export"] = export_figures(dynalite)
            if sections == ["size"]:
                results["cost_against_size"] = cost_against_size(dynalite)
            if sections == ["api"]:
                overhead, throughput = api_overhead_and_throughput(dynalite)
                results["api_overhead"], results["throughput"] = overhead, throughput
        else:
            results = {
                "measured_at": NOW.isoformat(),
                "machine": os.uname().machine,
                "cpus": os.cpu_count(),
            }
            results["requests_per_operation"] = requests_per_operation(dynalite)
            results["cost_against_size"] = cost_against_size(dynalite)
            results["api_overhead"], results["throughput"] = api_overhead_and_throughput(dynalite)
            results["cold_start"] = cold_start()
            results["memory"] = memory_per_function(dynalite)
            results["export"] = export_figures(dynalite)
            results["pages"] = page_figures()
    finally:
        s3.stop()
    return _write(results)


def _write(results: dict[str, Any]) -> int:
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    from bench.readme import render

    print(f"\n{render(results)}\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
