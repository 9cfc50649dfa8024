"""Request models: what each route accepts.  Unknown fields are refused (400) and types
are strict (no silent coercion)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SubmitComplaint(_Request):
    order_id: Id
    scenario: Annotated[str, Field(min_length=1, max_length=64)]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    reason: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    evidence: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=1000)]], Field(max_length=10)
    ] = []


class ListComplaintsQuery(BaseModel):
    """Query strings arrive as text, so this model converts (it is not strict)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    status: Literal["pending", "upheld", "rejected"] | None = None
    scenario: Annotated[str, Field(max_length=64)] | None = None
    order_id: Id | None = None
    submitted_from: AwareDatetime | None = Field(default=None, alias="from")
    submitted_to: AwareDatetime | None = Field(default=None, alias="to")
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Annotated[str, Field(max_length=2000)] | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What a cursor is bound to: every filter, not the position or page size."""
        return self.model_dump(mode="json", exclude={"cursor", "limit"}, by_alias=True)


class PlatformEventBatch(_Request):
    events: Annotated[list[Any], Field(min_length=1, max_length=100)]


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Annotated[str, Field(max_length=2000)] | None = None


class DecisionRequest(_Request):
    outcome: Literal["upheld", "rejected"]
    reason_code: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[str, Field(max_length=2000)] | None = None


class SlaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: Annotated[int, Field(ge=1, le=90)] = 30
