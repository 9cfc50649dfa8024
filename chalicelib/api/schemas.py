"""Request models: what each route accepts.  Unknown fields are refused (400) and types
are strict (no silent coercion)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.domain.scenarios import REGISTRY

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]


def _sub_reasons() -> list[str]:
    return sorted({code for s in REGISTRY for code in s.sub_reason_codes})


def _known_scenario(code: str) -> str:
    if code not in REGISTRY:
        raise ValueError(f"unknown scenario; one of {', '.join(REGISTRY.codes())}")
    return code


def _known_sub_reason(code: str) -> str:
    if code not in _sub_reasons():
        raise ValueError(f"unknown reason; one of {', '.join(_sub_reasons())}")
    return code


_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day_start(value: Any) -> Any:
    """A bare date (``2026-11-29``) means that day's start in UTC."""
    if isinstance(value, str) and _BARE_DATE.fullmatch(value):
        return f"{value}T00:00:00Z"
    return value


#: A scenario code of the catalogue (an unknown one is a 400 naming the field).
ScenarioCode = Annotated[
    str,
    Field(min_length=1, max_length=64, json_schema_extra={"enum": list(REGISTRY.codes())}),
    AfterValidator(_known_scenario),
]
SubReasonCode = Annotated[
    str,
    Field(min_length=1, max_length=64, json_schema_extra={"enum": _sub_reasons()}),
    AfterValidator(_known_sub_reason),
]
#: An ISO-8601 time with its offset, or a bare date (that day's start in UTC).
QueryTime = Annotated[AwareDatetime, BeforeValidator(_day_start)]

_DIGITS = re.compile(r"[0-9]{1,9}")


def _digits(value: Any) -> Any:
    """A query string's whole number is written in plain digits: ``30.0``, ``+30``, ``1_0``
    or ``３０`` (which ``int()`` would take) are refused, not read as another number."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("must be a whole number written in digits")
    return value


#: Whole numbers in a query string: a page's size, the SLA report's window.
PageLimit = Annotated[int, Field(ge=1, le=100), BeforeValidator(_digits)]
WindowDays = Annotated[int, Field(ge=1, le=90), BeforeValidator(_digits)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class SubmitComplaint(_Request):
    order_id: Id
    scenario: ScenarioCode
    description: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    reason: SubReasonCode | None = None
    evidence: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=1000)]], Field(max_length=10)
    ] = []


class ListComplaintsQuery(BaseModel):
    """Query strings arrive as text, so this model converts (it is not strict)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    status: Literal["pending", "upheld", "rejected"] | None = None
    scenario: ScenarioCode | None = None
    order_id: Id | None = None
    submitted_from: QueryTime | None = Field(default=None, alias="from")
    submitted_to: QueryTime | None = Field(default=None, alias="to")
    limit: PageLimit = 20
    cursor: Annotated[str, Field(max_length=2000)] | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What a cursor is bound to: every filter, not the position or page size."""
        return self.model_dump(mode="json", exclude={"cursor", "limit"}, by_alias=True)


class ExportQuery(BaseModel):
    """``GET /complaints/export``: ``format`` defaults to ``csv``; ``from``/``to`` narrow
    the six months as in ``GET /complaints``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    format: Literal["csv", "jsonl"] = "csv"
    submitted_from: QueryTime | None = Field(default=None, alias="from")
    submitted_to: QueryTime | None = Field(default=None, alias="to")


class PlatformEventBatch(_Request):
    events: Annotated[list[Any], Field(min_length=1, max_length=100)]


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    limit: PageLimit = 20
    cursor: Annotated[str, Field(max_length=2000)] | None = None


class DecisionRequest(_Request):
    outcome: Literal["upheld", "rejected"]
    reason_code: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[str, Field(max_length=2000)] | None = None


class NewAttachment(_Request):
    """An evidence file announced before its upload (its type and size are checked in the
    domain: 422 ``unsupported_type``, 413 ``attachment_too_large``)."""

    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=1, max_length=100)]
    size: Annotated[int, Field(ge=1, le=2**53)]


class AppealRequest(_Request):
    statement: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]


class RecategoriseRequest(_Request):
    scenario: ScenarioCode
    reason: SubReasonCode | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


class SlaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    window_days: WindowDays = 30


# --------------------------------------------------------------------------- responses
# Every handler validates its response through one of these (``respond``), and the OpenAPI
# document is generated from them: the document cannot drift from what is served.


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class TextOut(_Out):
    zh: str
    en: str


class ErrorBody(_Out):
    code: str
    message: str
    details: Any = None


class ErrorOut(_Out):
    error: ErrorBody


class HealthOut(_Out):
    status: Literal["ok"]


class DecisionReasonsOut(_Out):
    """The reason codes a decision may give, by outcome."""

    upheld: list[str]
    rejected: list[str]


class SubReasonOut(_Out):
    code: str
    name: TextOut
    decision_reasons: DecisionReasonsOut


class ScenarioOut(_Out):
    code: str
    name: TextOut
    group: str
    group_name: TextOut
    dimension: str
    description: TextOut
    required_fields: list[str]
    sub_reasons: list[SubReasonOut]
    #: which reason codes fit a decision of this scenario (any of its sub-reasons)
    decision_reasons: DecisionReasonsOut


class CatalogueOut(_Out):
    items: list[ScenarioOut]
    reasons: dict[str, TextOut]


class CriterionOut(_Out):
    name: str
    #: the rule path (alternative) the criterion belongs to; the complaint is upheld when
    #: every criterion of one alternative is met
    alternative: str | None = None
    observed: Any
    threshold: Any
    comparison: str
    met: bool


class DecisionOut(_Out):
    outcome: Literal["upheld", "rejected"]
    reason_code: str
    reason: TextOut
    decided_by: Literal["operator", "rules", "sla"]
    criteria: list[CriterionOut]
    #: upheld: the alternative whose criteria were all met (None: a reviewer's judgement)
    met_alternative: str | None
    #: rejected: what was not met, in every alternative; upheld: empty
    unmet_criteria: list[str]


class ExemptionMetricOut(_Out):
    metric: str
    before: float | None
    after: float | None


class ExemptionOut(_Out):
    status: Literal["not_applicable", "scheduled", "applied"]
    due_by: str | None = None
    applied_at: str | None = None
    metrics: list[ExemptionMetricOut] | None = None


class PreviousDecisionOut(DecisionOut):
    decided_at: str


class AppealOut(_Out):
    statement: str
    submitted_at: str
    #: the rejection appealed
    previous_decision: PreviousDecisionOut


class HistoryOut(_Out):
    at: str
    action: str
    actor: str


class AttachmentOut(_Out):
    attachment_id: str
    filename: str
    content_type: Literal["image/png", "image/jpeg", "image/webp", "application/pdf"]
    size: int
    #: hex SHA-256 of the stored bytes, once verified
    sha256: str | None
    status: Literal["awaiting_upload", "verified"]
    uploaded_at: str | None


class UploadFormOut(_Out):
    """An S3 presigned POST: send a multipart form with ``fields`` and then ``file``."""

    url: str
    fields: dict[str, str]


class NewAttachmentOut(_Out):
    attachment_id: str
    upload: UploadFormOut
    #: when the upload form stops working
    expires_at: str


class DownloadOut(_Out):
    """A presigned GET of the file, valid until ``expires_at`` (at most 5 minutes)."""

    url: str
    expires_at: str


class ComplaintOut(_Out):
    complaint_id: str
    order_id: str
    buyer_id: str
    scenario: str
    scenario_name: TextOut | None
    reason: str | None
    description: str
    evidence: list[str]
    status: Literal["pending", "upheld", "rejected"]
    submitted_at: str
    due_at: str
    decided_at: str | None
    decision: DecisionOut | None
    #: until when the seller may appeal (a rejected complaint not yet appealed; else None)
    appeal_until: str | None
    #: the seller's appeal of a rejection (None: not appealed)
    appeal: AppealOut | None
    exemption: ExemptionOut
    history: list[HistoryOut]
    attachments: list[AttachmentOut] = []


class ComplaintPageOut(_Out):
    items: list[ComplaintOut]
    next_cursor: str | None


class ExportOut(_Out):
    format: Literal["csv", "jsonl"]
    #: complaints in the file
    rows: int
    #: a presigned GET of the file, valid until ``expires_at`` (at most 5 minutes)
    url: str
    expires_at: str


class RecommendationOut(_Out):
    outcome: Literal["upheld", "rejected"]
    reason_code: str
    reason: TextOut
    assessed_at: str
    criteria: list[CriterionOut]
    met_alternative: str | None


class ReviewDecisionOut(DecisionOut):
    note: str | None
    actor: str


class ReviewPreviousDecisionOut(PreviousDecisionOut):
    note: str | None
    actor: str


class ReviewAppealOut(AppealOut):
    previous_decision: ReviewPreviousDecisionOut


class ReviewHistoryOut(_Out):
    at: str
    actor: str
    action: str
    details: dict[str, Any]


class ReviewComplaintOut(ComplaintOut):
    seller_id: str
    escalated_at: str | None
    recommendation: RecommendationOut | None
    decision: ReviewDecisionOut | None
    appeal: ReviewAppealOut | None
    history: list[ReviewHistoryOut]  # type: ignore[assignment]


class ReviewPageOut(_Out):
    items: list[ReviewComplaintOut]
    next_cursor: str | None


class HoursOut(_Out):
    """Hours from the start of the decided review (submission or appeal) to the decision:
    ``p50``/``p95`` the start of the 5-minute bin (1 hour past 48 h) holding the exact
    nearest-rank value — never above it, less than a bin below; ``max`` exact."""

    p50: float | None
    p95: float | None
    max: float | None


class BreachesOut(_Out):
    decided_late: int
    pending_overdue: int
    total: int


class SlaOut(_Out):
    """The review queue now, and the decisions of the ``window_days`` whole UTC days that
    end with today."""

    window_days: int
    pending: int
    escalated: int
    decided: int
    decisions_by: dict[str, int]
    hours_to_decision: HoursOut
    breaches: BreachesOut


class FigureOut(_Out):
    numerator: int
    denominator: int
    value: float | None


class WindowOut(_Out):
    from_: str = Field(alias="from")
    to: str


class MetricOut(_Out):
    name: TextOut
    definition: str
    window_days: int
    window: WindowOut
    raw: FigureOut
    after_exemptions: FigureOut


class ExemptionRowOut(_Out):
    metric: str
    scope: Literal["order", "review", "buyer_orders", "cleaning_period"]
    order_id: str | None = None
    review_id: str | None = None
    buyer_id: str | None = None
    from_: str | None = Field(default=None, alias="from")
    until: str | None = None
    #: buyer_orders: how many of the buyer's orders placed in [from, until] were exempted
    orders: int | None = None


class ExemptionLogOut(_Out):
    complaint_id: str
    scenario: str
    order_id: str
    effective_at: str
    rows: list[ExemptionRowOut] = []
    metrics: list[ExemptionMetricOut] = []
    metrics_before: dict[str, float | None] | None = None


class MetricsOut(_Out):
    as_of: str
    metrics: dict[str, MetricOut]
    #: the newest exemptions applied (at most 50), newest first
    exemptions: list[ExemptionLogOut]
    #: the older ones: ``GET /metrics/exemptions?cursor=`` (None: there are none)
    exemptions_next_cursor: str | None


class ExemptionLogPageOut(_Out):
    items: list[ExemptionLogOut]
    next_cursor: str | None


class EventResultOut(_Out):
    event_id: str | None
    status: Literal["accepted", "duplicate", "stale", "rejected"]
    error: ErrorBody | None = None


class EventResultsOut(_Out):
    results: list[EventResultOut]


class OrderOut(_Out):
    order_id: str
    buyer_id: str
    status: Literal["placed", "paid", "shipped", "delivered", "cancelled", "closed_unshipped"]
    placed_at: str


class OrderPageOut(_Out):
    items: list[OrderOut]
    next_cursor: str | None


class SubReasonEligibilityOut(_Out):
    code: str
    name: TextOut
    #: a submission with this sub-reason passes the eligibility check
    eligible: bool
    #: what such a submission is refused with (422), and its text
    reason_code: str | None
    reason: TextOut | None


class ScenarioEligibilityOut(_Out):
    scenario: str
    scenario_name: TextOut
    #: the order passes the scenario's eligibility check (with at least one sub-reason,
    #: when the scenario has them); filing needs this and no ``complaint_id``
    eligible: bool
    reason_code: str | None
    reason: TextOut | None
    sub_reasons: list[SubReasonEligibilityOut]
    #: the complaint already filed for (order, scenario): filing again is a 409
    complaint_id: str | None


class OrderEligibilityOut(OrderOut):
    scenarios: list[ScenarioEligibilityOut]


class OpenApiOut(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    openapi: str
    paths: dict[str, Any]
