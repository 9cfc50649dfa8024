"""Small helpers shared by the repositories."""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.constants import NULL
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

CONDITIONAL_FAILED = "ConditionalCheckFailedException"


def conditional_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == CONDITIONAL_FAILED


def shard_of(key: str, shards: int) -> str:
    """A stable shard number for write-sharded index partitions."""
    return str(zlib.crc32(key.encode()) % shards)


class ItemDecoder:
    """A raw DynamoDB item -> the model's attribute values by Python name, each decoded by
    the model's own attribute (so formats cannot drift), absent ones as ``None``.

    It skips building a PynamoDB model object, whose per-attribute bookkeeping costs more
    than the decoding itself: read paths that turn many items straight into domain objects
    (a page of complaints) use it.  Attribute defaults are not applied."""

    def __init__(self, model: type[Model]) -> None:
        self.fields = [(a.attr_name, name, a) for name, a in model.get_attributes().items()]

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for stored, name, attribute in self.fields:
            value = raw.get(stored)
            values[name] = (
                None
                if value is None or NULL in value
                else attribute.deserialize(attribute.get_value(value))
            )
        return values
