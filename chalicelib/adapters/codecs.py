"""Small helpers shared by the repositories."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pynamodb.attributes import Attribute, TTLAttribute, UTCDateTimeAttribute
from pynamodb.constants import NULL
from pynamodb.exceptions import (
    AttributeDeserializationError,
    AttributeNullError,
    PutError,
    UpdateError,
)
from pynamodb.models import Model

CONDITIONAL_FAILED = "ConditionalCheckFailedException"


def conditional_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == CONDITIONAL_FAILED


def shard_of(key: str, shards: int) -> str:
    """A stable shard number for write-sharded index partitions."""
    return str(zlib.crc32(key.encode()) % shards)


def _iso_utc(text: str) -> datetime | None:
    # UTCDateTimeAttribute's own format: 2026-11-20T08:00:00.000000+0000
    if len(text) == 31 and text[10] == "T" and text.endswith("+0000"):
        return datetime.fromisoformat(text)
    return None


def _epoch_seconds(text: str) -> datetime | None:
    # TTLAttribute's whole seconds
    return datetime.fromtimestamp(int(text), tz=UTC) if text.isdigit() else None


#: Attribute types whose usual stored form the standard library reads several times faster
#: than PynamoDB's parser (a page of complaints holds dozens); ``None``: not that form.
_FAST_PATHS: dict[type[Attribute[Any]], Callable[[str], datetime | None]] = {
    UTCDateTimeAttribute: _iso_utc,
    TTLAttribute: _epoch_seconds,
}


def _reader(attribute: Attribute[Any]) -> Callable[[Any], Any] | None:
    """How to decode an attribute's stored value; ``None``: the stored value is the value
    (e.g. ``UnicodeAttribute``).  A fast path gives way to the attribute's own
    ``deserialize`` for any other text, which then decodes or refuses it as PynamoDB does."""
    if type(attribute).deserialize is Attribute.deserialize:
        return None
    fast = _FAST_PATHS.get(type(attribute))
    if fast is None:
        return attribute.deserialize
    slow = attribute.deserialize

    def read(text: str) -> Any:
        value = fast(text)
        return slow(text) if value is None else value

    return read


class ItemDecoder:
    """A raw DynamoDB item -> the model's attribute values by Python name, each decoded by
    the model's own attribute (so formats cannot drift), absent ones as ``None``.

    It skips building a PynamoDB model object, whose per-attribute bookkeeping costs more
    than the decoding itself: read paths that turn many items straight into domain objects
    (a page of complaints) use it.  Attribute defaults are not applied."""

    def __init__(self, model: type[Model]) -> None:
        attributes = model.get_attributes()
        self.names = tuple(attributes)
        # stored name -> (Python name, DynamoDB type, decoder; None: the stored value as is)
        self.readers: dict[str, tuple[str, str, Any]] = {
            a.attr_name: (name, a.attr_type, _reader(a)) for name, a in attributes.items()
        }

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = dict.fromkeys(self.names)
        readers = self.readers
        for stored, value in raw.items():
            reader = readers.get(stored)
            if reader is None:  # not one of the model's attributes
                continue
            name, kind, deserialize = reader
            if kind in value:
                found = value[kind]
                values[name] = found if deserialize is None else deserialize(found)
            elif NULL not in value:
                raise AttributeDeserializationError(stored, kind)
        return values


class ItemEncoder:
    """The model's attribute values by Python name -> a raw DynamoDB item, as
    ``Model(**values).serialize()`` makes it (each value encoded by the model's own
    attribute, defaults applied, ``None`` left out, a missing required value refused)
    without building the model object: the write-path counterpart of ``ItemDecoder``."""

    def __init__(self, model: type[Model]) -> None:
        attributes = model.get_attributes()
        self.names = frozenset(attributes)
        self.fields = [
            (name, a.attr_name, a.attr_type, a.serialize, a.default, a.null)
            for name, a in attributes.items()
        ]

    def __call__(self, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        unknown = values.keys() - self.names
        if unknown:
            raise ValueError(f"not attributes of the model: {sorted(unknown)}")
        item: dict[str, dict[str, Any]] = {}
        for name, stored, kind, serialize, default, nullable in self.fields:
            value = values.get(name)
            if value is None and default is not None:
                value = default() if callable(default) else default
            encoded = None if value is None else serialize(value)
            if encoded is not None:
                item[stored] = {kind: encoded}
            elif not nullable:
                raise AttributeNullError(name)
        return item


# A repository is built per request; its model's codecs are built once per model class.
@lru_cache(maxsize=32)
def item_decoder(model: type[Model]) -> ItemDecoder:
    return ItemDecoder(model)


@lru_cache(maxsize=32)
def item_encoder(model: type[Model]) -> ItemEncoder:
    return ItemEncoder(model)
