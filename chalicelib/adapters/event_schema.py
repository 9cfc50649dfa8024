"""Platform events validated at the edge: the envelope and one schema per fact type.

Strict throughout: unknown fields are refused in the envelope and inside ``data`` (a
misspelt field would otherwise be silently lost), numbers and booleans must be JSON numbers
and booleans (``"3"``, ``"yes"`` are refused), and every time must carry its offset and lie
in [2000-01-01, 2100-01-01) UTC, so no date can overflow the arithmetic done with it (a
far-off time once failed a whole batch).  A valid event becomes a ``FactEvent`` carrying the
domain's plain payload (``chalicelib.domain.facts``).

This module imports pydantic, so nothing imports it at cold start: ``services.ingest``
loads it when the first event arrives (the schedule functions never do).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)

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

#: The times an event may carry (UTC): wide enough for any real order, narrow enough that
#: adding a retention period or converting to UTC can never overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValueError("time out of range") from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"time must be in [{EARLIEST.date()}, {LATEST.date()}) UTC")
    return value


Time = Annotated[AwareDatetime, AfterValidator(_in_range)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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
    placed_at: Time
    paid_at: Time | None = None
    shipped_at: Time | None = None
    delivered_at: Time | None = None
    cancelled_by: Literal["buyer", "seller", "system"] | None = None
    custom_item: StrictBool = False
    buyer_note: Annotated[str, Field(max_length=2000)] | None = None
    shipping_address: AddressSchema | None = None


class DisputeDataSchema(_Payload):
    dispute_id: Id
    order_id: Id
    seller_id: Id
    buyer_id: Id
    opened_at: Time
    status: Literal["open", "closed", "withdrawn"]
    closed_at: Time | None = None
    resolution: Literal["buyer_favour", "seller_favour", "split"] | None = None


class ReviewDataSchema(_Payload):
    review_id: Id
    order_id: Id
    seller_id: Id
    buyer_id: Id
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    posted_at: Time


class BuyerDataSchema(_Payload):
    buyer_id: Id
    registered_at: Time


class MessageDataSchema(_Payload):
    message_id: Id
    order_id: Id
    sender: Literal["seller", "buyer"]
    sent_at: Time


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
    version: Annotated[StrictInt, Field(ge=0, le=2**53)]
    occurred_at: Time
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
