"""The SLA sweep on its schedule and its SQS workers, in simulated time, on the in-memory
fakes (``tests/fakes.py``) — what the burst tests and a month's simulation drive.

Time is counted in requests: every call the services make on a fake (a DynamoDB request,
an SNS publish, a SendMessageBatch) takes ``ms_per_request``.  So a scheduled run has a
Lambda's time limit (``time_left_ms`` falls as it makes requests), and each of
``concurrency`` workers takes up to ``WORKER_BATCH_SIZE`` visible messages at a time and is
busy for as long as its requests take — the complaints of a message are processed at the
moment the worker gets to them (``now``), so a backlog shows as decisions made late.

Use::

    sim = SweepSimulation(ports, settings)   # ports: InMemoryPorts.create(settings, queue=True)
    sim.advance(t)        # every sweep run (each SWEEP_EVERY_MINUTES from ``start``) and
                          # every worker turn due by t, in time order
    ... file or decide complaints at t with the services ...
    sim.advance(end)
    sim.stats             # runs, longest run, fanned out, worker turns, SQS requests ...

The workers run ``work_off`` — the function the Lambda handler runs for each message — on
the messages the runs sent (``RecordingQueue.take``), each visible once its run has ended
and its delay passed.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.operations import BUDGETS
from chalicelib.config import Settings
from chalicelib.domain.sweep_work import SweepMessage
from chalicelib.jobs.sla_sweep import SWEEP_EVERY_MINUTES, WORKER_BATCH_SIZE, WORKER_CONCURRENCY
from chalicelib.services.sweep import SweepReport, run_sweep, work_off
from tests.fakes import InMemoryPorts

#: A request's time on AWS, assumed for the bound (dynalite measured 5.5 ms a request,
#: ``tests/lambda_budget.py``; DynamoDB answers in single-digit ms, SNS and SQS in tens).
MS_PER_REQUEST = 20.0
#: The functions' time limits (``.chalice/config.json``).
SWEEP_RUN_MS = 300_000
WORKER_RUN_MS = 60_000
#: Requests per complaint the sweep handles: escalate (3 DynamoDB + 1 SNS) and decide
#: (7 DynamoDB + 1 SNS) — bench/operations.py BUDGETS plus the publishes: 12.
REQUESTS_PER_COMPLAINT = (BUDGETS["sweep, per due complaint (escalate)"] + 1) + (
    BUDGETS["sweep, per due complaint (decide)"] + 1
)


def capacity_per_minute(
    concurrency: int = WORKER_CONCURRENCY, ms_per_request: float = MS_PER_REQUEST
) -> float:
    """Complaints per minute the workers escalate and decide (README: "The SLA under a
    burst"): each worker spends ``REQUESTS_PER_COMPLAINT`` requests on a complaint."""
    return concurrency * 60_000 / (REQUESTS_PER_COMPLAINT * ms_per_request)


@dataclass
class SweepStats:
    runs: int = 0
    longest_run_ms: float = 0
    stopped_early: int = 0
    processed_by_runs: int = 0
    fanned_out: int = 0
    queue_requests: int = 0
    worker_turns: int = 0
    longest_turn_ms: float = 0
    most_backlog: int = 0  # messages visible and waiting for a worker, at most
    actions: Counter[str] = field(default_factory=Counter)  # runs' and workers'


class SweepSimulation:
    def __init__(
        self,
        ports: InMemoryPorts,
        settings: Settings,
        *,
        start: datetime,
        concurrency: int = WORKER_CONCURRENCY,
        ms_per_request: float = MS_PER_REQUEST,
        every: timedelta = timedelta(minutes=SWEEP_EVERY_MINUTES),
        run_ms: float = SWEEP_RUN_MS,
    ) -> None:
        assert ports.sweep_queue is not None, "the workers need the sweep queue"
        self.ports, self.settings = ports, settings
        self.ms_per_request, self.every, self.run_ms = ms_per_request, every, run_ms
        self.next_run = start
        self.free_at = [start] * concurrency  # when each worker is next free
        self.visible: list[tuple[datetime, int, SweepMessage]] = []  # heap by visible time
        self.sent = 0
        self.stats = SweepStats()

    def _requests(self) -> int:
        return self.ports.total_requests()

    def run(self, now: datetime) -> SweepReport:
        """One scheduled run at ``now`` with its time limit; its messages become visible
        when it has ended (at the latest) plus their delay."""
        first = self._requests()

        def used_ms() -> float:
            return (self._requests() - first) * self.ms_per_request

        report = run_sweep(
            self.ports,
            now=now,
            policy=self.settings.sla_policy,
            thresholds=self.settings.thresholds,
            batch=self.settings.sweep_batch,
            time_left_ms=lambda: int(self.run_ms - used_ms()),
            lookahead=self.every,
        )
        took = used_ms()
        assert took <= self.run_ms, f"the run outlived its Lambda ({took:.0f} ms)"
        ended = now + timedelta(milliseconds=took)
        assert self.ports.sweep_queue is not None
        for message in self.ports.sweep_queue.take():
            visible = ended + timedelta(seconds=message.delay_seconds)
            heapq.heappush(self.visible, (visible, self.sent, message))
            self.sent += 1
        s = self.stats
        s.runs += 1
        s.longest_run_ms = max(s.longest_run_ms, took)
        s.stopped_early += report.stopped_early
        s.processed_by_runs += report.processed
        s.fanned_out += report.fanned_out
        s.queue_requests += report.queue_requests
        s.actions.update(report.actions)
        return report

    def _next_turn(self) -> tuple[datetime, int] | None:
        """When the next worker turn starts, and on which worker."""
        if not self.visible:
            return None
        worker = min(range(len(self.free_at)), key=self.free_at.__getitem__)
        return max(self.free_at[worker], self.visible[0][0]), worker

    def _turn(self, start: datetime, worker: int) -> None:
        """One worker invocation: up to ``WORKER_BATCH_SIZE`` messages visible at ``start``,
        each message's complaints at the time the worker reaches them."""
        batch = []
        while self.visible and self.visible[0][0] <= start and len(batch) < WORKER_BATCH_SIZE:
            batch.append(heapq.heappop(self.visible)[2])
        self.stats.most_backlog = max(self.stats.most_backlog, len(self.visible) + len(batch))
        first = self._requests()
        for message in batch:
            elapsed = (self._requests() - first) * self.ms_per_request
            report = work_off(
                self.ports,
                message.complaint_ids,
                now=start + timedelta(milliseconds=elapsed),
                policy=self.settings.sla_policy,
                thresholds=self.settings.thresholds,
            )
            assert not report.failed
            self.stats.actions.update(report.actions)
        took = (self._requests() - first) * self.ms_per_request
        assert took <= WORKER_RUN_MS, f"a worker outlived its Lambda ({took:.0f} ms)"
        self.free_at[worker] = start + timedelta(milliseconds=took)
        self.stats.worker_turns += 1
        self.stats.longest_turn_ms = max(self.stats.longest_turn_ms, took)

    def advance(self, until: datetime) -> None:
        """Every scheduled run and worker turn that starts by ``until``, in time order."""
        while True:
            turn = self._next_turn()
            if turn is not None and turn[0] < self.next_run and turn[0] <= until:
                self._turn(*turn)
            elif self.next_run <= until:
                self.run(self.next_run)
                self.next_run += self.every
            else:
                return
