"""Domain and service errors.  Each type maps to one HTTP status in ``api/errors.py``."""

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


class Conflict(DomainError):
    """The state changed under the caller (e.g. the complaint is already decided)."""

    code = "conflict"
