"""Secrets from SSM Parameter Store (SecureString parameters).

Why Parameter Store rather than Secrets Manager: the secrets here are random strings the
deployer sets and rotates with ``aws ssm put-parameter --overwrite`` (no rotation Lambda to
run); a standard SecureString parameter costs nothing a month, keeps its history (so the
previous value of a rotated secret is one ``GetParameter`` of ``name:version`` away), and is
encrypted with the account's ``aws/ssm`` key, which the function's role may use through SSM
without a ``kms:Decrypt`` grant of its own.

The client is boto3's, created with the first read (``messaging.aws_client``); its endpoint
follows boto3's own ``AWS_ENDPOINT_URL_SSM``.  Reads are cached by the caller
(``services/secrets.py``): a container reads each secret once per cache period.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from botocore.exceptions import ClientError

from chalicelib.adapters.messaging import aws_client
from chalicelib.adapters.storage_errors import error_code, translates_storage_errors


class StoredSecret(NamedTuple):
    """A parameter's current value, its version (1, 2, ... one per ``put-parameter``) and
    when that version was written."""

    value: str
    version: int
    modified_at: datetime


@translates_storage_errors
class SsmParameters:
    def __init__(self, region: str) -> None:
        self.region = region

    def read(self, name: str) -> StoredSecret:
        """The current version, decrypted (a missing parameter is a ``StorageError``)."""
        found = aws_client("ssm", self.region).get_parameter(Name=name, WithDecryption=True)
        parameter = found["Parameter"]
        return StoredSecret(
            parameter["Value"], int(parameter["Version"]), parameter["LastModifiedDate"]
        )

    def read_version(self, name: str, version: int) -> str | None:
        """One earlier version's value; None when that version no longer exists (Parameter
        Store keeps the last 100)."""
        try:
            found = aws_client("ssm", self.region).get_parameter(
                Name=f"{name}:{version}", WithDecryption=True
            )
        except ClientError as error:
            if error_code(error) == "ParameterVersionNotFound":
                return None
            raise
        return str(found["Parameter"]["Value"])
