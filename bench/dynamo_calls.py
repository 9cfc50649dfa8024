"""Count the DynamoDB requests the app makes, with a botocore event hook on the very clients
PynamoDB uses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.adapters.models import all_models
from chalicelib.config import Settings


@contextmanager
def count_dynamodb_calls(settings: Settings) -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    clients = {
        id(c): c for c in (m._get_connection().connection.client for m in all_models(settings))
    }
    for client in clients.values():
        client.meta.events.register("before-call.dynamodb.*", hook, unique_id="count-calls")
    try:
        yield calls
    finally:
        for client in clients.values():
            client.meta.events.unregister("before-call.dynamodb.*", unique_id="count-calls")
