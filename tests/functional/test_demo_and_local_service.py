"""``make run``'s pieces: the demo data set, and the local service as a whole."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.config import Settings
from scripts.demo_data import DEMO_SELLERS, demo_complaint_ids, demo_events, load_demo_data
from scripts.local import free_port
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.usefixtures("aws")
def test_demo_data_covers_every_state_and_loads_once(settings: Settings) -> None:
    first = load_demo_data(settings, NOW)
    assert "14 complaints created" in first
    assert "0 complaints created" in load_demo_data(settings, NOW)  # idempotent
    complaints = [ComplaintRepository(settings).get(cid) for cid in demo_complaint_ids()]
    assert {c.status for c in complaints if c} == {"pending", "upheld", "rejected"}
    assert len({c.seller_id for c in complaints if c}) >= 2
    pending_ages = [
        (NOW - c.submitted_at).total_seconds() / 3600 for c in complaints if c and c.is_pending
    ]
    assert any(35 <= a < 36 for a in pending_ages) and any(36 < a <= 37 for a in pending_ages)
    decided_by = {c.decision.decided_by for c in complaints if c and c.decision}
    assert decided_by == {"rules", "operator"}
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


def test_make_run_serves_the_api_with_demo_data_and_stops_on_ctrl_c() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"}
    env.update(PORT=str(port), LOCAL_JOB_INTERVAL_SECONDS="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Read the service's output for as long as it runs: an undrained pipe fills up and
    # blocks the service's logging (and with it requests and jobs).  It is also what a
    # failed assertion shows.
    output: list[str] = []
    banner = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Press Ctrl-C" in line:
                banner.set()
        banner.set()  # the service ended before its banner

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        banner.wait(timeout=90)
        text = "".join(output)
        assert f"running at http://127.0.0.1:{port}" in text, text
        token = re.search(r"seller\s+s-demo-1\s+(\S+)", text)
        assert token, text
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/complaints?limit=100",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
        assert {c["status"] for c in body["items"]} == {"pending", "upheld", "rejected"}

        # The exemption job runs on its timer: the upheld demo complaints change the metrics.
        # One run applies them one complaint after another, so wait for the change itself,
        # not for the first exemption to show.
        def read_metrics() -> tuple[dict[str, Any], bool]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics",
                headers={"Authorization": f"Bearer {token.group(1)}"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                metrics = json.loads(response.read())
            rate = metrics["metrics"]["cancellation_rate"]
            return metrics, rate["after_exemptions"]["value"] < rate["raw"]["value"]

        for _ in range(120):
            metrics, lowered = read_metrics()
            if lowered:
                break
            time.sleep(0.5)
        assert metrics["exemptions"], "the exemption job did not run:\n" + "".join(output)
        assert lowered, f"{metrics['metrics']['cancellation_rate']}\n" + "".join(output)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        reader.join(timeout=10)
    assert process.returncode == 0, "".join(output)
    assert "stopped" in "".join(output)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing left listening
