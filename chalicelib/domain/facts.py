"""Platform facts (DESIGN §7): the event envelope, typed payloads, and where each fact lives.

Other platform systems own these facts; we keep the latest version of each entity.  The
envelope is strict (unknown envelope fields are refused); payloads ignore fields they do not
know, so producers can add fields without breaking ingestion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.timeutil import to_iso

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
ShortText = Annotated[str, Field(max_length=200)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Address(_Payload):
    recipient: ShortText | None = None
    street: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None


OrderStatus = Literal["placed", "paid", "shipped", "delivered", "cancelled", "closed_unshipped"]


class OrderData(_Payload):
    order_id: Id
    seller_id: Id
    buyer_id: Id
    status: OrderStatus
    placed_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    cancelled_by: Literal["buyer", "seller", "system"] | None = None
    custom_item: bool = False
    buyer_note: Annotated[str, Field(max_length=2000)] | None = None
    shipping_address: Address | None = None

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def is_shipped(self) -> bool:
        return self.shipped_at is not None or self.status in ("shipped", "delivered")


class DisputeData(_Payload):
    dispute_id: Id
    order_id: Id
    seller_id: Id
    buyer_id: Id
    opened_at: AwareDatetime
    status: Literal["open", "closed", "withdrawn"]
    closed_at: AwareDatetime | None = None
    resolution: Literal["buyer_favour", "seller_favour", "split"] | None = None


class ReviewData(_Payload):
    review_id: Id
    order_id: Id
    seller_id: Id
    buyer_id: Id
    rating: Annotated[int, Field(ge=1, le=5)]
    posted_at: AwareDatetime


class BuyerData(_Payload):
    buyer_id: Id
    registered_at: AwareDatetime


class MessageData(_Payload):
    message_id: Id
    order_id: Id
    sender: Literal["seller", "buyer"]
    sent_at: AwareDatetime


FactType = Literal["order", "dispute", "review", "buyer", "message"]
PAYLOADS: dict[str, type[_Payload]] = {
    "order": OrderData,
    "dispute": DisputeData,
    "review": ReviewData,
    "buyer": BuyerData,
    "message": MessageData,
}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    event_id: Id
    type: FactType
    version: Annotated[int, Field(ge=0, le=2**53)]
    occurred_at: AwareDatetime
    data: dict[str, Any]


@dataclass(frozen=True)
class FactEvent:
    """A validated event and the storage location of the entity it describes."""

    event_id: str
    type: str
    version: int
    occurred_at: datetime
    payload: Any
    data: dict[str, Any] = field(repr=False)

    @property
    def partition(self) -> str:
        """Entities of one order share the order's partition, so one Query reads them all."""
        if self.type == "buyer":
            return f"BUYER#{self.payload.buyer_id}"
        return f"ORDER#{self.payload.order_id}"

    @property
    def sort_key(self) -> str:
        ids = {
            "order": "",
            "dispute": self.data.get("dispute_id"),
            "review": self.data.get("review_id"),
            "message": self.data.get("message_id"),
            "buyer": "",
        }
        return f"{self.type.upper()}#{ids[self.type]}"

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
    def buyer_id(self) -> str | None:
        return getattr(self.payload, "buyer_id", None)

    @property
    def seller_id(self) -> str | None:
        return getattr(self.payload, "seller_id", None)


def _describe(error: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {"field": prefix + ".".join(str(p) for p in item["loc"]), "problem": item["msg"]}
        for item in error.errors(include_url=False)
    ]


def parse_event(raw: Any) -> FactEvent:
    """Validate one raw event; raise ``InvalidRequest`` naming every problem."""
    if not isinstance(raw, dict):
        raise InvalidRequest("an event must be a JSON object", code="invalid_event")
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        raise InvalidRequest(
            "malformed event envelope", code="invalid_event", details=_describe(exc)
        ) from exc
    try:
        payload = PAYLOADS[envelope.type].model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidRequest(
            f"malformed {envelope.type} data", code="invalid_event", details=_describe(exc, "data.")
        ) from exc
    return FactEvent(
        event_id=envelope.event_id,
        type=envelope.type,
        version=envelope.version,
        occurred_at=envelope.occurred_at,
        payload=payload,
        data=payload.model_dump(mode="json", exclude_none=True),
    )


@dataclass(frozen=True)
class OrderFacts:
    """Everything stored under one order: the order and its disputes, reviews, messages."""

    order: OrderData | None
    disputes: tuple[DisputeData, ...] = ()
    reviews: tuple[ReviewData, ...] = ()
    messages: tuple[MessageData, ...] = ()
