"""Drop the AWS SDK from the deployment package: ``python -m scripts.slim_package ZIP``.

PynamoDB depends on botocore, so ``chalice package`` bundles it (about 15 MB zipped), but
the Lambda Python runtime already provides botocore and boto3.  The functions then run on
the runtime's SDK — the DynamoDB, SNS and SQS calls the app makes are long-standing APIs.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

PROVIDED_BY_THE_RUNTIME = ("botocore/", "boto3/", "s3transfer/")


def _provided(name: str) -> bool:
    top = name.split("/", 1)[0]
    return name.startswith(PROVIDED_BY_THE_RUNTIME) or (
        top.endswith(".dist-info") and top.split("-", 1)[0] in {"botocore", "boto3", "s3transfer"}
    )


def slim(path: Path) -> tuple[int, int]:
    before = path.stat().st_size
    slimmed = path.with_suffix(".slim.zip")
    with (
        zipfile.ZipFile(path) as source,
        zipfile.ZipFile(slimmed, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if not _provided(info.filename):
                target.writestr(info, source.read(info.filename))
    shutil.move(slimmed, path)
    return before, path.stat().st_size


if __name__ == "__main__":
    old, new = slim(Path(sys.argv[1]))
    print(
        f"deployment package: {old / 2**20:.2f} MB -> {new / 2**20:.2f} MB (AWS SDK left "
        "to the Lambda runtime)"
    )
