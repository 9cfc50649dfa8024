"""Applying an upheld complaint's metric exemption (docs/product.md), and the hourly job.

An exemption applies to *units* — orders and reviews — scope by scope (the scenario
record's ``exemption``): the complaint's order, its negative reviews, the buyer's orders at
the seller within W (malicious ordering: a buyer may have thousands), the buyer's orders a
cleaning period may cover (malicious dispute).  The job applies them in *steps* of at most
``CHUNK_UNITS`` units and saves after each step where it got to (``Progress``, on the
complaint, conditional on the revision it read), so one complaint's work spans as many runs
as it needs; a run stops before its Lambda's time is up, keeping a reserve.  Within a run
complaints take turns, earliest due first, an unfinished one going to the back of the line
after each step: a complaint with 10,000 orders never holds up the ones behind it, and one
that fails is retried by later runs without stopping the others (and alerted).

Idempotent: a unit's exemption records are conditional puts (first wins) written in the
transaction of its recomputed contribution, counters move only through ``refresh_order``,
the log keeps the first step's "before" values, progress is saved conditionally and the
complaint is marked applied conditionally.  A crash repeats at most one step's units, which
changes nothing twice.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

from chalicelib.domain.complaints import Complaint, ExemptionPolicy, SlaPolicy
from chalicelib.domain.errors import Conflict, StorageError
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.metrics import (
    BUYER_ORDERS,
    CLEANING_PERIOD,
    ORDER,
    ORDER_WINDOW,
    REVIEWS,
    CleaningPeriod,
)
from chalicelib.domain.notifications import EXEMPTION_APPLIED, complaint_event
from chalicelib.domain.scenario import Exemption
from chalicelib.domain.scenarios import get_scenario
from chalicelib.domain.timeutil import parse_iso, to_iso
from chalicelib.services.decisions import deliver
from chalicelib.services.metrics import current_values, refresh_order
from chalicelib.services.ports import Ports

#: The longest a Lambda function runs (AWS's limit): a job run started at ``now`` does
#: everything before ``now + RUN_LIMIT``.
RUN_LIMIT = timedelta(minutes=15)
#: Units (orders, reviews) one step applies at most before the next complaint's turn ...
CHUNK_UNITS = 100
#: ... and the time it takes at most: this fraction of the run's working time (the Lambda's
#: time less the reserve; 2.4 s of a 60 s run), so turns come round whatever the timeout.
TURNS_PER_RUN = 20
#: Entries of a buyer's activity read by one Query.
PAGE = 100
#: Failed steps after which a complaint is alerted (``complaint.exemption_overdue``, reason
#: ``failing``), if it was not alerted as overdue already.
ALERT_AFTER_FAILURES = 3
#: What makes one complaint's step fail without stopping the run: storage errors, and data
#: the step cannot read (a malformed stored item).  The step is retried by the next run.
STEP_FAILURES = (StorageError, KeyError, ValueError, TypeError)


class Progress(NamedTuple):
    """How far the job got with one complaint's exemption (stored on the complaint)."""

    rev: int = 0  # the stored revision this was read at (0: none stored)
    scope: int = 0  # index of the scope under way in the scenario record's ``exemption``
    #: in a paged scope, the position of the last activity entry done
    position: dict[str, str] | None = None
    #: cleaning scope: its period is stored, and orders placed up to this time are refreshed
    until: str | None = None
    counts: dict[str, int] | None = None  # units done per scope
    rows: tuple[dict[str, Any], ...] = ()  # log rows of the order and review scopes
    before: dict[str, Any] | None = None  # the metrics when the first step started

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "rows": list(self.rows)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        return cls(
            rev=int(data.get("rev", 0)),
            scope=int(data.get("scope", 0)),
            position=data.get("position"),
            until=data.get("until"),
            counts=dict(data.get("counts") or {}),
            rows=tuple(data.get("rows") or ()),
            before=data.get("before"),
        )

    def counted(self, scope: str, units: int) -> Progress:
        counts = dict(self.counts or {})
        counts[scope] = counts.get(scope, 0) + units
        return self._replace(counts=counts)

    def next_scope(self, rows: list[dict[str, Any]] | None = None) -> Progress:
        return self._replace(scope=self.scope + 1, position=None, rows=(*self.rows, *(rows or ())))


class Step(NamedTuple):
    progress: Progress
    units: int  # units applied by this step
    applied: Complaint | None  # the complaint, when this step finished its exemption


def _start(adapters: Ports, complaint: Complaint, now: datetime) -> Progress:
    """The log entry, once: a re-run after a crash keeps the first run's "before" values."""
    entry = adapters.metrics.start_exemption_log(
        complaint.seller_id,
        complaint.complaint_id,
        now,
        {
            "complaint_id": complaint.complaint_id,
            "scenario": complaint.scenario,
            "order_id": complaint.order_id,
            "effective_at": to_iso(now),
            "metrics_before": {
                m: v["after_exemptions"]["value"]
                for m, v in current_values(adapters.metrics, complaint.seller_id, now).items()
            },
        },
    )
    return Progress(before=dict(entry.get("metrics_before") or {}))


#: The scopes this job applies (``exemption_step``): a test keeps them equal to the domain's
#: ``EXEMPTION_SCOPES``, which the scenario registry accepts.
PAGED_SCOPES = frozenset({BUYER_ORDERS, CLEANING_PERIOD})
APPLIED_SCOPES = frozenset({ORDER, REVIEWS}) | PAGED_SCOPES


def _scopes(complaint: Complaint) -> tuple[Exemption, ...]:
    """What the complaint's scenario exempts (its record; the registry checked that the
    job knows every scope)."""
    scenario = get_scenario(complaint.scenario)
    if scenario is None:  # a scenario since removed: a failing step (counted, then alerted)
        raise KeyError(f"no scenario {complaint.scenario!r} is registered")
    return scenario.exemption


def _negative_reviews(
    order: OrderFacts, *, complaint: Complaint, codes: tuple[str, ...], found: list[str]
) -> dict[tuple[str, str], str]:
    """The REVIEWS scope's exemptions: the order's reviews rated 1-2 by the complaint's
    buyer, each from ``codes`` (their ids also go to ``found``, for the log)."""
    found[:] = [
        r.review_id for r in order.reviews if r.rating <= 2 and r.buyer_id == complaint.buyer_id
    ]
    return {(f"REVIEW#{r}", m): complaint.complaint_id for r in found for m in codes}


def _cleaning_period(complaint: Complaint, policy: ExemptionPolicy) -> CleaningPeriod:
    """The cleaning period an upheld malicious dispute starts at its decision."""
    decided_at = complaint.decision.decided_at  # type: ignore[union-attr]
    end = decided_at + timedelta(days=policy.cleaning_period_days)
    return CleaningPeriod(complaint.complaint_id, decided_at, end)


def _orders_range(
    scope: str, complaint: Complaint, progress: Progress, policy: ExemptionPolicy
) -> tuple[datetime, datetime]:
    """When the buyer's orders a paged scope goes through were placed."""
    decided_at = complaint.decision.decided_at  # type: ignore[union-attr]
    if scope == BUYER_ORDERS:  # the buyer's orders within W before the decision
        return decided_at - timedelta(days=policy.window_days), decided_at
    # cleaning: orders placed in the period are counted out as their facts arrive, once it
    # is stored; one placed before may have gone bad in it before that (see CleaningPeriod).
    # Refresh every order still in the order metrics' window, placed up to the latest time
    # the run that stored the period can have stored it.
    assert progress.until is not None
    return decided_at - timedelta(days=ORDER_WINDOW), parse_iso(progress.until)


def exemption_step(
    adapters: Ports,
    complaint: Complaint,
    progress: Progress | None,
    now: datetime,
    policy: ExemptionPolicy,
    sla: SlaPolicy,
    *,
    max_units: int = CHUNK_UNITS,
    has_time: Callable[[], bool] = lambda: True,
) -> Step:
    """Apply up to ``max_units`` more units of ``complaint``'s exemption, from where
    ``progress`` (None: nothing stored yet) left off, while ``has_time()`` (but at least
    one, so that every step gets somewhere); then save the
    progress — or, when no unit is left, finish: log the metrics after, mark the complaint
    applied and publish ``complaint.exemption_applied``.  ``Conflict`` when another run
    saved progress or finished meanwhile (its work stands)."""
    decision = complaint.decision
    assert decision is not None and complaint.status == "upheld"
    metrics, facts = adapters.metrics, adapters.facts
    start = _start(adapters, complaint, now) if progress is None else progress
    p = start
    scopes = _scopes(complaint)
    complaint_id = complaint.complaint_id
    cleaning = metrics.cleaning_periods(complaint.seller_id, complaint.buyer_id)
    units = 0

    def go_on() -> bool:
        return units < max_units and (units == 0 or has_time())

    while p.scope < len(scopes) and go_on():
        scope, codes = scopes[p.scope]
        if scope == ORDER:
            exempt = {("ORDER", m): complaint_id for m in codes}
            refresh_order(facts, metrics, complaint.order_id, cleaning, exempt, now)
            rows = [{"metric": m, "scope": "order", "order_id": complaint.order_id} for m in codes]
            p, units = p.counted(scope, 1).next_scope(rows), units + 1
        elif scope == REVIEWS:
            reviews: list[str] = []  # filled from the order's facts, read once by the refresh
            negative = partial(_negative_reviews, complaint=complaint, codes=codes, found=reviews)
            refresh_order(facts, metrics, complaint.order_id, cleaning, negative, now)
            rows = [
                {"metric": m, "scope": "review", "order_id": complaint.order_id, "review_id": r}
                for r in reviews
                for m in codes
            ]
            p, units = p.counted(scope, len(reviews)).next_scope(rows), units + len(reviews)
        else:  # BUYER_ORDERS, CLEANING_PERIOD: the buyer's orders at the seller, page by page
            assert scope in PAGED_SCOPES, scope
            if scope == CLEANING_PERIOD and p.until is None:
                window = _cleaning_period(complaint, policy)
                metrics.put_cleaning_period(complaint.seller_id, complaint.buyer_id, window)
                cleaning = [*(w for w in cleaning if w.complaint_id != complaint_id), window]
                p = p._replace(until=to_iso(now + RUN_LIMIT))
            since, until = _orders_range(scope, complaint, p, policy)
            entries, more_pages = metrics.buyer_orders_page(
                complaint.buyer_id, complaint.seller_id, since, until, p.position, PAGE
            )
            orders_exempt: dict[tuple[str, str], str] | None = None  # cleaning: refresh only
            if scope == BUYER_ORDERS:
                orders_exempt = {("ORDER", m): complaint_id for m in codes}
            whole_page = True
            for entry in entries:
                if not go_on():
                    whole_page = False
                    break
                if entry.order_id is not None:
                    refresh_order(facts, metrics, entry.order_id, cleaning, orders_exempt, now)
                    p, units = p.counted(scope, 1), units + 1
                p = p._replace(position=entry.position)
            if whole_page and not more_pages:
                p = p.next_scope()
    if p.scope == len(scopes):
        return Step(p, units, _finish(adapters, complaint, scopes, p, now, policy, sla))
    if p != start or progress is None:
        adapters.complaints.save_exemption_progress(complaint_id, p.as_dict())
        p = p._replace(rev=p.rev + 1)
    return Step(p, units, None)


def _finish(
    adapters: Ports,
    complaint: Complaint,
    scopes: tuple[Exemption, ...],
    progress: Progress,
    now: datetime,
    policy: ExemptionPolicy,
    sla: SlaPolicy,
) -> Complaint:
    rows = list(progress.rows)
    for scope, codes in scopes:
        if scope == BUYER_ORDERS:  # one row per metric: a buyer may have 10,000 orders
            since, until = _orders_range(scope, complaint, progress, policy)
            orders = (progress.counts or {}).get(scope, 0)
            rows += [
                {
                    "metric": m,
                    "scope": BUYER_ORDERS,
                    "buyer_id": complaint.buyer_id,
                    "from": to_iso(since),
                    "until": to_iso(until),
                    "orders": orders,
                }
                for m in codes
            ]
        elif scope == CLEANING_PERIOD:
            period = _cleaning_period(complaint, policy)
            rows += [
                {
                    "metric": m,
                    "scope": CLEANING_PERIOD,
                    "buyer_id": complaint.buyer_id,
                    "from": to_iso(period.start),
                    "until": to_iso(period.end),
                }
                for m in codes
            ]
    before = progress.before or {}
    after = current_values(adapters.metrics, complaint.seller_id, now)
    touched = sorted({row["metric"] for row in rows})
    logged = [
        {"metric": m, "before": before.get(m), "after": after[m]["after_exemptions"]["value"]}
        for m in touched
    ]
    entry = {
        "complaint_id": complaint.complaint_id,
        "scenario": complaint.scenario,
        "order_id": complaint.order_id,
        "effective_at": to_iso(now),
        "rows": rows,
        "metrics": logged,
    }
    adapters.metrics.finish_exemption_log(complaint.seller_id, complaint.complaint_id, entry)
    applied = complaint.with_exemption(now, tuple(logged))
    event = complaint_event(applied, EXEMPTION_APPLIED)
    adapters.complaints.mark_exemption_applied(applied, event, now)
    deliver(adapters, applied, EXEMPTION_APPLIED, event, sla)
    return applied


class Failure(NamedTuple):
    """Something that failed for one complaint in a run (the job's handler logs it)."""

    complaint_id: str
    #: ``step``: a step failed (counted, and retried by the next run); ``count``: the
    #: failed step could not be counted
    what: str
    error: Exception


@dataclass
class ExemptionReport:
    actions: Counter[str] = field(default_factory=Counter)
    #: hours from decision to applied exemption, per exemption applied in this run
    lag_hours: list[float] = field(default_factory=list)
    units: int = 0  # units applied in this run
    stopped_early: bool = False  # the run's time ran out with work left
    failures: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "actions": dict(self.actions),
            "units": self.units,
            "stopped_early": self.stopped_early,
        }


class _Turn(NamedTuple):
    complaint: Complaint
    progress: Progress | None


def run_exemption_job(
    adapters: Ports,
    *,
    now: datetime,
    policy: ExemptionPolicy,
    sla: SlaPolicy,
    batch: int,
    time_left_ms: Callable[[], float] = lambda: 900_000,
    chunk: int = CHUNK_UNITS,
) -> ExemptionReport:
    """Apply upheld complaints' pending exemptions, found through the sparse
    ``exemptions_due`` index (up to ``batch`` per shard), earliest due first, in turns of
    up to ``chunk`` units and 1/``TURNS_PER_RUN`` of the run's working time each (an
    unfinished complaint goes to the back of the line), until done or until the run's time
    (``time_left_ms``: the Lambda's remaining time) is down to its reserve — a fifth of what
    it started with, at most 15 s.  What is left continues in the next run from its saved
    progress.

    Alerts once (``complaint.exemption_overdue``) on a complaint still unapplied 48 h after
    its decision, or whose steps have failed ``ALERT_AFTER_FAILURES`` times.  A complaint's
    failing step is counted and retried by the next run; the others go on.  What failed is
    in the report's ``failures``."""
    started_ms = time_left_ms()
    reserve_ms = min(15_000.0, started_ms / 5)
    turn_ms = (started_ms - reserve_ms) / TURNS_PER_RUN

    report = ExemptionReport()
    due = sorted(
        entry
        for shard in adapters.complaints.shard_names()
        for entry in adapters.complaints.exemptions_due(shard, limit=batch)
    )
    turns: deque[_Turn] = deque()
    for _, complaint_id in due:
        stored = adapters.complaints.get_stored(complaint_id)
        if stored is None or stored.complaint.decision is None:
            continue
        complaint, decided_at = stored.complaint, stored.complaint.decision.decided_at
        if complaint.status != "upheld" or complaint.exemption_applied_at is not None:
            adapters.complaints.clear_exemption_due(complaint_id)
            report.actions["cleared"] += 1
            continue
        if now - decided_at >= policy.alert_after:
            _alert(adapters, complaint, now, report, reason="overdue")
        saved = stored.exemption_progress
        turns.append(_Turn(complaint, Progress.from_dict(saved) if saved is not None else None))
    while turns:
        left_ms = time_left_ms()
        if left_ms <= reserve_ms:
            report.stopped_early = True
            break
        # alone in the line, a complaint may use the rest of the run
        turn_ends_ms = max(reserve_ms, left_ms - turn_ms) if len(turns) > 1 else reserve_ms

        def has_time(until_ms: float = turn_ends_ms) -> bool:
            return time_left_ms() > until_ms

        turn = turns.popleft()
        complaint = turn.complaint
        try:
            step = exemption_step(
                adapters,
                complaint,
                turn.progress,
                now,
                policy,
                sla,
                max_units=chunk,
                has_time=has_time,
            )
        except Conflict:
            report.actions["raced"] += 1  # another run got further: it carries on
            continue
        except STEP_FAILURES as error:
            report.failures.append(Failure(complaint.complaint_id, "step", error))
            report.actions["failed"] += 1
            _count_failure(adapters, complaint, now, report)
            continue
        report.units += step.units
        if step.applied is None:
            turns.append(turn._replace(progress=step.progress))
            continue
        report.actions["applied"] += 1
        assert step.applied.exemption_applied_at is not None
        lag = step.applied.exemption_applied_at - complaint.decision.decided_at  # type: ignore[union-attr]
        report.lag_hours.append(lag.total_seconds() / 3600)
    report.actions["deferred"] += len(turns)  # continued by the next run
    report.actions = +report.actions  # drop zero counts
    return report


def _alert(
    adapters: Ports, complaint: Complaint, now: datetime, report: ExemptionReport, **why: Any
) -> None:
    """``complaint.exemption_overdue``, once per complaint (a conditional flag)."""
    if adapters.complaints.mark_exemption_alerted(complaint.complaint_id, now):
        adapters.publisher.publish({**complaint_event(complaint, "exemption_overdue"), **why})
        report.actions["alerted"] += 1


def _count_failure(
    adapters: Ports, complaint: Complaint, now: datetime, report: ExemptionReport
) -> None:
    try:
        failures = adapters.complaints.record_exemption_failure(complaint.complaint_id)
        if failures >= ALERT_AFTER_FAILURES:
            _alert(adapters, complaint, now, report, reason="failing", failures=failures)
    except StorageError as error:
        report.failures.append(Failure(complaint.complaint_id, "count", error))
