"""The ``SecretStore`` port's contract: the same assertions on the in-memory fake
(``tests/fakes.InMemorySecrets``) and on the SSM adapter (``adapters/parameters.py``) under
moto — versions counted from 1 per write, an earlier version readable by number, a missing
parameter a ``StorageError``.  (dynalite is DynamoDB only: SSM runs on moto alone.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from chalicelib.adapters.parameters import SsmParameters
from chalicelib.domain.errors import StorageError
from chalicelib.services.ports import SecretStore
from tests.fakes import InMemorySecrets

NAME = "/seller-report-center/dev/cursor-secret"
Put = Callable[[str, str], None]


@pytest.fixture(params=["memory", "moto"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[SecretStore, Put]]:
    if request.param == "memory":
        fake = InMemorySecrets()
        yield fake, lambda name, value: (fake.put(name, value, datetime.now(UTC)), None)[1]
        return
    with mock_aws():
        import boto3

        ssm = boto3.client("ssm", region_name="us-east-1")

        def put(name: str, value: str) -> None:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

        yield SsmParameters("us-east-1"), put


def test_versions_count_writes_and_earlier_ones_stay_readable(
    store: tuple[SecretStore, Put],
) -> None:
    secrets, put = store
    before = datetime.now(UTC) - timedelta(seconds=1)
    put(NAME, "first-value")
    first = secrets.read(NAME)
    assert (first.value, first.version) == ("first-value", 1)
    assert before <= first.modified_at <= datetime.now(UTC) + timedelta(seconds=1)
    put(NAME, "second-value")
    second = secrets.read(NAME)
    assert (second.value, second.version) == ("second-value", 2)
    assert second.modified_at >= first.modified_at
    assert secrets.read_version(NAME, 1) == "first-value"
    assert secrets.read_version(NAME, 3) is None


def test_a_missing_parameter_is_a_storage_error(store: tuple[SecretStore, Put]) -> None:
    secrets, _ = store
    with pytest.raises(StorageError):
        secrets.read("/seller-report-center/dev/none-such")
