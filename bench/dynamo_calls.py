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
def dynamodb_hooks(settings: Settings, hooks: dict[str, Callable[..., None]]) -> Iterator[None]:
    clients = {
        id(c): c for c in (m._get_connection().connection.client for m in all_models(settings))
    }
    # one unique id per hook, so that blocks can nest (counting and timing at once)
    ids = {event: f"bench-{event}-{id(hook)}" for event, hook in hooks.items()}
    for client in clients.values():
        for event, hook in hooks.items():
            client.meta.events.register(event, hook, unique_id=ids[event])
    try:
        yield
    finally:
        for client in clients.values():
            for event in hooks:
                client.meta.events.unregister(event, unique_id=ids[event])


@contextmanager
def count_dynamodb_calls(settings: Settings) -> Iterator[Counter[str]]:
    """Requests made inside the block, by operation name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    with dynamodb_hooks(settings, {"before-call.dynamodb.*": count}):
        yield calls


@contextmanager
def time_dynamodb_calls(settings: Settings) -> Iterator[list[float]]:
    """Milliseconds each request inside the block took, from the client's call to its parsed
    response: the whole SDK call (validation and serialisation, signing, HTTP round trip,
    parsing), i.e. what the same request costs when made directly with a DynamoDB client.

    ``provide-client-params`` is the first event of a botocore API call and ``after-call``
    its last; both carry the call's own ``context`` dict.  (``before-call`` would start the
    clock only after the request is serialised.)"""
    durations: list[float] = []

    def start(context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def stop(context: dict[str, Any], **_: Any) -> None:
        durations.append((time.perf_counter() - context["bench_started"]) * 1000)

    with dynamodb_hooks(
        settings, {"provide-client-params.dynamodb.*": start, "after-call.dynamodb.*": stop}
    ):
        yield durations
