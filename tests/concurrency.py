"""Running contenders at once, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def race(*contenders: Callable[[], Any]) -> list[Any]:
    """Run the contenders at once (released together by a barrier, each on its own
    thread and connection); return each one's result or exception."""
    barrier = threading.Barrier(len(contenders))

    def run(contender: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return contender()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(contenders)) as pool:
        return list(pool.map(run, contenders))
