"""Count and time the DynamoDB requests the app makes, with botocore event hooks on the very
clients PynamoDB uses."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.adapters.models import all_models
from chalicelib.config import Settings


@contextmanager
def _hooks(settings: Settings, hooks: dict[str, Callable[..., None]]) -> Iterator[None]:
    clients = {
        id(c): c for c in (m._get_connection().connection.client for m in all_models(settings))
    }
    for client in clients.values():
        for event, hook in hooks.items():
            client.meta.events.register(event, hook, unique_id=f"bench-{event}")
    try:
        yield
    finally:
        for client in clients.values():
            for event in hooks:
                client.meta.events.unregister(event, unique_id=f"bench-{event}")


@contextmanager
def count_dynamodb_calls(settings: Settings) -> Iterator[Counter[str]]:
    """Requests made inside the block, by operation name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    with _hooks(settings, {"before-call.dynamodb.*": count}):
        yield calls


@contextmanager
def time_dynamodb_calls(settings: Settings) -> Iterator[list[float]]:
    """Milliseconds each request inside the block took, from the client's call to its parsed
    response (serialisation, HTTP round trip, parsing): the time of the requests themselves."""
    durations: list[float] = []

    def start(context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def stop(context: dict[str, Any], **_: Any) -> None:
        durations.append((time.perf_counter() - context["bench_started"]) * 1000)

    with _hooks(settings, {"before-call.dynamodb.*": start, "after-call.dynamodb.*": stop}):
        yield durations
