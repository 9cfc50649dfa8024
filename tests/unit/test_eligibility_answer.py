"""The filing form's eligibility answer (``services.eligibility.order_eligibility``) and the
submission (``services.complaints.submit_complaint``) never disagree: over generated orders,
an answer says eligible exactly when the same submission is not refused as ineligible, and
names the code it is refused with."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from chalicelib.config import Settings, get_settings
from chalicelib.domain.complaints import Complaint, complaint_id_for
from chalicelib.domain.errors import NotEligible, NotFound
from chalicelib.domain.scenarios import REGISTRY
from chalicelib.services.complaints import submit_complaint
from chalicelib.services.eligibility import order_eligibility
from chalicelib.services.ingest import ingest_events
from tests.builders import T0, dispute_event, message_event, order_event, review_event
from tests.fakes import InMemoryPorts

STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled", "closed_unshipped"]


@st.composite
def order_facts(draw: Any) -> list[dict[str, Any]]:
    """An order of seller s-1 or s-2 (any status, paid or not, shipped or not, custom or
    not) with any reviews, disputes and messages."""
    seller = draw(st.sampled_from(["s-1", "s-2"]))
    placed = T0 - timedelta(days=draw(st.integers(0, 120)))
    paid = draw(st.booleans())
    shipped = draw(st.booleans())
    events = [
        order_event(
            "o-1",
            seller_id=seller,
            status=draw(st.sampled_from(STATUSES)),
            placed_at=placed,
            paid_at=placed + timedelta(hours=1) if paid else None,
            shipped_at=placed + timedelta(days=1) if shipped else None,
            custom_item=draw(st.booleans()),
        )
    ]
    for i, rating in enumerate(draw(st.lists(st.integers(1, 5), max_size=3))):
        events.append(review_event(f"r-{i}", "o-1", rating=rating, seller_id=seller))
    for i in range(draw(st.integers(0, 2))):
        events.append(dispute_event(f"d-{i}", "o-1", seller_id=seller))
    for i, sender in enumerate(draw(st.lists(st.sampled_from(["seller", "buyer"]), max_size=2))):
        events.append(
            message_event(f"m-{i}", "o-1", sender=sender, sent_at=placed + timedelta(hours=2 + i))
        )
    return events


def _ports(config: Settings, events: list[dict[str, Any]]) -> InMemoryPorts:
    ports = InMemoryPorts.create(config)
    results = ingest_events(ports.facts, ports.metrics, events, T0)
    assert all(r.status == "accepted" for r in results), results
    return ports


def _submit(ports: InMemoryPorts, config: Settings, scenario: str, reason: str | None) -> Complaint:
    return submit_complaint(
        ports,
        seller_id="s-1",
        order_id="o-1",
        scenario=scenario,
        description="d",
        reason=reason,
        evidence=(),
        now=T0,
        decision_hours=config.decision_hours,
        thresholds=config.thresholds,
        policy=config.sla_policy,
    )


def _refused(ports: InMemoryPorts, config: Settings, scenario: str, reason: str | None) -> Any:
    """What the submission says: None (filed), the NotEligible code, or NotFound."""
    try:
        _submit(ports, config, scenario, reason)
    except NotEligible as refused:
        return refused.code
    except NotFound:
        return NotFound
    return None


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=order_facts())
def test_the_answer_and_the_submission_agree_on_every_scenario(
    events: list[dict[str, Any]],
) -> None:
    config = get_settings()
    ports = _ports(config, events)
    try:
        _, answers = order_eligibility(
            ports.facts, ports.complaints, seller_id="s-1", order_id="o-1"
        )
    except NotFound:
        for scenario in REGISTRY:
            for reason in scenario.sub_reason_codes or (None,):
                assert _refused(_ports(config, events), config, scenario.code, reason) is NotFound
        return
    assert [a.scenario.code for a in answers] == list(REGISTRY.codes())
    for answer in answers:
        code = answer.scenario.code
        if not answer.sub_reasons:
            said = _refused(_ports(config, events), config, code, None)
            assert said == answer.reason_code, code
            assert answer.eligible is (said is None)
            continue
        for sub in answer.sub_reasons:
            said = _refused(_ports(config, events), config, code, sub.code)
            assert said == sub.reason_code, (code, sub.code)
            assert sub.eligible is (said is None)
        assert answer.eligible is any(sub.eligible for sub in answer.sub_reasons)
        first = answer.sub_reasons[0].reason_code
        assert answer.reason_code == (None if answer.eligible else first)
        # without a reason the submission is refused whatever the order: the form's to ask
        assert _refused(_ports(config, events), config, code, None) == "reason_required"


@pytest.fixture
def config() -> Settings:
    return get_settings()


def test_the_answer_reads_the_partition_and_the_complaints_once_whatever_is_filed(
    config: Settings,
) -> None:
    ports = _ports(config, [order_event("o-1", status="paid")])
    _submit(ports, config, "malicious_ordering", None)
    _submit(ports, config, "non_fulfillment_protection", "custom_item_no_response")
    ports.reset_counts()
    _, answers = order_eligibility(ports.facts, ports.complaints, seller_id="s-1", order_id="o-1")
    assert ports.requests() == {"facts.order_facts": 1, "complaints.refs": 1}
    filed = {a.scenario.code: a.complaint_id for a in answers if a.complaint_id}
    assert filed == {
        "malicious_ordering": complaint_id_for("o-1", "malicious_ordering"),
        "non_fulfillment_protection": complaint_id_for("o-1", "non_fulfillment_protection"),
    }


def test_another_sellers_order_reads_no_complaint(config: Settings) -> None:
    ports = _ports(config, [order_event("o-1", seller_id="s-2")])
    ports.reset_counts()
    for order_id in ("o-1", "o-404"):
        with pytest.raises(NotFound):
            order_eligibility(ports.facts, ports.complaints, seller_id="s-1", order_id=order_id)
    assert ports.requests() == {"facts.order_facts": 2}
    with pytest.raises(NotFound):
        order_eligibility(ports.facts, ports.complaints, seller_id="s-1", order_id="a b")
    assert ports.requests() == {"facts.order_facts": 2}  # no id of that shape: no request


def test_a_scenario_added_to_the_registry_is_answered_too(config: Settings) -> None:
    from dataclasses import replace

    extra = replace(REGISTRY["malicious_harassment"], code="extra_scenario")
    ports = _ports(config, [order_event("o-1")])
    with REGISTRY.extended(extra):
        _, answers = order_eligibility(
            ports.facts, ports.complaints, seller_id="s-1", order_id="o-1"
        )
    assert answers[-1].scenario.code == "extra_scenario" and answers[-1].eligible
