"""Reviewer (operator) routes: the queue, one complaint, decisions, re-categorisation, SLA
figures."""

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.api.cursor import cursor_for, position_of
from chalicelib.api.http import endpoint, json_body, principal, query, request_settings
from chalicelib.api.views import review_view
from chalicelib.observability import count, milliseconds, percent
from chalicelib.services import review
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.recategorisation import recategorise_complaint
from chalicelib.services.sla_report import sla_report

if TYPE_CHECKING:
    from chalicelib.api.schemas import (
        DecisionRequest,
        PageQuery,
        RecategoriseRequest,
        SlaQuery,
    )

bp = Blueprint(__name__)
QUEUE_CURSOR_SCOPE = {"list": "review_queue"}


@bp.route("/review/queue", methods=["GET"])
@endpoint("operator", query="PageQuery", response="ReviewPageOut")
def review_queue() -> dict[str, Any]:
    request = bp.current_request
    params: PageQuery = query(request)
    settings = request_settings(request)
    owner = principal(request).subject
    after = position_of(
        settings.cursor_secrets, params.cursor, owner=owner, query=QUEUE_CURSOR_SCOPE
    )
    page = review.review_queue(
        Adapters.from_settings(settings).complaints, limit=params.limit, after_key=after
    )
    next_cursor = cursor_for(
        settings.cursor_secret, page.last_key, owner=owner, query=QUEUE_CURSOR_SCOPE
    )
    return {"items": [review_view(c, settings) for c in page.items], "next_cursor": next_cursor}


@bp.route("/review/complaints/{complaint_id}", methods=["GET"])
@endpoint("operator", response="ReviewComplaintOut", errors=(404,))
def review_complaint(complaint_id: str) -> dict[str, Any]:
    settings = request_settings(bp.current_request)
    complaint = review.complaint_for_review(
        Adapters.from_settings(settings).complaints, complaint_id
    )
    return review_view(complaint, settings)


@bp.route("/review/complaints/{complaint_id}/decision", methods=["POST"])
@endpoint(
    "operator",
    request="DecisionRequest",
    response="ReviewComplaintOut",
    errors=(403, 404, 409, 413),
)
def decide(complaint_id: str) -> dict[str, Any]:
    request = bp.current_request
    body: DecisionRequest = json_body(request)
    settings = request_settings(request)
    decided = decide_by_operator(
        Adapters.from_settings(settings),
        complaint_id=complaint_id,
        operator_id=principal(request).subject,
        outcome=body.outcome,
        reason_code=body.reason_code,
        note=body.note,
        now=clock.now(),
        policy=settings.sla_policy,
    )
    count("DecisionsByOperator")
    if decided.decision is not None:
        decided_at = decided.decision.decided_at
        milliseconds("TimeToDecision", decided_at - decided.review_started_at)
        late = decided_at > decided.due_at
        percent("DecisionsWithinSla", 0 if late else 100)
        if late:
            count("SlaBreaches")
    return review_view(decided, settings)


@bp.route("/review/complaints/{complaint_id}/scenario", methods=["POST"])
@endpoint(
    "operator",
    request="RecategoriseRequest",
    response="ReviewComplaintOut",
    errors=(404, 409, 413, 422),
)
def recategorise(complaint_id: str) -> dict[str, Any]:
    request = bp.current_request
    body: RecategoriseRequest = json_body(request)
    settings = request_settings(request)
    moved = recategorise_complaint(
        Adapters.from_settings(settings),
        complaint_id=complaint_id,
        operator_id=principal(request).subject,
        scenario=body.scenario,
        reason=body.reason,
        note=body.note,
        now=clock.now(),
        thresholds=settings.thresholds,
        policy=settings.sla_policy,
    )
    count("ComplaintsRecategorised")
    return review_view(moved, settings)


@bp.route("/review/sla", methods=["GET"])
@endpoint("operator", query="SlaQuery", response="SlaOut")
def sla() -> dict[str, Any]:
    params: SlaQuery = query(bp.current_request)
    settings = request_settings(bp.current_request)
    return sla_report(
        Adapters.from_settings(settings).complaints,
        now=clock.now(),
        window_days=params.window_days,
    )
