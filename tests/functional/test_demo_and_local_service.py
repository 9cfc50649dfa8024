"""``make run``'s pieces: the demo data set, its settings, and the local service as a whole,
started as ``make run`` starts it (``python -m scripts.local``) on free ports, on its own
embedded backends."""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.api.auth import mint_token
from chalicelib.config import DEV_JWT_SECRET, Settings, get_settings
from scripts import send_fact, smoke
from scripts.demo_data import DEMO_SELLERS, demo_complaint_ids, demo_events, load_demo_data
from scripts.local import free_port, service_environment, wait_until_serving
from tests.builders import order_event, review_event
from tests.concurrency import race
from tests.conftest import ISOLATED_ENV, ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.usefixtures("aws")
def test_demo_data_covers_every_state_and_loads_once(settings: Settings) -> None:
    first = load_demo_data(settings, NOW)
    assert "16 complaints created" in first
    assert "0 complaints created" in load_demo_data(settings, NOW)  # idempotent
    complaints = [ComplaintRepository(settings).get(cid) for cid in demo_complaint_ids()]
    assert {c.status for c in complaints if c} == {"pending", "upheld", "rejected"}
    (attached,) = [a for c in complaints if c for a in c.attachments]  # a verified PNG
    assert attached.status == "verified" and attached.content_type == "image/png"
    assert len({c.seller_id for c in complaints if c}) >= 2
    pending_ages = [
        (NOW - c.submitted_at).total_seconds() / 3600 for c in complaints if c and c.is_pending
    ]
    assert any(35 <= a < 36 for a in pending_ages) and any(36 < a <= 37 for a in pending_ages)
    decided_by = {c.decision.decided_by for c in complaints if c and c.decision}
    assert decided_by == {"rules", "operator"}
    appealed = [c for c in complaints if c and c.appeal is not None]
    assert [(c.status, c.appeal.previous_decision.outcome) for c in appealed if c.appeal] == [
        ("pending", "rejected")
    ]
    moved = [c for c in complaints if c and any(h.action == "recategorised" for h in c.history)]
    assert [(c.scenario, c.status) for c in moved] == [("malicious_review", "pending")]
    assert all(complaints), "every demo complaint is stored under its (final) id"
    statuses = Counter(e["data"]["status"] for e in demo_events(NOW) if e["type"] == "order")
    assert set(statuses) == {
        "placed",
        "paid",
        "shipped",
        "delivered",
        "cancelled",
        "closed_unshipped",
    }
    assert FactRepository(settings).order_facts("o-custom").messages
    assert len(DEMO_SELLERS) == 3


def test_service_settings_are_the_stage_config_under_the_shell() -> None:
    """One environment for every process of ``make run``: .chalice/config.json's (global,
    then the dev stage's), with the shell's values winning."""
    shell = {"DECISION_HOURS": "1", "PATH": "/bin"}
    env = service_environment(shell)
    assert env["DECISION_HOURS"] == "1"
    assert env["PATH"] == "/bin"
    assert env["LISTING_MONTHS"] == "6"  # global
    assert env["COMPLAINTS_TABLE"] == "seller-report-center-dev-complaints"  # dev stage
    assert service_environment({})["DECISION_HOURS"] == "48"
    assert shell == {"DECISION_HOURS": "1", "PATH": "/bin"}  # not modified


# ------------------------------------------------------------------ the service as a whole

#: Kept out of the service's environment as the autouse fixture keeps them out of the
#: tests' own, so the tokens minted here are the ones the service accepts.
_NOT_INHERITED = ISOLATED_ENV


class LocalService:
    """``python -m scripts.local`` (what ``make run`` runs) on free ports, in a process group
    of its own (so a test can press Ctrl-C on it as a terminal does), its output read for as
    long as it runs: an undrained pipe fills up and blocks the service's logging (and with
    it requests and jobs).  The output is also what a failed assertion shows."""

    def __init__(self, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        environ.update(PORT=str(self.port), PYTHONUNBUFFERED="1", **env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.local"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        """The first match of ``pattern`` (a multi-line regex) in the output, once there."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.ended or re.search(pattern, self.output, re.M), timeout
            )
        match = re.search(pattern, self.output, re.M)
        assert match, f"no {pattern!r} in the output:\n{self.output}"
        return match

    def children(self) -> list[int]:
        """The processes the runner started and has not reaped."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == self.process.pid:
                    pids.append(int(entry))
        return pids

    def interrupt(self, *, group: bool) -> float:
        """Ctrl-C: SIGINT to the whole process group as a terminal sends it, or to the
        runner alone; returns the seconds until the runner exited."""
        start = time.monotonic()
        if group:
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running 60 s after Ctrl-C:\n{self.output}") from None
        self._reader.join(timeout=10)
        return time.monotonic() - start

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _alive(pid: int) -> bool:
    """Running (a zombie left to init counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) == 0


def _token(subject: str, role: str = "seller") -> str:
    expires = datetime.now(UTC) + timedelta(hours=1)
    return mint_token(get_settings(), subject=subject, role=role, expires_at=expires)


def _call(url: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_make_run_serves_the_api_with_demo_data_and_stops_on_ctrl_c() -> None:
    service = LocalService(LOCAL_JOB_INTERVAL_SECONDS="1")
    try:
        service.wait_for("^Press Ctrl-C")
        text = service.output
        assert f"running at {service.url}" in text, text
        token = re.search(r"seller\s+s-demo-1\s+(\S+)", text)
        assert token, text
        status, body = _call(service.url, "GET", "/complaints?limit=100", token.group(1))
        assert status == 200, body
        assert {c["status"] for c in body["items"]} == {"pending", "upheld", "rejected"}

        # The exemption job runs on its timer: the upheld demo complaints change the metrics.
        # One run applies them one complaint after another, so wait for the change itself,
        # not for the first exemption to show.
        def read_metrics() -> tuple[dict[str, Any], bool]:
            status, metrics = _call(service.url, "GET", "/metrics", token.group(1))
            assert status == 200, metrics
            rate = metrics["metrics"]["cancellation_rate"]
            return metrics, rate["after_exemptions"]["value"] < rate["raw"]["value"]

        for _ in range(120):
            metrics, lowered = read_metrics()
            if lowered:
                break
            time.sleep(0.5)
        assert metrics["exemptions"], "the exemption job did not run:\n" + service.output
        assert lowered, f"{metrics['metrics']['cancellation_rate']}\n" + service.output
        servers = re.findall(r"^(?:DynamoDB|SNS, SQS): (\S+)", service.output, re.M)
        assert len(servers) == 2, service.output
        # The files bucket is served by the embedded moto, at the URL the banner prints.
        bucket_url = re.search(r"^S3 files: (\S+)/(\S+) ", service.output, re.M)
        assert bucket_url is not None and bucket_url.group(1) == servers[1], service.output
        s3 = boto3.client(
            "s3",
            endpoint_url=bucket_url.group(1),
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        s3.head_bucket(Bucket=bucket_url.group(2))
        children = service.children()
        assert children, "the runner started no server processes"
    except BaseException:
        service.kill()
        raise
    # Ctrl-C on the runner alone (the jobs run every second): it stops what it started.
    seconds = service.interrupt(group=False)
    assert service.process.returncode == 0, service.output
    assert service.lines[-1] == "stopped\n", service.output
    assert seconds < 20, f"{seconds:.1f}s to stop:\n{service.output}"
    assert not [pid for pid in children if _alive(pid)], service.output
    assert not [url for url in [service.url, *servers] if _listening(url)], service.output


def test_make_run_stops_promptly_on_ctrl_c_while_starting() -> None:
    """Ctrl-C as a terminal sends it (to every process of the group) while the API is still
    starting: everything stops, cleanly and at once, and the runner says so."""
    service = LocalService()
    try:
        service.wait_for(r"^\[demo\]")
        children = service.children()
    except BaseException:
        service.kill()
        raise
    seconds = service.interrupt(group=True)
    assert service.process.returncode == 0, service.output
    assert service.lines[-1] == "stopped\n", service.output
    assert "Traceback" not in service.output, service.output
    assert seconds < 20, f"{seconds:.1f}s to stop:\n{service.output}"
    assert not [pid for pid in children if _alive(pid)], service.output
    assert not _listening(service.url)


@pytest.fixture(scope="module")
def service() -> Iterator[LocalService]:
    """One ``make run`` for the tests below, with a shell setting that differs from
    .chalice/config.json's (``DECISION_HOURS`` 72 against 48), and jobs that stay out of
    the way (their first run would be in an hour)."""
    running = LocalService(DECISION_HOURS="72", LOCAL_JOB_INTERVAL_SECONDS="3600")
    try:
        running.wait_for("^Press Ctrl-C")
        yield running
    finally:
        running.interrupt(group=True)


def test_make_run_consumes_the_sweep_queue_with_the_worker_lambda_runs(
    service: LocalService,
) -> None:
    """Issue 16: ``make run`` runs the sweep's SQS worker on its own sweep queue — a message
    put there is handled by ``sla_sweep_worker`` and deleted; a malformed one it reports
    failed stays on the queue for a retry.  (Before the decision race below, which decides
    the demo's complaints just past 36 h — the earliest in the review queue.)"""
    queue_url = service.wait_for(r"^Sweep worker: sla_sweep_worker consumes (\S+)$").group(1)
    operator = _token("op-sweep", "operator")
    status, queue = _call(service.url, "GET", "/review/queue?limit=1", operator)
    assert status == 200 and queue["items"], queue
    pending = queue["items"][0]["complaint_id"]
    sqs = boto3.client(
        "sqs",
        endpoint_url="/".join(queue_url.split("/")[:3]),  # moto's URL
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    seen = len(service.lines)
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"complaint_ids": [pending]}))
    sqs.send_message(QueueUrl=queue_url, MessageBody="not a sweep message")
    handled = []
    deadline = time.monotonic() + 60
    while sum(handled) < 2 and time.monotonic() < deadline:
        lines = "".join(service.lines[seen:])
        handled = [
            int(done) + int(left)
            for done, left in re.findall(r"\[sweep worker\] (\d+) messages done, (\d+) left", lines)
        ]
        time.sleep(0.2)
    output = "".join(service.lines[seen:])
    assert sum(handled) >= 2, service.output
    # the earliest pending demo complaint is past its 36 h escalation point: escalated
    assert re.search(
        r'"message": "sla sweep worker".*"failed": 0, "actions": \{"escalated": 1\}', output
    ), output
    assert "sweep message is malformed" in output, output
    status, seen_by_reviewer = _call(service.url, "GET", f"/review/complaints/{pending}", operator)
    assert status == 200, seen_by_reviewer
    assert [h["action"] for h in seen_by_reviewer["history"]][-1] == "escalated"
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    # deleted: the one handled; left (in flight until its visibility timeout): the other
    assert (
        int(attributes["ApproximateNumberOfMessages"])
        + int(attributes["ApproximateNumberOfMessagesNotVisible"])
        == 1
    ), attributes


def _burst(port: int, request: bytes, clients: int, timeout: float = 30) -> list[str]:
    """``clients`` connections opened at once (non-blocking connects in a row, so they
    arrive together, as from that many clients), each sending ``request`` as soon as it is
    connected; returns each one's HTTP status, or what became of it."""
    selector = selectors.DefaultSelector()
    answers: dict[socket.socket, bytes] = {}
    outcome: dict[socket.socket, str] = {}
    for _ in range(clients):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_WRITE)
        answers[sock] = b""
    deadline = time.monotonic() + timeout
    while len(outcome) < clients and time.monotonic() < deadline:
        for key, events in selector.select(timeout=1):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                if events & selectors.EVENT_WRITE:
                    sock.sendall(request)
                    selector.modify(sock, selectors.EVENT_READ)
                    continue
                data = sock.recv(65536)
                if data:
                    answers[sock] += data
                    continue
                outcome[sock] = answers[sock].split(b" ", 2)[1].decode() or "closed"
            except OSError as exc:
                outcome[sock] = type(exc).__name__
            selector.unregister(sock)
            sock.close()
    for sock in answers:
        if sock not in outcome:
            outcome[sock] = "no answer"
            sock.close()
    return list(outcome.values())


def test_make_run_answers_fifty_clients_connecting_at_once(service: LocalService) -> None:
    """Each of 50 clients connecting at once is answered, at once: a connection the server
    has no room for is reset, or waits for its SYN to be sent again (after 1 s, 3 s, 7 s
    ...).  Three rounds, the first on a fresh server."""
    request = (
        "GET /complaints?limit=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {_token(DEMO_SELLERS[0])}\r\nConnection: close\r\n\r\n"
    ).encode()
    for _ in range(3):
        assert Counter(_burst(service.port, request, 50, timeout=10)) == {"200": 50}


def test_make_run_decides_a_complaint_once_among_twenty_simultaneous_decisions(
    service: LocalService,
) -> None:
    """Against make run's own DynamoDB: of 20 reviewers deciding one complaint at once
    exactly one is told it is decided, and what they were told is what is stored (a round
    per pending demo complaint, up to 5)."""
    from scripts.demo_data import DEMO_REASON

    operator = _token("op-race", "operator")
    status, queue = _call(service.url, "GET", "/review/queue?limit=100", operator)
    assert status == 200, queue
    pending = [item["complaint_id"] for item in queue["items"]][:5]
    assert len(pending) >= 3, queue

    for complaint_id in pending:

        def decide(reviewer: int, complaint_id: str = complaint_id) -> tuple[int, Any]:
            outcome = ("upheld", "rejected")[reviewer % 2]
            body = {"outcome": outcome, "reason_code": DEMO_REASON[outcome], "note": "race"}
            path = f"/review/complaints/{complaint_id}/decision"
            return _call(service.url, "POST", path, _token(f"op-{reviewer}", "operator"), body)

        replies = race(*[lambda r=r: decide(r) for r in range(20)])
        statuses = Counter(r[0] if isinstance(r, tuple) else repr(r) for r in replies)
        assert statuses == {200: 1, 409: 19}, statuses
        told = next(body for status, body in replies if status == 200)
        status, stored = _call(service.url, "GET", f"/review/complaints/{complaint_id}", operator)
        assert status == 200, stored
        assert stored["status"] == told["status"] == told["decision"]["outcome"]
        assert stored["decision"] == told["decision"]
        actions = [h["action"] for h in stored["history"]]
        review = actions[actions.index("appealed") + 1 :] if "appealed" in actions else actions
        decisions = [a for a in review if a.startswith("decided")]  # of this review
        assert decisions == [f"decided:{told['status']}"], stored["history"]


def test_make_run_counts_twenty_identical_event_batches_once(service: LocalService) -> None:
    """Against make run's own DynamoDB: the same batch sent 20 times at once stores each
    event once and moves the seller's metric counters once (three rounds, each a new
    seller's order and its review)."""
    now = datetime.now(UTC)
    system = _token("platform", "system")
    for round_ in range(3):
        seller, order, buyer = f"s-race-{round_}", f"o-race-{round_}", f"b-race-{round_}"
        batch = [
            order_event(
                order,
                seller_id=seller,
                buyer_id=buyer,
                status="delivered",
                placed_at=now - timedelta(days=3),
                event_id=f"evt-race-order-{round_}",
            ),
            review_event(
                f"r-race-{round_}",
                order,
                rating=1,
                seller_id=seller,
                buyer_id=buyer,
                posted_at=now - timedelta(days=1),
                event_id=f"evt-race-review-{round_}",
            ),
        ]

        def send(batch: list[dict[str, Any]] = batch) -> tuple[int, Any]:
            return _call(service.url, "POST", "/platform/events", system, {"events": batch})

        replies = race(*[send] * 20)
        assert Counter(r[0] if isinstance(r, tuple) else repr(r) for r in replies) == {200: 20}
        for event in batch:
            outcomes = Counter(
                result["status"]
                for _, body in replies
                for result in body["results"]
                if result["event_id"] == event["event_id"]
            )
            assert outcomes["accepted"] == 1, outcomes
            assert outcomes["accepted"] + outcomes["duplicate"] + outcomes["stale"] == 20

        status, body = _call(service.url, "GET", "/metrics", _token(seller))
        assert status == 200, body
        counted = {
            name: (metric["raw"]["numerator"], metric["raw"]["denominator"])
            for name, metric in body["metrics"].items()
        }
        assert counted == {
            "non_fulfillment_rate": (0, 1),
            "dispute_rate": (0, 1),
            "cancellation_rate": (0, 1),
            "negative_review_rate": (1, 1),
        }


def test_make_run_gives_demo_data_and_api_the_same_settings(service: LocalService) -> None:
    """``DECISION_HOURS=72 make run`` (.chalice/config.json says 48): the demo complaints
    (written by the runner) and a complaint filed through the API both get 72 h."""

    def hours_to_decide(complaint: dict[str, Any]) -> float:
        """From the submission, or for an appeal from the appeal (its deadline's start)."""
        started = (complaint["appeal"] or complaint)["submitted_at"]
        submitted = datetime.fromisoformat(started)
        return (datetime.fromisoformat(complaint["due_at"]) - submitted) / timedelta(hours=1)

    seller = _token(DEMO_SELLERS[0])
    status, demo = _call(service.url, "GET", "/complaints?limit=100", seller)
    assert status == 200, demo
    assert demo["items"]
    assert {hours_to_decide(c) for c in demo["items"]} == {72}

    placed = datetime.now(UTC) - timedelta(days=2)
    order = order_event("o-settings", seller_id="s-settings", status="delivered", placed_at=placed)
    status, ingested = _call(
        service.url, "POST", "/platform/events", _token("platform", "system"), {"events": [order]}
    )
    assert status == 200 and ingested["results"][0]["status"] == "accepted", ingested
    body = {"order_id": "o-settings", "scenario": "malicious_harassment", "description": "d"}
    status, filed = _call(service.url, "POST", "/complaints", _token("s-settings"), body)
    assert status == 201, filed
    assert hours_to_decide(filed) == 72


def test_make_run_serves_the_filing_form_its_orders_and_their_eligibility(
    service: LocalService,
) -> None:
    """The demo seller's orders of 90 days, newest first, through the sparse index on the
    embedded DynamoDB; and the eligibility of the demo's order with a bad address."""
    seller = _token(DEMO_SELLERS[0])
    status, listed = _call(service.url, "GET", "/orders?limit=100", seller)
    assert status == 200, listed
    ids = [o["order_id"] for o in listed["items"]]
    assert {"o-badaddr", "o-custom", "o-flood-0"} <= set(ids)
    placed = [o["placed_at"] for o in listed["items"]]
    assert placed == sorted(placed, reverse=True)
    status, answer = _call(service.url, "GET", "/orders/o-badaddr/eligibility", seller)
    assert status == 200, answer
    protection = {a["scenario"]: a for a in answer["scenarios"]}["non_fulfillment_protection"]
    assert protection["eligible"] is True
    status, theirs = _call(service.url, "GET", "/orders/o-badaddr/eligibility", _token("s-x"))
    assert status == 404, theirs


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP exchange (a request ``urllib`` would not send), read to the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            head, _, rest = received.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            if length and len(rest) >= int(length.group(1)):
                break
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split(" ")[1]), headers, body


@pytest.mark.parametrize(
    ("request_line", "status", "code"),
    [
        ("GET /no/such/route HTTP/1.1", 404, "not_found"),
        ("POST /complaints/x/y/z HTTP/1.1", 404, "not_found"),
        ("TRACE /complaints HTTP/1.1", 404, "not_found"),
        ("PROPFIND /complaints HTTP/1.1", 404, "not_found"),
        ("OPTIONS /complaints HTTP/1.1", 404, "not_found"),
        ("GARBAGE", 400, "request_refused"),
    ],
)
def test_make_run_answers_what_the_gateway_answers_in_the_error_shape(
    service: LocalService, request_line: str, status: int, code: str
) -> None:
    """Issue 12.12: one error shape everywhere, and never the caller's credential echoed
    (chalice local's unknown-route answer quotes the Authorization header)."""
    secret = "Bearer eyJ-not-to-be-echoed-0123456789"
    request = f"{request_line}\r\nHost: x\r\nAuthorization: {secret}\r\nContent-Length: 0\r\n\r\n"
    got, headers, body = _raw(service.port, request.encode())
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert b"not-to-be-echoed" not in body
    error = json.loads(body)["error"]
    assert (error["code"], set(error)) == (code, {"code", "message", "details"})


def test_make_run_answers_a_known_path_with_an_unknown_method_in_the_error_shape(
    service: LocalService,
) -> None:
    got, _, body = _raw(
        service.port, b"DELETE /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    )
    assert got == 405
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_ctrl_c_handed_to_another_thread_still_stops_make_run() -> None:
    """The kernel may deliver a process's SIGINT to any thread (under load, often the busy
    jobs thread); the runner's main thread must notice it all the same (it once sat in
    ``waitpid`` while the jobs ran on).  ``pthread_kill`` hands it to a worker thread."""
    script = textwrap.dedent(
        """
        import signal, subprocess, sys, threading, time
        from scripts.local import _interrupt, _wait_interruptibly
        signal.signal(signal.SIGINT, _interrupt)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        def hit():
            time.sleep(0.5)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        threading.Thread(target=hit).start()
        try:
            _wait_interruptibly(child)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        finally:
            child.kill()
        """
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=25
    )
    assert done.stdout.strip() == "interrupted", done.stderr
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    ("length", "status", "code"),
    [
        ("157286400", 413, "payload_too_large"),
        ("99999999999", 413, "payload_too_large"),
        ("abc", 400, "request_refused"),
        ("-5", 400, "request_refused"),
    ],
)
def test_make_run_refuses_a_body_before_reading_it(
    service: LocalService, length: str, status: int, code: str
) -> None:
    """A declared 150 MB body is refused at once, not read into memory first; a
    Content-Length that is no length is a 400, not a dropped connection."""
    request = f"POST /complaints HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{"
    got, _, body = _raw(service.port, request.encode())
    assert (got, json.loads(body)["error"]["code"]) == (status, code)


def test_make_run_stops_when_make_alone_is_terminated() -> None:
    """A supervisor that sends SIGTERM to make's pid alone (make does not pass it on) must
    not leave the service running with nobody to stop it."""
    port = free_port()
    make = subprocess.Popen(
        ["make", "-s", "run", f"PORT={port}", "LOCAL_JOB_INTERVAL_SECONDS=3600"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/health", timeout=90)
        make.send_signal(signal.SIGTERM)  # to make only, not its process group
        make.wait(timeout=20)
        deadline = time.monotonic() + 30
        while _listening(f"http://127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(f"http://127.0.0.1:{port}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGKILL)


# ------------------------------------------------- issue 17: facts queue, events, smoke test


def test_make_run_stores_a_fact_sent_to_its_facts_queue(
    service: LocalService, capsys: pytest.CaptureFixture[str]
) -> None:
    """The facts queue and the command the banner prints: the order sent becomes a fact
    (``on_fact_messages`` through make run's worker), which ``GET /orders`` lists; a message
    that is no valid event is left on the queue for a retry."""
    queue_url = service.wait_for(r"^  send a fact: \.venv/bin/python -m scripts\.send_fact (\S+)$")[
        1
    ]
    consumer = rf"^Facts worker: on_fact_messages consumes {re.escape(queue_url)}$"
    assert re.search(consumer, service.output, re.M), service.output
    seen = len(service.lines)
    assert send_fact.main([queue_url]) == 0
    listed = re.search(r"GET /orders as (\S+) lists (o-local-\S+)", capsys.readouterr().out)
    assert listed is not None and listed[1] == DEMO_SELLERS[0]
    seller = _token(DEMO_SELLERS[0])

    def order_ids() -> list[str]:
        status, body = _call(service.url, "GET", "/orders?limit=100", seller)
        assert status == 200, body
        return [o["order_id"] for o in body["items"]]

    deadline = time.monotonic() + 60
    while listed[2] not in order_ids() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listed[2] in order_ids(), service.output
    assert send_fact.main([queue_url, json.dumps({"event_id": "e-not-an-order"})]) == 0
    service.wait_for(r"^\[facts worker\] 0 messages done, 1 left for a retry$", timeout=60)
    assert re.search(r"^\[facts worker\] 1 messages done", "".join(service.lines[seen:]), re.M)


def test_make_run_prints_and_lists_the_events_it_publishes(service: LocalService) -> None:
    """Every complaint event published is printed as one ``[event]`` line as it happens and
    listed by ``GET /dev/events``, newest first: the demo data's, then a decision and the
    appeal that follows it."""
    for kind in ("decided", "appealed", "recategorised"):  # the demo data's
        assert re.search(rf"^\[event\] complaint\.{kind} c_", service.output, re.M), kind
    now = datetime.now(UTC)
    order = order_event(
        "o-events", seller_id="s-events", status="delivered", placed_at=now - timedelta(days=2)
    )
    status, sent = _call(
        service.url, "POST", "/platform/events", _token("platform", "system"), {"events": [order]}
    )
    assert status == 200, sent
    seller = _token("s-events")
    body = {"order_id": "o-events", "scenario": "malicious_harassment", "description": "d"}
    status, filed = _call(service.url, "POST", "/complaints", seller, body)
    assert status == 201, filed
    complaint_id = filed["complaint_id"]
    decision = {"outcome": "rejected", "reason_code": "insufficient_evidence", "note": "n"}
    path = f"/review/complaints/{complaint_id}/decision"
    status, decided = _call(service.url, "POST", path, _token("op-events", "operator"), decision)
    assert status == 200, decided
    path = f"/complaints/{complaint_id}/appeal"
    status, appealed = _call(service.url, "POST", path, seller, {"statement": "please look again"})
    assert status == 200, appealed

    service.wait_for(rf"^\[event\] complaint\.appealed {complaint_id} ", timeout=60)
    printed = [
        line.split()[1]
        for line in service.lines
        if line.startswith("[event] ") and f" {complaint_id} " in line
    ]
    assert printed == ["complaint.decided", "complaint.appealed"], service.output
    with urllib.request.urlopen(f"{service.url}/dev/events", timeout=30) as response:
        listed = json.loads(response.read())["items"]
    ours = [(e["type"], e["status"]) for e in listed if e["complaint_id"] == complaint_id]
    assert ours == [("complaint.appealed", "pending"), ("complaint.decided", "rejected")]


def test_the_smoke_test_passes_against_make_run(service: LocalService) -> None:
    """``python -m scripts.smoke`` with the dev key: health, an order, a complaint filed on
    it and read back — which is there for the test seller afterwards."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.smoke", "--base-url", service.url, "--key", DEV_JWT_SECRET],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"smoke test passed: {service.url}"
    complaint_id = re.search(r"^read back: (\S+) \(pending\)$", done.stdout, re.M)
    assert complaint_id, done.stdout
    status, read = _call(service.url, "GET", f"/complaints/{complaint_id[1]}", _token("s-smoke"))
    assert (status, read["scenario"]) == (200, "malicious_harassment"), read


def test_the_smoke_test_takes_its_tokens_from_the_environment(
    service: LocalService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMOKE_TOKEN", _token("s-smoke-env"))
    monkeypatch.setenv("SMOKE_SYSTEM_TOKEN", _token("platform", "system"))
    assert smoke.main(["--base-url", service.url]) == 0
    assert re.search(
        r"^order: o-smoke-\S+ of seller s-smoke-env accepted$", capsys.readouterr().out, re.M
    )


def test_the_smoke_test_says_which_step_failed_and_exits_non_zero(
    service: LocalService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong_key = ["--base-url", service.url, "--key", "not-the-key-of-this-stage-at-all"]
    assert smoke.main(wrong_key) == 1
    assert (
        "smoke test FAILED at order: POST /platform/events answered 401 (not 200)"
        in capsys.readouterr().err
    )
    assert smoke.main(["--base-url", f"{service.url}/nope", "--key", DEV_JWT_SECRET]) == 1
    assert "FAILED at health: GET /health answered 404 (not 200)" in capsys.readouterr().err
    nowhere = f"http://127.0.0.1:{free_port()}"
    assert smoke.main(["--base-url", nowhere, "--key", DEV_JWT_SECRET, "--timeout", "5"]) == 1
    assert f"FAILED at health: cannot reach {nowhere}/health" in capsys.readouterr().err
    for name in ("SMOKE_TOKEN", "SMOKE_SYSTEM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exited:
        smoke.main(["--base-url", service.url])
    assert exited.value.code == 2
    assert "set SMOKE_TOKEN" in capsys.readouterr().err


def _banner(text: str) -> list[str]:
    """The banner's lines in ``text`` (from "… is running at" to "Press Ctrl-C"), tokens
    and ports made alike: what the README must show as make run prints it."""
    start = text.index("Seller Report Center is running at")
    end = text.index("Press Ctrl-C to stop.", start)
    lines = text[start:end].splitlines()
    lines = [line for line in lines if not line.startswith(("[", "{", "127.0.0.1 - -"))]
    return [re.sub(r"eyJ\S+", "eyJ…", re.sub(r":\d{2,5}\b", ":PORT", line)) for line in lines]


def test_the_readme_shows_what_make_run_prints(service: LocalService) -> None:
    readme = (ROOT / "README.md").read_text()
    sample = readme[readme.index("$ make run\n") :]
    assert _banner(sample) == _banner(service.output)
