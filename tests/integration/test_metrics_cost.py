from datetime import timedelta

import pytest

from bench.dynamo_calls import count_dynamodb_calls
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.config import Settings
from chalicelib.domain.timeutil import to_iso
from chalicelib.services.ingest import ingest_events
from chalicelib.services.metrics import EXEMPTIONS_SHOWN, seller_metrics
from tests.builders import T0, order_event

pytestmark = pytest.mark.usefixtures("aws")


def test_reading_metrics_costs_the_same_whatever_the_order_volume(settings: Settings) -> None:
    facts, metrics = FactRepository(settings), MetricsRepository(settings)

    def add_orders(prefix: str, count: int) -> None:
        ingest_events(
            facts,
            metrics,
            [
                order_event(
                    f"{prefix}{i}",
                    status=["delivered", "cancelled", "paid"][i % 3],
                    placed_at=T0 - timedelta(days=i % 30, hours=i % 7),
                )
                for i in range(count)
            ],
            T0,
        )

    def read() -> tuple[int, dict[str, int]]:
        with count_dynamodb_calls(settings) as calls:
            body = seller_metrics(metrics, "s-1", T0)
        return sum(calls.values()), body["metrics"]["cancellation_rate"]["raw"]

    add_orders("a", 30)  # moto copies the table per transaction: keep volumes modest
    few_calls, few = read()
    add_orders("b", 90)
    many_calls, many = read()
    assert few == {"numerator": 10, "denominator": 30, "value": round(10 / 30, 4)}
    assert many["denominator"] == 120 and many["numerator"] == 40
    assert few_calls == many_calls == 2  # day counters + exemption log


def test_ingesting_a_fact_twice_counts_it_once(settings: Settings) -> None:
    facts, metrics = FactRepository(settings), MetricsRepository(settings)
    event = order_event("o-1", status="cancelled", cancelled_by="buyer")
    for _ in range(3):
        ingest_events(facts, metrics, [event], T0)
    raw = seller_metrics(metrics, "s-1", T0)["metrics"]["cancellation_rate"]["raw"]
    assert (raw["numerator"], raw["denominator"]) == (1, 1)


def test_the_exemption_log_shows_every_recent_entry_however_many_older_ones_there_are(
    settings: Settings,
) -> None:
    """Entries are keyed by complaint id, not time: recent ones must not be crowded out."""
    metrics = MetricsRepository(settings)
    old, recent = T0 - timedelta(days=300), T0 - timedelta(days=3)
    for i in range(120):  # ids of old entries sort before the recent ones
        at = old if i < 110 else recent
        metrics.start_exemption_log("s-1", f"c_{i:03d}", at, {"effective_at": to_iso(at)})
    shown = seller_metrics(metrics, "s-1", T0)
    assert [e["effective_at"] for e in shown["exemptions"]] == [to_iso(recent)] * 10
    assert shown["exemptions_after"] is None


def test_metrics_show_the_newest_exemptions_and_read_the_same_whatever_the_log_length(
    settings: Settings,
) -> None:
    """A page of the newest entries and the position after them, in two requests, for a
    seller with a few exemptions and with many."""
    metrics = MetricsRepository(settings)

    def log(first: int, count: int) -> None:
        for i in range(first, first + count):
            at = T0 - timedelta(minutes=i)
            entry = {"complaint_id": f"c_{i:03d}", "effective_at": to_iso(at)}
            metrics.start_exemption_log("s-1", f"c_{i:03d}", at, entry)

    def read() -> tuple[int, dict[str, object]]:
        with count_dynamodb_calls(settings) as calls:
            body = seller_metrics(metrics, "s-1", T0)
        return sum(calls.values()), body

    log(0, 5)
    few_calls, few = read()
    log(5, 120)
    many_calls, many = read()
    assert few_calls == many_calls == 2
    assert len(few["exemptions"]) == 5 and few["exemptions_after"] is None  # type: ignore[arg-type]
    shown = [e["complaint_id"] for e in many["exemptions"]]  # type: ignore[attr-defined]
    assert shown == [f"c_{i:03d}" for i in range(EXEMPTIONS_SHOWN)]
    assert many["exemptions_after"] == f"{to_iso(T0 - timedelta(minutes=49))}#c_049"
