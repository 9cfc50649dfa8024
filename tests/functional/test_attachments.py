"""Attachments (docs/api.md): announce, upload, complete, open — and every refusal, each
writing nothing.  Uploads here are put straight into moto's bucket; the real presigned
POST through HTTP is in test_attachments_upload.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest

from chalicelib.adapters.models import complaint_model
from chalicelib.config import Settings
from chalicelib.domain.complaints import complaint_id_for
from chalicelib.domain.timeutil import to_iso
from tests.builders import T0, order_event, review_event
from tests.functional.conftest import Api, tables

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
HTML = b"<html><script>alert(1)</script></html>"


def pending(api: Api, order_id: str = "o-1", seller: str = "s-1") -> str:
    api.events(
        order_event(order_id, seller_id=seller, status="delivered"),
        review_event(f"r-{order_id}", order_id, seller_id=seller, rating=1),
    )
    reply = api.submit(order_id, "malicious_review", seller=seller)
    assert reply.status == 201 and reply.body["status"] == "pending", reply.body
    return str(reply.body["complaint_id"])


def announce(api: Api, complaint_id: str, *, seller: str = "s-1", **fields: Any) -> Any:
    body = {"filename": "chat.png", "content_type": "image/png", "size": len(PNG), **fields}
    return api.call("POST", f"/complaints/{complaint_id}/attachments", body, seller=seller)


def upload(settings: Settings, reply: Any, data: bytes) -> None:
    """What the browser's POST does, straight into moto's bucket."""
    key = reply.body["upload"]["fields"]["key"]
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=settings.files_bucket, Key=key, Body=data
    )


def objects(settings: Settings) -> list[str]:
    found = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket=settings.files_bucket
    )
    return sorted(o["Key"] for o in found.get("Contents", []))


def complete(api: Api, complaint_id: str, attachment_id: str, seller: str = "s-1") -> Any:
    path = f"/complaints/{complaint_id}/attachments/{attachment_id}/complete"
    return api.call("POST", path, seller=seller)


def test_announce_upload_complete_open(api: Api, settings: Settings) -> None:
    complaint_id = pending(api)
    reply = announce(api, complaint_id, filename="聊天 截图.png")
    assert reply.status == 201, reply.body
    attachment_id = reply.body["attachment_id"]
    fields = reply.body["upload"]["fields"]
    assert fields["key"] == f"attachments/s-1/{complaint_id}/{attachment_id}"
    assert fields["Content-Type"] == "image/png"
    assert reply.body["expires_at"] == to_iso(T0 + timedelta(minutes=15))
    shown = api.call("GET", f"/complaints/{complaint_id}").body["attachments"]
    assert shown == [
        {
            "attachment_id": attachment_id,
            "filename": "聊天 截图.png",
            "content_type": "image/png",
            "size": len(PNG),
            "sha256": None,
            "status": "awaiting_upload",
            "uploaded_at": None,
        }
    ]
    upload(settings, reply, PNG)
    done = complete(api, complaint_id, attachment_id)
    assert done.status == 200, done.body
    assert done.body["status"] == "verified"
    assert done.body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert complete(api, complaint_id, attachment_id).body == done.body  # idempotent
    tags = boto3.client("s3", region_name="us-east-1").get_object_tagging(
        Bucket=settings.files_bucket, Key=fields["key"]
    )["TagSet"]
    assert tags == [{"Key": "upload", "Value": "verified"}]
    (listed,) = api.call("GET", f"/complaints/{complaint_id}").body["attachments"]
    assert listed == done.body
    review = api.call("GET", f"/review/complaints/{complaint_id}", seller="op", role="operator")
    assert review.body["attachments"] == [done.body]
    link = api.call("GET", f"/complaints/{complaint_id}/attachments/{attachment_id}")
    assert link.status == 200 and fields["key"] in link.body["url"]
    assert "X-Amz-Expires=300" in link.body["url"]
    path = f"/review/complaints/{complaint_id}/attachments/{attachment_id}"
    by_reviewer = api.call("GET", path, seller="op", role="operator")
    assert by_reviewer.status == 200 and fields["key"] in by_reviewer.body["url"]


def test_a_file_that_is_not_what_was_announced_is_refused_and_deleted(
    api: Api, settings: Settings
) -> None:
    complaint_id = pending(api)
    reply = announce(api, complaint_id, size=len(HTML))
    attachment_id = reply.body["attachment_id"]
    not_yet = complete(api, complaint_id, attachment_id)
    assert not_yet.status == 422
    assert not_yet.body["error"]["code"] == "attachment_not_uploaded"
    upload(settings, reply, HTML)  # an HTML page named .png
    refused = complete(api, complaint_id, attachment_id)
    assert refused.status == 422
    assert refused.body["error"]["code"] == "attachment_invalid"
    assert refused.body["error"]["details"] == {
        "reason": "type_mismatch",
        "declared": "image/png",
        "detected": None,
    }
    assert objects(settings) == []
    (entry,) = api.call("GET", f"/complaints/{complaint_id}").body["attachments"]
    assert entry["status"] == "awaiting_upload"
    link = api.call("GET", f"/complaints/{complaint_id}/attachments/{attachment_id}")
    assert link.status == 409 and link.body["error"]["code"] == "attachment_not_verified"


def test_a_file_of_another_size_is_refused(api: Api, settings: Settings) -> None:
    complaint_id = pending(api)
    reply = announce(api, complaint_id)
    upload(settings, reply, PNG + b"more")
    refused = complete(api, complaint_id, reply.body["attachment_id"])
    assert refused.status == 422
    assert refused.body["error"]["details"] == {
        "reason": "size_mismatch",
        "declared": len(PNG),
        "size": len(PNG) + 4,
    }
    assert objects(settings) == []


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"content_type": "text/html"}, 422, "unsupported_type"),
        ({"content_type": "image/svg+xml"}, 422, "unsupported_type"),
        ({"size": 10 * 1024 * 1024 + 1}, 413, "attachment_too_large"),
        ({"size": 0}, 400, "invalid_request"),
        ({"size": "12"}, 400, "invalid_request"),
        ({"size": True}, 400, "invalid_request"),
        ({"filename": ""}, 400, "invalid_request"),
        ({"filename": "x" * 256}, 400, "invalid_request"),
        ({"filename": "\u0000\u200b"}, 400, "invalid_filename"),
        ({"key": "attachments/s-2/x"}, 400, "invalid_request"),
    ],
)
def test_refused_announcements_write_nothing(
    api: Api, settings: Settings, fields: dict[str, Any], status: int, code: str
) -> None:
    complaint_id = pending(api)
    before = tables(settings)
    reply = announce(api, complaint_id, **fields)
    assert (reply.status, reply.body["error"]["code"]) == (status, code), reply.body
    assert tables(settings) == before


def test_another_sellers_complaint_is_not_found(api: Api, settings: Settings) -> None:
    complaint_id = pending(api)
    reply = announce(api, complaint_id)
    attachment_id = reply.body["attachment_id"]
    upload(settings, reply, PNG)
    assert complete(api, complaint_id, attachment_id).status == 200
    before = tables(settings)
    assert announce(api, complaint_id, seller="s-2").status == 404
    assert complete(api, complaint_id, attachment_id, seller="s-2").status == 404
    path = f"/complaints/{complaint_id}/attachments/{attachment_id}"
    assert api.call("GET", path, seller="s-2").status == 404
    assert tables(settings) == before
    for missing in ("a_" + "0" * 32, "nope", attachment_id + "0"):
        assert api.call("GET", f"/complaints/{complaint_id}/attachments/{missing}").status == 404
        review = f"/review/complaints/{complaint_id}/attachments/{missing}"
        assert api.call("GET", review, seller="op", role="operator").status == 404
    assert (
        api.call(
            "GET",
            f"/review/complaints/c_nope/attachments/{attachment_id}",
            seller="op",
            role="operator",
        ).status
        == 404
    )


def test_roles(api: Api) -> None:
    complaint_id = pending(api)
    path = f"/complaints/{complaint_id}/attachments"
    body = {"filename": "a.png", "content_type": "image/png", "size": 10}
    assert api.call("POST", path, body, seller=None).status == 401
    assert api.call("POST", path, body, seller="op", role="operator").status == 403
    review = f"/review/complaints/{complaint_id}/attachments/a_{'0' * 32}"
    assert api.call("GET", review).status == 403
    assert api.call("GET", review, seller=None).status == 401


def test_at_most_ten_counting_uploads_not_yet_expired(
    api: Api, settings: Settings, clock: Any
) -> None:
    complaint_id = pending(api)
    ids = [announce(api, complaint_id).body["attachment_id"] for _ in range(10)]
    assert len(set(ids)) == 10
    before = tables(settings)
    full = announce(api, complaint_id)
    assert (full.status, full.body["error"]["code"]) == (422, "too_many_attachments")
    assert tables(settings) == before
    clock.advance(minutes=10)
    first = announce(api, complaint_id, size=len(PNG))
    assert first.status == 422  # the first ten's forms are still valid
    clock.advance(minutes=6)  # now they have expired: the next one replaces them all
    fresh = announce(api, complaint_id)
    assert fresh.status == 201
    shown = api.call("GET", f"/complaints/{complaint_id}").body["attachments"]
    assert [a["attachment_id"] for a in shown] == [fresh.body["attachment_id"]]
    assert all(announce(api, complaint_id).status == 201 for _ in range(9))
    assert announce(api, complaint_id).status == 422  # the count followed the replacements


def test_only_while_pending(api: Api, settings: Settings) -> None:
    complaint_id = pending(api)
    reply = announce(api, complaint_id)
    assert api.decide(complaint_id, "rejected", "insufficient_evidence").status == 200
    upload(settings, reply, PNG)
    before = tables(settings)
    late = announce(api, complaint_id)
    assert (late.status, late.body["error"]["code"]) == (422, "complaint_not_pending")
    too_late = complete(api, complaint_id, reply.body["attachment_id"])
    assert (too_late.status, too_late.body["error"]["code"]) == (422, "complaint_not_pending")
    assert tables(settings) == before


def _store_key(settings: Settings, complaint_id: str, attachment_id: str, key: str) -> None:
    """What re-categorisation leaves behind: the complaint under a new id, its entries
    copied with the keys their files were uploaded under (the old id's)."""
    model = complaint_model(settings)
    model(complaint_id).update(actions=[model.attachments[attachment_id]["key"].set(key)])


def test_complete_open_and_delete_use_the_key_stored_with_the_attachment(
    api: Api, settings: Settings
) -> None:
    complaint_id = pending(api)
    old_id = complaint_id_for("o-1", "malicious_harassment")
    good, bad = (announce(api, complaint_id).body["attachment_id"] for _ in range(2))
    good_key, bad_key = (f"attachments/s-1/{old_id}/{a}" for a in (good, bad))
    _store_key(settings, complaint_id, good, good_key)
    _store_key(settings, complaint_id, bad, bad_key)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=settings.files_bucket, Key=good_key, Body=PNG)
    s3.put_object(Bucket=settings.files_bucket, Key=bad_key, Body=HTML[: len(PNG)])
    done = complete(api, complaint_id, good)
    assert done.status == 200, done.body
    tags = s3.get_object_tagging(Bucket=settings.files_bucket, Key=good_key)["TagSet"]
    assert tags == [{"Key": "upload", "Value": "verified"}]
    link = api.call("GET", f"/complaints/{complaint_id}/attachments/{good}")
    assert urlparse(link.body["url"]).path.endswith(f"/{good_key}")
    refused = complete(api, complaint_id, bad)
    assert refused.body["error"]["code"] == "attachment_invalid"
    assert objects(settings) == [good_key]  # the refused file was deleted where it was
