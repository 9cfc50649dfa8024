from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.complaints import complaint_id_for, decide, new_complaint
from chalicelib.domain.errors import Conflict
from chalicelib.domain.reasons import all_reasons
from chalicelib.domain.scenario import GROUPS
from chalicelib.domain.scenarios import REGISTRY
from chalicelib.domain.timeutil import months_before, parse_iso, to_iso

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
CATALOGUE = tuple(REGISTRY)
SCENARIOS = {scenario.code: scenario for scenario in CATALOGUE}
REASONS = all_reasons()


def test_catalogue_holds_the_five_scenarios_with_both_languages() -> None:
    assert set(SCENARIOS) == {
        "malicious_ordering",
        "malicious_review",
        "malicious_dispute",
        "malicious_harassment",
        "non_fulfillment_protection",
    }
    for scenario in CATALOGUE:
        assert scenario.name.zh and scenario.name.en
        assert scenario.group in GROUPS
        assert scenario.dimension
        assert "order_id" in scenario.required_fields
    protection = SCENARIOS["non_fulfillment_protection"]
    assert protection.group == "metric_protection"
    assert protection.sub_reason_codes == ("address_invalid", "custom_item_no_response")
    assert "reason" in protection.required_fields


def test_catalogue_serialises_every_field_the_portal_needs() -> None:
    shown = SCENARIOS["non_fulfillment_protection"].as_dict()
    assert shown["name"] == {
        "zh": "成交不卖（指标保护）",
        "en": "Non-fulfilment (metric protection)",
    }
    assert shown["group_name"]["zh"] == "指标保护"
    assert [r["code"] for r in shown["sub_reasons"]] == [
        "address_invalid",
        "custom_item_no_response",
    ]


def test_every_reason_code_has_both_texts() -> None:
    for code, text in REASONS.items():
        assert text.zh and text.en, code


def test_complaint_id_is_stable_per_order_and_scenario() -> None:
    a = complaint_id_for("o-1", "malicious_review")
    assert a == complaint_id_for("o-1", "malicious_review")
    assert a != complaint_id_for("o-1", "malicious_dispute")
    assert a != complaint_id_for("o-2", "malicious_review")
    assert a.startswith("c_") and len(a) == 28


def _complaint():  # type: ignore[no-untyped-def]
    return new_complaint(
        seller_id="s-1",
        order_id="o-1",
        buyer_id="b-1",
        scenario="malicious_ordering",
        reason=None,
        description="spam orders",
        evidence=(),
        now=NOW,
    )


def test_new_complaint_is_pending_due_in_48_hours_with_history() -> None:
    complaint = _complaint()
    assert complaint.status == "pending"
    assert complaint.due_at - complaint.submitted_at == timedelta(hours=48)
    assert [(h.action, h.actor) for h in complaint.history] == [("submitted", "seller:s-1")]


def test_a_complaint_is_decided_once() -> None:
    decided = decide(
        _complaint(),
        outcome="rejected",
        reason_code="not_malicious_competition",
        decided_by="operator",
        actor="operator:op-1",
        now=NOW + timedelta(hours=3),
    )
    assert decided.status == "rejected"
    assert decided.decision is not None and decided.decision.decided_by == "operator"
    assert [h.action for h in decided.history] == ["submitted", "decided:rejected"]
    with pytest.raises(Conflict):
        decide(
            decided,
            outcome="upheld",
            reason_code="x",
            decided_by="sla",
            actor="sla",
            now=NOW + timedelta(hours=4),
        )


@pytest.mark.parametrize(
    ("value", "months", "expected"),
    [
        (datetime(2026, 11, 24, tzinfo=UTC), 6, datetime(2026, 5, 24, tzinfo=UTC)),
        (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 3, 15, tzinfo=UTC), 6, datetime(2025, 9, 15, tzinfo=UTC)),
    ],
)
def test_months_before_counts_calendar_months(
    value: datetime, months: int, expected: datetime
) -> None:
    assert months_before(value, months) == expected


def test_time_helpers_refuse_naive_values() -> None:
    with pytest.raises(ValueError):
        to_iso(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        parse_iso("2026-01-01T00:00:00")
    assert to_iso(parse_iso("2026-01-01T08:00:00+08:00")) == "2026-01-01T00:00:00Z"


def test_to_iso_is_utc_to_the_second_and_sorts_as_text() -> None:
    east = timezone(timedelta(hours=8))
    assert to_iso(datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=east)) == "2026-01-01T19:04:05Z"
    assert to_iso(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)) == "2026-12-31T23:59:59Z"


def test_sla_policy_schedules_escalation_then_the_decision_point() -> None:
    from chalicelib.domain.complaints import SlaPolicy, escalate

    policy = SlaPolicy(escalation_hours=36, margin=timedelta(minutes=30))
    complaint = _complaint()
    assert policy.next_action_at(complaint) == NOW + timedelta(hours=36)
    assert not policy.needs_escalation(complaint, NOW + timedelta(hours=35, minutes=59))
    assert policy.needs_escalation(complaint, NOW + timedelta(hours=36))
    escalated = escalate(complaint, NOW + timedelta(hours=36))
    assert not policy.needs_escalation(escalated, NOW + timedelta(hours=40))
    assert policy.next_action_at(escalated) == NOW + timedelta(hours=47, minutes=30)
    assert policy.needs_decision(escalated, NOW + timedelta(hours=47, minutes=30))
    with pytest.raises(Conflict):
        escalate(escalated, NOW + timedelta(hours=37))
    decided = decide(
        escalated,
        outcome="upheld",
        reason_code="x",
        decided_by="sla",
        actor="sla",
        now=NOW + timedelta(hours=47, minutes=30),
    )
    assert policy.next_action_at(decided) is None
