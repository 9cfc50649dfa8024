"""Platform facts (docs/api.md): the typed payloads, the validated event, and where each fact
lives.

Other platform systems own these facts; we keep the latest version of each entity.  These
are plain named tuples: the domain imports no validation library, and a NamedTuple costs a
sixth of a frozen dataclass to define, which every function's cold start pays.  Events are
validated at the edge (``chalicelib.adapters.event_schema``), which builds these objects
with ``payload_from_dict``; stored facts are rebuilt with the same function.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, NamedTuple, get_args, get_type_hints

from chalicelib.domain.timeutil import to_iso


class Address(NamedTuple):
    recipient: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


OrderStatus = Literal["placed", "paid", "shipped", "delivered", "cancelled", "closed_unshipped"]


class OrderData(NamedTuple):
    order_id: str
    seller_id: str
    buyer_id: str
    status: OrderStatus
    placed_at: datetime
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_by: Literal["buyer", "seller", "system"] | None = None
    custom_item: bool = False
    buyer_note: str | None = None
    shipping_address: Address | None = None

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def is_shipped(self) -> bool:
        return self.shipped_at is not None or self.status in ("shipped", "delivered")


class DisputeData(NamedTuple):
    dispute_id: str
    order_id: str
    seller_id: str
    buyer_id: str
    opened_at: datetime
    status: Literal["open", "closed", "withdrawn"]
    closed_at: datetime | None = None
    resolution: Literal["buyer_favour", "seller_favour", "split"] | None = None


class ReviewData(NamedTuple):
    review_id: str
    order_id: str
    seller_id: str
    buyer_id: str
    rating: int
    posted_at: datetime


class BuyerData(NamedTuple):
    buyer_id: str
    registered_at: datetime


class MessageData(NamedTuple):
    message_id: str
    order_id: str
    sender: Literal["seller", "buyer"]
    sent_at: datetime


Payload = OrderData | DisputeData | ReviewData | BuyerData | MessageData
FactType = Literal["order", "dispute", "review", "buyer", "message"]
PAYLOADS: dict[str, type[Payload]] = {
    "order": OrderData,
    "dispute": DisputeData,
    "review": ReviewData,
    "buyer": BuyerData,
    "message": MessageData,
}

#: The facts an order's partition stores, by the type in their sort key (``<TYPE>#<id>``).
ORDER_PARTITION_PAYLOADS: dict[str, type[Payload]] = {
    "ORDER": OrderData,
    "DISPUTE": DisputeData,
    "REVIEW": ReviewData,
    "MESSAGE": MessageData,
}


#: Per payload class and field: ``datetime`` or ``Address`` to rebuild, or None (kept as is).
#: Filled on first use from the type hints; the same for every invocation.
_NESTED: dict[type[Payload] | type[Address], dict[str, type | None]] = {}


def _nested_types(cls: type[Payload] | type[Address]) -> dict[str, type | None]:
    kinds = _NESTED.get(cls)
    if kinds is None:
        hints = get_type_hints(cls)
        kinds = {}
        for name in cls._fields:
            hint = hints[name]
            candidates = get_args(hint) or (hint,)  # ``X | None`` -> (X, NoneType)
            kinds[name] = next((c for c in candidates if c is datetime or c is Address), None)
        _NESTED[cls] = kinds
    return kinds


def payload_from_dict(cls: type[Payload] | type[Address], data: dict[str, Any]) -> Any:
    """Build a payload of type ``cls`` from already-validated values: datetimes as
    ``datetime`` or ISO text (as stored), a nested address as a dict.  Keys ``cls`` does not
    have are ignored, so facts stored by another version of this code still load."""
    kinds = _nested_types(cls)
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in kinds:
            continue
        kind = kinds[name]
        if value is not None and kind is datetime and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif value is not None and kind is Address and isinstance(value, dict):
            value = payload_from_dict(Address, value)
        values[name] = value
    return cls(**values)


def _stored_time(value: datetime) -> str:
    """ISO-8601 as received (offset and microseconds kept), UTC written ``Z``."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def payload_to_dict(payload: Any) -> dict[str, Any]:
    """The stored form of a payload: JSON-ready values, ``None`` fields left out."""
    out: dict[str, Any] = {}
    for name, value in zip(payload._fields, payload, strict=True):
        if value is None:
            continue
        if isinstance(value, datetime):
            value = _stored_time(value)
        elif isinstance(value, Address):
            value = payload_to_dict(value)
        out[name] = value
    return out


class FactEvent(NamedTuple):
    """A validated event and the storage location of the entity it describes."""

    event_id: str
    type: str
    version: int
    occurred_at: datetime
    payload: Any

    @property
    def data(self) -> dict[str, Any]:
        """The payload's stored form (``payload_to_dict``)."""
        return payload_to_dict(self.payload)

    @property
    def fingerprint(self) -> str:
        """What this event says (type, entity, version, time, content), hashed: an event id
        seen again is a duplicate whatever it says, and this tells whether it says the same
        (a redelivery) or not (an id reused by mistake)."""
        said = {
            "type": self.type,
            "entity": f"{self.partition}|{self.sort_key}",
            "version": self.version,
            "occurred_at": _stored_time(self.occurred_at),
            "data": self.data,
        }
        text = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def partition(self) -> str:
        """Entities of one order share the order's partition, so one Query reads them all."""
        if self.type == "buyer":
            return f"BUYER#{self.payload.buyer_id}"
        return f"ORDER#{self.payload.order_id}"

    @property
    def sort_key(self) -> str:
        # an order's disputes, reviews and messages each have their own id; the order and
        # the buyer are the only ones of their kind in their partition
        own_id = "" if self.type in ("order", "buyer") else getattr(self.payload, f"{self.type}_id")
        return f"{self.type.upper()}#{own_id}"

    @property
    def activity_time(self) -> datetime | None:
        """When the fact counts in a buyer's or seller's activity window (None: not indexed)."""
        payload = self.payload
        if isinstance(payload, OrderData):
            return payload.placed_at
        if isinstance(payload, DisputeData):
            return payload.opened_at
        if isinstance(payload, ReviewData):
            return payload.posted_at
        return None

    @property
    def activity_key(self) -> str | None:
        """Range key of the buyer/seller activity indexes: ``<time>#<type>#<id>``."""
        when = self.activity_time
        if when is None:
            return None
        return f"{to_iso(when)}#{self.sort_key}"

    @property
    def seller_order_key(self) -> str | None:
        """Range key of the sparse ``seller_orders`` index: set on orders only (None for
        every other fact), so a seller's order list reads no dispute, review or message."""
        payload = self.payload
        if isinstance(payload, OrderData):
            return seller_order_key(payload.placed_at, payload.order_id)
        return None

    @property
    def buyer_id(self) -> str | None:
        return getattr(self.payload, "buyer_id", None)

    @property
    def seller_id(self) -> str | None:
        return getattr(self.payload, "seller_id", None)


#: The shape of an entity id in a fact (the event schema's ``Id``).
_FACT_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")


def is_fact_id(text: str) -> bool:
    """Whether ``text`` can be an order's (or another entity's) id: anything else names no
    order, and a path with it is a 404 before any storage request."""
    return _FACT_ID.fullmatch(text) is not None


def seller_order_key(placed_at: datetime, order_id: str) -> str:
    """``<placed_at>#<order_id>``: a seller's orders sort by when they were placed (newest
    first when read backwards), and the key is unique per seller."""
    return f"{to_iso(placed_at)}#{order_id}"


class OrderSummary(NamedTuple):
    """One line of a seller's order list (``GET /orders``): what the filing form shows."""

    order_id: str
    buyer_id: str
    status: str
    placed_at: datetime


def contradicted_parties(payload: Any, stored_order: OrderData | None) -> list[str]:
    """The fields of an order, dispute or review fact that name another seller or buyer
    than the order they belong to already names (empty when the order is not known yet).
    Such a fact is refused: it would count against the wrong seller or buyer."""
    if stored_order is None or not hasattr(payload, "seller_id"):
        return []
    return [
        name
        for name in ("seller_id", "buyer_id")
        if getattr(payload, name) != getattr(stored_order, name)
    ]


class OrderFacts(NamedTuple):
    """Everything stored under one order: the order and its disputes, reviews, messages."""

    order: OrderData | None
    disputes: tuple[DisputeData, ...] = ()
    reviews: tuple[ReviewData, ...] = ()
    messages: tuple[MessageData, ...] = ()


def order_facts(payloads: Iterable[Any]) -> OrderFacts:
    """An order partition's facts, from its payloads in any order (other items: None)."""
    found: dict[type[Any], list[Any]] = {
        kind: [] for kind in (OrderData, DisputeData, ReviewData, MessageData)
    }
    for payload in payloads:
        if payload is not None and type(payload) in found:
            found[type(payload)].append(payload)
    orders = found[OrderData]
    return OrderFacts(
        order=orders[0] if orders else None,
        disputes=tuple(found[DisputeData]),
        reviews=tuple(found[ReviewData]),
        messages=tuple(found[MessageData]),
    )


def stored_payload(sort_key: str, data: dict[str, Any] | None) -> Any | None:
    """The fact an item of an order's partition stores, from its sort key and stored data;
    None for the partition's other items (metric contributions, exemptions)."""
    payload_type = ORDER_PARTITION_PAYLOADS.get(sort_key.split("#", 1)[0])
    if payload_type is None or data is None:
        return None
    return payload_from_dict(payload_type, data)
