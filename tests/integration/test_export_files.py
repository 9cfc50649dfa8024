"""The S3 export adapter against a real S3 HTTP endpoint (moto's server on a free port,
reached through ``AWS_ENDPOINT_URL_S3`` as ``make run`` does): the presigned link downloads
exactly the exported file, as an attachment with its file name.  (moto checks no
signatures: that a link expires and cannot be re-pointed is S3's part.)"""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.adapters import files as files_adapter
from chalicelib.adapters.files import S3Files
from chalicelib.config import Settings, get_settings
from chalicelib.domain.complaints import new_complaint
from chalicelib.services.export import export_complaints
from scripts.local import free_port
from tests.builders import T0
from tests.fakes import InMemoryComplaints


@pytest.fixture
def settings() -> Settings:
    """No DynamoDB here: one run, not one per backend of this directory's ``settings``."""
    return get_settings()


@pytest.fixture
def s3_endpoint(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    files_adapter.s3_client.cache_clear()  # a client made before knows no endpoint
    try:
        boto3.client("s3", region_name=settings.region).create_bucket(Bucket=settings.files_bucket)
        yield endpoint
    finally:
        files_adapter.s3_client.cache_clear()
        server.stop()


def _download(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers["Content-Disposition"]


def test_the_presigned_link_downloads_exactly_the_file(
    settings: Settings, s3_endpoint: str
) -> None:
    complaints = InMemoryComplaints()
    for i in range(3):
        complaints.add(
            new_complaint(
                seller_id="s-1",
                order_id=f"订单-{i}",
                buyer_id="b-1",
                scenario="malicious_ordering",
                reason=None,
                description="d",
                evidence=(),
                now=T0 + timedelta(hours=i),
            ),
            sweep_at=None,
        )
    files = S3Files(settings)
    result = export_complaints(
        complaints,
        files,
        seller_id="s-1",
        export_id="0123456789abcdef0123456789abcdef",
        fmt="csv",
        now=T0 + timedelta(days=1),
        months=6,
        submitted_from=None,
        submitted_to=None,
        exemption_due=timedelta(hours=72),
    )
    assert result.url.startswith(s3_endpoint)
    stored = boto3.client("s3", region_name=settings.region).get_object(
        Bucket=settings.files_bucket, Key=result.key
    )
    expected = stored["Body"].read()
    assert len(expected) == result.size and expected.startswith(b"\xef\xbb\xbf")
    assert "订单-2".encode() in expected
    body, disposition = _download(result.url)
    assert body == expected
    assert disposition == 'attachment; filename="complaints-20261121-01234567.csv"'


def test_a_large_file_is_uploaded_in_parts(
    settings: Settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_adapter, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)  # S3's minimum
    data = bytes(range(256)) * (45 * 1024)  # 11.25 MiB: three parts
    files = S3Files(settings)
    files.save_export("exports/s-1/big.jsonl", io.BytesIO(data), content_type="text/plain")
    head = boto3.client("s3", region_name=settings.region).head_object(
        Bucket=settings.files_bucket, Key="exports/s-1/big.jsonl"
    )
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')  # a multipart upload's ETag counts its parts
    url = files.export_link(
        "exports/s-1/big.jsonl", filename="big.jsonl", expires_in=timedelta(minutes=1)
    )
    assert _download(url)[0] == data
