"""Seller routes: file, list, export, open and appeal complaints."""

import uuid
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters, files_from_settings
from chalicelib.api.cursor import cursor_for, position_of
from chalicelib.api.http import endpoint, json_body, principal, query, request_settings
from chalicelib.api.views import complaint_view
from chalicelib.domain.timeutil import to_iso
from chalicelib.observability import count
from chalicelib.services import complaints as service
from chalicelib.services.export import export_complaints
from chalicelib.services.ports import ListFilter
from chalicelib.tracing import annotate

if TYPE_CHECKING:
    from chalicelib.api.schemas import (
        AppealRequest,
        ExportQuery,
        ListComplaintsQuery,
        SubmitComplaint,
    )

bp = Blueprint(__name__)


@bp.route("/complaints", methods=["POST"])
@endpoint(
    "seller",
    request="SubmitComplaint",
    response="ComplaintOut",
    status=201,
    errors=(404, 409, 413, 422),
)
def submit_complaint() -> Response:
    request = bp.current_request
    body: SubmitComplaint = json_body(request)
    settings = request_settings(request)
    repos = Adapters.from_settings(settings)
    complaint = service.submit_complaint(
        repos,
        seller_id=principal(request).subject,
        order_id=body.order_id,
        scenario=body.scenario,
        description=body.description,
        reason=body.reason,
        evidence=tuple(body.evidence),
        now=clock.now(),
        decision_hours=settings.decision_hours,
        thresholds=settings.thresholds,
        policy=settings.sla_policy,
    )
    count("ComplaintsSubmitted")
    annotate("complaint_id", complaint.complaint_id)
    if complaint.decision is not None:
        count("DecisionsByRules")
    return Response(
        body=complaint_view(complaint, settings),
        status_code=201,
        headers={"Location": f"/complaints/{complaint.complaint_id}"},
    )


@bp.route("/complaints", methods=["GET"])
@endpoint("seller", query="ListComplaintsQuery", response="ComplaintPageOut")
def list_complaints() -> dict[str, Any]:
    request = bp.current_request
    params: ListComplaintsQuery = query(request)
    seller_id = principal(request).subject
    settings = request_settings(request)
    bound_to = params.fingerprint()
    after_key = position_of(settings.cursor_secrets, params.cursor, owner=seller_id, query=bound_to)
    page = service.list_complaints(
        Adapters.from_settings(settings).complaints,
        seller_id=seller_id,
        now=clock.now(),
        months=settings.listing_months,
        submitted_from=params.submitted_from,
        submitted_to=params.submitted_to,
        filters=ListFilter(params.status, params.scenario, params.order_id),
        limit=params.limit,
        after_key=after_key,
    )
    next_cursor = cursor_for(settings.cursor_secret, page.last_key, owner=seller_id, query=bound_to)
    return {"items": [complaint_view(c, settings) for c in page.items], "next_cursor": next_cursor}


# A static path: API Gateway (and Chalice's local routing) match it before the
# ``{complaint_id}`` route below, which would otherwise take "export" for an id.
@bp.route("/complaints/export", methods=["GET"])
@endpoint("seller", query="ExportQuery", response="ExportOut")
def export_complaints_file() -> dict[str, Any]:
    """Export the seller's complaints (CSV or JSON Lines) and answer a download link.

    The file is written to the files bucket and linked by a presigned GET valid for five
    minutes (services/export.py)."""
    request = bp.current_request
    params: ExportQuery = query(request)
    settings = request_settings(request)
    result = export_complaints(
        Adapters.from_settings(settings).complaints,
        files_from_settings(settings),
        seller_id=principal(request).subject,
        export_id=uuid.uuid4().hex,
        fmt=params.format,
        now=clock.now(),
        months=settings.listing_months,
        submitted_from=params.submitted_from,
        submitted_to=params.submitted_to,
        exemption_due=settings.exemption_policy.due_after,
    )
    count("ComplaintExports")
    return {
        "format": result.format,
        "rows": result.rows,
        "url": result.url,
        "expires_at": to_iso(result.expires_at),
    }


@bp.route("/complaints/{complaint_id}", methods=["GET"])
@endpoint("seller", response="ComplaintOut", errors=(404,))
def get_complaint(complaint_id: str) -> dict[str, Any]:
    settings = request_settings(bp.current_request)
    complaint = service.get_complaint(
        Adapters.from_settings(settings).complaints,
        seller_id=principal(bp.current_request).subject,
        complaint_id=complaint_id,
        now=clock.now(),
        months=settings.listing_months,
    )
    return complaint_view(complaint, settings)


@bp.route("/complaints/{complaint_id}/appeal", methods=["POST"])
@endpoint("seller", request="AppealRequest", response="ComplaintOut", errors=(404, 409, 413, 422))
def appeal_complaint(complaint_id: str) -> dict[str, Any]:
    request = bp.current_request
    body: AppealRequest = json_body(request)
    settings = request_settings(request)
    appealed = service.appeal_complaint(
        Adapters.from_settings(settings),
        seller_id=principal(request).subject,
        complaint_id=complaint_id,
        statement=body.statement,
        now=clock.now(),
        months=settings.listing_months,
        appeal_days=settings.appeal_days,
        decision_hours=settings.decision_hours,
        policy=settings.sla_policy,
    )
    count("ComplaintsAppealed")
    return complaint_view(appealed, settings)
