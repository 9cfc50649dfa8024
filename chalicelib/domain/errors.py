"""Domain and service errors.  Each ``DomainError`` type maps to one HTTP status in
``api/errors.py``.  Storage failures reach services as ``StorageUnavailable`` (a
``DomainError``: 503) or ``StorageError`` (a 500), never as the AWS SDK's exceptions."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidRequest(DomainError):
    """Malformed input: wrong JSON, wrong types, unknown fields, bad cursor."""

    code = "invalid_request"


class NotFound(DomainError):
    """Missing, or not visible to this caller (never reveals which)."""

    code = "not_found"


class NotEligible(DomainError):
    """Well-formed but the scenario's eligibility rule is not met."""

    code = "not_eligible"


class DuplicateComplaint(DomainError):
    """This (order, scenario) already has a complaint."""

    code = "duplicate_complaint"

    def __init__(self, complaint_id: str) -> None:
        super().__init__(
            "a complaint for this order and scenario already exists",
            details={"complaint_id": complaint_id},
        )
        self.complaint_id = complaint_id


class TooLarge(DomainError):
    """Well-formed, but bigger than allowed (an announced attachment over the limit)."""

    code = "too_large"


class NotPermitted(DomainError):
    """This caller may not do this to this complaint (e.g. ``same_reviewer``: the reviewer
    whose rejection is appealed cannot decide the appeal)."""

    code = "forbidden"


class Conflict(DomainError):
    """The state changed under the caller; ``code`` says what conflicted (e.g.
    ``already_decided``: another reviewer decided the complaint first)."""

    code = "conflict"


class ContributionConflict(Conflict):
    """Another writer changed an order unit's metric contribution first: read the order
    again and recompute (``services.metrics.refresh_order`` does, a few times)."""

    code = "contribution_changed"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"the contributions of order {order_id!r} changed meanwhile")
        self.order_id = order_id


class StorageError(Exception):
    """Storage failed — a table, or the topic or queue the adapters send to — in a way that
    retrying will not fix (a bug, a misconfiguration, a denied permission).  The adapters
    raise it, or ``StorageUnavailable``, for every storage failure: nothing above them sees
    botocore's or PynamoDB's exceptions.  Not a ``DomainError``: no caller's mistake, an
    HTTP 500."""


class StorageUnavailable(StorageError, DomainError):
    """Storage is throttling or failing after its retries (or writers kept racing): nothing
    was written by the failed request, and trying again shortly may succeed (HTTP 503 with
    ``Retry-After``).  Its message is for the caller; ``cause`` (in ``str()``) says what
    failed."""

    code = "service_unavailable"

    def __init__(self, cause: str = "") -> None:
        super().__init__("temporarily unavailable, retry shortly")
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.message} ({self.cause})" if self.cause else self.message
