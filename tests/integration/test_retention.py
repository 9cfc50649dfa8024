"""Retention: complaints and facts carry a TTL (RETENTION_DAYS, default 2 years)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from chalicelib.adapters.models import complaint_model, fact_model, metrics_day_model
from chalicelib.adapters.wiring import Adapters
from chalicelib.config import get_settings
from chalicelib.services.ingest import ingest_events
from tests.builders import T0, order_event, submit

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize("days", [730, 400])
def test_every_stored_item_expires_after_the_retention_period(
    days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTION_DAYS", str(days))
    settings = get_settings()
    adapters = Adapters.from_settings(settings)
    event = order_event("o-1", placed_at=T0 - timedelta(days=1))
    ingest_events(adapters.facts, adapters.metrics, [event], T0)
    complaint = submit(adapters, settings, "o-1")
    stored = complaint_model(settings).get(complaint.complaint_id)
    assert stored.expires_at == T0 + timedelta(days=days)
    order = fact_model(settings).get("ORDER#o-1", "ORDER#")
    assert order.expires_at == T0 - timedelta(days=1) + timedelta(days=days)
    marker = fact_model(settings).get(f"EVENT#{event['event_id']}", "EVENT")
    assert marker.expires_at == T0 + timedelta(days=settings.event_marker_days)
    # the buyer's day counters expire with their day's facts
    day = (T0 - timedelta(days=1)).date()
    for pk in ("BUYER_DAYS#b-1", "BUYER_SELLER_DAYS#b-1#s-1"):
        counters = fact_model(settings).get(pk, f"DAY#{day}")
        assert counters.expires_at == datetime.combine(day, time(), UTC) + timedelta(days=days)
    items = list(fact_model(settings).scan()) + list(metrics_day_model(settings).scan())
    # all but the review queue's counters: the current level of what is pending (one item
    # per counter shard, whatever the history), which must outlive any complaint it counts
    never = [i for i in items if i.expires_at is None and not i.sk.startswith("DAY#")]
    assert never and {(i.pk, i.sk.split("#")[0]) for i in never} == {("SLA", "QUEUE")}
