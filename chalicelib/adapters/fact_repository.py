"""The facts repository: platform facts at their latest version, and activity windows.
Storage failures reach the callers as domain errors (``adapters/storage_errors.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any, Literal, NamedTuple

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.codecs import conditional_failed
from chalicelib.adapters.models import FactModel, fact_model
from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.config import Settings
from chalicelib.domain.buyer_activity import (
    Cell,
    DayKey,
    cells_from_data,
    cells_to_data,
)
from chalicelib.domain.errors import ContributionConflict
from chalicelib.domain.facts import (
    DisputeData,
    FactEvent,
    OrderData,
    OrderFacts,
    OrderSummary,
    ReviewData,
    order_facts,
    stored_payload,
)
from chalicelib.domain.timeutil import to_iso

ApplyResult = Literal["accepted", "duplicate", "stale"]


class StoredCells(NamedTuple):
    """A fact's counters in its buyer's day items, as last written (``ACTIVITY#`` item):
    the fact version they are of, and the item's revision."""

    cells: frozenset[Cell]
    fact_version: int
    revision: int


class ActivityPartition(NamedTuple):
    """An order partition's activity facts (order, disputes, reviews) by sort key, each
    with its stored version, and their counters as last written, by the fact's sort key."""

    facts: dict[str, tuple[OrderData | DisputeData | ReviewData, int]]
    stored: dict[str, StoredCells]


#: Sort-key prefix of a fact's counters item in its order's partition.
ACTIVITY_PREFIX = "ACTIVITY#"


def buyer_days_key(buyer_id: str, seller_id: str | None) -> str:
    """The partition of a buyer's day counters, or of the buyer's at one seller."""
    if seller_id is None:
        return f"BUYER_DAYS#{buyer_id}"
    return f"BUYER_SELLER_DAYS#{buyer_id}#{seller_id}"


class OrderPage(NamedTuple):
    items: list[OrderSummary]
    last_key: str | None  # position (``seller_order_key``) of the last item when more follow


def _payload(item: FactModel) -> Any | None:
    return stored_payload(item.sk, item.data)


def facts_from_items(items: list[FactModel]) -> OrderFacts:
    return order_facts(_payload(item) for item in items)


@translates_storage_errors
class FactRepository:
    def __init__(self, settings: Settings) -> None:
        self.model = fact_model(settings)
        self.retention = timedelta(days=settings.retention_days)
        self.marker_ttl = timedelta(days=settings.event_marker_days)

    def _marker_key(self, event_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", "EVENT"

    def apply(self, event: FactEvent, now: datetime) -> ApplyResult:
        """Store the entity if the event is new and its version newer than the stored one.

        The event id is claimed first, by a conditional put of its marker, which records
        what the event says (``FactEvent.fingerprint``).  An id claimed before is a
        ``duplicate`` whatever the event says now — another version, other content, another
        entity — and changes nothing.  Then the entity is written if its version is newer,
        else the event is ``stale``.

        A crash between the two writes is repaired when the same event comes again: its
        marker says the same, the entity is not stored at its version yet, so it is written
        then (``accepted``).  Requests: two writes when accepted; three otherwise.
        """
        try:
            self._marker(event, now).save(condition=self.model.pk.does_not_exist())
        except PutError as exc:
            if not conditional_failed(exc):
                raise
            if self._claimed_by_the_same_event(event) and self._store(event, now):
                return "accepted"
            return "duplicate"
        if self._store(event, now):
            return "accepted"
        stored = self.model.get(event.partition, event.sort_key, consistent_read=True)
        # this very event, stored before its marker expired (EVENT_MARKER_DAYS): a redelivery
        return "duplicate" if stored.event_id == event.event_id else "stale"

    def item_for(self, event: FactEvent, now: datetime) -> FactModel:
        """The item that stores ``event``'s entity, with the attributes of the indexes it
        belongs to: ``by_buyer`` (orders, disputes, reviews) and ``seller_orders`` (orders)."""
        activity = event.activity_key
        return self.model(
            event.partition,
            event.sort_key,
            type=event.type,
            version=event.version,
            event_id=event.event_id,
            data=event.data,
            buyer_key=event.buyer_id if activity else None,
            seller_key=event.seller_id if activity else None,
            activity_key=activity,
            order_key=event.seller_order_key,
            order_status=getattr(event.payload, "status", None) if event.type == "order" else None,
            recorded_at=now,
            occurred_at=event.occurred_at,
            expires_at=(event.activity_time or event.occurred_at) + self.retention,
        )

    def _store(self, event: FactEvent, now: datetime) -> bool:
        """Write the entity unless a version as new is stored: whether it was written."""
        item = self.item_for(event, now)
        try:
            item.save(
                condition=self.model.pk.does_not_exist() | (self.model.version < event.version)
            )
        except PutError as exc:
            if not conditional_failed(exc):
                raise
            return False
        return True

    def _marker(self, event: FactEvent, now: datetime) -> FactModel:
        pk, sk = self._marker_key(event.event_id)
        return self.model(
            pk,
            sk,
            type="event",
            version=event.version,
            event_id=event.event_id,
            data={"fingerprint": event.fingerprint},
            recorded_at=now,
            expires_at=now + self.marker_ttl,
        )

    def _claimed_by_the_same_event(self, event: FactEvent) -> bool:
        """Whether the stored marker of ``event``'s id records this very event (a
        redelivery), not another event under a reused id."""
        try:
            marker = self.model.get(*self._marker_key(event.event_id), consistent_read=True)
        except self.model.DoesNotExist:  # expired between the two requests: nothing to repair
            return False
        return (marker.data or {}).get("fingerprint") == event.fingerprint

    def stored_order(self, order_id: str) -> OrderData | None:
        """The order as stored (one strongly consistent GetItem), None when not known."""
        try:
            item = self.model.get(f"ORDER#{order_id}", "ORDER#", consistent_read=True)
        except self.model.DoesNotExist:
            return None
        payload = _payload(item)
        return payload if isinstance(payload, OrderData) else None

    def order_items(self, order_id: str) -> list[FactModel]:
        """Every item of an order's partition: one strongly consistent Query."""
        return list(self.model.query(f"ORDER#{order_id}", consistent_read=True))

    def order_facts(self, order_id: str) -> OrderFacts:
        """The order and its disputes, reviews and messages: one Query."""
        return facts_from_items(self.order_items(order_id))

    def orders_for_seller(
        self,
        seller_id: str,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        after_key: str | None = None,
    ) -> OrderPage:
        """The seller's orders placed in [since, until], newest first: one Query on the
        sparse ``seller_orders`` index, reading ``limit + 1`` items (plus the cursor's own)
        to know whether another page follows — whatever the seller's volume."""
        upper = f"{to_iso(until)}#~"
        if after_key is not None:
            upper = min(upper, after_key)
        # The range is inclusive, so after a cursor the cursor's own item comes back first.
        wanted = limit + 1 + (1 if after_key is not None else 0)
        found = self.model.seller_orders.query(
            seller_id,
            range_key_condition=self.model.order_key.between(f"{to_iso(since)}#", upper),
            scan_index_forward=False,
            limit=wanted,
            page_size=wanted,
        )
        page = list(islice((i for i in found if i.order_key != after_key), limit + 1))
        items = [
            OrderSummary(
                order_id=item.pk.removeprefix("ORDER#"),
                buyer_id=item.buyer_key or "",
                status=item.order_status or "",
                placed_at=datetime.fromisoformat(str(item.order_key).split("#", 1)[0]),
            )
            for item in page[:limit]
        ]
        last_key = page[limit - 1].order_key if len(page) > limit else None
        return OrderPage(items=items, last_key=last_key)

    def buyer_activity(self, buyer_id: str, low: str, high: str) -> list[Any]:
        """A buyer's orders, disputes and reviews whose ``by_buyer`` key is in [low, high]
        (``domain.buyer_activity.activity_range``): one Query (more only past 1 MB)."""
        condition = self.model.activity_key.between(low, high)
        found = (
            _payload(item)
            for item in self.model.by_buyer.query(buyer_id, range_key_condition=condition)
        )
        return [payload for payload in found if payload is not None]

    def buyer_activity_page(
        self, buyer_id: str, low: str, high: str, limit: int
    ) -> tuple[list[Any], bool]:
        """The first ``limit`` ``by_buyer`` items with keys in [low, high] (oldest first), as
        facts, and whether they are all there are (fewer than ``limit`` read): one Query
        with ``Limit`` (more only past 1 MB).  ``limit`` items read means "maybe more", even
        if none follows — DynamoDB cannot tell either without reading further."""
        found = self.model.by_buyer.query(
            buyer_id,
            range_key_condition=self.model.activity_key.between(low, high),
            limit=limit,
            page_size=limit,
        )
        items = list(found)
        facts = [payload for payload in map(_payload, items) if payload is not None]
        return facts, len(items) < limit

    # a buyer's day counters ------------------------------------------------------------
    def buyer_days(
        self, buyer_id: str, seller_id: str | None, first: date, last: date
    ) -> dict[date, dict[str, int]]:
        """The buyer's day counters (at ``seller_id``, if given) of the days in [first,
        last]: one Query, one small item per day with activity.  The counters are
        attributes named by key, which a model does not declare: read through the
        low-level connection."""
        connection = self.model._get_connection()
        condition = Path("sk").between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}")
        found: dict[date, dict[str, int]] = {}
        start = None
        while True:
            page = connection.query(
                buyer_days_key(buyer_id, seller_id),
                range_key_condition=condition,
                exclusive_start_key=start,
            )
            for item in page.get("Items", []):
                day = date.fromisoformat(item["sk"]["S"].removeprefix("DAY#"))
                found[day] = {
                    name: int(value["N"])
                    for name, value in item.items()
                    if "|" in name and "N" in value
                }
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    @staticmethod
    def activity_partition(items: list[FactModel]) -> ActivityPartition:
        """Interpret an order partition (``order_items``) for the buyer's day counters."""
        facts: dict[str, tuple[Any, int]] = {}
        stored: dict[str, StoredCells] = {}
        for item in items:
            if item.sk.startswith(ACTIVITY_PREFIX):
                data = item.data or {}
                stored[item.sk.removeprefix(ACTIVITY_PREFIX)] = StoredCells(
                    cells_from_data(data.get("cells") or []),
                    int(data.get("fact_version") or 0),
                    int(item.version or 0),
                )
                continue
            payload = _payload(item)
            if isinstance(payload, OrderData | DisputeData | ReviewData):
                facts[item.sk] = (payload, int(item.version or 0))
        return ActivityPartition(facts, stored)

    def write_activity(
        self,
        order_id: str,
        fact_key: str,
        old: StoredCells | None,
        new: frozenset[Cell],
        fact_version: int,
        deltas: dict[DayKey, dict[str, int]],
    ) -> None:
        """Store the fact's counters ``new`` (of its version ``fact_version``) and add
        ``deltas`` to the buyer's day items, in one transaction, only if the stored counters
        are still ``old`` (``ContributionConflict`` otherwise: read again).  Day items
        expire with the facts of their day (``RETENTION_DAYS``)."""
        revision = 0 if old is None else old.revision
        # kept as long as the fact (its day's end + retention), so a later version finds it
        when = max((c.day for c in new), default=None)
        item = self.model(
            f"ORDER#{order_id}",
            f"{ACTIVITY_PREFIX}{fact_key}",
            type="activity_counters",
            version=revision + 1,
            data={"cells": cells_to_data(new), "fact_version": fact_version},
            expires_at=_day_start(when) + timedelta(days=1) + self.retention if when else None,
        )
        condition = (
            self.model.pk.does_not_exist() if old is None else self.model.version == revision
        )
        try:
            connection = self.model._get_connection().connection
            with TransactWrite(connection=connection) as transaction:
                transaction.save(item, condition=condition)
                for (buyer_id, seller_id, day), counters in deltas.items():
                    day_item = self.model(buyer_days_key(buyer_id, seller_id), f"DAY#{day}")
                    expires = _day_start(day) + self.retention
                    actions: list[Any] = [Path([k]).add(v) for k, v in counters.items()]
                    actions.append(self.model.expires_at.set(self.model.expires_at | expires))
                    transaction.update(day_item, actions=actions)
        except TransactWriteError as exc:
            if exc.cause_response_code == "TransactionCanceledException":
                raise ContributionConflict(order_id) from exc
            raise


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
