"""Reading items without model objects, and small helpers shared by the repositories.

``ItemDecoder`` turns a raw item into the model's attribute values (``query_values``
yields them from a Query): the complaint read paths map those straight to domain objects.
Items are written with PynamoDB's own model (``save``, ``update``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pynamodb.attributes import Attribute, TTLAttribute, UTCDateTimeAttribute
from pynamodb.constants import NULL
from pynamodb.exceptions import AttributeDeserializationError, PutError, UpdateError
from pynamodb.indexes import Index
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator

CONDITIONAL_FAILED = "ConditionalCheckFailedException"


def conditional_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == CONDITIONAL_FAILED


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


# A repository is built per request; its model's codecs are built once per model class.
@lru_cache(maxsize=32)
def item_decoder(model: type[Model]) -> ItemDecoder:
    return ItemDecoder(model)


def query_items(
    model: type[Model],
    hash_key: str,
    *,
    index: Index[Any],
    limit: int | None = None,
    **query: Any,
) -> Iterator[dict[str, Any]]:
    """``index.query(hash_key, limit=limit, **query)`` (``limit``: the page size, and the
    most items read), yielding the raw items instead of model objects."""
    return ResultIterator(
        model._get_connection().query,
        (hash_key,),
        {"index_name": index.Meta.index_name, "limit": limit, **query},
        limit=limit,
    )


def query_values(
    model: type[Model],
    hash_key: str,
    *,
    index: Index[Any],
    limit: int | None = None,
    **query: Any,
) -> Iterator[dict[str, Any]]:
    """The same, yielding each item's attribute values (``ItemDecoder``)."""
    return map(item_decoder(model), query_items(model, hash_key, index=index, limit=limit, **query))


def batch_get_items(model: type[Model], hash_keys: list[str]) -> list[dict[str, Any]]:
    """The raw items stored under ``hash_keys`` (at most 100, of a model without a range
    key), in no particular order: one BatchGetItem — more only for keys DynamoDB leaves
    unprocessed (throttling, or over 16 MB of items)."""
    name = model._hash_key_attribute().attr_name  # type: ignore[no-untyped-call]
    keys: list[Any] | None = [{name: {"S": key}} for key in hash_keys]
    found: list[dict[str, Any]] = []
    while keys:
        # Model.batch_get's own paging, yielding raw items (read by ``ItemDecoder``)
        page, keys = model._batch_get_page(keys, None, None)  # type: ignore[no-untyped-call]
        found.extend(page or ())
    return found
