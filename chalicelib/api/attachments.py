"""Evidence files: a seller announces, uploads (straight to the files bucket) and
completes them; the seller and reviewers open them through short-lived links."""

import secrets
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters, files_from_settings
from chalicelib.api.http import endpoint, json_body, principal, request_settings
from chalicelib.api.views import attachment_view
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.timeutil import to_iso
from chalicelib.services import attachments as service
from chalicelib.services.complaints import get_complaint
from chalicelib.services.review import complaint_for_review

if TYPE_CHECKING:
    from chalicelib.api.schemas import NewAttachment

bp = Blueprint(__name__)


@bp.route("/complaints/{complaint_id}/attachments", methods=["POST"])
@endpoint(
    "seller",
    request="NewAttachment",
    response="NewAttachmentOut",
    status=201,
    errors=(404, 413, 422),
)
def start_upload(complaint_id: str) -> Response:
    request = bp.current_request
    body: NewAttachment = json_body(request)
    settings = request_settings(request)
    attachment, form = service.start_upload(
        Adapters.from_settings(settings).complaints,
        files_from_settings(settings),
        seller_id=principal(request).subject,
        complaint_id=complaint_id,
        filename=body.filename,
        content_type=body.content_type,
        size=body.size,
        now=clock.now(),
        months=settings.listing_months,
        max_bytes=settings.attachment_max_bytes,
        random_bytes=secrets.token_bytes(16),
    )
    return Response(
        body={
            "attachment_id": attachment.attachment_id,
            "upload": form,
            "expires_at": to_iso(attachment.upload_expires_at),
        },
        status_code=201,
    )


@bp.route("/complaints/{complaint_id}/attachments/{attachment_id}/complete", methods=["POST"])
@endpoint("seller", response="AttachmentOut", errors=(404, 422))
def complete_upload(complaint_id: str, attachment_id: str) -> dict[str, Any]:
    request = bp.current_request
    if (request.raw_body or b"").strip() not in (b"", b"{}"):
        # it takes no fields: a body that is more than ``{}`` is refused, not ignored
        raise InvalidRequest("this route takes no request body")
    settings = request_settings(request)
    verified = service.complete_upload(
        Adapters.from_settings(settings).complaints,
        files_from_settings(settings),
        seller_id=principal(request).subject,
        complaint_id=complaint_id,
        attachment_id=attachment_id,
        now=clock.now(),
        months=settings.listing_months,
        max_bytes=settings.attachment_max_bytes,
    )
    return attachment_view(verified)


@bp.route("/complaints/{complaint_id}/attachments/{attachment_id}", methods=["GET"])
@endpoint("seller", response="DownloadOut", errors=(404, 409))
def open_attachment(complaint_id: str, attachment_id: str) -> dict[str, str]:
    request = bp.current_request
    settings = request_settings(request)
    now = clock.now()
    complaint = get_complaint(
        Adapters.from_settings(settings).complaints,
        seller_id=principal(request).subject,
        complaint_id=complaint_id,
        now=now,
        months=settings.listing_months,
    )
    return service.download(files_from_settings(settings), complaint, attachment_id, now)


@bp.route("/review/complaints/{complaint_id}/attachments/{attachment_id}", methods=["GET"])
@endpoint("operator", response="DownloadOut", errors=(404, 409))
def review_attachment(complaint_id: str, attachment_id: str) -> dict[str, str]:
    settings = request_settings(bp.current_request)
    complaint = complaint_for_review(Adapters.from_settings(settings).complaints, complaint_id)
    return service.download(files_from_settings(settings), complaint, attachment_id, clock.now())
