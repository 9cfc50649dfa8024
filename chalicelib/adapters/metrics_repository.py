"""Metric contributions, exemptions, cleaning periods and daily counters (facts table).

A unit's contribution and the counter deltas it causes are written in one transaction,
conditional on the contribution's stored revision: a concurrent or repeated recompute
either sees the new revision (and finds nothing left to do) or loses and retries.  The
exemption records an exemption adds to the unit go in the same transaction, each
conditional on not existing yet (first wins).  Storage failures reach the callers as domain
errors (``adapters/storage_errors.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.codecs import conditional_failed
from chalicelib.adapters.fact_repository import facts_from_items
from chalicelib.adapters.models import (
    COUNTER_KEYS,
    FactModel,
    counter_attribute,
    fact_model,
    metrics_day_model,
)
from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.config import Settings
from chalicelib.domain.errors import ContributionConflict
from chalicelib.domain.facts import OrderFacts
from chalicelib.domain.metrics import CleaningPeriod, Contribution
from chalicelib.domain.timeutil import parse_iso, to_iso


class StoredContribution(NamedTuple):
    contribution: Contribution
    revision: int


class ExemptionRecord(NamedTuple):
    """``unit`` of an order leaves ``metric``, by ``complaint_id``'s exemption."""

    unit: str
    metric: str
    complaint_id: str


class ExemptionLogPage(NamedTuple):
    """Exemption log entries, newest first, and the position of the last one when older
    entries follow (None: none)."""

    entries: list[dict[str, Any]]
    last_key: str | None


def log_key(effective_at: str, complaint_id: str) -> str:
    """Range key of ``exemption_log``: when the entry took effect, and the complaint —
    unique, and newest first when read backwards."""
    return f"{effective_at}#{complaint_id}"


class ActivityEntry(NamedTuple):
    """One entry of a buyer's activity index: where it is, and the order it is (an order
    at the seller asked about; otherwise None)."""

    position: dict[str, str]
    order_id: str | None


class OrderPartition(NamedTuple):
    facts: OrderFacts
    exemptions: dict[tuple[str, str], str]  # (unit, metric) -> complaint id
    contributions: dict[str, StoredContribution]  # unit -> stored contribution
    #: when the order's stored version happened: its event's ``occurred_at`` (for a fact
    #: stored before that was kept, when it was recorded)
    order_status_at: datetime | None = None


def _contribution_to_data(c: Contribution) -> dict[str, Any]:
    return {
        "unit": c.unit,
        "seller_id": c.seller_id,
        "day": c.day.isoformat(),
        "raw": {m: list(f) for m, f in c.raw.items()},
        "kept": {m: list(f) for m, f in c.kept.items()},
        "exempt_by": dict(c.exempt_by),
    }


def _contribution_from_data(d: dict[str, Any]) -> Contribution:
    return Contribution(
        unit=d["unit"],
        seller_id=d["seller_id"],
        day=date.fromisoformat(d["day"]),
        raw={m: (int(f[0]), int(f[1])) for m, f in d["raw"].items()},
        kept={m: (int(f[0]), int(f[1])) for m, f in d["kept"].items()},
        exempt_by=dict(d.get("exempt_by") or {}),
    )


@translates_storage_errors
class MetricsRepository:
    def __init__(self, settings: Settings) -> None:
        self.facts: type[FactModel] = fact_model(settings)
        self.days: type[Model] = metrics_day_model(settings)
        self.retention = timedelta(days=settings.retention_days)

    # the order partition -------------------------------------------------------------
    @staticmethod
    def partition_from_items(items: list[FactModel]) -> OrderPartition:
        """Interpret an order partition (``FactRepository.order_items``): its facts, the
        exemptions of its units and their stored contributions."""
        exemptions: dict[tuple[str, str], str] = {}
        stored: dict[str, StoredContribution] = {}
        status_at: datetime | None = None
        for item in items:
            data = item.data or {}
            if item.sk == "ORDER#":
                status_at = item.occurred_at or item.recorded_at
            elif item.sk.startswith("EXEMPT#"):
                exemptions[(data["unit"], data["metric"])] = data["complaint_id"]
            elif item.sk.startswith("CONTRIB#"):
                stored[data["unit"]] = StoredContribution(
                    _contribution_from_data(data), int(item.version or 0)
                )
        return OrderPartition(
            facts=facts_from_items(items),
            exemptions=exemptions,
            contributions=stored,
            order_status_at=status_at,
        )

    def write_contribution(
        self,
        order_id: str,
        old: StoredContribution | None,
        new: Contribution | None,
        deltas: dict[tuple[str, date], dict[str, int]],
        exemptions: Sequence[ExemptionRecord] = (),
        at: datetime | None = None,
    ) -> None:
        """Store ``new`` and add ``deltas`` to the day counters, atomically, only if the
        stored contribution is still ``old`` — and, in the same transaction, record
        ``exemptions`` of the order's units (at ``at``), each only if it is not recorded
        yet (first wins).  ``new`` None: only the exemptions.  A failed condition raises
        ``ContributionConflict``: read the partition again and recompute."""
        assert new is not None or exemptions
        saves: list[tuple[FactModel, Any]] = []
        for record in exemptions:
            assert at is not None
            item = self._exemption_item(order_id, record, at)
            saves.append((item, self.facts.pk.does_not_exist()))
        if new is not None:
            revision = 0 if old is None else old.revision
            item = self.facts(
                f"ORDER#{order_id}",
                f"CONTRIB#{new.unit}",
                type="contribution",
                version=revision + 1,
                data=_contribution_to_data(new),
                expires_at=datetime.combine(new.day, time(), tzinfo=UTC) + self.retention,
            )
            unchanged = self.facts.version == revision
            saves.append((item, self.facts.pk.does_not_exist() if old is None else unchanged))
        try:
            connection = self.facts._get_connection().connection
            with TransactWrite(connection=connection) as transaction:
                for item, condition in saves:
                    transaction.save(item, condition=condition)
                for (seller_id, day), counters in deltas.items():
                    day_item = self.days(f"METRICS#{seller_id}", f"DAY#{day.isoformat()}")
                    expires = datetime.combine(day, time(), tzinfo=UTC) + self.retention
                    days: Any = self.days
                    actions = [
                        getattr(days, counter_attribute(k)).add(v) for k, v in counters.items()
                    ]
                    actions.append(days.expires_at.set(days.expires_at | expires))
                    transaction.update(day_item, actions=actions)
        except TransactWriteError as exc:
            if exc.cause_response_code == "TransactionCanceledException":
                raise ContributionConflict(order_id) from exc
            raise

    # exemptions and cleaning periods -------------------------------------------------
    def _exemption_item(self, order_id: str, record: ExemptionRecord, at: datetime) -> FactModel:
        """The record that ``record.unit`` leaves ``record.metric`` (see
        ``write_contribution``, which writes it)."""
        return self.facts(
            f"ORDER#{order_id}",
            f"EXEMPT#{record.unit}#{record.metric}",
            type="exemption",
            data={
                "unit": record.unit,
                "metric": record.metric,
                "complaint_id": record.complaint_id,
                "applied_at": to_iso(at),
            },
            recorded_at=at,
            expires_at=at + self.retention,
        )

    def buyer_orders_page(
        self,
        buyer_id: str,
        seller_id: str,
        since: datetime,
        until: datetime,
        after: dict[str, str] | None,
        limit: int,
    ) -> tuple[list[ActivityEntry], bool]:
        """One Query of the buyer's activity placed in [since, until] (index ``by_buyer``),
        from just after position ``after``: up to ``limit`` entries in index order, each
        with its position and, for an order at ``seller_id``, its id; and whether more may
        follow.  Positions hold the item's table and index keys, so a Query resumes exactly
        after any entry, also among entries of the same second (index keys need not be
        unique)."""
        condition = self.facts.activity_key.between(f"{to_iso(since)}#", f"{to_iso(until)}#~")
        start = {k: {"S": v} for k, v in after.items()} if after else None
        found = self.facts.by_buyer.query(
            buyer_id,
            range_key_condition=condition,
            last_evaluated_key=start,
            limit=limit,
            page_size=limit,
        )
        entries = []
        for item in found:
            position = {
                "pk": item.pk,
                "sk": item.sk,
                "buyer_key": item.buyer_key or buyer_id,
                "activity_key": item.activity_key or "",
            }
            is_order = item.sk == "ORDER#" and item.seller_key == seller_id
            order_id = item.pk.removeprefix("ORDER#") if is_order else None
            entries.append(ActivityEntry(position, order_id))
        return entries, len(entries) == limit and found.last_evaluated_key is not None

    def put_cleaning_period(self, seller_id: str, buyer_id: str, window: CleaningPeriod) -> None:
        self.facts(
            f"CLEANING_PERIOD#{seller_id}#{buyer_id}",
            f"CLEANING_PERIOD#{window.complaint_id}",
            type="cleaning_period",
            data={
                "complaint_id": window.complaint_id,
                "start": to_iso(window.start),
                "end": to_iso(window.end),
            },
            expires_at=window.end + self.retention,
        ).save()

    def cleaning_periods(self, seller_id: str, buyer_id: str) -> list[CleaningPeriod]:
        return [
            CleaningPeriod(d["complaint_id"], parse_iso(d["start"]), parse_iso(d["end"]))
            for d in (i.data for i in self.facts.query(f"CLEANING_PERIOD#{seller_id}#{buyer_id}"))
        ]

    # a seller's counters and exemption log -------------------------------------------
    def day_counters(self, seller_id: str, first: date, last: date) -> dict[date, dict[str, int]]:
        """Counters of the days in [first, last]: one Query, at most one item per day."""
        condition = self.days.sk.between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}")  # type: ignore[attr-defined]
        found: dict[date, dict[str, int]] = {}
        for item in self.days.query(f"METRICS#{seller_id}", range_key_condition=condition):
            found[date.fromisoformat(item.sk[4:])] = {  # type: ignore[attr-defined]
                key: int(getattr(item, counter_attribute(key)) or 0) for key in COUNTER_KEYS
            }
        return found

    def start_exemption_log(
        self, seller_id: str, complaint_id: str, at: datetime, entry: dict[str, Any]
    ) -> dict[str, Any]:
        """Create the complaint's exemption log entry once; return the stored entry (so a
        re-run after a crash keeps the first run's "before" values).  Its key stays the
        complaint's, so a re-run finds it; ``log_key`` places it in ``exemption_log``."""
        item = self.exemption_log_item(seller_id, complaint_id, at, entry)
        try:
            item.save(condition=self.facts.pk.does_not_exist())
        except PutError as exc:
            if not conditional_failed(exc):
                raise
            return dict(self.facts.get(item.pk, item.sk, consistent_read=True).data or {})
        return entry

    def exemption_log_item(
        self, seller_id: str, complaint_id: str, at: datetime, entry: dict[str, Any]
    ) -> FactModel:
        """The log entry's item as ``start_exemption_log`` writes it (the bench seeds logs
        with it)."""
        return self.facts(
            f"METRICS#{seller_id}",
            f"EXEMPTION#{complaint_id}",
            type="exemption_log",
            data=entry,
            log_seller=seller_id,
            log_key=log_key(entry.get("effective_at") or to_iso(at), complaint_id),
            recorded_at=at,
            expires_at=at + self.retention,
        )

    def finish_exemption_log(
        self, seller_id: str, complaint_id: str, entry: dict[str, Any]
    ) -> None:
        """The finished entry, moved in ``exemption_log`` to its ``effective_at``."""
        facts = self.facts
        facts(f"METRICS#{seller_id}", f"EXEMPTION#{complaint_id}").update(
            actions=[
                facts.data.set(entry),
                facts.log_seller.set(seller_id),
                facts.log_key.set(log_key(entry["effective_at"], complaint_id)),
            ]
        )

    def exemption_log(
        self, seller_id: str, *, since: datetime, limit: int, after_key: str | None = None
    ) -> ExemptionLogPage:
        """The seller's exemptions that took effect at or after ``since``, newest first, a
        page of ``limit`` after position ``after_key``: one Query on ``exemption_log``
        (``limit + 1`` entries: is there another page?)."""
        upper = "~" if after_key is None else after_key
        # inclusive: after a cursor, the cursor's own entry comes back first
        wanted = limit + 1 + (1 if after_key is not None else 0)
        found = self.facts.exemption_log.query(
            seller_id,
            range_key_condition=self.facts.log_key.between(f"{to_iso(since)}#", upper),
            scan_index_forward=False,
            limit=wanted,
            page_size=wanted,
        )
        page = [i for i in found if i.log_key != after_key][: limit + 1]
        last_key = page[limit - 1].log_key if len(page) > limit else None
        return ExemptionLogPage([dict(i.data or {}) for i in page[:limit]], last_key)
