"""PynamoDB table definitions — the same definitions create the local/test tables.

PynamoDB fixes ``Meta.table_name``/``Meta.host`` when a class is defined and caches its
connection on the class, so models are built by a factory per (table, endpoint, region)
instead of at import time.  The factory is cached: one class (and one connection) per
configuration, reused across warm Lambda invocations.

Tables
------
complaints (hash ``complaint_id``; the id is derived from (order, scenario), so a
conditional put on the key enforces "one complaint per order and scenario")
  * ``by_seller``  seller_id + list_key (``<submitted_at>#<complaint_id>``): a seller's list.

facts (hash ``pk``, range ``sk``; one partition per order holds the order and its disputes,
reviews and messages; ``BUYER#`` partitions hold buyer profiles; ``EVENT#`` items are
event-id markers for idempotent ingestion)
  * ``by_buyer``   buyer_key + activity_key (``<time>#<TYPE>#<id>``): a buyer's orders,
    disputes and reviews in any time window — sparse, messages are not in it.
  * ``by_seller``  seller_key + activity_key: the same for a seller.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.config import Settings


class ComplaintsBySeller(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_seller"
        projection = AllProjection()

    seller_id = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


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
    decision = MapAttribute[str, Any](null=True)
    history = ListAttribute[Any](default=list)
    list_key = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    by_seller = ComplaintsBySeller()


class FactsByBuyer(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_buyer"
        projection = AllProjection()

    buyer_key = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)


class FactsBySeller(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_seller"
        projection = AllProjection()

    seller_key = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)


class FactModel(Model):
    class Meta:
        abstract = True

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    event_id = UnicodeAttribute(null=True)
    data = MapAttribute[str, Any](null=True)
    buyer_key = UnicodeAttribute(null=True)
    seller_key = UnicodeAttribute(null=True)
    activity_key = UnicodeAttribute(null=True)
    recorded_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    by_buyer = FactsByBuyer()
    by_seller = FactsBySeller()


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


def complaint_model(settings: Settings) -> type[ComplaintModel]:
    return _complaint_model(settings.complaints_table, settings.dynamodb_endpoint, settings.region)


def fact_model(settings: Settings) -> type[FactModel]:
    return _fact_model(settings.facts_table, settings.dynamodb_endpoint, settings.region)


def all_models(settings: Settings) -> list[type[Model]]:
    return [complaint_model(settings), fact_model(settings)]


def create_tables(settings: Settings) -> None:
    """Create every table (idempotent) from the definitions above, on-demand billing."""
    for model in all_models(settings):
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
