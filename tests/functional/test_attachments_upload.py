"""A real upload: the presigned POST the API returns is sent as a browser sends it
(multipart form, ``requests``) to a local S3 over HTTP (moto's ThreadedMotoServer), the
upload completed, and the presigned GET serves exactly the uploaded bytes.

What moto's server does not enforce (read in moto 5's ``s3/responses.py``): the POST
policy (no signature, ``content-length-range``, ``Content-Type`` or expiry check — the
form's fields are stored as sent, its ``tagging`` ignored) and a presigned GET's
``X-Amz-Expires``.  So the ``complete`` step's own checks are tested here with uploads
that break the policy, and the links' lifetimes by their signed parameters and the POST
policy document (S3 itself enforces both)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from chalice.test import Client
from moto.server import ThreadedMotoServer

from app import app
from chalicelib.adapters.models import create_tables
from chalicelib.config import get_settings
from scripts.local import free_port
from tests.conftest import ROOT
from tests.functional.conftest import Api
from tests.functional.test_attachments import HTML, PNG, pending


@pytest.fixture
def server_api(tokens: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("DYNAMODB_ENDPOINT", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", url)
    settings = get_settings()
    try:
        requests.post(f"{url}/moto-api/reset", timeout=10)  # the backends are per process
        create_tables(settings)
        boto3.client("s3", region_name="us-east-1", endpoint_url=url).create_bucket(
            Bucket=settings.files_bucket
        )
        with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
            yield Api(client, tokens)
    finally:
        server.stop()


def _post(form: dict[str, Any], data: bytes, content_type: str = "image/png") -> int:
    sent = requests.post(
        form["url"], data=form["fields"], files={"file": ("x", data, content_type)}, timeout=10
    )
    return sent.status_code


def test_upload_through_the_presigned_post_and_download_the_same_bytes(
    server_api: Api,
) -> None:
    api = server_api
    complaint_id = pending(api)
    body = {"filename": "chat.png", "content_type": "image/png", "size": len(PNG)}
    announced = api.call("POST", f"/complaints/{complaint_id}/attachments", body)
    assert announced.status == 201, announced.body
    form = announced.body["upload"]
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", len(PNG), len(PNG)] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert {"key": form["fields"]["key"]} in policy["conditions"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 15 * 60
    assert _post(form, PNG) == 204
    path = f"/complaints/{complaint_id}/attachments/{announced.body['attachment_id']}"
    done = api.call("POST", f"{path}/complete")
    assert done.status == 200, done.body
    assert done.body["sha256"] == hashlib.sha256(PNG).hexdigest()
    link = api.call("GET", path).body["url"]
    signed = parse_qs(urlparse(link).query)
    assert signed["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert signed["X-Amz-Expires"] == ["300"]
    assert signed["response-content-type"] == ["image/png"]
    fetched = requests.get(link, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == PNG
    review = api.call("GET", f"/review{path}", seller="op", role="operator").body["url"]
    assert requests.get(review, timeout=10).content == PNG


@pytest.mark.parametrize(
    ("data", "sent_type", "reason"),
    [
        (HTML + bytes(len(PNG) - len(HTML)), "image/png", "type_mismatch"),  # HTML as .png
        (PNG + b"longer than the policy allows", "image/png", "size_mismatch"),
        (b"%PDF-1.7" + bytes(len(PNG) - 8), "application/pdf", "type_mismatch"),
    ],
)
def test_what_the_local_s3_lets_through_complete_refuses_and_deletes(
    server_api: Api, data: bytes, sent_type: str, reason: str
) -> None:
    api = server_api
    complaint_id = pending(api)
    body = {"filename": "chat.png", "content_type": "image/png", "size": len(PNG)}
    announced = api.call("POST", f"/complaints/{complaint_id}/attachments", body).body
    fields = dict(announced["upload"]["fields"], **{"Content-Type": sent_type})
    assert _post({**announced["upload"], "fields": fields}, data) == 204  # moto accepts it
    path = f"/complaints/{complaint_id}/attachments/{announced['attachment_id']}"
    refused = api.call("POST", f"{path}/complete")
    assert refused.status == 422
    assert refused.body["error"]["code"] == "attachment_invalid"
    assert refused.body["error"]["details"]["reason"] == reason
    settings = get_settings()
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=settings.files_endpoint)
    assert s3.list_objects_v2(Bucket=settings.files_bucket).get("Contents", []) == []
