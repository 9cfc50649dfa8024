"""Export files in the private files bucket (``Settings.files_bucket``), under ``exports/``.

A file is uploaded once by ``S3ExportFiles.save_export`` (one PutObject up to
``MULTIPART_THRESHOLD``, a multipart upload above it, part by part from the file, so memory
stays bounded) and reached only through a presigned GET of at most a few minutes whose
``Content-Disposition`` makes browsers save it under a file name.  Export objects expire by
the bucket's lifecycle rule on ``exports/`` (the packaged template); the policy grants
``s3:PutObject`` and ``s3:GetObject`` on ``exports/*`` only (statement ``Exports``).

boto3 reads ``AWS_ENDPOINT_URL_S3`` itself (``make run`` points it at its embedded S3).
Failures reach the callers as domain errors (``adapters/storage_errors.py``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import IO, Any

from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.config import Settings

#: Files up to this size are one PutObject; larger ones a multipart upload of parts this big.
MULTIPART_THRESHOLD = 16 * 1024 * 1024


@lru_cache(maxsize=4)
def s3_client(region: str) -> Any:
    """One client per region (creating one costs more than a request).  Signature V4, which
    presigned URLs need in every region."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", region_name=region, config=Config(signature_version="s3v4")
    )


@translates_storage_errors
class S3ExportFiles:
    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.files_bucket
        self.region = settings.region

    def save_export(self, key: str, body: IO[bytes], *, content_type: str) -> None:
        """Upload ``body`` (read from its current position) to ``key``."""
        from boto3.s3.transfer import TransferConfig

        s3_client(self.region).upload_fileobj(
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
        url: str = s3_client(self.region).generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return url
