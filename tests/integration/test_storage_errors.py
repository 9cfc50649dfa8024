"""Storage failures reach services and jobs as domain errors: ``StorageUnavailable`` when
trying again may succeed, ``StorageError`` otherwise — never botocore's or PynamoDB's own
exceptions (``adapters/storage_errors.py`` translates them, in one place).  Faults are
injected into moto (``tests/faults.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pynamodb.exceptions import PynamoDBException

from chalicelib.adapters.complaint_repository import TRANSACTION_ATTEMPTS
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import Settings
from chalicelib.domain.errors import (
    ContributionConflict,
    DomainError,
    StorageError,
    StorageUnavailable,
)
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.ingest import ingest_events
from chalicelib.services.metrics import ATTEMPTS, refresh_order
from chalicelib.services.sla_report import sla_report
from chalicelib.services.sweep import process_due
from tests.builders import T0, order_event, submit
from tests.faults import dynamodb_fault

SDK_ATTEMPTS = 4  # botocore's standard retry mode: 1 + 3 retries
pytestmark = [
    pytest.mark.usefixtures("aws"),
    pytest.mark.parametrize("backend", ["moto"], indirect=True),  # faults are moto's
]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _: None)


@pytest.fixture
def adapters(settings: Settings) -> Adapters:
    adapters = Adapters.from_settings(settings)
    ingest_events(adapters.facts, adapters.metrics, [order_event("o-1")], T0)
    return adapters


def test_a_throttled_decision_reaches_the_service_as_storage_unavailable(
    adapters: Adapters, settings: Settings
) -> None:
    complaint = submit(adapters, settings, "o-1")
    with (  # a decision is one transaction with its day's SLA figures
        dynamodb_fault(settings, "TransactWriteItems", times=SDK_ATTEMPTS),
        pytest.raises(StorageUnavailable) as err,
    ):
        decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op",
            outcome="upheld",
            reason_code="complaint_upheld",
            note=None,
            now=T0 + timedelta(hours=1),
            policy=settings.sla_policy,
        )
    assert isinstance(err.value, DomainError) and err.value.code == "service_unavailable"
    assert isinstance(err.value.__cause__, PynamoDBException)  # kept for the logs
    assert "ProvisionedThroughputExceededException" in str(err.value)
    assert adapters.complaints.get(complaint.complaint_id) == complaint  # nothing written


def test_a_throttled_read_reaches_the_sweep_as_storage_unavailable(
    adapters: Adapters, settings: Settings
) -> None:
    complaint = submit(adapters, settings, "o-1")
    policy = settings.sla_policy
    with (
        dynamodb_fault(settings, "GetItem", times=SDK_ATTEMPTS),
        pytest.raises(StorageUnavailable),
    ):
        process_due(adapters, complaint.complaint_id, T0, policy, settings.thresholds)


def test_a_failure_no_retry_fixes_is_a_storage_error_not_a_domain_error(
    adapters: Adapters, settings: Settings
) -> None:
    with (
        dynamodb_fault(settings, "Query", times=1, code="AccessDeniedException") as fault,
        pytest.raises(StorageError) as err,
    ):
        sla_report(adapters.complaints, now=T0, window_days=7)
    assert fault["injected"] == 1  # not retried
    assert not isinstance(err.value, DomainError)  # an HTTP 500, not a caller's mistake
    assert "AccessDeniedException" in str(err.value)


def test_a_throttled_contribution_write_is_storage_unavailable_at_once(
    adapters: Adapters, settings: Settings
) -> None:
    with (
        dynamodb_fault(settings, "TransactWriteItems", times=SDK_ATTEMPTS) as fault,
        pytest.raises(StorageUnavailable),
    ):
        ingest_events(adapters.facts, adapters.metrics, [order_event("o-2")], T0)
    assert fault["injected"] == SDK_ATTEMPTS  # one write's retries: no contribution retry


def test_contributions_that_keep_changing_are_storage_unavailable_after_the_retries(
    adapters: Adapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []

    def always_raced(self: MetricsRepository, order_id: str, *args: object) -> None:
        attempts.append(order_id)
        raise ContributionConflict(order_id)

    monkeypatch.setattr(MetricsRepository, "write_contribution", always_raced)
    with pytest.raises(StorageUnavailable, match="kept changing"):
        ingest_events(adapters.facts, adapters.metrics, [order_event("o-2")], T0)
    assert attempts == ["o-2"] * ATTEMPTS
    attempts.clear()
    with pytest.raises(StorageUnavailable, match="kept changing"):
        refresh_order(adapters.facts, adapters.metrics, "o-2")
    assert attempts == ["o-2"] * ATTEMPTS


#: A decision's transaction cancelled because another was writing the day's SLA figures.
BUSY_DAY = {
    "CancellationReasons": [
        {"Code": "None", "Message": "None"},
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
    ]
}


def test_a_decision_whose_days_figures_are_busy_is_tried_again_and_counted_once(
    adapters: Adapters, settings: Settings
) -> None:
    complaint = submit(adapters, settings, "o-1")
    with dynamodb_fault(
        settings,
        "TransactWriteItems",
        times=2,
        code="TransactionCanceledException",
        details=BUSY_DAY,
    ) as fault:
        decided = decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op",
            outcome="upheld",
            reason_code="complaint_upheld",
            note=None,
            now=T0 + timedelta(hours=1),
            policy=settings.sla_policy,
        )
    assert fault["injected"] == 2 and decided.status == "upheld"
    figures = adapters.complaints.sla_days(T0.date(), T0.date())[T0.date()]
    assert (figures.decided, figures.max_seconds) == (1, 3600)


def test_a_decision_whose_days_figures_stay_busy_is_storage_unavailable(
    adapters: Adapters, settings: Settings
) -> None:
    complaint = submit(adapters, settings, "o-1")
    with (
        dynamodb_fault(
            settings,
            "TransactWriteItems",
            times=TRANSACTION_ATTEMPTS,
            code="TransactionCanceledException",
            details=BUSY_DAY,
        ),
        pytest.raises(StorageUnavailable),
    ):
        decide_by_operator(
            adapters,
            complaint_id=complaint.complaint_id,
            operator_id="op",
            outcome="upheld",
            reason_code="complaint_upheld",
            note=None,
            now=T0 + timedelta(hours=1),
            policy=settings.sla_policy,
        )
    assert adapters.complaints.get(complaint.complaint_id) == complaint  # nothing written
    assert adapters.complaints.sla_days(T0.date(), T0.date()) == {}
