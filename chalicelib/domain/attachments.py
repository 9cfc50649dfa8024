"""Evidence files attached to a complaint (docs/api.md, Attachments): which files are
accepted, what an upload must turn out to be, and how an attachment is named in storage.

Pure: no clock reads (``now`` is passed in), no storage.  The upload itself goes straight
from the browser to the files bucket through a presigned POST; the service then checks
what arrived (``verify_upload``) before the attachment counts as ``verified``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

from chalicelib.domain.errors import InvalidRequest, NotEligible, TooLarge
from chalicelib.domain.timeutil import parse_iso, to_iso

#: Declared type -> how its bytes start (checked on ``complete``).
ALLOWED_TYPES = ("image/png", "image/jpeg", "image/webp", "application/pdf")
MAX_PER_COMPLAINT = 10
#: A presigned POST is valid this long; an ``awaiting_upload`` entry older than that no
#: longer counts towards ``MAX_PER_COMPLAINT`` and is replaced by the next new one.
UPLOAD_TTL = timedelta(minutes=15)
#: A presigned GET is valid this long (the contract: at most 5 minutes).
DOWNLOAD_TTL = timedelta(minutes=5)
FILENAME_MAX = 200
#: Bytes read from the start of an upload to recognise its type.
SNIFF_BYTES = 16
#: Key prefix of evidence files in the files bucket (``exports/`` holds exports).
PREFIX = "attachments/"

Status = Literal["awaiting_upload", "verified"]
_ATTACHMENT_ID = re.compile(r"a_[0-9a-f]{32}")


def new_attachment_id(random_bytes: bytes) -> str:
    """An attachment id from 16 random bytes (the caller draws them)."""
    return "a_" + random_bytes.hex()


def is_attachment_id(text: str) -> bool:
    """Whether ``text`` has the shape ``new_attachment_id`` makes: anything else names no
    attachment (a 404 before any request)."""
    return _ATTACHMENT_ID.fullmatch(text) is not None


def object_key(seller_id: str, complaint_id: str, attachment_id: str) -> str:
    """Where the file lives: chosen by the service, never from the filename.  The seller id
    comes from the verified token; it is percent-encoded so no id can reach another
    seller's part of the prefix."""
    return f"{PREFIX}{quote(seller_id, safe='')}/{complaint_id}/{attachment_id}"


def clean_filename(raw: str) -> str:
    """The filename as it is stored and shown: normalised (NFC), without control or format
    characters and path separators, whitespace collapsed, at most ``FILENAME_MAX``
    characters.  Only ever shown as text; it never names the stored object."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(
        " " if ch.isspace() else ("_" if ch in "/\\" else ch)
        for ch in text
        if not unicodedata.category(ch).startswith("C") or ch.isspace()
    )
    text = " ".join(text.split())[:FILENAME_MAX].strip()
    if not text or text in {".", ".."}:
        raise InvalidRequest("filename is empty once cleaned", code="invalid_filename")
    return text


def check_declaration(content_type: str, size: int, max_bytes: int) -> None:
    """A file may be announced only with an accepted type and a size within the limit."""
    if content_type not in ALLOWED_TYPES:
        raise NotEligible(
            f"files of type {content_type!r} are not accepted",
            code="unsupported_type",
            details={"allowed": list(ALLOWED_TYPES)},
        )
    if size > max_bytes:
        raise TooLarge(
            f"a file may have at most {max_bytes} bytes",
            code="attachment_too_large",
            details={"max_bytes": max_bytes, "size": size},
        )


def detect_type(head: bytes) -> str | None:
    """The accepted type whose signature ``head`` (a file's first bytes) starts with."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


class Attachment(NamedTuple):
    attachment_id: str
    filename: str
    content_type: str
    size: int  # declared; once verified, also the stored size
    status: Status
    created_at: datetime
    upload_expires_at: datetime
    sha256: str | None = None
    uploaded_at: datetime | None = None
    #: Where its file lives, fixed when it is announced (``object_key``) and stored with
    #: it: a complaint that moves to another id (re-categorisation copies the entries)
    #: keeps reaching its files.  None only for entries stored before the key was.
    key: str | None = None

    def stored_key(self, seller_id: str, complaint_id: str) -> str:
        """The object's key: the one stored at announce time, or (an entry stored before
        keys were) the key it was announced under, made again from the ids."""
        return self.key or object_key(seller_id, complaint_id, self.attachment_id)

    def counts(self, now: datetime) -> bool:
        """Whether it counts towards ``MAX_PER_COMPLAINT``: verified, or its upload may
        still arrive."""
        return self.status == "verified" or now < self.upload_expires_at

    def verified(self, sha256: str, now: datetime) -> Attachment:
        return self._replace(status="verified", sha256=sha256, uploaded_at=now)

    def as_dict(self) -> dict[str, Any]:
        """The stored form (times as ISO text)."""
        return {
            "attachment_id": self.attachment_id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "status": self.status,
            "created_at": to_iso(self.created_at),
            "upload_expires_at": to_iso(self.upload_expires_at),
            "sha256": self.sha256,
            "uploaded_at": to_iso(self.uploaded_at) if self.uploaded_at else None,
            "key": self.key,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Attachment:
        return cls(
            attachment_id=raw["attachment_id"],
            filename=raw["filename"],
            content_type=raw["content_type"],
            size=int(raw["size"]),
            status=raw["status"],
            created_at=parse_iso(raw["created_at"]),
            upload_expires_at=parse_iso(raw["upload_expires_at"]),
            sha256=raw.get("sha256"),
            uploaded_at=parse_iso(raw["uploaded_at"]) if raw.get("uploaded_at") else None,
            key=raw.get("key"),
        )


def new_attachment(
    attachment_id: str, filename: str, content_type: str, size: int, now: datetime, *, key: str
) -> Attachment:
    """An ``awaiting_upload`` attachment whose file is to be uploaded to ``key``."""
    return Attachment(
        attachment_id=attachment_id,
        filename=filename,
        content_type=content_type,
        size=size,
        status="awaiting_upload",
        created_at=now,
        upload_expires_at=now + UPLOAD_TTL,
        key=key,
    )


def room_for_one_more(attachments: tuple[Attachment, ...], now: datetime) -> list[str]:
    """The ids of stale ``awaiting_upload`` entries a new attachment replaces; raises
    ``NotEligible`` (``too_many_attachments``) when the complaint has no room even so."""
    live = [a for a in attachments if a.counts(now)]
    if len(live) >= MAX_PER_COMPLAINT:
        raise NotEligible(
            f"a complaint may have at most {MAX_PER_COMPLAINT} attachments",
            code="too_many_attachments",
            details={"max": MAX_PER_COMPLAINT},
        )
    return [a.attachment_id for a in attachments if not a.counts(now)]


def verify_upload(
    attachment: Attachment, *, stored_size: int, head: bytes, max_bytes: int
) -> dict[str, Any] | None:
    """What is wrong with an uploaded file (None: nothing): its size must be the declared
    one (and within the limit), and its first bytes those of the declared type — an HTML
    page renamed ``.png`` is no PNG."""
    if stored_size > max_bytes:
        return {"reason": "too_large", "size": stored_size, "max_bytes": max_bytes}
    if stored_size != attachment.size:
        return {"reason": "size_mismatch", "declared": attachment.size, "size": stored_size}
    detected = detect_type(head)
    if detected != attachment.content_type:
        return {
            "reason": "type_mismatch",
            "declared": attachment.content_type,
            "detected": detected,
        }
    return None
