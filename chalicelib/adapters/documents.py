"""Plain JSON-like documents (dicts, lists, strings, numbers, booleans, None) stored as
DynamoDB maps and lists.

PynamoDB's untyped ``MapAttribute`` and ``ListAttribute`` build a ``MapAttribute`` object
for every nested map when an item is read, and the repositories then turned those back
into dicts.  For a page of complaints (history entries, decision criteria) that was the
largest part of a list request after DynamoDB itself.  These attributes store exactly the
same DynamoDB representation but decode straight to plain values, so items written by
either kind of attribute read the same.

Numbers are encoded like PynamoDB's ``NumberAttribute`` (``json.dumps``) and decoded with
``int``/``float`` as ``json.loads`` would: an ``int`` stays an ``int`` and a ``float`` a
``float``.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import LIST, MAP


def encode(value: Any) -> dict[str, Any]:
    """A plain value -> a DynamoDB attribute value (``{"S": ...}``, ``{"M": ...}``, ...)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": json.dumps(value)}
    if isinstance(value, dict):
        return {"M": _encode_map(value)}
    if isinstance(value, list | tuple):
        return {"L": [encode(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in a document attribute")


def _encode_map(value: dict[str, Any]) -> dict[str, Any]:
    return {str(k): encode(v) for k, v in value.items()}


def _number(text: str) -> int | float:
    # What json.loads would return, without its overhead: floats are written with a point
    # or an exponent by json.dumps, whole numbers without.
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def decode(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value -> the plain value."""
    ((kind, raw),) = value.items()
    if kind == "S":
        return raw
    if kind == "M":
        return _decode_map(raw)
    if kind == "L":
        return _decode_list(raw)
    if kind == "N":
        return _number(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    raise TypeError(f"unexpected {kind} value in a document attribute")


# Most values in a document are strings: they are read in place, without a call to
# ``decode`` (a page of 20 complaints holds thousands of them).
def _decode_map(raw: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for key, value in raw.items():
        text = value.get("S")
        out[key] = decode(value) if text is None else text
    return out


def _decode_list(raw: list[dict[str, Any]]) -> list[Any]:
    out = []
    for value in raw:
        text = value.get("S")
        out.append(decode(value) if text is None else text)
    return out


class DocumentMapAttribute(Attribute[dict[str, Any]]):
    """A dict of plain values, stored as a DynamoDB map."""

    attr_type = MAP

    def serialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return _encode_map(value)

    def deserialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return _decode_map(value)


class DocumentListAttribute(Attribute[list[Any]]):
    """A list of plain values, stored as a DynamoDB list."""

    attr_type = LIST

    def serialize(self, value: list[Any]) -> list[dict[str, Any]]:
        return [encode(v) for v in value]

    def deserialize(self, value: list[dict[str, Any]]) -> list[Any]:
        return _decode_list(value)
