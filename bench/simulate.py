"""A month at scale, in time travel: the real services and the jobs on their schedules, on the
in-memory repositories of ``tests/fakes.py`` (``make simulate``; a small month runs in
``tests/functional/test_simulated_month_at_scale.py``).

What happens (seeded, so a run is reproducible): ``COMPLAINTS`` complaints over ``DAYS``
days with a diurnal pattern, one day at 10× the others, a one-hour flash burst of 5 % of
the month at 30 % review; reviewers otherwise pick up ~70 % of complaints after random
delays within 48 h (and decide, or now and then re-categorise), sellers appeal some
rejections, and a few buyers and sellers carry heavy histories (buyers with thousands of
orders at the heavy sellers).  Every order, review and dispute reaches the service as a
fact event (``ingest_message``, the SQS consumer's path) before its complaint.  The jobs run
as deployed: the SLA sweep every ``SWEEP_EVERY_MINUTES`` (``run_sweep``, its fan-out queue
drained by the worker's ``work_off`` as SQS delivers each message), the exemption job every hour
(``run_exemption_job``), each with its Lambda time simulated from its requests.

What limits it: the fakes have DynamoDB's semantics and its request counts (contract
tests), not its physics — no throttling, no 1 MB pages (a Query over a heavy buyer's
activity counts as one request where DynamoDB may need several), no latency (run times are
*simulated*: ``MS_PER_REQUEST`` per request, the figure measured against a DynamoDB-like
server, plus the service code's own measured wall time), no concurrency (reviewers, sellers
and jobs act one at a time, so races do not occur here; tests/integration/test_races.py
covers them on dynalite), and one process's memory.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any

from chalicelib.config import Settings, get_settings
from chalicelib.domain.complaints import Complaint
from chalicelib.domain.errors import Conflict, DomainError
from chalicelib.domain.scenarios import get_scenario
from chalicelib.domain.sweep_work import SweepMessage
from chalicelib.domain.timeutil import to_iso
from chalicelib.jobs.sla_sweep import SWEEP_EVERY_MINUTES
from chalicelib.services.complaints import appeal_complaint, submit_complaint
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.exemptions import run_exemption_job
from chalicelib.services.ingest import ingest_message
from chalicelib.services.recategorisation import recategorise_complaint
from chalicelib.services.sweep import run_sweep, work_off
from tests.fakes import InMemoryPorts, RecordingPublisher, RecordingQueue, counted

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 1, tzinfo=UTC)
#: A DynamoDB request's time inside a Lambda run (tests/lambda_budget.py: 4,009 requests
#: measured in 22 s against DynamoDB-like servers, about 5.5 ms each).
MS_PER_REQUEST = 5.5


@cache
def lambda_timeout_ms(function: str) -> int:
    """A function's Lambda timeout as deployed (``.chalice/config.json``, the prod stage):
    a simulated run stops early by its time left, as the jobs do."""
    from chalice.constants import DEFAULT_LAMBDA_TIMEOUT

    from scripts.local import _config

    seconds = _config("prod").scope("prod", function).lambda_timeout or DEFAULT_LAMBDA_TIMEOUT
    return int(seconds) * 1000


EXEMPTION_EVERY = timedelta(hours=1)  # chalicelib/jobs/exemptions.py: Rate(1, HOURS)
#: messages per Lambda invocation of the SQS consumers (facts and sweep queues)
SQS_BATCH = 10
SCENARIOS = ("malicious_ordering", "malicious_review", "malicious_dispute")


class CountingPublisher(RecordingPublisher):
    """``EventPublisher`` that keeps only each event's (type, complaint id): a month's events
    in full would be most of the simulation's memory."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: Counter[tuple[str, str]] = Counter()

    @counted
    def publish(self, event: dict[str, Any]) -> None:
        self.kinds[(event["type"], event["complaint_id"])] += 1


@dataclass
class Params:
    complaints: int = 100_000
    days: int = 30
    seed: int = 16
    review_share: float = 0.7
    flash_share: float = 0.05  # of all complaints, filed in one hour ...
    flash_review_share: float = 0.3  # ... of which reviewers handle this share
    burst_factor: int = 10
    appeal_share: float = 0.15  # of rejected complaints
    recategorise_share: float = 0.03  # of reviewed complaints
    heavy_buyers: int = 3
    heavy_sellers: int = 3

    heavy_orders_each: int | None = None

    @property
    def heavy_orders(self) -> int:
        """Orders of each heavy buyer (by default 2,000 at 100,000 complaints)."""
        return self.heavy_orders_each or max(50, self.complaints // 50)


@dataclass
class Activity:
    """Requests, Lambda invocations and time of one kind of work."""

    requests: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    wall_ms: float = 0.0

    def add(self, requests: Counter[str], wall_ms: float) -> None:
        self.requests.update(requests)
        self.calls += 1
        self.wall_ms += wall_ms


@dataclass
class Run:
    at: datetime
    work: int  # complaints processed inline (sweep) / units applied (exemptions)
    requests: int
    simulated_ms: float
    wall_ms: float
    fanned_out: int = 0
    stopped_early: bool = False


class Month:
    """The month's plan and its state.  ``ports`` (default: the fakes, with a counting
    publisher and a recording sweep queue) must count requests by ``store.method``
    (``requests()``) and in all (``total_requests()``), and peek at a stored complaint
    without a request (``peek``)."""

    def __init__(self, params: Params, settings: Settings, ports: Any = None) -> None:
        self.p = params
        self.settings = settings
        self.rng = random.Random(params.seed)
        if ports is None:
            ports = InMemoryPorts.create(settings, queue=True)._replace(
                publisher=CountingPublisher()
            )
        self.ports = ports
        self.queue: RecordingQueue = ports.sweep_queue
        self.progress = False  # a line on stderr per simulated day
        self.activity: dict[str, Activity] = {}
        self.sweeps: list[Run] = []
        self.exemption_runs: list[Run] = []
        self.worker_runs: list[Run] = []
        self.sqs_requests = 0
        self.events: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.seq = 0
        self.order_seq = 0
        self.outcomes: Counter[str] = Counter()
        self.sellers = [f"s-{i}" for i in range(max(20, params.complaints // 200))]
        self.heavy_sellers = [f"s-heavy-{i}" for i in range(params.heavy_sellers)]
        self.buyers = [f"b-{i}" for i in range(max(50, params.complaints // 4))]
        self.heavy_buyers = [f"b-heavy-{i}" for i in range(params.heavy_buyers)]

    # plumbing ----------------------------------------------------------------------------
    def at(self, when: datetime, action: Callable[[datetime], None]) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, action))

    def _total(self) -> int:
        total: int = self.ports.total_requests()
        return total

    def measured(self, kind: str, action: Callable[[], Any]) -> Any:
        before = self.ports.requests()
        started = time.perf_counter()
        try:
            return action()
        finally:
            wall = (time.perf_counter() - started) * 1000
            after = self.ports.requests()
            self.activity.setdefault(kind, Activity()).add(after - before, wall)

    def time_left(self, timeout_ms: float) -> tuple[Callable[[], int], Callable[[], float]]:
        """The Lambda context's remaining time, simulated from the requests made since."""
        start = self._total()

        def used() -> float:
            return (self._total() - start) * MS_PER_REQUEST

        return (lambda: int(timeout_ms - used())), used

    # the platform --------------------------------------------------------------------------
    def ingest(self, now: datetime, kind: str, data: dict[str, Any]) -> None:
        self.order_seq += 1
        raw = {
            "event_id": f"sim-{kind}-{self.order_seq}",
            "type": kind,
            "version": 1,
            "occurred_at": to_iso(now),
            "data": {k: to_iso(v) if isinstance(v, datetime) else v for k, v in data.items()},
        }
        result = self.measured(
            "ingest",
            lambda: ingest_message(self.ports.facts, self.ports.metrics, json.dumps(raw), now),
        )
        assert result.status == "accepted", result

    def order(self, now: datetime, seller: str, buyer: str, *, placed: datetime, paid: bool) -> str:
        order_id = f"o-{self.order_seq + 1}"
        data: dict[str, Any] = {
            "order_id": order_id,
            "seller_id": seller,
            "buyer_id": buyer,
            "status": "delivered" if paid else "placed",
            "placed_at": placed,
            "shipping_address": {
                "recipient": "A",
                "street": "1 Main St",
                "city": "X",
                "postal_code": "62701",
                "country": "US",
            },
        }
        if paid:
            data |= {"paid_at": placed + timedelta(hours=1), "shipped_at": placed + timedelta(1)}
        self.ingest(now, "order", data)
        return order_id

    def heavy_histories(self) -> None:
        """Each heavy buyer places ``heavy_orders`` unpaid orders at the heavy sellers over
        the month before (malicious ordering: their complaints are upheld at once and exempt
        every one of those orders)."""
        for buyer in self.heavy_buyers:
            for n in range(self.p.heavy_orders):
                placed = START - timedelta(days=29) + timedelta(minutes=17 * n)
                seller = self.heavy_sellers[n % len(self.heavy_sellers)]
                self.order(START, seller, buyer, placed=placed, paid=False)

    # arrivals ------------------------------------------------------------------------------
    def arrival_times(self) -> list[tuple[datetime, bool]]:
        """(when, in the flash burst): diurnal days, a burst day, a flash hour."""
        p, rng = self.p, self.rng
        flash = int(p.complaints * p.flash_share)
        burst_day = p.days // 3
        weights = [p.burst_factor if d == burst_day else 1 for d in range(p.days)]
        per_weight = (p.complaints - flash) / sum(weights)
        hour_weights = [
            0.3 + (1.0 if 8 <= h <= 21 else 0.0) + (0.6 if 19 <= h <= 21 else 0.0)
            for h in range(24)
        ]
        times: list[tuple[datetime, bool]] = []
        for day, w in enumerate(weights):
            n = round(per_weight * w)
            hours = rng.choices(range(24), weights=hour_weights, k=n)
            for h in hours:
                at = START + timedelta(days=day, hours=h, seconds=rng.uniform(0, 3600))
                times.append((at, False))
        flash_at = START + timedelta(days=2 * p.days // 3, hours=14)
        times += [(flash_at + timedelta(seconds=rng.uniform(0, 3600)), True) for _ in range(flash)]
        times = sorted(times)[: p.complaints]
        return times

    def file(self, now: datetime, flash: bool) -> None:
        rng = self.rng
        heavy = rng.random() < 0.1
        seller = rng.choice(self.heavy_sellers if heavy else self.sellers)
        if heavy and rng.random() < 0.3:
            buyer = rng.choice(self.heavy_buyers)
        else:
            buyer = rng.choice(self.buyers)
        scenario = rng.choices(SCENARIOS, weights=(5, 3, 2))[0]
        placed = now - timedelta(days=rng.uniform(1, 20))
        order_id = self.order(now, seller, buyer, placed=placed, paid=scenario != SCENARIOS[0])
        if scenario == "malicious_review":
            self.ingest(now, "review", {
                "review_id": f"r-{order_id}", "order_id": order_id, "seller_id": seller,
                "buyer_id": buyer, "rating": rng.choice((1, 2)), "posted_at": now,
            })  # fmt: skip
        elif scenario == "malicious_dispute":
            self.ingest(now, "dispute", {
                "dispute_id": f"d-{order_id}", "order_id": order_id, "seller_id": seller,
                "buyer_id": buyer, "status": "open", "opened_at": now,
            })  # fmt: skip
        s = self.settings
        complaint: Complaint = self.measured(
            "submit",
            lambda: submit_complaint(
                self.ports,
                seller_id=seller,
                order_id=order_id,
                scenario=scenario,
                description="simulated",
                reason=None,
                evidence=(),
                now=now,
                decision_hours=s.decision_hours,
                thresholds=s.thresholds,
                policy=s.sla_policy,
            ),
        )
        self.outcomes[f"submitted:{complaint.status}"] += 1
        if complaint.is_pending:
            self.maybe_review(now, complaint.complaint_id, flash)

    # reviewers and sellers ----------------------------------------------------------------
    def maybe_review(
        self, now: datetime, complaint_id: str, flash: bool, appeal: bool = False
    ) -> None:
        share = self.p.flash_review_share if flash else self.p.review_share
        if self.rng.random() >= share:
            return  # nobody looks: the sweep decides at the deadline
        # most within a day, some close to the deadline (and some too late: a conflict)
        delay = min(self.rng.expovariate(1 / 12), 48.5)
        reviewer = f"r-{self.rng.randrange(40)}" + ("-appeal" if appeal else "")
        self.at(
            now + timedelta(hours=delay),
            partial(self.review, complaint_id=complaint_id, reviewer=reviewer),
        )

    def review(self, now: datetime, complaint_id: str, reviewer: str) -> None:
        complaint = peek(self.ports, complaint_id)
        if complaint is None or not complaint.is_pending:
            self.outcomes["review:too_late"] += 1
            return
        recategorising = self.rng.random() < self.p.recategorise_share
        if (
            recategorising
            and complaint.appeal is None
            and self.recategorise(now, complaint, reviewer)
        ):
            return
        outcome = "upheld" if self.rng.random() < 0.4 else "rejected"
        scenario = get_scenario(complaint.scenario)
        assert scenario is not None
        reason_code = scenario.decision_reasons(complaint.reason)[outcome][0]
        s = self.settings
        decided: Complaint = self.measured(
            "decide",
            lambda: decide_by_operator(
                self.ports,
                complaint_id=complaint_id,
                operator_id=reviewer,
                outcome=outcome,
                reason_code=reason_code,
                note=None,
                now=now,
                policy=s.sla_policy,
            ),
        )
        self.outcomes[f"decided_by_reviewer:{decided.status}"] += 1
        self.after_decision(now, decided)

    def recategorise(self, now: datetime, complaint: Complaint, reviewer: str) -> bool:
        target = next(s for s in SCENARIOS if s != complaint.scenario)
        s = self.settings
        try:
            moved: Complaint = self.measured(
                "recategorise",
                lambda: recategorise_complaint(
                    self.ports,
                    complaint_id=complaint.complaint_id,
                    operator_id=reviewer,
                    scenario=target,
                    reason=None,
                    note=None,
                    now=now,
                    thresholds=s.thresholds,
                    policy=s.sla_policy,
                ),
            )
        except DomainError:  # not eligible for that scenario: the reviewer decides instead
            self.outcomes["recategorise:refused"] += 1
            return False
        self.outcomes["recategorised"] += 1
        # the same reviewer decides it later, before its (unchanged) deadline
        delay = self.rng.uniform(0.5, 6)
        self.at(
            now + timedelta(hours=delay),
            partial(self.review, complaint_id=moved.complaint_id, reviewer=reviewer),
        )
        return True

    def after_decision(self, now: datetime, decided: Complaint) -> None:
        """A seller appeals some rejections, within hours."""
        if decided.status != "rejected" or decided.appeal is not None:
            return
        if self.rng.random() >= self.p.appeal_share:
            return
        delay = self.rng.uniform(1, 72)
        self.at(now + timedelta(hours=delay), partial(self.appeal, decided=decided))

    def appeal(self, now: datetime, decided: Complaint) -> None:
        s = self.settings
        appealed: Complaint = self.measured(
            "appeal",
            lambda: appeal_complaint(
                self.ports,
                seller_id=decided.seller_id,
                complaint_id=decided.complaint_id,
                statement="please look again",
                now=now,
                months=s.listing_months,
                appeal_days=s.appeal_days,
                decision_hours=s.decision_hours,
                policy=s.sla_policy,
            ),
        )
        self.outcomes["appealed"] += 1
        self.maybe_review(now, appealed.complaint_id, flash=False, appeal=True)

    # the jobs ------------------------------------------------------------------------------
    def sweep(self, now: datetime) -> None:
        s = self.settings
        time_left, used = self.time_left(lambda_timeout_ms("sla_sweep"))
        started = time.perf_counter()
        report = self.measured(
            "sweep",
            lambda: run_sweep(
                self.ports,
                now=now,
                policy=s.sla_policy,
                thresholds=s.thresholds,
                batch=s.sweep_batch,
                time_left_ms=time_left,
                lookahead=timedelta(minutes=SWEEP_EVERY_MINUTES),  # as the scheduled job
            ),
        )
        wall = (time.perf_counter() - started) * 1000
        work = sum(report.actions.values())
        requests = round(used() / MS_PER_REQUEST)
        self.sweeps.append(
            Run(now, work, requests, used(), wall, report.fanned_out, report.stopped_early)
        )
        self.tally(now, report.actions)
        self.sqs_requests += report.queue_requests  # SendMessageBatch
        # SQS delivers each message at its delay (after the run: at most its time used)
        by_delay: dict[int, list[SweepMessage]] = {}
        for message in self.queue.take():
            by_delay.setdefault(message.delay_seconds, []).append(message)
        after_run = now + timedelta(milliseconds=used())
        for delay, messages in sorted(by_delay.items()):
            self.at(after_run + timedelta(seconds=delay), partial(self.drain, messages=messages))

    def drain(self, now: datetime, *, messages: list[SweepMessage]) -> None:
        """The sweep queue's workers on messages delivered now: ``SQS_BATCH`` messages an
        invocation (receive + delete: two SQS requests each), ``work_off`` per message."""
        s = self.settings
        for start in range(0, len(messages), SQS_BATCH):
            batch = messages[start : start + SQS_BATCH]
            _, used = self.time_left(lambda_timeout_ms("sla_sweep_worker"))
            started = time.perf_counter()
            for message in batch:
                work = partial(
                    work_off,
                    self.ports,
                    message.complaint_ids,
                    now=now,
                    policy=s.sla_policy,
                    thresholds=s.thresholds,
                )
                done = self.measured("sweep worker", work)
                self.tally(now, done.actions)
            wall = (time.perf_counter() - started) * 1000
            complaints = sum(len(m.complaint_ids) for m in batch)
            self.worker_runs.append(
                Run(now, complaints, round(used() / MS_PER_REQUEST), used(), wall)
            )
            self.sqs_requests += 2

    def tally(self, now: datetime, actions: Counter[str]) -> None:
        for action, n in actions.items():
            self.outcomes[f"sweep:{action}"] += n

    def exemptions(self, now: datetime) -> None:
        s = self.settings
        time_left, used = self.time_left(lambda_timeout_ms("exemption_job"))
        started = time.perf_counter()
        report = self.measured(
            "exemption job",
            lambda: run_exemption_job(
                self.ports,
                now=now,
                policy=s.exemption_policy,
                sla=s.sla_policy,
                batch=s.sweep_batch,
                time_left_ms=time_left,
            ),
        )
        wall = (time.perf_counter() - started) * 1000
        requests = round(used() / MS_PER_REQUEST)
        self.exemption_runs.append(
            Run(now, report.units, requests, used(), wall, 0, report.stopped_early)
        )
        for action, n in report.actions.items():
            self.outcomes[f"exemption:{action}"] += n

    def schedule_jobs(self, until: datetime) -> None:
        t = START
        while t <= until:
            self.at(t, self.sweep)
            t += timedelta(minutes=SWEEP_EVERY_MINUTES)
        t = START + timedelta(minutes=1)
        while t <= until:
            self.at(t, self.exemptions)
            t += EXEMPTION_EVERY

    # the month -----------------------------------------------------------------------------
    def run(self) -> None:
        self.heavy_histories()
        for when, flash in self.arrival_times():
            self.at(when, partial(self.file, flash=flash))
        # after the last filing: long enough for every deadline, appeal and exemption
        self.schedule_jobs(START + timedelta(days=self.p.days + 7))
        day = -1
        while self.events:
            when, _, action = heapq.heappop(self.events)
            if self.progress and (when - START).days > day:
                day = (when - START).days
                print(f"day {day}: {self.outcomes.total():,} outcomes", file=sys.stderr)
            try:
                action(when)
            except Conflict:
                self.outcomes["conflict"] += 1


def peek(ports: Any, complaint_id: str) -> Complaint | None:
    """What a reviewer's console shows of a complaint (not one of the month's requests)."""
    if hasattr(ports, "peek"):
        found: Complaint | None = ports.peek(complaint_id)
        return found
    row = ports.complaints.rows.get(complaint_id)
    return None if row is None else row.complaint


# --------------------------------------------------------------------------- the promises


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def promises(month: Month) -> dict[str, Any]:
    """What the month shows against the product's promises, from the stored complaints."""
    s = month.settings
    first: list[float] = []  # submission -> first decision
    appeals: list[float] = []  # appeal -> its decision
    exempt_lag: list[float] = []
    escalation_errors: list[str] = []
    unapplied: list[str] = []
    pending_at_end = 0
    for cid, row in month.ports.complaints.rows.items():
        c = row.complaint
        if c.is_pending:
            pending_at_end += 1
        opened, escalations = c.submitted_at, 0
        for entry in c.history:
            if entry.action == "escalated":
                escalations += 1
            elif entry.action.startswith("decided:"):
                if opened == c.submitted_at:
                    first.append(_hours(entry.at - opened))
                else:
                    appeals.append(_hours(entry.at - opened))
                # an escalation is due once per pending period still open at its time;
                # a decision within a sweep interval of that point may come first
                must = entry.at - opened > timedelta(
                    hours=s.escalation_hours, minutes=2 * SWEEP_EVERY_MINUTES
                )
                if escalations > 1 or (must and escalations != 1):
                    escalation_errors.append(cid)
                escalations = 0
            elif entry.action == "appealed":
                opened = entry.at
        if c.status == "upheld" and c.decision is not None:
            if c.exemption_applied_at is None:
                unapplied.append(cid)
            else:
                exempt_lag.append(_hours(c.exemption_applied_at - c.decision.decided_at))
    published = Counter(kind for kind, _ in month.ports.publisher.kinds.elements())
    limit = s.decision_hours
    return {
        "complaints": len(month.ports.complaints.rows),
        "pending_at_end": pending_at_end,
        "results_hours": {
            "count": len(first),
            "p50": round(_pct(first, 0.5), 2),
            "p99": round(_pct(first, 0.99), 2),
            "max": round(max(first, default=0), 2),
            "later_than_48h": sum(1 for h in first if h > limit),
        },
        "appeal_results_hours": {
            "count": len(appeals),
            "p50": round(_pct(appeals, 0.5), 2),
            "max": round(max(appeals, default=0), 2),
            "later_than_48h": sum(1 for h in appeals if h > limit),
        },
        "escalations": {
            "published": published.get("complaint.escalated", 0),
            "not_exactly_once": len(escalation_errors),
        },
        "exemptions": {
            "applied": len(exempt_lag),
            "unapplied": len(unapplied),
            "lag_hours_p50": round(_pct(exempt_lag, 0.5), 2),
            "lag_hours_max": round(max(exempt_lag, default=0), 2),
            "later_than_72h": sum(1 for h in exempt_lag if h > s.exemption_due_hours),
        },
        "events_published": dict(sorted(published.items())),
    }


def _runs(runs: list[Run], timeout_ms: int) -> dict[str, Any]:
    return {
        "runs": len(runs),
        "lambda_timeout_s": timeout_ms / 1000,
        "max_work": max((r.work for r in runs), default=0),
        "max_requests": max((r.requests for r in runs), default=0),
        "max_simulated_s": round(max((r.simulated_ms for r in runs), default=0) / 1000, 2),
        "max_wall_s": round(max((r.wall_ms for r in runs), default=0) / 1000, 3),
        "fanned_out": sum(r.fanned_out for r in runs),
        "runs_fanning_out": sum(1 for r in runs if r.fanned_out),
        "stopped_early": sum(1 for r in runs if r.stopped_early),
    }


#: Calls that are not DynamoDB requests: SNS publishes, SQS sends.
NOT_DYNAMODB = ("publisher.", "sweep_queue.")


def dynamodb_requests(by_method: Counter[str] | dict[str, int]) -> int:
    return sum(n for method, n in by_method.items() if not method.startswith(NOT_DYNAMODB))


def report(month: Month, elapsed_s: float, cpu_s: float, peak_mb: float) -> dict[str, Any]:
    complaints = month.p.complaints
    activity = {
        kind: {
            "calls": a.calls,
            "requests": dynamodb_requests(a.requests),
            "requests_per_complaint": round(dynamodb_requests(a.requests) / complaints, 3),
            "sns_publishes": a.requests["publisher.publish"],
            "wall_ms_per_call": round(a.wall_ms / max(1, a.calls), 3),
            "by_method": dict(sorted(a.requests.items())),
        }
        for kind, a in sorted(month.activity.items())
    }
    total = sum(dynamodb_requests(a.requests) for a in month.activity.values())
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": {**month.p.__dict__, "heavy_orders": month.p.heavy_orders},
        "sweep_every_minutes": SWEEP_EVERY_MINUTES,
        "sweep_batch": month.settings.sweep_batch,
        "ms_per_request": MS_PER_REQUEST,
        "promises": promises(month),
        "sweep": _runs(month.sweeps, lambda_timeout_ms("sla_sweep")),
        "sweep_worker": _runs(month.worker_runs, lambda_timeout_ms("sla_sweep_worker")),
        "exemption_job": _runs(month.exemption_runs, lambda_timeout_ms("exemption_job")),
        "activity": activity,
        "requests_per_complaint": round(total / complaints, 2),
        "sqs_sweep_requests": month.sqs_requests,
        "outcomes": dict(sorted(month.outcomes.items())),
        "elapsed_s": round(elapsed_s, 1),
        "cpu_s": round(cpu_s, 1),
        "peak_memory_mb": round(peak_mb, 1),
        "cpus": os.cpu_count(),
    }


def markdown(result: dict[str, Any]) -> str:
    p, pr = result["params"], result["promises"]
    r, a, e, esc = (
        pr["results_hours"],
        pr["appeal_results_hours"],
        pr["exemptions"],
        pr["escalations"],
    )
    lines = [
        f"**A simulated month** ({result['measured_at'][:10]}; `make simulate`): "
        f"{p['complaints']:,} complaints over {p['days']} days (diurnal, one day at "
        f"{p['burst_factor']}×, a one-hour flash burst of "
        f"{int(p['complaints'] * p['flash_share']):,} at {p['flash_review_share']:.0%} review, "
        f"{p['review_share']:.0%} review otherwise, "
        f"{p['heavy_buyers']} buyers with {p['heavy_orders']:,} orders each), real services and "
        "jobs on the in-memory repositories, in "
        f"{result['elapsed_s']} s ({result['cpu_s']} s of CPU), peak memory "
        f"{result['peak_memory_mb']} MB (the process's peak RSS).",
        "",
        "| promise | result |",
        "|---|---|",
        f"| results ≤ 48 h | p50 {r['p50']} h, p99 {r['p99']} h, max {r['max']} h; "
        f"**{r['later_than_48h']} later** of {r['count']:,} |",
        f"| appeals decided ≤ 48 h after the appeal | p50 {a['p50']} h, max {a['max']} h; "
        f"**{a['later_than_48h']} later** of {a['count']:,} |",
        f"| escalation exactly once | {esc['published']:,} escalations, "
        f"**{esc['not_exactly_once']}** complaints not escalated exactly once |",
        f"| exemptions ≤ 72 h | {e['applied']:,} applied, lag p50 {e['lag_hours_p50']} h, "
        f"max {e['lag_hours_max']} h; **{e['later_than_72h']} later**, "
        f"{e['unapplied']} unapplied |",
        "",
        "| job | runs | max work per run | max requests | max run time, simulated "
        "(wall of the service code) | Lambda timeout | fanned out | runs stopped by time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, key, unit in (
        ("SLA sweep", "sweep", "actions"),
        ("sweep worker (per batch of 10)", "sweep_worker", "complaints"),
        ("exemption job", "exemption_job", "units"),
    ):
        j = result[key]
        lines.append(
            f"| {name} | {j['runs']:,} | {j['max_work']:,} {unit} | {j['max_requests']:,} "
            f"| {j['max_simulated_s']} s ({j['max_wall_s']} s) | {j['lambda_timeout_s']:g} s "
            f"| {j['fanned_out']:,} in {j['runs_fanning_out']} runs | {j['stopped_early']} |"
        )
    lines += [
        "",
        f"DynamoDB requests per complaint: {result['requests_per_complaint']} in all — "
        + ", ".join(
            f"{kind} {row['requests_per_complaint']}" for kind, row in result["activity"].items()
        )
        + f". Simulated run time: {result['ms_per_request']} ms per request.",
    ]
    return "\n".join(lines)


#: The configuration a simulated month honours from the environment (README: Configuration).
CONFIGURABLE = ("DECISION_HOURS", "DUE_SHARDS", "SWEEP_BATCH", "RULE_THRESHOLDS", "APPEAL_DAYS")


def simulated_settings(**overrides: str) -> Settings:
    """The dev stage's settings, with fan-out (a sweep queue) as every deployed stage has."""
    env = {name: os.environ[name] for name in CONFIGURABLE if name in os.environ}
    return get_settings({**env, **overrides, "STAGE": "dev", "SWEEP_QUEUE_URL": "sim://sweep"})


def simulate(
    params: Params, settings: Settings | None = None, *, progress: bool = False
) -> tuple[Month, dict[str, Any]]:
    settings = settings or simulated_settings()
    started, cpu = time.perf_counter(), time.process_time()
    month = Month(params, settings)
    month.progress = progress
    month.run()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the process's peak RSS
    return month, report(month, elapsed, cpu, peak_kb / 1024)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--complaints", type=int, default=int(os.environ.get("COMPLAINTS", 100_000))
    )
    parser.add_argument("--days", type=int, default=int(os.environ.get("DAYS", 30)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED", 16)))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "simulation.json")
    args = parser.parse_args(argv)
    params = Params(complaints=args.complaints, days=args.days, seed=args.seed)
    _, result = simulate(params, progress=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"{args.out}: written", file=sys.stderr)


if __name__ == "__main__":
    main()
