"""``@translates_storage_errors``: the one place where botocore's and PynamoDB's exceptions
become domain errors."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.messaging import SnsPublisher, SweepQueue
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.adapters.storage_errors import translates_storage_errors
from chalicelib.domain.errors import Conflict, DomainError, StorageError, StorageUnavailable


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")


@translates_storage_errors
class Adapter:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def write(self, item: str, *, when: int = 0) -> str:
        raise self.error

    def _private(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ThrottlingException"),  # an SNS or SQS client
        PutError("put failed", _client_error("ProvisionedThroughputExceededException")),
        PutError("put failed", _client_error("InternalServerError")),
        TransactWriteError("failed", _client_error("TransactionConflictException")),
    ],
    ids=["client", "pynamodb", "fault", "transaction"],
)
def test_transient_failures_become_storage_unavailable(error: Exception) -> None:
    with pytest.raises(StorageUnavailable) as err:
        Adapter(error).write("x")
    assert isinstance(err.value, DomainError) and err.value.__cause__ is error
    assert err.value.message == "temporarily unavailable, retry shortly"  # what callers see


@pytest.mark.parametrize(
    "error",
    [
        _client_error("AccessDeniedException"),
        PutError("put failed", _client_error("ValidationException")),
        EndpointConnectionError(endpoint_url="http://nowhere"),
    ],
    ids=["denied", "invalid", "connection"],
)
def test_other_failures_become_storage_errors(error: Exception) -> None:
    with pytest.raises(StorageError) as err:
        Adapter(error).write("x")
    assert not isinstance(err.value, StorageUnavailable | DomainError)
    assert err.value.__cause__ is error


@pytest.mark.parametrize("error", [Conflict("c", code="already_decided"), KeyError("k")])
def test_domain_and_other_errors_pass_unchanged(error: Exception) -> None:
    with pytest.raises(type(error)) as err:
        Adapter(error).write("x")
    assert err.value is error


def test_private_methods_are_left_alone_and_signatures_kept() -> None:
    error = _client_error("ThrottlingException")
    with pytest.raises(ClientError):
        Adapter(error)._private()
    assert (
        str(inspect.signature(Adapter.write)) == "(self, item: 'str', *, when: 'int' = 0) -> 'str'"
    )


@pytest.mark.parametrize(
    "adapter", [ComplaintRepository, FactRepository, MetricsRepository, SnsPublisher, SweepQueue]
)
def test_every_adapter_that_calls_aws_translates_in_each_public_method(adapter: Any) -> None:
    public = [
        member
        for name, member in vars(adapter).items()
        if not name.startswith("_") and inspect.isfunction(member)
    ]
    assert public and all(hasattr(m, "__wrapped__") for m in public)
