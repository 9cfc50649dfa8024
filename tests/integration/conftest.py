"""The persistence adapter's tests run on both moto and dynalite (a second, concurrent
DynamoDB implementation), each test on fresh tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib.adapters.models import all_models, create_tables
from chalicelib.config import Settings, get_settings


@pytest.fixture(params=["moto", "dynalite"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "dynalite":
        endpoint = request.getfixturevalue("dynalite_endpoint")
        suffix = uuid.uuid4().hex[:10]
        monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint)
        monkeypatch.setenv("COMPLAINTS_TABLE", f"t{suffix}-complaints")
        monkeypatch.setenv("FACTS_TABLE", f"t{suffix}-facts")
    return str(request.param)


@pytest.fixture
def settings(backend: str) -> Settings:
    return get_settings()


@pytest.fixture
def aws(backend: str, settings: Settings) -> Iterator[None]:
    if backend == "moto":
        with mock_aws():
            create_tables(settings)
            yield
        return
    create_tables(settings)
    try:
        yield
    finally:
        for model in all_models(settings)[:2]:
            model.delete_table()
