"""Evidence files of a complaint: announce one (a presigned POST straight to the files
bucket), complete it (the service checks what arrived), and open one (a presigned GET).

Requests: announcing reads the complaint (GetItem) and adds the entry (one conditional
UpdateItem); completing reads the complaint, the object (GetObject), tags it
(PutObjectTagging) and stores the verification (one conditional UpdateItem) — or deletes
a refused object (DeleteObject); opening reads the complaint only.  Presigned requests are
signed locally.  A lost race is retried after reading the complaint again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.attachments import (
    DOWNLOAD_TTL,
    SNIFF_BYTES,
    UPLOAD_TTL,
    Attachment,
    check_declaration,
    clean_filename,
    is_attachment_id,
    new_attachment,
    new_attachment_id,
    object_key,
    room_for_one_more,
    verify_upload,
)
from chalicelib.domain.complaints import Complaint
from chalicelib.domain.errors import Conflict, NotEligible, NotFound, StorageUnavailable
from chalicelib.domain.timeutil import to_iso
from chalicelib.services.complaints import get_complaint
from chalicelib.services.ports import AttachmentStore, FileStore

#: Attempts at a conditional write that lost to a concurrent change of the attachments.
ATTEMPTS = 3


def _not_pending() -> NotEligible:
    return NotEligible(
        "files can be attached only while the complaint is pending",
        code="complaint_not_pending",
    )


def _find(complaint: Complaint, attachment_id: str) -> Attachment:
    if is_attachment_id(attachment_id):
        for attachment in complaint.attachments:
            if attachment.attachment_id == attachment_id:
                return attachment
    raise NotFound("attachment not found")


def _key(complaint: Complaint, attachment: Attachment) -> str:
    """The key stored with the entry at announce time — never one made from the
    complaint's current id, which re-categorisation may have changed."""
    return attachment.stored_key(complaint.seller_id, complaint.complaint_id)


def start_upload(
    complaints: AttachmentStore,
    files: FileStore,
    *,
    seller_id: str,
    complaint_id: str,
    filename: str,
    content_type: str,
    size: int,
    now: datetime,
    months: int,
    max_bytes: int,
    random_bytes: bytes,
) -> tuple[Attachment, dict[str, Any]]:
    """Announce a file: ``(the awaiting_upload attachment, {"url", "fields"})``.

    The type and size are checked first (nothing read); the complaint must be the seller's
    (else 404) and pending, with fewer than 10 attachments that count (verified, or
    awaiting an upload whose form has not expired: expired ones are replaced)."""
    name = clean_filename(filename)
    check_declaration(content_type, size, max_bytes)
    complaint = get_complaint(
        complaints, seller_id=seller_id, complaint_id=complaint_id, now=now, months=months
    )
    attachment_id = new_attachment_id(random_bytes)
    key = object_key(seller_id, complaint.complaint_id, attachment_id)
    attachment = new_attachment(attachment_id, name, content_type, size, now, key=key)
    for _ in range(ATTEMPTS):
        if not complaint.is_pending:
            raise _not_pending()
        replacing = room_for_one_more(complaint.attachments, now)
        try:
            complaints.add_attachment(complaint, attachment, replacing=replacing)
        except Conflict as lost:
            if lost.code == "not_pending":
                raise _not_pending() from lost
            found = complaints.get(complaint_id)
            if found is None:
                raise NotFound("complaint not found") from lost
            complaint = found
            continue
        form = files.upload_form(
            key,
            content_type,
            size,
            int(UPLOAD_TTL.total_seconds()),
        )
        return attachment, form
    raise StorageUnavailable("the complaint's attachments kept changing")


def complete_upload(
    complaints: AttachmentStore,
    files: FileStore,
    *,
    seller_id: str,
    complaint_id: str,
    attachment_id: str,
    now: datetime,
    months: int,
    max_bytes: int,
) -> Attachment:
    """Check an uploaded file and mark it verified (its SHA-256 stored).

    Idempotent: a verified attachment is returned as it is.  Not uploaded yet: 422
    ``attachment_not_uploaded`` (the entry stays).  A file that is not what was announced
    (size, type by its first bytes) is deleted: 422 ``attachment_invalid`` with why."""
    complaint = get_complaint(
        complaints, seller_id=seller_id, complaint_id=complaint_id, now=now, months=months
    )
    attachment = _find(complaint, attachment_id)
    if attachment.status == "verified":
        return attachment
    if not complaint.is_pending:
        raise _not_pending()
    key = _key(complaint, attachment)
    stored = files.read(key, max_bytes, SNIFF_BYTES)
    if stored is None:
        raise NotEligible("the file has not been uploaded yet", code="attachment_not_uploaded")
    problem = verify_upload(
        attachment, stored_size=stored.size, head=stored.head, max_bytes=max_bytes
    )
    if problem is not None:
        files.delete(key)
        raise NotEligible(
            "the uploaded file is not the file announced; it was deleted",
            code="attachment_invalid",
            details=problem,
        )
    verified = attachment.verified(stored.sha256, now)
    files.mark_verified(key)  # first: a verified record never points at a pending object
    try:
        complaints.verify_attachment(complaint_id, verified)
    except Conflict as lost:
        if lost.code == "attachment_verified":  # a concurrent completion won
            again = complaints.get(complaint_id)
            if again is not None:
                return _find(again, attachment_id)
        files.delete(key)
        if lost.code == "not_pending":
            raise _not_pending() from lost
        raise NotFound("attachment not found") from lost
    return verified


def download(
    files: FileStore, complaint: Complaint, attachment_id: str, now: datetime
) -> dict[str, str]:
    """A presigned GET of a verified attachment of ``complaint`` (already authorised:
    the seller's own, or any for a reviewer), valid ``DOWNLOAD_TTL``.  No request."""
    attachment = _find(complaint, attachment_id)
    if attachment.status != "verified":
        raise Conflict("the attachment is not verified yet", code="attachment_not_verified")
    url = files.download_url(
        _key(complaint, attachment),
        attachment.content_type,
        int(DOWNLOAD_TTL.total_seconds()),
    )
    return {"url": url, "expires_at": to_iso(now + DOWNLOAD_TTL)}
