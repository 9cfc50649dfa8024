"""Platform events validated at the edge: the envelope and one schema per fact type.

The envelope is strict (unknown envelope fields are refused); payloads ignore fields they
do not know, so producers can add fields without breaking ingestion.  A valid event becomes
a ``FactEvent`` carrying the domain's plain payload (``chalicelib.domain.facts``).

This module imports pydantic, so nothing imports it at cold start: ``services.ingest``
loads it when the first event arrives (the schedule functions never do).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.facts import (
    PAYLOADS,
    FactEvent,
    FactType,
    OrderStatus,
    payload_from_dict,
)

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
ShortText = Annotated[str, Field(max_length=200)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class AddressSchema(_Payload):
    recipient: ShortText | None = None
    street: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None


class OrderDataSchema(_Payload):
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
    shipping_address: AddressSchema | None = None


class DisputeDataSchema(_Payload):
    dispute_id: Id
    order_id: Id
    seller_id: Id
    buyer_id: Id
    opened_at: AwareDatetime
    status: Literal["open", "closed", "withdrawn"]
    closed_at: AwareDatetime | None = None
    resolution: Literal["buyer_favour", "seller_favour", "split"] | None = None


class ReviewDataSchema(_Payload):
    review_id: Id
    order_id: Id
    seller_id: Id
    buyer_id: Id
    rating: Annotated[int, Field(ge=1, le=5)]
    posted_at: AwareDatetime


class BuyerDataSchema(_Payload):
    buyer_id: Id
    registered_at: AwareDatetime


class MessageDataSchema(_Payload):
    message_id: Id
    order_id: Id
    sender: Literal["seller", "buyer"]
    sent_at: AwareDatetime


SCHEMAS: dict[str, type[_Payload]] = {
    "order": OrderDataSchema,
    "dispute": DisputeDataSchema,
    "review": ReviewDataSchema,
    "buyer": BuyerDataSchema,
    "message": MessageDataSchema,
}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    event_id: Id
    type: FactType
    version: Annotated[int, Field(ge=0, le=2**53)]
    occurred_at: AwareDatetime
    data: dict[str, Any]


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
        validated = SCHEMAS[envelope.type].model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidRequest(
            f"malformed {envelope.type} data", code="invalid_event", details=_describe(exc, "data.")
        ) from exc
    payload = payload_from_dict(PAYLOADS[envelope.type], validated.model_dump())
    return FactEvent(
        event_id=envelope.event_id,
        type=envelope.type,
        version=envelope.version,
        occurred_at=envelope.occurred_at,
        payload=payload,
    )
