"""The files bucket (S3): evidence files under ``attachments/``, sellers' exports under
``exports/``.

Browsers upload and download directly with presigned requests this adapter signs (no
request to S3: signing is local); the service itself only reads an upload once to check
it, tags it, or deletes it.  Uploads arrive tagged ``upload=pending`` (the presigned POST
requires the tag) and are re-tagged ``upload=verified`` once checked: the bucket's
lifecycle removes pending ones after a day and keeps verified ones as long as complaints
are retained (``scripts/infra.py``).

The client is cached per (region, endpoint), signs with Signature Version 4, and follows
``Settings.files_endpoint`` (boto3's ``AWS_ENDPOINT_URL_S3``: ``make run``'s local server).
An export is uploaded once by ``save_export`` (one PutObject up to ``MULTIPART_THRESHOLD``,
a multipart upload above it, part by part from the file, so memory stays bounded) and reached
only through a presigned GET whose ``Content-Disposition`` makes browsers save it under a
file name; export objects expire by the bucket's lifecycle rule on ``exports/``.

Failures reach the callers as domain errors (``adapters/storage_errors.py``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import lru_cache
from typing import IO, Any, NamedTuple

from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.config import Settings

#: The tag the lifecycle rules select on, with the value an upload must carry.
UPLOAD_TAG = "upload"
PENDING_TAGGING = (
    "<Tagging><TagSet><Tag><Key>upload</Key><Value>pending</Value></Tag></TagSet></Tagging>"
)
CHUNK = 1024 * 1024
#: Exports up to this size are one PutObject; larger ones a multipart upload of parts this big.
MULTIPART_THRESHOLD = 16 * 1024 * 1024


@lru_cache(maxsize=8)
def s3_client(region: str, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(signature_version="s3v4"),
    )


class StoredFile(NamedTuple):
    """An uploaded object as the service checks it: its size, first bytes and SHA-256
    (``head`` and ``sha256`` are empty when it was too large to read)."""

    size: int
    head: bytes
    sha256: str


@translates_storage_errors
class S3Files:
    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.files_bucket
        self.region = settings.region
        self.endpoint = settings.files_endpoint

    @property
    def _s3(self) -> Any:
        return s3_client(self.region, self.endpoint)

    def upload_form(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> dict[str, Any]:
        """A presigned POST for exactly ``key``, ``content_type`` and ``size`` bytes
        (``content-length-range`` [size, size]), tagged ``upload=pending``: ``{"url",
        "fields"}``.  No request."""
        fields = {"Content-Type": content_type, "tagging": PENDING_TAGGING}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"tagging": PENDING_TAGGING},
            ["content-length-range", size, size],
        ]
        form: dict[str, Any] = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return {"url": form["url"], "fields": dict(form["fields"])}

    def read(self, key: str, max_bytes: int, head_bytes: int) -> StoredFile | None:
        """The object at ``key`` (None: not uploaded): one GetObject, streamed through
        SHA-256; an object over ``max_bytes`` is not read."""
        s3 = self._s3
        try:
            found = s3.get_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            return None
        body = found["Body"]
        size = int(found["ContentLength"])
        if size > max_bytes:
            body.close()
            return StoredFile(size, b"", "")
        digest, head = hashlib.sha256(), b""
        for chunk in body.iter_chunks(CHUNK):
            if len(head) < head_bytes:
                head += chunk[: head_bytes - len(head)]
            digest.update(chunk)
        return StoredFile(size, head, digest.hexdigest())

    def mark_verified(self, key: str) -> None:
        """Re-tag a checked upload ``upload=verified`` (kept for the retention period)."""
        self._s3.put_object_tagging(
            Bucket=self.bucket,
            Key=key,
            Tagging={"TagSet": [{"Key": UPLOAD_TAG, "Value": "verified"}]},
        )

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def download_url(self, key: str, content_type: str, expires_in: int) -> str:
        """A presigned GET of ``key`` served as ``content_type``.  No request."""
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=expires_in,
        )
        return url

    def save_export(self, key: str, body: IO[bytes], *, content_type: str) -> None:
        """Upload an export ``body`` (read from its current position) to ``key``."""
        from boto3.s3.transfer import TransferConfig

        self._s3.upload_fileobj(
            body,
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=TransferConfig(
                multipart_threshold=MULTIPART_THRESHOLD,
                multipart_chunksize=MULTIPART_THRESHOLD,
                use_threads=False,
            ),
        )

    def export_link(self, key: str, *, filename: str, expires_in: timedelta) -> str:
        """A presigned GET of ``key`` (no request: signed locally) that downloads it as
        ``filename`` (ASCII: the service names files itself)."""
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return url
