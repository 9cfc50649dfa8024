import zipfile
from pathlib import Path

from scripts.slim_package import slim


def test_the_aws_sdk_leaves_the_package_and_nothing_else_does(tmp_path: Path) -> None:
    package = tmp_path / "deployment.zip"
    kept = [
        "app.py",
        "chalicelib/config.py",
        "pynamodb/models.py",
        "pydantic_core/x.so",
        "botocore_extra/readme.txt",
    ]
    dropped = [
        "botocore/client.py",
        "botocore/data/dynamodb/service-2.json",
        "botocore-1.44.8.dist-info/METADATA",
        "boto3/session.py",
        "s3transfer/manager.py",
    ]
    with zipfile.ZipFile(package, "w") as archive:
        for name in kept + dropped:
            archive.writestr(name, "x" * 1000)
    before, after = slim(package)
    assert after < before
    assert sorted(zipfile.ZipFile(package).namelist()) == sorted(kept)
