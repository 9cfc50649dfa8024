"""A seller's complaint records as export rows, and their CSV / JSON Lines encodings.

Pure: ``export_row`` turns a complaint into one flat row (docs/product.md, "Export"), and
``encoded_lines`` yields the file's text line by line, so the service can stream any number
of rows into storage without holding them.

CSV is written for spreadsheet programs: UTF-8 with a byte order mark (so Excel reads the
Chinese reason texts as UTF-8), RFC 4180 quoting (fields with a comma, quote, CR or LF in
double quotes, quotes doubled) and CRLF line ends.  A cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would be read as a formula (CSV injection), so it
is neutralised with a leading single quote (``'``), which spreadsheets show as text.  JSON
Lines carries the same values untouched, one JSON object per line (LF), exempted metrics
as a list.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any, Literal

from chalicelib.domain.complaints import Complaint
from chalicelib.domain.reasons import reason_text
from chalicelib.domain.timeutil import to_iso

ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}

#: The columns, in order (CSV header; JSON Lines keys).
COLUMNS: tuple[str, ...] = (
    "complaint_id",
    "order_id",
    "buyer_id",
    "scenario",
    "status",
    "submitted_at",
    "due_at",
    "decided_at",
    "outcome",
    "reason_code",
    "reason_zh",
    "reason_en",
    "decided_by",
    "appealed_at",
    "exemption_status",
    "exemption_applied_at",
    "exempted_metrics",
)

#: The history action an appeal records (its details hold the seller's ``statement``).
APPEALED = "appealed"
BOM = "\ufeff"
#: A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _appealed_at(complaint: Complaint) -> str | None:
    """When the complaint was appealed (its latest ``appealed`` history entry), else None."""
    times = [h.at for h in complaint.history if h.action == APPEALED]
    return to_iso(max(times)) if times else None


def export_row(complaint: Complaint, exemption_due: timedelta) -> dict[str, Any]:
    """One complaint as an export row: every column of ``COLUMNS``, None when it does not
    apply.  ``exempted_metrics`` is a list of ``{"metric", "before", "after"}`` (the
    values the exemption job logged when it applied the exemption)."""
    decision = complaint.decision
    reason = reason_text(decision.reason_code) if decision else None
    exemption = complaint.exemption_state(exemption_due)
    return {
        "complaint_id": complaint.complaint_id,
        "order_id": complaint.order_id,
        "buyer_id": complaint.buyer_id,
        "scenario": complaint.scenario,
        "status": complaint.status,
        "submitted_at": to_iso(complaint.submitted_at),
        "due_at": to_iso(complaint.due_at),
        "decided_at": to_iso(decision.decided_at) if decision else None,
        "outcome": decision.outcome if decision else None,
        "reason_code": decision.reason_code if decision else None,
        "reason_zh": reason.zh if reason else None,
        "reason_en": reason.en if reason else None,
        "decided_by": decision.decided_by if decision else None,
        "appealed_at": _appealed_at(complaint),
        "exemption_status": exemption["status"],
        "exemption_applied_at": exemption.get("applied_at"),
        "exempted_metrics": [
            {"metric": m.get("metric"), "before": m.get("before"), "after": m.get("after")}
            for m in complaint.exemption_metrics
        ],
    }


# --------------------------------------------------------------------------- CSV


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would evaluate as a formula, prefixed with ``'`` (shown as text)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def metrics_cell(metrics: Iterable[Mapping[str, Any]]) -> str:
    """Exempted metrics in one cell: ``metric:before→after`` joined by ``;`` (an unknown
    value is empty, e.g. ``dispute_rate:→0``)."""
    return ";".join(
        f"{m.get('metric')}:{_number(m.get('before'))}→{_number(m.get('after'))}" for m in metrics
    )


def csv_cells(row: Mapping[str, Any]) -> list[str]:
    """A row's CSV cells in ``COLUMNS`` order: None empty, metrics compacted, neutralised."""
    cells = []
    for column in COLUMNS:
        value = row.get(column)
        if column == "exempted_metrics":
            text = metrics_cell(value or ())
        else:
            text = "" if value is None else str(value)
        cells.append(neutralise(text))
    return cells


class _CsvLine:
    """One RFC 4180 record at a time (``csv`` quotes minimally and doubles quotes)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def __call__(self, cells: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        return self.buffer.getvalue()


def csv_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The CSV file's text: BOM and header, then one record per row."""
    line = _CsvLine()
    yield BOM + line(list(COLUMNS))
    for row in rows:
        yield line(csv_cells(row))


# --------------------------------------------------------------------------- JSON Lines


def jsonl_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One JSON object per row and line (UTF-8 text, not escaped), keys in ``COLUMNS``
    order; no header — an empty export is an empty file."""
    for row in rows:
        yield json.dumps({c: row.get(c) for c in COLUMNS}, ensure_ascii=False) + "\n"


def encoded_lines(fmt: ExportFormat, rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    if fmt == "csv":
        return csv_lines(rows)
    if fmt == "jsonl":
        return jsonl_lines(rows)
    raise ValueError(f"unknown export format {fmt!r}")
