"""GET /complaints/export through the HTTP API: the file in the files bucket (read back
with boto3 from the key the presigned URL names — moto's in-process mock serves no HTTP)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.config import Settings
from chalicelib.domain.complaints import HistoryEntry, decide, new_complaint
from chalicelib.domain.export import BOM, COLUMNS
from tests.builders import T0, order_event
from tests.functional.conftest import Api


def _objects(settings: Settings) -> list[str]:
    listed = boto3.client("s3", region_name=settings.region).list_objects_v2(
        Bucket=settings.files_bucket, Prefix="exports/"
    )
    return [o["Key"] for o in listed.get("Contents", [])]


def _file(settings: Settings, url: str) -> tuple[str, str]:
    """The exported object's text and content type, from the key the link points at."""
    parsed = urlparse(url)
    assert parsed.netloc.startswith(settings.files_bucket)
    key = unquote(parsed.path.lstrip("/"))
    got = boto3.client("s3", region_name=settings.region).get_object(
        Bucket=settings.files_bucket, Key=key
    )
    return got["Body"].read().decode("utf-8"), got["ContentType"]


def _records(text: str) -> list[dict[str, str]]:
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))
    assert rows[0] == list(COLUMNS)
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]


@pytest.fixture
def filed(api: Api, settings: Settings, clock: Any) -> dict[str, str]:
    """Three complaints of s-1 (one pending, one upheld by a reviewer with its exemption
    applied and an appeal in its history) and one of s-2."""
    api.events(
        order_event("o-1", status="placed"),
        order_event("o-2", status="placed"),
        order_event("o-s2", seller_id="s-2", buyer_id="b-9", status="placed"),
    )
    ids = {"o-1": api.submit("o-1", "malicious_ordering").body["complaint_id"]}
    clock.advance(hours=1)
    ids["o-2"] = api.submit("o-2", "malicious_harassment").body["complaint_id"]
    ids["o-s2"] = api.submit("o-s2", "malicious_ordering", seller="s-2").body["complaint_id"]
    # stored directly: an exempted complaint with an appeal (appeals are another change)
    old = new_complaint(
        seller_id="s-1",
        order_id="o-old",
        buyer_id='买家,"甲"',
        scenario="malicious_ordering",
        reason=None,
        description="d",
        evidence=(),
        now=T0 - timedelta(days=10),
    )
    decided = decide(
        old,
        outcome="upheld",
        reason_code="malicious_ordering_confirmed",
        decided_by="operator",
        actor="operator:op-1",
        now=T0 - timedelta(days=9),
    )
    appeal = HistoryEntry(
        at=T0 - timedelta(days=8), actor="seller:s-1", action="appealed", details={"statement": "s"}
    )
    appealed = replace(decided, history=(*decided.history, appeal))
    repository = ComplaintRepository(settings)
    repository.add(appealed, sweep_at=None)
    exempted = appealed.with_exemption(
        T0 - timedelta(days=7),
        ({"metric": "cancellation_rate", "before": 0.5, "after": 0.25},),
    )
    repository.mark_exemption_applied(exempted, {"event_id": "e"}, T0 - timedelta(days=7))
    ids["o-old"] = exempted.complaint_id
    return ids


def test_a_csv_export_of_the_sellers_own_complaints(
    api: Api, settings: Settings, filed: dict[str, str]
) -> None:
    reply = api.call("GET", "/complaints/export?format=csv")
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"format", "rows", "url", "expires_at"}
    assert reply.body["format"] == "csv" and reply.body["rows"] == 3
    assert reply.body["expires_at"] == "2026-11-20T09:05:00Z"  # the clock: T0 + 1 h, + 5 min
    query = parse_qs(urlparse(reply.body["url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"][0].startswith("attachment; filename=")
    assert query["response-content-disposition"][0].endswith('.csv"')
    text, content_type = _file(settings, reply.body["url"])
    assert content_type == "text/csv; charset=utf-8"
    assert "\r\n" in text
    records = _records(text)
    assert [r["order_id"] for r in records] == ["o-2", "o-1", "o-old"]  # newest first, no o-s2
    pending = records[0]
    assert pending["complaint_id"] == filed["o-2"] and pending["status"] == "pending"
    assert pending["scenario"] == "malicious_harassment" and pending["outcome"] == ""
    old = records[2]
    assert old["buyer_id"] == '买家,"甲"'
    assert (old["outcome"], old["decided_by"]) == ("upheld", "operator")
    assert old["reason_zh"] == "确认买家恶意下单"
    assert old["appealed_at"] == "2026-11-12T08:00:00Z"
    assert old["exemption_status"] == "applied"
    assert old["exemption_applied_at"] == "2026-11-13T08:00:00Z"
    assert old["exempted_metrics"] == "cancellation_rate:0.5→0.25"
    # the static route is not taken for a complaint id, and ids still open
    assert api.call("GET", f"/complaints/{filed['o-1']}").body["order_id"] == "o-1"


def test_the_default_format_is_csv_and_jsonl_is_one_object_per_line(
    api: Api, settings: Settings, filed: dict[str, str]
) -> None:
    default = api.call("GET", "/complaints/export")
    assert default.status == 200 and default.body["format"] == "csv"
    reply = api.call("GET", "/complaints/export?format=jsonl", seller="s-2")
    assert reply.status == 200 and reply.body["rows"] == 1
    text, content_type = _file(settings, reply.body["url"])
    assert content_type == "application/x-ndjson; charset=utf-8"
    lines = text.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["complaint_id"] == filed["o-s2"]
    assert json.loads(lines[0])["exempted_metrics"] == []
    keys = _objects(settings)
    assert len(keys) == 2
    assert any(k.startswith("exports/s-2/") and k.endswith(".jsonl") for k in keys)


def test_from_and_to_bound_the_export_within_six_months(
    api: Api, settings: Settings, filed: dict[str, str], clock: Any
) -> None:
    reply = api.call("GET", "/complaints/export?from=2026-11-01&to=2026-11-20T08:30:00Z")
    records = _records(_file(settings, reply.body["url"])[0])
    assert [r["order_id"] for r in records] == ["o-1", "o-old"]
    reply = api.call("GET", "/complaints/export?from=2026-11-15")
    assert reply.body["rows"] == 2
    clock.advance(days=183)  # 6 months later: the old one has left the window
    reply = api.call("GET", "/complaints/export?from=2020-01-01")
    assert reply.body["rows"] == 0


def test_an_empty_export_is_a_header_only_csv(api: Api, settings: Settings) -> None:
    reply = api.call("GET", "/complaints/export", seller="s-nobody")
    assert reply.status == 200 and reply.body["rows"] == 0
    text, _ = _file(settings, reply.body["url"])
    assert text == BOM + ",".join(COLUMNS) + "\r\n"


@pytest.mark.parametrize(
    "query",
    [
        "format=xlsx",
        "format=CSV",
        "format=",
        "format=csv&format=jsonl",
        "limit=5",
        "from=yesterday",
        "to=2026-13-01",
    ],
)
def test_a_bad_query_is_a_400_and_writes_nothing(
    api: Api, settings: Settings, filed: dict[str, str], query: str
) -> None:
    reply = api.call("GET", f"/complaints/export?{query}")
    assert reply.status == 400, reply.body
    assert set(reply.body["error"]) == {"code", "message", "details"}
    assert _objects(settings) == []


def test_only_a_seller_may_export(api: Api, settings: Settings, filed: dict[str, str]) -> None:
    assert api.call("GET", "/complaints/export", seller=None).status == 401
    assert api.call("GET", "/complaints/export", token="not-a-token").status == 401
    assert api.call("GET", "/complaints/export", seller="op", role="operator").status == 403
    assert api.call("GET", "/complaints/export", seller="p", role="system").status == 403
    assert _objects(settings) == []
