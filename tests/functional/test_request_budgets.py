"""DynamoDB requests per business operation stay within the documented budgets (README).
Request counts are deterministic, so they are asserted exactly; times are not asserted."""

from typing import Any

from chalice.test import Client

from bench.operations import BUDGETS, Harness, measure
from chalicelib.config import Settings
from tests.builders import T0


def test_every_operation_costs_exactly_its_budget(
    client: Client, settings: Settings, clock: Any
) -> None:
    def set_now(when: Any) -> None:
        clock.current = when

    measured = measure(Harness(client, settings, set_now), T0)
    assert measured == BUDGETS
