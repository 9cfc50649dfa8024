"""Document attributes store what PynamoDB's untyped maps and lists store, so items written
before them (or by any other client) read the same; ``ItemDecoder`` reads an item as the
model would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.attributes import ListAttribute, MapAttribute
from pynamodb.exceptions import AttributeDeserializationError

from chalicelib.adapters.codecs import ItemDecoder
from chalicelib.adapters.documents import DocumentListAttribute, DocumentMapAttribute, decode
from chalicelib.adapters.models import complaint_model
from chalicelib.config import get_settings

DOCUMENT: dict[str, Any] = {
    "outcome": "rejected",
    "note": None,
    "empty": "",
    "met": False,
    "count": 3,
    "negative": -2,
    "ratio": 0.25,
    "tiny": 1e-05,
    "criteria": [{"name": "orders", "observed": 4, "threshold": 3.5, "met": True}, []],
    "nested": {"deeper": {"list": ["a", 1, None]}},
}


def test_a_map_is_stored_exactly_as_pynamodb_stores_an_untyped_map() -> None:
    ours = DocumentMapAttribute().serialize(DOCUMENT)
    assert ours == MapAttribute[str, Any]().serialize(DOCUMENT)
    assert DocumentMapAttribute().deserialize(ours) == DOCUMENT


def test_a_list_is_stored_exactly_as_pynamodb_stores_an_untyped_list() -> None:
    entries = [{"at": "2026-11-20T08:00:00Z", "details": {"hours": 48}}, "x", 2, True]
    ours = DocumentListAttribute().serialize(entries)
    assert ours == ListAttribute[Any]().serialize(entries)
    assert DocumentListAttribute().deserialize(ours) == entries


def test_numbers_come_back_with_their_type() -> None:
    decoded = DocumentMapAttribute().deserialize(DocumentMapAttribute().serialize(DOCUMENT))
    assert type(decoded["count"]) is int and type(decoded["ratio"]) is float
    assert decode({"N": "1E+3"}) == 1000.0


def test_values_a_document_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError, match="datetime"):
        DocumentMapAttribute().serialize({"at": datetime(2026, 11, 20, tzinfo=UTC)})


MODEL = complaint_model(get_settings({"COMPLAINTS_TABLE": "decoder-test"}))
VALUES: dict[str, Any] = {
    "complaint_id": "c_1",
    "seller_id": "s-1",
    "order_id": "o-1",
    "buyer_id": "b-1",
    "scenario": "malicious_review",
    "description": "rude",
    "evidence": ["https://img/1.png"],
    "status": "rejected",
    "submitted_at": datetime(2026, 11, 20, 8, tzinfo=UTC),
    "due_at": datetime(2026, 11, 22, 8, tzinfo=UTC),
    "decision": {"outcome": "rejected", "criteria": [{"observed": 0.5, "met": False}]},
    "history": [{"at": "2026-11-20T08:00:00Z", "action": "submitted", "details": {}}],
    "list_key": "2026-11-20T08:00:00Z#c_1",
    "sweep_shard": "3",
    "sweep_at": "2026-11-21T08:00:00Z",
    "outbox": {"decided": {"type": "complaint.decided", "version": 1}},
    "expires_at": datetime(2027, 5, 20, 8, tzinfo=UTC),
}


def test_the_item_decoder_reads_an_item_as_the_model_does() -> None:
    model = MODEL
    stored = model(**{**VALUES, "evidence": [], "outbox": {}, "sweep_shard": None})
    raw = stored.serialize()
    values = ItemDecoder(model)(raw)
    expected = model.from_raw_data(raw)
    for name in model.get_attributes():
        assert values[name] == getattr(expected, name) or (
            values[name] is None and getattr(expected, name) in ([], {})  # defaults
        ), name
    assert values["decision"] == VALUES["decision"]
    assert values["reason"] is None and values["escalated_at"] is None


def test_the_item_decoder_refuses_a_value_of_the_wrong_type() -> None:
    raw = MODEL(**VALUES).serialize()
    raw["status"] = {"N": "1"}
    with pytest.raises(AttributeDeserializationError):
        ItemDecoder(MODEL)(raw)


TIMES: list[tuple[str, str]] = [
    ("submitted_at", text)  # UTCDateTimeAttribute
    for text in (
        "2026-11-20T08:00:00.000000+0000",
        "2026-02-28T23:59:59.999999+0000",
        "2026-11-20 08:00:00.000000+0000",  # not PynamoDB's format: refused by both
        "2026-11-20T08:00:00+00:00",
        "2026-13-20T08:00:00.000000+0000",
        "not a time",
    )
] + [
    ("expires_at", text)  # TTLAttribute
    for text in ("1858637437", "0", "1858637437.5", "-5", "soon")
]


@pytest.mark.parametrize(("name", "text"), TIMES)
def test_times_decode_as_pynamodb_decodes_them(name: str, text: str) -> None:
    """The decoder's fast paths for PynamoDB's own formats agree with PynamoDB."""
    attribute = MODEL.get_attributes()[name]
    raw = MODEL(**VALUES).serialize()
    raw[name] = {attribute.attr_type: text}
    try:
        expected = attribute.deserialize(text)
    except ValueError:
        with pytest.raises(ValueError):
            ItemDecoder(MODEL)(raw)
        return
    decoded = ItemDecoder(MODEL)(raw)[name]
    assert decoded == expected and decoded.utcoffset() == expected.utcoffset()
