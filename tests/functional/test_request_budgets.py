"""DynamoDB requests per business operation stay within the documented budgets (README).
Request counts are deterministic, so they are asserted exactly; times are not asserted."""

from typing import Any

import boto3
from chalice.test import Client

from bench.operations import BUDGETS, Harness, measure
from chalicelib.config import Settings
from tests.builders import T0


def test_every_operation_costs_exactly_its_budget(
    client: Client, settings: Settings, clock: Any
) -> None:
    def set_now(when: Any) -> None:
        clock.current = when

    def upload(key: str, data: bytes) -> None:
        boto3.client("s3", region_name=settings.region).put_object(
            Bucket=settings.files_bucket, Key=key, Body=data
        )

    measured = measure(Harness(client, settings, set_now), T0, upload)
    assert measured == BUDGETS
