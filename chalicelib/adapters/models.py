"""PynamoDB table definitions — the same definitions create the local/test tables.

PynamoDB fixes ``Meta.table_name``/``Meta.host`` when a class is defined and caches its
connection on the class, so models are built by a factory per (table, endpoint, region)
instead of at import time.  The factory is cached: one class (and one connection) per
configuration, reused across warm Lambda invocations.

Tables
------
complaints (hash ``complaint_id``; the id is derived from (order, scenario), so a
conditional put on the key enforces "one complaint per order and scenario")
  * ``by_seller``  seller_id + list_key (``<submitted_at>#<complaint_id>``): a seller's list
    and export.  Keys only: a page reads its complaints by one BatchGetItem, so the many
    writes to a complaint (history, outbox, sweep time, exemption progress) are not copied
    into it — only the write that creates a complaint (or moves it to a new id) writes its
    entry.  A list row shows the whole complaint (history, decision, attachments), so an
    INCLUDE projection of it would still copy every state change (README, "The largest
    cost": measured, and where the list's extra reads would outweigh it).
  * ``by_buyer``   buyer_id + list_key: complaints against a buyer (other sellers' upholds).
  * ``due``        sweep_shard + sweep_at — sparse and write-sharded: present only while the
    SLA sweep has something to do for the complaint (escalate, decide, deliver an event).
  * ``review_queue`` queue_shard + queue_key (``<due_at>#<id>``) — sparse: pending only;
    projects only ``escalated_at`` (a page reads its complaints by one BatchGetItem).
  * ``by_seller_status`` seller_status (``<seller>#<status>``) + list_key, and
    ``by_seller_scenario`` seller_scenario (``<seller>#<scenario>#<status>``) + list_key:
    a seller's list filtered by status, by scenario and status (one Query), or by scenario
    (one Query per status, merged).  Keys only: the list reads the page's items by one
    BatchGetItem, so the many writes to a complaint (history, outbox, sweep time) are not
    copied into them — only the writes that create it or change its status move their
    entries.  ``list_key``'s complaint id makes positions unique across them.  Complaints
    stored before the indexes existed are not in them (no production data to backfill).
  * ``exemptions_due`` exempt_shard + exempt_due — sparse and write-sharded: upheld
    complaints whose metric exemption is not yet applied (the exemption job's work queue);
    the job's progress with a complaint is kept on its item (``exemption_progress``).

facts (hash ``pk``, range ``sk``; one partition per order holds the order and its disputes,
reviews and messages, plus each unit's metric contribution (``CONTRIB#``) and exemptions
(``EXEMPT#``); ``BUYER#`` partitions hold buyer profiles; ``EVENT#`` items are event-id
markers for idempotent ingestion; ``METRICS#<seller>`` partitions hold the seller's daily
metric counters (``DAY#<date>``, see ``MetricsDayModel``) and exemption log
(``EXEMPTION#<complaint id>``); ``CLEANING_PERIOD#<seller>#<buyer>`` partitions hold
cleaning periods;
``BUYER_DAYS#<buyer>`` and ``BUYER_SELLER_DAYS#<buyer>#<seller>`` partitions hold a buyer's
day counters (``DAY#<date>``: number attributes named by counter key, which no model
declares — ``domain/buyer_activity.py``), and each order, dispute and review has its
counters item ``ACTIVITY#<its sort key>`` in its order's partition; the ``SLA`` partition
holds the reviewers' per-day SLA figures (``DAY#<date>#<block>#<shard>``, see
``adapters/sla_days.py``))
  * ``by_buyer``   buyer_key + activity_key (``<time>#<TYPE>#<id>``): a buyer's orders,
    disputes and reviews in any time window — sparse, messages are not in it.
  * ``seller_orders`` seller_key + order_key (``<placed_at>#<order_id>``): a seller's orders
    by when they were placed (``GET /orders``) — sparse: ``order_key`` is set on order items
    only, so disputes, reviews, messages and metric items are not in it.  It projects what
    the list shows besides its keys (``buyer_key``, ``order_status``).  Orders stored before
    the index existed enter it when they are ingested again (any newer version).
  * ``exemption_log`` log_seller + log_key (``<effective_at>#<complaint_id>``): a seller's
    exemption log newest first, a page per Query (the log items' own keys follow complaint
    ids, which the job's "create once" needs) — sparse: exemption log items only, which it
    copies whole (``data``: what a page shows).  Entries written before the index existed
    enter it when the job finishes them again; finished ones are not in it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model

from chalicelib.adapters.documents import DocumentListAttribute, DocumentMapAttribute
from chalicelib.config import Settings
from chalicelib.domain.metrics import METRIC_CODES


class ComplaintsBySeller(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_seller"
        projection = KeysOnlyProjection()

    seller_id = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class ComplaintsByBuyer(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_buyer"
        projection = IncludeProjection(["seller_id", "scenario", "status", "decided_at"])

    buyer_id = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class ComplaintsDue(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    sweep_shard = UnicodeAttribute(hash_key=True)
    sweep_at = UnicodeAttribute(range_key=True)


class ComplaintsReviewQueue(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "review_queue"
        #: keys and what the SLA report's counts filter on: a pending complaint is rewritten
        #: many times (history, outbox, sweep time), and the queue's counts read its entries
        projection = IncludeProjection(["escalated_at"])

    queue_shard = UnicodeAttribute(hash_key=True)
    queue_key = UnicodeAttribute(range_key=True)


class ComplaintsBySellerStatus(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_seller_status"
        projection = KeysOnlyProjection()

    seller_status = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class ComplaintsBySellerScenario(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_seller_scenario"
        projection = KeysOnlyProjection()

    seller_scenario = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class ComplaintsExemptionsDue(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "exemptions_due"
        projection = KeysOnlyProjection()

    exempt_shard = UnicodeAttribute(hash_key=True)
    exempt_due = UnicodeAttribute(range_key=True)


class ComplaintModel(Model):
    """Base class; ``complaint_model()`` returns a subclass bound to a table."""

    class Meta:
        abstract = True

    complaint_id = UnicodeAttribute(hash_key=True)
    seller_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    buyer_id = UnicodeAttribute()
    scenario = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    description = UnicodeAttribute()
    evidence = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    status = UnicodeAttribute()
    submitted_at = UTCDateTimeAttribute()
    due_at = UTCDateTimeAttribute()
    decided_at = UTCDateTimeAttribute(null=True)
    decision = DocumentMapAttribute(null=True)
    assessment = DocumentMapAttribute(null=True)
    escalated_at = UTCDateTimeAttribute(null=True)
    #: the seller's appeal of a rejection: statement, submitted_at, previous_decision
    appeal = DocumentMapAttribute(null=True)
    history = DocumentListAttribute(default=list)
    list_key = UnicodeAttribute()
    #: ``<seller>#<status>`` and ``<seller>#<scenario>#<status>``: the filtered lists' keys
    seller_status = UnicodeAttribute(null=True)
    seller_scenario = UnicodeAttribute(null=True)
    sweep_shard = UnicodeAttribute(null=True)
    sweep_at = UnicodeAttribute(null=True)
    queue_shard = UnicodeAttribute(null=True)
    queue_key = UnicodeAttribute(null=True)
    #: sparse: present while an upheld complaint's exemption is not yet applied
    exempt_shard = UnicodeAttribute(null=True)
    exempt_due = UnicodeAttribute(null=True)
    exemption = DocumentMapAttribute(null=True)
    #: how far the exemption job got with this complaint's units, saved after each step, and
    #: that progress's revision (each save is conditional on the one it read)
    exemption_progress = DocumentMapAttribute(null=True)
    exemption_rev = NumberAttribute(null=True)
    #: job steps that failed on this complaint (alerted once it reaches a limit)
    exemption_failures = NumberAttribute(null=True)
    exemption_alerted_at = UTCDateTimeAttribute(null=True)
    #: events written with a state change and not yet confirmed published, by kind
    outbox = DocumentMapAttribute(default=dict)
    expires_at = TTLAttribute(null=True)
    #: evidence files by attachment id (``domain.attachments.Attachment.as_dict``), and how
    #: many entries the map holds — kept by ADD in the same conditional write, so "at most
    #: 10" holds however many uploads race
    attachments = DocumentMapAttribute(null=True)
    attachment_count = NumberAttribute(null=True)
    by_seller = ComplaintsBySeller()
    by_buyer = ComplaintsByBuyer()
    due = ComplaintsDue()
    review_queue = ComplaintsReviewQueue()
    by_seller_status = ComplaintsBySellerStatus()
    by_seller_scenario = ComplaintsBySellerScenario()
    exemptions_due = ComplaintsExemptionsDue()


class FactsByBuyer(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_buyer"
        projection = AllProjection()

    buyer_key = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)


class FactsSellerOrders(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "seller_orders"
        projection = IncludeProjection(["buyer_key", "order_status"])

    seller_key = UnicodeAttribute(hash_key=True)
    order_key = UnicodeAttribute(range_key=True)


class FactsExemptionLog(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "exemption_log"
        projection = IncludeProjection(["data"])

    log_seller = UnicodeAttribute(hash_key=True)
    log_key = UnicodeAttribute(range_key=True)


class FactModel(Model):
    class Meta:
        abstract = True

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    event_id = UnicodeAttribute(null=True)
    data = DocumentMapAttribute(null=True)
    buyer_key = UnicodeAttribute(null=True)
    #: the fact's seller: tells a buyer's orders at one seller apart, and is the hash key of
    #: ``seller_orders`` (with ``order_key``, which only orders have)
    seller_key = UnicodeAttribute(null=True)
    activity_key = UnicodeAttribute(null=True)
    #: orders only: ``<placed_at>#<order_id>`` and the order's status, for ``seller_orders``
    order_key = UnicodeAttribute(null=True)
    order_status = UnicodeAttribute(null=True)
    recorded_at = UTCDateTimeAttribute(null=True)
    #: the stored version's event ``occurred_at`` (facts stored before it was kept: absent)
    occurred_at = UTCDateTimeAttribute(null=True)
    #: exemption log items only: the seller, and ``<effective_at>#<complaint_id>``
    log_seller = UnicodeAttribute(null=True)
    log_key = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    by_buyer = FactsByBuyer()
    seller_orders = FactsSellerOrders()
    exemption_log = FactsExemptionLog()


#: Daily counters: for each metric, numerator/denominator raw and kept after exemptions.
#: Top-level number attributes, because DynamoDB's ADD works only on top-level attributes.
COUNTER_KEYS = tuple(
    f"{metric}.{part}" for metric in METRIC_CODES for part in ("num", "den", "num_kept", "den_kept")
)


def counter_attribute(key: str) -> str:
    return key.replace(".", "__")


MetricsDayModel: type[Model] = type(
    "MetricsDayModel",
    (Model,),
    {
        "__module__": __name__,
        "__doc__": "A seller's metric counters for one day (in the facts table).",
        "Meta": type("Meta", (), {"abstract": True}),
        "pk": UnicodeAttribute(hash_key=True),
        "sk": UnicodeAttribute(range_key=True),
        "expires_at": TTLAttribute(null=True),
        **{counter_attribute(key): NumberAttribute(default=0) for key in COUNTER_KEYS},
    },
)


def _meta(table_name: str, host: str | None, region: str) -> type:
    attrs: dict[str, Any] = {"table_name": table_name, "region": region}
    if host:
        attrs["host"] = host
    return type("Meta", (), attrs)


@lru_cache(maxsize=16)
def _complaint_model(table_name: str, host: str | None, region: str) -> type[ComplaintModel]:
    return type("Complaints", (ComplaintModel,), {"Meta": _meta(table_name, host, region)})


@lru_cache(maxsize=16)
def _fact_model(table_name: str, host: str | None, region: str) -> type[FactModel]:
    return type("Facts", (FactModel,), {"Meta": _meta(table_name, host, region)})


@lru_cache(maxsize=16)
def _metrics_day_model(table_name: str, host: str | None, region: str) -> type[Model]:
    return type("MetricsDays", (MetricsDayModel,), {"Meta": _meta(table_name, host, region)})


def metrics_day_model(settings: Settings) -> type[Model]:
    return _metrics_day_model(settings.facts_table, settings.dynamodb_endpoint, settings.region)


def complaint_model(settings: Settings) -> type[ComplaintModel]:
    return _complaint_model(settings.complaints_table, settings.dynamodb_endpoint, settings.region)


def fact_model(settings: Settings) -> type[FactModel]:
    return _fact_model(settings.facts_table, settings.dynamodb_endpoint, settings.region)


def all_models(settings: Settings) -> list[type[Model]]:
    """Every model; the first one of each table defines it (keys and indexes)."""
    return [complaint_model(settings), fact_model(settings), metrics_day_model(settings)]


def create_tables(settings: Settings) -> None:
    """Create every table (idempotent) from the definitions above, on-demand billing."""
    for model in all_models(settings):
        if not model.exists():
            # local servers may lack UpdateTimeToLive; in AWS the template sets TTL
            model.create_table(
                billing_mode="PAY_PER_REQUEST", wait=True, ignore_update_ttl_errors=True
            )
