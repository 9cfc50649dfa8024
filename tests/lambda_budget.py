"""A Lambda run's time limit, simulated: each DynamoDB request the app makes uses
``ms_per_request`` of the run's ``run_ms`` (the issue measured 4,009 requests in 22 s, about
5.5 ms each), the remaining time is what the Lambda context reports, and a request beyond
the limit ends the run as the Lambda service does — with an exception nothing in the app
catches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.dynamo_calls import dynamodb_hooks
from chalicelib.config import Settings


class LambdaTimeout(BaseException):
    """The Lambda service ended a run that outlived its time limit."""


class Budget:
    def __init__(self, run_ms: float, ms_per_request: float) -> None:
        self.run_ms = run_ms
        self.ms_per_request = ms_per_request
        self.used = 0.0
        self.running = False
        self.requests = 0  # made by runs, in all

    def remaining(self) -> float:
        return self.run_ms - self.used

    def spend(self, **_: Any) -> None:
        if not self.running:  # the test's own requests
            return
        self.used += self.ms_per_request
        self.requests += 1
        if self.used > self.run_ms:
            raise LambdaTimeout("Task timed out")

    @contextmanager
    def run(self) -> Iterator[None]:
        """One run: its time starts now; ``LambdaTimeout`` when it outlives it."""
        self.used, self.running = 0.0, True
        try:
            yield
        finally:
            self.running = False


@contextmanager
def lambda_budget(settings: Settings, run_ms: float, ms_per_request: float) -> Iterator[Budget]:
    """A ``Budget`` spent by the requests of the app's own DynamoDB clients."""
    budget = Budget(run_ms, ms_per_request)
    with dynamodb_hooks(settings, {"before-call.dynamodb.*": budget.spend}):
        yield budget
