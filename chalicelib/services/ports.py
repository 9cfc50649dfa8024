"""What the services need from storage and messaging: small interfaces (``Protocol``s), one
per role, and the bundle services take (``Ports``).

Services import storage types from here, never from ``chalicelib.adapters``.  Two kinds of
implementation satisfy these interfaces structurally (no inheritance):

* the DynamoDB, SNS and SQS adapters (``chalicelib.adapters``; ``Adapters`` is a ``Ports``);
* the in-memory fakes of the tests (``tests/fakes.py``), which fast service tests use.

Both pass the same contract tests (``tests/integration/test_repository_contracts.py``), so
a service tested with the fakes behaves the same on DynamoDB.  mypy checks that both
satisfy the interfaces.

The records a repository returns (``Page``, ``StoredComplaint``, ``OrderPartition``, ...)
and ``ContributionConflict`` are defined with the DynamoDB adapters and re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import IO, Any, Protocol

from chalicelib.adapters.complaint_repository import (
    NO_FILTER,
    ComplaintRef,
    DueEntry,
    DuePage,
    ExportPage,
    ListFilter,
    Page,
    StoredComplaint,
)
from chalicelib.adapters.fact_repository import (
    ActivityPartition,
    ApplyResult,
    OrderPage,
    StoredCells,
)
from chalicelib.adapters.files import StoredFile
from chalicelib.adapters.metrics_repository import (
    ActivityEntry,
    ExemptionLogPage,
    ExemptionRecord,
    OrderPartition,
    StoredContribution,
)
from chalicelib.adapters.parameters import StoredSecret
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.buyer_activity import Cell, DayKey
from chalicelib.domain.complaints import Complaint
from chalicelib.domain.errors import ContributionConflict
from chalicelib.domain.facts import FactEvent, OrderData, OrderFacts
from chalicelib.domain.metrics import CleaningPeriod, Contribution
from chalicelib.domain.sla_days import DaySummary, DecisionSample
from chalicelib.domain.sweep_work import MESSAGES_PER_REQUEST, SweepMessage

__all__ = [
    "MESSAGES_PER_REQUEST",
    "NO_FILTER",
    "ActivityEntry",
    "ActivityPartition",
    "AppealStore",
    "ApplyResult",
    "AttachmentStore",
    "BuyerActivityReader",
    "BuyerDayCounters",
    "CleaningPeriods",
    "ComplaintLookup",
    "ComplaintRef",
    "ComplaintRefs",
    "ComplaintStore",
    "ContributionConflict",
    "ContributionStore",
    "DecisionStore",
    "DueEntry",
    "DueIndex",
    "DuePage",
    "EventPublisher",
    "ExemptionLogPage",
    "ExemptionQueue",
    "ExemptionRecord",
    "ExemptionWork",
    "ExportFiles",
    "ExportPage",
    "FactLog",
    "FactStore",
    "FileStore",
    "KeySetSource",
    "ListFilter",
    "MetricsReader",
    "MetricsStore",
    "NewComplaints",
    "OrderFactsReader",
    "OrderPage",
    "OrderPartition",
    "Outbox",
    "Page",
    "PartitionItems",
    "Ports",
    "Recategorisation",
    "ReviewQueue",
    "SecretStore",
    "SellerComplaints",
    "SellerExport",
    "SellerOrders",
    "SlaFigures",
    "SlowestDecisions",
    "StoredCells",
    "StoredComplaint",
    "StoredContribution",
    "StoredFile",
    "StoredSecret",
    "SweepMessage",
    "UpheldElsewhere",
    "WorkQueue",
]

#: The raw items of an order's partition (``OrderFactsReader.order_items``): opaque to the
#: services, which only hand them to ``ContributionStore.partition_from_items`` of the same
#: storage.
PartitionItems = list[Any]


# --------------------------------------------------------------------------- complaints


class ComplaintLookup(Protocol):
    """One complaint by id (None when missing or not an id's shape)."""

    def get(self, complaint_id: str) -> Complaint | None: ...


class ComplaintRefs(Protocol):
    """Which of some complaint ids (at most 100) are stored, and whose (one BatchGetItem):
    e.g. the complaints of one order in each scenario, by ``complaint_id_for``."""

    def refs(self, complaint_ids: Sequence[str]) -> list[ComplaintRef]: ...


class NewComplaints(Protocol):
    """Filing: each (order, scenario) once — a second ``add`` raises ``DuplicateComplaint``."""

    def add(
        self,
        complaint: Complaint,
        *,
        sweep_at: datetime | None,
        outbox: dict[str, dict[str, Any]] | None = None,
    ) -> None: ...


class SellerComplaints(Protocol):
    """A seller's complaints submitted in [since, until], newest first, paged by key."""

    def list_for_seller(
        self,
        seller_id: str,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        after_key: str | None = None,
        filters: ListFilter = NO_FILTER,
    ) -> Page: ...


class SellerExport(Protocol):
    """All of a seller's complaints submitted in [since, until], newest first, a fixed
    number of storage requests per page (``start``: the previous page's ``next_start``)."""

    def export_page(
        self, seller_id: str, *, since: datetime, until: datetime, start: Any = None
    ) -> ExportPage: ...


class UpheldElsewhere(Protocol):
    """Scenario -> other sellers whose complaint against a buyer was upheld since ``since``."""

    def upheld_against_buyer(
        self, buyer_id: str, *, since: datetime, excluding_seller: str
    ) -> dict[str, frozenset[str]]: ...


class Outbox(Protocol):
    """Events written with a state change, taken out once published."""

    def event_delivered(
        self, complaint: Complaint, kind: str, next_sweep_at: datetime | None
    ) -> None: ...


class DecisionStore(ComplaintLookup, UpheldElsewhere, Outbox, Protocol):
    """State changes of a stored complaint, each conditional: deciding a complaint that is
    no longer pending, or escalating one twice, raises ``Conflict``."""

    def save_decision(self, decided: Complaint, event: dict[str, Any], now: datetime) -> None: ...

    def save_escalation(
        self, escalated: Complaint, event: dict[str, Any], now: datetime
    ) -> None: ...


class AppealStore(ComplaintLookup, Outbox, Protocol):
    """Reopening a rejected complaint for its one appeal (conditional: ``Conflict``
    ``already_appealed`` / ``complaint_changed`` when it changed meanwhile)."""

    def save_appeal(self, appealed: Complaint, event: dict[str, Any], now: datetime) -> None: ...


class Recategorisation(ComplaintLookup, UpheldElsewhere, Outbox, Protocol):
    """Moving a pending complaint to its new id in one atomic step: ``Conflict``
    (``not_pending``, ``complaint_changed``) when it changed meanwhile,
    ``DuplicateComplaint`` when the new id is taken."""

    def move(
        self, old: Complaint, moved: Complaint, event: dict[str, Any], now: datetime
    ) -> None: ...


class DueIndex(Protocol):
    """The sweep's work queue: complaints whose sweep time has come, by write shard."""

    def shard_names(self) -> list[str]: ...

    def due_page(
        self, shard: str, until: datetime, after: DueEntry | None = None, limit: int | None = None
    ) -> DuePage: ...

    def get_stored(self, complaint_id: str) -> StoredComplaint | None: ...

    def reschedule(self, complaint: Complaint, at: datetime | None) -> None: ...


class ReviewQueue(Protocol):
    """Pending complaints, earliest deadline first, paged by key."""

    def review_queue(self, limit: int, after_key: str | None = None) -> Page: ...


class SlaFigures(Protocol):
    """What the SLA report reads: counts of the review queue now, and the per-day figures
    of decisions (``domain/sla_days.py``) — each decision is added to its day's figures in
    the same atomic write that stores it (``add`` of a complaint the rules decide,
    ``save_decision``), once."""

    def pending_counts(self, now: datetime) -> dict[str, int]:
        """``pending`` and ``escalated`` complaints — counters (``domain/queue_counts.py``)
        moved in the same atomic write as each change of a complaint's pending state
        (``add``, ``save_escalation``, ``save_decision``, ``save_appeal``), once — and
        ``overdue`` ones (pending with ``due_at`` before ``now``).  A fixed number of
        requests whatever is pending, plus what is overdue."""
        ...

    def sla_days(self, first: date, last: date) -> dict[date, DaySummary]: ...


class SlowestDecisions(Protocol):
    """The exact slowest decision of each day: recorded when the decision's event is
    delivered (again on a redelivery — it is idempotent), apart from the counters, which
    DynamoDB can add to but not take a maximum of."""

    def record_slowest(self, sample: DecisionSample) -> None: ...


class ExemptionQueue(Outbox, Protocol):
    """Upheld complaints whose exemption is not applied yet, and the job's state on them."""

    def shard_names(self) -> list[str]: ...

    def exemptions_due(self, shard: str, limit: int) -> list[tuple[str, str]]: ...

    def get_stored(self, complaint_id: str) -> StoredComplaint | None: ...

    def clear_exemption_due(self, complaint_id: str) -> None: ...

    def save_exemption_progress(self, complaint_id: str, progress: dict[str, Any]) -> None: ...

    def record_exemption_failure(self, complaint_id: str) -> int: ...

    def mark_exemption_alerted(self, complaint_id: str, now: datetime) -> bool: ...

    def mark_exemption_applied(
        self, applied: Complaint, event: dict[str, Any], now: datetime
    ) -> None: ...


class AttachmentStore(ComplaintLookup, Protocol):
    """A complaint's evidence files (``domain/attachments.py``), each change conditional:
    ``add_attachment`` only while pending and with room (removing the stale entries
    ``replacing`` names), ``verify_attachment`` only while the entry awaits its upload;
    else ``Conflict`` (``not_pending``, ``attachments_changed``, ``attachment_verified``,
    ``attachment_gone``)."""

    def add_attachment(
        self, complaint: Complaint, attachment: Attachment, *, replacing: list[str]
    ) -> None: ...

    def verify_attachment(self, complaint_id: str, verified: Attachment) -> None: ...


class ComplaintStore(
    NewComplaints,
    AttachmentStore,
    ComplaintRefs,
    SellerComplaints,
    SellerExport,
    DecisionStore,
    AppealStore,
    Recategorisation,
    DueIndex,
    ReviewQueue,
    SlaFigures,
    SlowestDecisions,
    ExemptionQueue,
    Protocol,
):
    """Every role of the complaints table (``Ports.complaints``)."""


# --------------------------------------------------------------------------- facts


class OrderFactsReader(Protocol):
    """An order's partition: its facts (one read), or its raw items for the metrics."""

    def order_facts(self, order_id: str) -> OrderFacts: ...

    def order_items(self, order_id: str) -> PartitionItems: ...


class SellerOrders(Protocol):
    """A seller's orders placed in [since, until], newest first, paged by key (one Query)."""

    def orders_for_seller(
        self,
        seller_id: str,
        *,
        since: datetime,
        until: datetime,
        limit: int,
        after_key: str | None = None,
    ) -> OrderPage: ...


class BuyerActivityReader(Protocol):
    """A buyer's activity as the assessment reads it (``domain/buyer_activity.py``): the
    first ``limit`` orders, disputes and reviews (``by_buyer`` items, oldest first) whose
    key is in [low, high] and whether that is all of them (one Query); all of them in
    [low, high] (one day at most, so one Query); and the buyer's day counters (at one
    seller, or overall) of the days in [first, last] (one Query, an item per day)."""

    def buyer_activity_page(
        self, buyer_id: str, low: str, high: str, limit: int
    ) -> tuple[list[Any], bool]: ...

    def buyer_activity(self, buyer_id: str, low: str, high: str) -> list[Any]: ...

    def buyer_days(
        self, buyer_id: str, seller_id: str | None, first: date, last: date
    ) -> dict[date, dict[str, int]]: ...


class BuyerDayCounters(Protocol):
    """Keeping the buyer's day counters true to the facts: each fact's counters and the
    deltas they cause are written together, only if the stored counters are still the ones
    read (else ``ContributionConflict``)."""

    def order_items(self, order_id: str) -> PartitionItems: ...

    def activity_partition(self, items: PartitionItems) -> ActivityPartition: ...

    def write_activity(
        self,
        order_id: str,
        fact_key: str,
        old: StoredCells | None,
        new: frozenset[Cell],
        fact_version: int,
        deltas: dict[DayKey, dict[str, int]],
    ) -> None: ...


class FactLog(Protocol):
    """Incoming facts: an event id counts once (``duplicate`` after, whatever it says); an
    entity moves only to newer versions (``stale`` otherwise)."""

    def apply(self, event: FactEvent, now: datetime) -> ApplyResult: ...

    def stored_order(self, order_id: str) -> OrderData | None: ...


class FactStore(
    OrderFactsReader, SellerOrders, BuyerActivityReader, BuyerDayCounters, FactLog, Protocol
):
    """Every role of the facts the services read and write (``Ports.facts``)."""


# --------------------------------------------------------------------------- metrics


class CleaningPeriods(Protocol):
    def cleaning_periods(self, seller_id: str, buyer_id: str) -> list[CleaningPeriod]: ...


class ContributionStore(CleaningPeriods, Protocol):
    """Units' contributions and the day counters they move, written together and only if
    the stored contribution is still the one read (else ``ContributionConflict``)."""

    def partition_from_items(self, items: PartitionItems) -> OrderPartition: ...

    def write_contribution(
        self,
        order_id: str,
        old: StoredContribution | None,
        new: Contribution | None,
        deltas: dict[tuple[str, date], dict[str, int]],
        exemptions: Sequence[ExemptionRecord] = (),
        at: datetime | None = None,
    ) -> None: ...


class MetricsReader(Protocol):
    """A seller's day counters and exemption log."""

    def day_counters(
        self, seller_id: str, first: date, last: date
    ) -> dict[date, dict[str, int]]: ...

    def exemption_log(
        self, seller_id: str, *, since: datetime, limit: int, after_key: str | None = None
    ) -> ExemptionLogPage:
        """Entries that took effect at or after ``since``, newest first, ``limit`` per page
        (``after_key``: the previous page's ``last_key``); one storage request."""
        ...


class ExemptionWork(Protocol):
    """What the exemption job writes besides contributions: the log entry (created once),
    cleaning periods, and the buyer's orders it pages through."""

    def start_exemption_log(
        self, seller_id: str, complaint_id: str, at: datetime, entry: dict[str, Any]
    ) -> dict[str, Any]: ...

    def finish_exemption_log(
        self, seller_id: str, complaint_id: str, entry: dict[str, Any]
    ) -> None: ...

    def put_cleaning_period(
        self, seller_id: str, buyer_id: str, window: CleaningPeriod
    ) -> None: ...

    def buyer_orders_page(
        self,
        buyer_id: str,
        seller_id: str,
        since: datetime,
        until: datetime,
        after: dict[str, str] | None,
        limit: int,
    ) -> tuple[list[ActivityEntry], bool]: ...


class MetricsStore(ContributionStore, MetricsReader, ExemptionWork, Protocol):
    """Every role of the metrics storage (``Ports.metrics``)."""


# --------------------------------------------------------------------------- files


class FileStore(Protocol):
    """The files bucket: presigned uploads and downloads (signed locally, no request), and
    the service's own reads, tags and deletes of uploads."""

    def upload_form(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> dict[str, Any]: ...

    def read(self, key: str, max_bytes: int, head_bytes: int) -> StoredFile | None: ...

    def mark_verified(self, key: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def download_url(self, key: str, content_type: str, expires_in: int) -> str: ...


# --------------------------------------------------------------------------- messaging


class EventPublisher(Protocol):
    """Complaint events out (at least once; subscribers de-duplicate on ``event_id``)."""

    def publish(self, event: dict[str, Any]) -> None: ...


class WorkQueue(Protocol):
    """Complaint ids the sweep hands to its workers: at most ``MESSAGES_PER_REQUEST``
    messages per call, one request."""

    def send(self, messages: Sequence[SweepMessage]) -> None: ...


# --------------------------------------------------------------------------- files


class ExportFiles(Protocol):
    """Export files in the private files bucket: stored once, then fetched only through a
    short-lived link (presigned GET) that downloads them under ``filename``."""

    def save_export(self, key: str, body: IO[bytes], *, content_type: str) -> None: ...

    def export_link(self, key: str, *, filename: str, expires_in: timedelta) -> str: ...


# --------------------------------------------------------------------------- keys


class SecretStore(Protocol):
    """Named secrets with their versions (SSM Parameter Store SecureString parameters)."""

    def read(self, name: str) -> StoredSecret: ...

    def read_version(self, name: str, version: int) -> str | None: ...


class KeySetSource(Protocol):
    """An identity provider's published signing keys (a JWKS document) at a URL."""

    def fetch(self, url: str) -> dict[str, Any]: ...


# --------------------------------------------------------------------------- the bundle


class Ports(Protocol):
    """What a use case that spans storages takes: ``chalicelib.adapters.wiring.Adapters``
    in the app, the in-memory fakes in fast tests.  Read-only, so any record with these
    fields (a ``NamedTuple``) is one."""

    @property
    def complaints(self) -> ComplaintStore: ...

    @property
    def facts(self) -> FactStore: ...

    @property
    def metrics(self) -> MetricsStore: ...

    @property
    def publisher(self) -> EventPublisher: ...

    @property
    def sweep_queue(self) -> WorkQueue | None: ...
