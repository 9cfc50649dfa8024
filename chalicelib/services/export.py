"""A seller's complaint records as a downloadable file (``GET /complaints/export``).

The export may be large (10 000 complaints in six months is a few MB), more than a Lambda
response may carry (6 MB) — so the rows are not returned in the response: they are read
page by page (100 complaints a page: a Query of their keys and one BatchGetItem), encoded
line by line into a spooled temporary file (in memory up to ``SPOOL_BYTES``, then on local
disk), uploaded once to the
files bucket under ``exports/<seller>/<export id>.<csv|jsonl>`` and handed out as a
presigned link valid for ``LINK_TTL``.  Memory stays bounded whatever the count, and the
time is two requests per page plus one upload (README, "Export").
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.export import CONTENT_TYPES, ExportFormat, encoded_lines, export_row
from chalicelib.services.complaints import seller_window
from chalicelib.services.ports import ExportFiles, SellerExport

#: How long the download link is valid (a presigned GET; design: at most 5 minutes).
LINK_TTL = timedelta(minutes=5)
#: The file is built in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


class ExportResult(NamedTuple):
    format: ExportFormat
    rows: int
    url: str
    expires_at: datetime
    key: str
    size: int


def export_key(seller_id: str, export_id: str, fmt: ExportFormat) -> str:
    return f"exports/{seller_id}/{export_id}.{fmt}"


def export_filename(now: datetime, export_id: str, fmt: ExportFormat) -> str:
    """The name the browser saves the file under, e.g. ``complaints-20261129-1a2b3c4d.csv``."""
    return f"complaints-{now:%Y%m%d}-{export_id[:8]}.{fmt}"


def export_complaints(
    complaints: SellerExport,
    files: ExportFiles,
    *,
    seller_id: str,
    export_id: str,
    fmt: ExportFormat,
    now: datetime,
    months: int,
    submitted_from: datetime | None,
    submitted_to: datetime | None,
    exemption_due: timedelta,
) -> ExportResult:
    """Write every complaint of the seller in the window to one file and link it.

    Requests: two per page of 100 complaints (``export_page``), then one upload (PutObject; a
    multipart upload for a very large file).  An empty window still gives a file (a CSV
    with its header only)."""
    window = seller_window(now, months, submitted_from, submitted_to)
    rows = 0

    def all_rows() -> Any:
        nonlocal rows
        if window is None:
            return
        since, until = window
        start: Any = None
        while True:
            page = complaints.export_page(seller_id, since=since, until=until, start=start)
            for complaint in page.items:
                rows += 1
                yield export_row(complaint, exemption_due)
            start = page.next_start
            if start is None:
                return

    key = export_key(seller_id, export_id, fmt)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for line in encoded_lines(fmt, all_rows()):
            spool.write(line.encode("utf-8"))
        size = spool.tell()
        spool.seek(0)
        files.save_export(key, spool, content_type=CONTENT_TYPES[fmt])
    url = files.export_link(key, filename=export_filename(now, export_id, fmt), expires_in=LINK_TTL)
    return ExportResult(fmt, rows, url, now + LINK_TTL, key, size)
