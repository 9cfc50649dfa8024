"""Small helpers shared by the repositories."""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

CONDITIONAL_FAILED = "ConditionalCheckFailedException"


def conditional_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == CONDITIONAL_FAILED


def plain(value: Any) -> Any:
    """PynamoDB raw maps/lists -> plain dicts/lists; whole-number Decimals stay numbers."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def shard_of(key: str, shards: int) -> str:
    """A stable shard number for write-sharded index partitions."""
    return str(zlib.crc32(key.encode()) % shards)
