from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.event_schema import parse_event
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.config import Settings
from chalicelib.domain.buyer_activity import activity_range
from tests.builders import T0, buyer_event, dispute_event, message_event, order_event, review_event

pytestmark = pytest.mark.usefixtures("aws")


def _apply(repo: FactRepository, raw: dict[str, Any]) -> str:
    return repo.apply(parse_event(raw), T0)


def test_versions_only_move_forward_and_event_ids_are_idempotent(settings: Settings) -> None:
    repo = FactRepository(settings)
    v2 = order_event("o-1", status="paid", version=2)
    v1 = order_event("o-1", status="placed", version=1)
    assert _apply(repo, v2) == "accepted"
    assert _apply(repo, v1) == "stale"  # out of order: the older version changes nothing
    assert _apply(repo, v2) == "duplicate"
    assert repo.order_facts("o-1").order.status == "paid"  # type: ignore[union-attr]
    v3 = order_event("o-1", status="shipped", version=3)
    assert _apply(repo, v3) == "accepted"
    assert _apply(repo, v2) == "duplicate"  # a late redelivery is still known by its id
    assert repo.order_facts("o-1").order.status == "shipped"  # type: ignore[union-attr]


def test_a_crash_between_marker_and_entity_is_repaired_on_redelivery(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = FactRepository(settings)
    event = order_event("o-1", status="paid")

    def crash(*_: Any) -> bool:
        raise RuntimeError("lambda timed out")

    with monkeypatch.context() as patch:
        patch.setattr(repo, "_store", crash)
        with pytest.raises(RuntimeError):
            _apply(repo, event)
    assert repo.model.get("EVENT#" + event["event_id"], "EVENT") is not None
    assert repo.order_facts("o-1").order is None  # claimed, not stored
    assert _apply(repo, event) == "accepted"  # the redelivery stores it
    assert repo.order_facts("o-1").order.status == "paid"  # type: ignore[union-attr]
    assert _apply(repo, event) == "duplicate"


def test_a_reused_event_id_is_a_duplicate_whatever_it_says(settings: Settings) -> None:
    """docs/api.md: the same event_id again is a duplicate — with a newer version, other
    content or another entity alike — and changes nothing (issue 12.7)."""
    repo = FactRepository(settings)
    first = order_event("o-1", status="placed", event_id="evt-reused")
    assert _apply(repo, first) == "accepted"
    newer = order_event("o-1", status="paid", version=2, event_id="evt-reused")
    other_content = order_event("o-1", status="cancelled", event_id="evt-reused")
    other_entity = order_event("o-2", status="paid", event_id="evt-reused")
    review = review_event("r-1", "o-1", rating=1, event_id="evt-reused")
    for reused in (newer, other_content, other_entity, review):
        assert _apply(repo, reused) == "duplicate"
    assert repo.order_facts("o-1").order.status == "placed"  # type: ignore[union-attr]
    assert repo.order_facts("o-1").reviews == ()
    assert repo.order_facts("o-2").order is None


def test_order_facts_gathers_the_order_partition(settings: Settings) -> None:
    repo = FactRepository(settings)
    for raw in (
        order_event("o-1", status="paid"),
        review_event("r-1", "o-1", rating=2),
        dispute_event("d-1", "o-1"),
        message_event("m-1", "o-1", sender="seller", sent_at=T0),
        order_event("o-2"),
    ):
        _apply(repo, raw)
    facts = repo.order_facts("o-1")
    assert facts.order is not None and facts.order.order_id == "o-1"
    assert [r.review_id for r in facts.reviews] == ["r-1"]
    assert [d.dispute_id for d in facts.disputes] == ["d-1"]
    assert [m.message_id for m in facts.messages] == ["m-1"]
    assert repo.order_facts("o-404").order is None


def test_activity_windows_by_buyer(settings: Settings) -> None:
    repo = FactRepository(settings)
    _apply(repo, buyer_event("b-1"))
    _apply(repo, order_event("o-old", placed_at=T0 - timedelta(days=200)))
    _apply(repo, order_event("o-new", placed_at=T0 - timedelta(days=10)))
    _apply(repo, order_event("o-other", buyer_id="b-2", placed_at=T0 - timedelta(days=5)))
    _apply(repo, order_event("o-s2", seller_id="s-2", placed_at=T0 - timedelta(days=3)))
    _apply(repo, review_event("r-1", "o-new", rating=1, posted_at=T0 - timedelta(days=9)))
    _apply(repo, dispute_event("d-1", "o-new", opened_at=T0 - timedelta(days=8)))
    _apply(repo, message_event("m-1", "o-new", sender="buyer", sent_at=T0 - timedelta(days=8)))
    since = T0 - timedelta(days=90)
    buyer = repo.buyer_activity("b-1", *activity_range(since, T0))
    assert sorted(type(x).__name__ + ":" + getattr(x, "order_id", "") for x in buyer) == [
        "DisputeData:o-new",
        "OrderData:o-new",
        "OrderData:o-s2",
        "ReviewData:o-new",
    ]
    assert len(repo.buyer_activity("b-1", *activity_range(T0 - timedelta(days=365), T0))) == 5
