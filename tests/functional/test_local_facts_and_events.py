"""``make run``'s facts queue consumer and its view of the complaint events, in process on
moto: the threads ``scripts/local.py`` runs (a fact sent to the queue is stored by the
deployed handler; each published event is printed and journalled, in order), and
``GET /dev/events``, which lists the journal in the dev stage with the dev sign-in only.
(``test_demo_and_local_service.py`` shows the same through ``make run`` itself.)"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.messaging import SnsPublisher
from chalicelib.config import Settings
from chalicelib.dev_events import EventJournal
from chalicelib.jobs.facts_queue import FACTS_QUEUE
from scripts.demo_data import delivered_order_event
from scripts.infra import MAX_RECEIVES
from scripts.local import _in_background, _queue_with_dead_letters, _run_queue_worker_forever
from scripts.local_events import run_event_log_forever, subscribe
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _eventually(check: Callable[[], Any], timeout: float = 30) -> Any:
    """``check()``'s first truthy answer, polled until ``timeout`` (the threads' pace)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s")


@pytest.fixture
def running() -> Iterator[contextlib.ExitStack]:
    """What the runner's ``ExitStack`` is: the threads started here stop at the end."""
    with contextlib.ExitStack() as stack:
        yield stack


@pytest.mark.usefixtures("aws")
def test_a_fact_sent_to_the_facts_queue_is_stored_by_the_worker_thread(
    settings: Settings, running: contextlib.ExitStack, capsys: pytest.CaptureFixture[str]
) -> None:
    """The facts consumer as ``make run`` runs it: the deployed ``on_fact_messages`` handed
    the queue's messages; the one it stored is deleted, the one it reports failed (not an
    event) is left on the queue for a retry."""
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = _queue_with_dead_letters(sqs, FACTS_QUEUE)
    order = delivered_order_event("o-queued", "s-queue", "b-queue", NOW)
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(order))
    sqs.send_message(QueueUrl=queue_url, MessageBody="not an event")
    assert FactRepository(settings).stored_order("o-queued") is None

    _in_background(running, "facts", _run_queue_worker_forever, queue_url, "on_fact_messages")
    stored = _eventually(lambda: FactRepository(settings).stored_order("o-queued"))
    assert (stored.seller_id, stored.status) == ("s-queue", "delivered")
    _eventually(lambda: "[facts worker]" in capsys.readouterr().out or None)
    running.close()  # the thread stops

    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    left = attributes["Attributes"]
    # the stored one deleted; the failed one in flight until its visibility timeout
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "1",
    )


@pytest.mark.usefixtures("aws")
def test_make_runs_queues_hand_a_poison_message_to_their_dead_letter_queue(
    settings: Settings,
) -> None:
    """As deployed: a message received ``MAX_RECEIVES`` times without being deleted goes
    to the queue's dead-letter queue instead of coming back for ever."""
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = _queue_with_dead_letters(sqs, FACTS_QUEUE)
    sqs.send_message(QueueUrl=queue_url, MessageBody="not an event")
    for _ in range(MAX_RECEIVES):
        received = sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0)
        assert len(received.get("Messages", [])) == 1
    assert not sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0).get("Messages")
    dead = sqs.get_queue_url(QueueName=f"{FACTS_QUEUE}-dlq")["QueueUrl"]
    (moved,) = sqs.receive_message(QueueUrl=dead)["Messages"]
    assert moved["Body"] == "not an event"


def _event(complaint_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"{complaint_id}:{kind}",
        "type": f"complaint.{kind}",
        "complaint_id": complaint_id,
        "seller_id": "s-1",
        "scenario": "malicious_review",
        "status": "pending",
        **extra,
    }


@pytest.mark.usefixtures("aws")
def test_published_events_are_printed_and_journalled_in_order(
    settings: Settings,
    running: contextlib.ExitStack,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The local subscriber: a queue on the topic the app publishes to, drained by a thread
    that prints a line per event and records them, newest first, in the journal."""
    topic = boto3.client("sns", region_name=settings.region).create_topic(Name="events")
    queue_url = subscribe(topic["TopicArn"], settings.region)
    journal = EventJournal(tmp_path / "events.json")
    _in_background(running, "events", run_event_log_forever, queue_url, settings.region, journal)

    publisher = SnsPublisher(topic["TopicArn"], settings.region)  # what the app publishes with
    published = [
        _event("c_1", "escalated"),
        _event("c_1", "decided", outcome="rejected", decided_by="operator", reason_code="r"),
        _event("c_1", "appealed", previous_outcome="rejected"),
    ]
    for event in published:
        publisher.publish(event)
    _eventually(lambda: len(journal.latest()) == 3)
    assert journal.latest() == published[::-1]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[event]")]
    assert [line.split()[1] for line in lines] == [e["type"] for e in published]

    sqs = boto3.client("sqs", region_name=settings.region)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"  # each shown once


def _get_events(client: Client) -> Any:
    return client.http.get("/dev/events")


def test_dev_events_lists_the_journal_newest_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    journal = EventJournal(tmp_path / "events.json")
    monkeypatch.setenv("DEV_SIGN_IN", "1")
    monkeypatch.setenv("DEV_EVENTS_FILE", str(journal.path))
    with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
        assert json.loads(_get_events(client).body) == {"items": []}  # nothing published yet
        journal.record([_event("c_1", "decided"), _event("c_2", "escalated")])
        response = _get_events(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    items = json.loads(response.body)["items"]
    assert [(e["complaint_id"], e["type"]) for e in items] == [
        ("c_2", "complaint.escalated"),
        ("c_1", "complaint.decided"),
    ]


@pytest.mark.parametrize(
    "env",
    [
        {},  # neither
        {"DEV_SIGN_IN": "1"},  # no journal
        {"DEV_EVENTS_FILE": "events.json"},  # no dev sign-in
        {"DEV_SIGN_IN": "0", "DEV_EVENTS_FILE": "events.json"},
    ],
)
def test_dev_events_is_404_without_the_dev_sign_in_and_a_journal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]
) -> None:
    EventJournal(tmp_path / "events.json").record([_event("c_1", "decided")])
    for name in ("DEV_SIGN_IN", "DEV_EVENTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, str(tmp_path / value) if name == "DEV_EVENTS_FILE" else value)
    with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
        response = _get_events(client)
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["code"] == "not_found"
    assert b"c_1" not in response.body


def test_dev_events_is_404_outside_the_dev_stage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    journal = EventJournal(tmp_path / "events.json")
    journal.record([_event("c_1", "decided")])
    monkeypatch.setenv("DEV_SIGN_IN", "1")
    monkeypatch.setenv("DEV_EVENTS_FILE", str(journal.path))
    monkeypatch.setenv("AUTH_JWT_SECRET", "a-production-secret-for-this-test")
    monkeypatch.setenv("COMPLAINT_EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:000000000000:t")
    monkeypatch.setenv("SWEEP_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/000000000000/q")
    with Client(app, stage_name="prod", project_dir=str(ROOT)) as client:
        response = _get_events(client)
        assert client.http.get("/health").status_code == 200  # the stage itself serves
    assert response.status_code == 404
    assert b"c_1" not in response.body
