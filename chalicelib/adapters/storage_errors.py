"""Storage errors become domain errors here, and only here.

Every adapter class that talks to AWS (the repositories, the SNS publisher, the SQS sweep
queue) is decorated with ``@translates_storage_errors``: each public method lets domain
errors through and turns botocore's and PynamoDB's exceptions into
``StorageUnavailable`` (transient: throttling, a service fault after botocore's retries,
a transaction conflict) or ``StorageError`` (anything else).  So services and jobs catch
domain errors only, and the HTTP edge maps them by type (``api/errors.py``).

The public methods return values, never lazy iterators, so every request they make happens
inside the call.  Private methods (``_name``) are not wrapped: they run inside a public one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import FunctionType
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.domain.errors import StorageError, StorageUnavailable

#: What the AWS SDK and PynamoDB raise for a failed request.
SDK_ERRORS = (PynamoDBException, BotoCoreError, ClientError)

#: Error codes of AWS services that mean "try again later" (after botocore's own retries).
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)

C = TypeVar("C", bound=type)


def error_code(error: Exception) -> str | None:
    """The AWS error code behind an SDK or PynamoDB exception, if the service answered."""
    if isinstance(error, PynamoDBException):
        return error.cause_response_code
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def storage_error(error: Exception) -> StorageError:
    """The domain error for an SDK or PynamoDB exception."""
    code = error_code(error)
    if code in TRANSIENT_CODES:
        return StorageUnavailable(f"{code}: {error}")
    return StorageError(f"{type(error).__name__}: {error}")


def _translating(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def translated(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SDK_ERRORS as exc:
            raise storage_error(exc) from exc

    return translated


def translates_storage_errors(cls: C) -> C:
    """Wrap each public method defined by ``cls`` (see the module's docstring)."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and isinstance(member, FunctionType):
            setattr(cls, name, _translating(member))
    return cls
