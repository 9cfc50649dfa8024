"""The simulated month's README block (``bench/cost.py``) agrees with
``bench/simulation.json``, and the pricing and the capacity rules it rests on do what they
say."""

from __future__ import annotations

import json

import pytest

from bench.capacity import Table, item_size
from bench.cost import END, README, SIMULATION, START, price, render


def test_the_readme_shows_the_committed_simulation_and_its_cost() -> None:
    section = README.read_text().split(START, 1)[1].split(END, 1)[0]
    assert section.strip() == render(json.loads(SIMULATION.read_text())).strip()


def test_requests_are_priced_by_their_measured_units_per_1000_complaints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes = {"api_handler": 512, "on_fact_messages": 256}
    monkeypatch.setattr("bench.cost.lambda_memory_mb", lambda: sizes)
    simulation = {
        "params": {"complaints": 2_000},
        "activity": {
            "submit": {
                "calls": 2_000,
                "requests": 8_000,
                "wall_ms_per_call": 2.0,
                "sns_publishes": 0,
                "by_method": {"complaints.add": 2_000, "facts.order_facts": 6_000},
            },
            "ingest": {
                "calls": 2_000,
                "requests": 0,
                "wall_ms_per_call": 0.0,
                "sns_publishes": 0,
                "by_method": {},
            },
        },
        "sqs_sweep_requests": 0,
    }
    capacity = {
        "complaints": 10,
        "storage": {"complaints": {"bytes": 0, "index_bytes": 0}},
        "index_write_units": {},
        "methods": {
            "complaints.add": {"read_units_per_request": 0.0, "write_units_per_request": 10.0},
            "facts.order_facts": {"read_units_per_request": 0.5, "write_units_per_request": 0},
        },
    }
    cost = price(simulation, capacity)
    units = cost["units_per_1000_complaints"]
    assert units["write_request_units"] == 10_000 and units["read_request_units"] == 1_500
    dollars = cost["per_1000_complaints"]
    assert dollars["DynamoDB writes"] == pytest.approx(0.0125)
    assert dollars["DynamoDB reads"] == pytest.approx(0.0004, abs=1e-4)
    # one invocation per submission, one per 10 ingested events; at the API's 512 MB,
    # 2 ms of computing stretched to 2 x 1769 / 512 ms, + 4 requests x 5.5 ms
    assert units["lambda_invocations"] == 1_000 + 100
    per_call_s = (2 * 1769 / 512 + 4 * 5.5) / 1000
    assert units["lambda_gb_seconds"] == pytest.approx(1_000 * per_call_s * 0.5, abs=0.1)
    assert cost["lambda_memory_mb"] == sizes
    assert units["sqs_requests"] == 2 * 100  # a receive and a delete per batch of 10


TABLE = Table(
    {
        "KeySchema": [{"AttributeName": "pk"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "all",
                "KeySchema": [{"AttributeName": "shard"}, {"AttributeName": "at"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "keys",
                "KeySchema": [{"AttributeName": "seller"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    }
)


def _item(at: str | None, body: int) -> dict:
    item = {"pk": {"S": "c-1"}, "seller": {"S": "s-1"}, "body": {"S": "x" * body}}
    if at is not None:
        item |= {"shard": {"S": "0"}, "at": {"S": at}}
    return item


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert item_size({"ab": {"S": "xyz"}}) == 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 digits: 3 bytes + 1
    assert item_size({"m": {"M": {"k": {"BOOL": True}}}}) == 1 + 3 + 1 + 1 + 1
    assert item_size({"l": {"L": [{"S": "ab"}, {"NULL": True}]}}) == 1 + 3 + (1 + 2) + (1 + 1)


def test_write_units_count_the_table_and_each_index_an_item_is_or_was_in() -> None:
    # a 1.5 KB item put into both indexes: 2 units for the table, 2 for the ALL index
    # (the whole item), 1 for the keys-only index
    table, indexes = TABLE.write_units(None, _item("t1", 1500), transaction=False)
    assert table == 2 and indexes == {"all": 2, "keys": 1}
    # moving within the ALL index (its sort key changes): a delete and a put
    table, indexes = TABLE.write_units(_item("t1", 1500), _item("t2", 1500), False)
    assert table == 2 and indexes == {"all": 4}
    # leaving it: one delete; nothing the keys-only index holds changed
    table, indexes = TABLE.write_units(_item("t1", 1500), _item(None, 1500), False)
    assert indexes == {"all": 2}
    # were the index KEYS_ONLY, the move would cost 1 + 1
    assert TABLE.write_units(_item("t1", 1500), _item("t2", 1500), False, keys_only=True)[1] == {
        "all": 2
    }
    # a transaction writes the table item twice
    assert TABLE.write_units(None, _item(None, 100), transaction=True)[0] == 2
