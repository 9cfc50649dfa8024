"""Export rows and their CSV / JSON Lines encodings (domain/export.py), and the export
service on the in-memory fakes (services/export.py)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.complaints import Complaint, HistoryEntry, decide, new_complaint
from chalicelib.domain.export import (
    BOM,
    COLUMNS,
    csv_lines,
    encoded_lines,
    export_row,
    jsonl_lines,
    metrics_cell,
    neutralise,
)
from chalicelib.services.export import LINK_TTL, export_complaints
from tests.builders import T0
from tests.fakes import InMemoryComplaints, InMemoryExportFiles

DUE = timedelta(hours=72)


def _complaint(order_id: str = "o-1", *, hours: float = 0, seller: str = "s-1") -> Complaint:
    return new_complaint(
        seller_id=seller,
        order_id=order_id,
        buyer_id="b-1",
        scenario="malicious_ordering",
        reason=None,
        description="d",
        evidence=(),
        now=T0 + timedelta(hours=hours),
    )


def _upheld_and_exempted() -> Complaint:
    decided = decide(
        _complaint(),
        outcome="upheld",
        reason_code="malicious_ordering_confirmed",
        decided_by="operator",
        actor="operator:op-1",
        now=T0 + timedelta(hours=5),
    )
    metrics = (
        {"metric": "cancellation_rate", "before": 0.125, "after": 0.1},
        {"metric": "dispute_rate", "before": None, "after": 0.0},
    )
    return decided.with_exemption(T0 + timedelta(hours=30), metrics)


def _parsed_csv(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


# --------------------------------------------------------------------------- rows


def test_a_pending_complaint_has_only_its_own_columns() -> None:
    row = export_row(_complaint(), DUE)
    assert list(row) == list(COLUMNS)
    assert row["status"] == "pending" and row["submitted_at"] == "2026-11-20T08:00:00Z"
    assert row["due_at"] == "2026-11-22T08:00:00Z"
    assert row["exemption_status"] == "not_applicable"
    for column in ("decided_at", "outcome", "reason_code", "reason_zh", "decided_by"):
        assert row[column] is None
    assert row["appealed_at"] is None and row["exempted_metrics"] == []


def test_a_decided_exempted_complaint_has_its_decision_reason_texts_and_metrics() -> None:
    row = export_row(_upheld_and_exempted(), DUE)
    assert row["outcome"] == "upheld" and row["decided_by"] == "operator"
    assert row["decided_at"] == "2026-11-20T13:00:00Z"
    assert row["reason_code"] == "malicious_ordering_confirmed"
    assert row["reason_zh"] == "确认买家恶意下单"
    assert row["reason_en"] == "Malicious ordering by this buyer confirmed"
    assert row["exemption_status"] == "applied"
    assert row["exemption_applied_at"] == "2026-11-21T14:00:00Z"
    assert row["exempted_metrics"] == [
        {"metric": "cancellation_rate", "before": 0.125, "after": 0.1},
        {"metric": "dispute_rate", "before": None, "after": 0.0},
    ]


def test_an_upheld_complaint_awaiting_its_exemption_is_scheduled() -> None:
    decided = decide(
        _complaint(),
        outcome="upheld",
        reason_code="complaint_upheld",
        decided_by="rules",
        actor="rules",
        now=T0,
    )
    row = export_row(decided, DUE)
    assert (row["exemption_status"], row["exemption_applied_at"]) == ("scheduled", None)


def test_the_appeal_column_is_the_time_of_the_appealed_history_entry() -> None:
    complaint = _complaint()
    appealed = HistoryEntry(
        at=T0 + timedelta(days=2), actor="seller:s-1", action="appealed", details={"statement": "x"}
    )
    other = HistoryEntry(at=T0 + timedelta(days=3), actor="operator:op", action="decided:upheld")
    row = export_row(replace(complaint, history=(*complaint.history, appealed, other)), DUE)
    assert row["appealed_at"] == "2026-11-22T08:00:00Z"


# --------------------------------------------------------------------------- CSV


def test_csv_has_a_bom_a_header_and_crlf_records() -> None:
    text = "".join(csv_lines([export_row(_upheld_and_exempted(), DUE)]))
    assert text.startswith(BOM + "complaint_id,order_id,buyer_id,")
    assert text.count("\r\n") == 2 and "\n" not in text.replace("\r\n", "")
    header, record = _parsed_csv(text)
    assert header == list(COLUMNS)
    cells = dict(zip(header, record, strict=True))
    assert cells["reason_zh"] == "确认买家恶意下单"
    assert cells["exempted_metrics"] == "cancellation_rate:0.125→0.1;dispute_rate:→0"
    assert cells["appealed_at"] == "" and cells["exemption_status"] == "applied"


def test_an_empty_csv_export_is_its_header() -> None:
    assert "".join(csv_lines([])) == BOM + ",".join(COLUMNS) + "\r\n"


def test_commas_quotes_and_newlines_are_quoted_as_rfc_4180_says() -> None:
    row = {**export_row(_complaint(), DUE), "order_id": 'a,"b"\r\nc', "buyer_id": "买家\n二"}
    text = "".join(csv_lines([row]))
    assert '"a,""b""\r\nc"' in text and '"买家\n二"' in text
    _, record = _parsed_csv(text)
    assert record[1] == 'a,"b"\r\nc' and record[2] == "买家\n二"


def test_chinese_text_round_trips_through_utf8_bytes() -> None:
    row = {**export_row(_upheld_and_exempted(), DUE), "buyer_id": "张三，李四"}
    data = "".join(csv_lines([row])).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet programs look for
    _, record = _parsed_csv(data.decode("utf-8"))
    assert record[2] == "张三，李四" and record[COLUMNS.index("reason_zh")] == "确认买家恶意下单"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_start_is_neutralised_with_a_quote(start: str) -> None:
    cell = f'{start}HYPERLINK("http://x")'
    assert neutralise(cell) == "'" + cell
    row = {**export_row(_complaint(), DUE), "buyer_id": cell}
    _, record = _parsed_csv("".join(csv_lines([row])))
    assert record[2] == "'" + cell


def test_ordinary_cells_are_left_alone() -> None:
    for cell in ("b-1", "2026-11-20T08:00:00Z", "", "0.5", "a=b"):
        assert neutralise(cell) == cell


def test_the_metrics_cell_is_compact() -> None:
    assert metrics_cell([]) == ""
    assert metrics_cell([{"metric": "m", "before": 1.0, "after": 0.25}]) == "m:1→0.25"


@given(st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_any_text_reads_back_as_written_and_never_starts_a_formula(values: list[str]) -> None:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["exempted_metrics"] = []
    for column, value in zip(
        ("complaint_id", "order_id", "buyer_id", "scenario", "status"), values, strict=False
    ):
        row[column] = value
    _, record = _parsed_csv("".join(csv_lines([row])))
    assert len(record) == len(COLUMNS)
    for cell, column in zip(record, COLUMNS, strict=True):
        original = row[column]
        expected = "" if original is None or column == "exempted_metrics" else str(original)
        assert cell in (expected, "'" + expected)
        assert cell == (
            "'" + expected if expected.startswith(("=", "+", "-", "@", "\t", "\r")) else expected
        )
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


# --------------------------------------------------------------------------- JSON Lines


def test_jsonl_is_one_object_per_line_with_metrics_as_a_list() -> None:
    rows = [export_row(_upheld_and_exempted(), DUE), export_row(_complaint("o-2"), DUE)]
    lines = list(jsonl_lines(rows))
    assert len(lines) == 2 and all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    first = json.loads(lines[0])
    assert list(first) == list(COLUMNS)
    assert first["exempted_metrics"][0] == {
        "metric": "cancellation_rate",
        "before": 0.125,
        "after": 0.1,
    }
    assert "确认买家恶意下单" in lines[0]  # UTF-8, not \\u escapes
    assert json.loads(lines[1])["decided_at"] is None
    assert list(jsonl_lines([])) == []


def test_jsonl_values_are_not_neutralised() -> None:
    row = {**export_row(_complaint(), DUE), "buyer_id": "=1+1"}
    assert json.loads(next(jsonl_lines([row])))["buyer_id"] == "=1+1"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        encoded_lines("xlsx", [])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the service


def _export(complaints: InMemoryComplaints, files: InMemoryExportFiles, **kwargs: Any) -> Any:
    arguments: dict[str, Any] = {
        "seller_id": "s-1",
        "export_id": "e" * 32,
        "fmt": "csv",
        "now": T0 + timedelta(days=1),
        "months": 6,
        "submitted_from": None,
        "submitted_to": None,
        "exemption_due": DUE,
        **kwargs,
    }
    return export_complaints(complaints, files, **arguments)


def test_the_service_pages_through_every_complaint_newest_first_into_one_file() -> None:
    complaints, files = InMemoryComplaints(), InMemoryExportFiles()
    complaints.export_page_size = 3
    for i in range(8):
        complaints.add(_complaint(f"o-{i}", hours=i), sweep_at=None)
    complaints.add(_complaint("o-x", seller="s-2"), sweep_at=None)
    complaints.calls.clear()
    result = _export(complaints, files, fmt="jsonl")
    # three pages, each a Query of the keys and a BatchGetItem of its complaints
    assert complaints.calls == {"export_page": 6} and files.calls == {"save_export": 1}
    key = "exports/s-1/" + "e" * 32 + ".jsonl"
    assert result.key == key and result.rows == 8
    data, content_type = files.files[key]
    assert content_type == "application/x-ndjson; charset=utf-8" and result.size == len(data)
    orders = [json.loads(line)["order_id"] for line in data.decode().splitlines()]
    assert orders == [f"o-{i}" for i in reversed(range(8))]
    assert (
        result.url == f"memory://{key}?filename=complaints-20261121-eeeeeeee.jsonl&expires_in=300"
    )
    assert (
        result.expires_at == T0 + timedelta(days=1) + LINK_TTL == T0 + timedelta(days=1, minutes=5)
    )


def test_the_service_keeps_to_the_window_and_from_to() -> None:
    complaints, files = InMemoryComplaints(), InMemoryExportFiles()
    for i in range(5):
        complaints.add(_complaint(f"o-{i}", hours=i * 24), sweep_at=None)
    result = _export(
        complaints,
        files,
        now=T0 + timedelta(days=10),
        submitted_from=T0 + timedelta(days=1),
        submitted_to=T0 + timedelta(days=3),
    )
    records = _parsed_csv(files.files[result.key][0].decode())[1:]
    assert [r[1] for r in records] == ["o-3", "o-2", "o-1"] and result.rows == 3
    # older than six months: not exported
    late = _export(complaints, files, export_id="f" * 32, now=T0 + timedelta(days=200))
    assert late.rows == 0
    assert files.files[late.key][0].decode() == BOM + ",".join(COLUMNS) + "\r\n"


def test_an_empty_window_reads_nothing_and_still_gives_a_header_only_file() -> None:
    complaints, files = InMemoryComplaints(), InMemoryExportFiles()
    complaints.add(_complaint(), sweep_at=None)
    complaints.calls.clear()
    result = _export(complaints, files, submitted_from=T0 + timedelta(days=3))
    assert result.rows == 0 and complaints.calls == {}
    assert files.files[result.key][0] == (BOM + ",".join(COLUMNS) + "\r\n").encode()
