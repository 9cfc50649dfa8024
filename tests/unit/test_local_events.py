"""``make run``'s view of the complaint events: each event as one readable line
(``scripts/local_events.py``), the journal of the latest (``chalicelib/dev_events.py``),
and the setting that exposes it, honoured with the dev sign-in only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.dev_events import EventJournal
from scripts.local_events import describe

BASE = {
    "complaint_id": "c_1",
    "seller_id": "s-1",
    "order_id": "o-1",
    "scenario": "malicious_review",
    "status": "upheld",
    "due_at": "2026-11-22T08:00:00Z",
}


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (
            {"type": "complaint.decided", "outcome": "upheld", "decided_by": "operator"}
            | {"reason_code": "complaint_upheld"},
            "complaint.decided c_1 (seller s-1, malicious_review): "
            "upheld by operator (complaint_upheld)",
        ),
        (
            {"type": "complaint.escalated"},
            "complaint.escalated c_1 (seller s-1, malicious_review): "
            "escalated to the reviewers, due 2026-11-22T08:00:00Z",
        ),
        (
            {"type": "complaint.appealed", "previous_outcome": "rejected"},
            "complaint.appealed c_1 (seller s-1, malicious_review): "
            "appealed after rejected, due 2026-11-22T08:00:00Z",
        ),
        (
            {"type": "complaint.recategorised", "previous_complaint_id": "c_0"}
            | {"previous_scenario": "malicious_harassment"},
            "complaint.recategorised c_1 (seller s-1, malicious_review): "
            "moved from c_0 (malicious_harassment)",
        ),
        (
            {"type": "complaint.exemption_applied"}
            | {"metrics": [{"metric": "negative_review_rate"}, {"metric": "dispute_rate"}]},
            "complaint.exemption_applied c_1 (seller s-1, malicious_review): "
            "exemption applied (dispute_rate, negative_review_rate)",
        ),
        (
            {"type": "complaint.exemption_overdue", "reason": "failing"},
            "complaint.exemption_overdue c_1 (seller s-1, malicious_review): "
            "exemption overdue (failing)",
        ),
        (
            {"type": "complaint.something_new"},
            "complaint.something_new c_1 (seller s-1, malicious_review): status upheld",
        ),
    ],
)
def test_each_event_is_one_readable_line(extra: dict[str, Any], line: str) -> None:
    assert describe({**BASE, **extra}) == f"[event] {line}"


def test_the_journal_keeps_the_latest_newest_first(tmp_path: Path) -> None:
    journal = EventJournal(tmp_path / "events.json", kept=3)
    assert journal.latest() == []  # nothing recorded yet
    journal.record([{"n": 1}, {"n": 2}])  # oldest first, as received
    journal.record([])
    journal.record([{"n": 3}, {"n": 4}])
    assert [e["n"] for e in journal.latest()] == [4, 3, 2]
    assert [e["n"] for e in EventJournal(tmp_path / "events.json").latest()] == [4, 3, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.json"]  # no draft left


def test_the_journal_setting_is_honoured_with_the_dev_sign_in_only() -> None:
    on = {"STAGE": "dev", "DEV_SIGN_IN": "1", "DEV_EVENTS_FILE": "/tmp/events.json"}
    assert get_settings(on).dev_events_file == "/tmp/events.json"
    assert get_settings({**on, "DEV_SIGN_IN": "0"}).dev_events_file is None
    assert get_settings({**on, "DEV_EVENTS_FILE": ""}).dev_events_file is None
    deployed = {
        **on,
        "AUTH_JWT_SECRET": "a-production-secret-for-this-test",
        "COMPLAINT_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:t",
        "SWEEP_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/q",
    }
    for stage in ("prod", "staging"):
        assert get_settings({**deployed, "STAGE": stage}).dev_events_file is None
