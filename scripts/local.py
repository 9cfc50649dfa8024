"""``make run``: the whole service on this machine.

1. DynamoDB: the URL in ``DYNAMODB_ENDPOINT``, or an embedded moto server on
   ``MOTO_PORT`` (default: a free port) when unset.
2. Tables created from the app's own PynamoDB definitions; the demo data set loaded
   (idempotent: re-running against a persistent endpoint adds nothing twice).
3. The HTTP API served by ``chalice local`` on ``PORT`` (default 8000).
4. Every ``@app.schedule`` job of the app invoked on a timer (``LOCAL_JOB_INTERVAL_SECONDS``,
   default 60) with a real CloudWatch scheduled event, as Lambda would.
5. The URL and ready-to-use tokens are printed.  Ctrl-C stops everything started here.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on now (for a server started right after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_environment() -> Any:
    """Environment for everything started here; returns the moto server when embedded."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("STAGE", "dev")
    if os.environ.get("DYNAMODB_ENDPOINT"):
        return None
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per DynamoDB request
    port = int(os.environ.get("MOTO_PORT") or free_port())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    os.environ["DYNAMODB_ENDPOINT"] = url
    # SNS (complaint events) and SQS (sweep fan-out) on the same embedded server.
    os.environ["AWS_ENDPOINT_URL_SNS"] = url
    os.environ["AWS_ENDPOINT_URL_SQS"] = url
    import boto3

    region = os.environ["AWS_DEFAULT_REGION"]
    topic = boto3.client("sns", region_name=region).create_topic(Name="complaint-events")
    queue = boto3.client("sqs", region_name=region).create_queue(
        QueueName="seller-report-center-sweep"
    )
    os.environ.setdefault("COMPLAINT_EVENTS_TOPIC_ARN", topic["TopicArn"])
    os.environ.setdefault("SWEEP_QUEUE_URL", queue["QueueUrl"])
    return server


def _scheduled_jobs() -> list[tuple[str, Any]]:
    from chalice.app import ScheduledEventConfig

    from app import app

    return [
        (source.name, app.handler_map[source.name])
        for source in app.event_sources
        if isinstance(source, ScheduledEventConfig)
    ]


def _run_jobs_forever(stop: threading.Event, interval: float) -> None:
    from chalice.test import Client

    from app import app

    jobs = _scheduled_jobs()
    if not jobs:
        print("[jobs] the app has no scheduled jobs yet", flush=True)
        return
    print(f"[jobs] every {interval:g}s: {', '.join(name for name, _ in jobs)}", flush=True)
    events = Client(app).events
    while not stop.wait(interval):
        for name, handler in jobs:
            event = events.generate_cw_event(
                source="aws.events",
                detail_type="Scheduled Event",
                detail={},
                resources=[f"arn:aws:events:us-east-1:000000000000:rule/{name}"],
            )
            try:
                result = handler(event, None)
            except Exception as exc:  # a failed run is reported; the timer goes on
                print(f"[jobs] {name} failed: {exc!r}", flush=True)
            else:
                print(f"[jobs] {name}: {result}", flush=True)


def wait_until_serving(
    url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 10
) -> None:
    """Return once ``url`` answers HTTP, whatever the status; ``RuntimeError`` when
    ``process`` (the server, if we started it) exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {url} within {timeout:g}s")


def _print_banner(url: str, now: datetime) -> None:
    from chalicelib.api.auth import mint_token
    from chalicelib.config import get_settings
    from scripts.demo_data import DEMO_OPERATOR, DEMO_SELLERS, DEMO_SYSTEM

    settings = get_settings()
    expires = now + timedelta(hours=12)
    lines = [
        "",
        f"Seller Report Center is running at {url}",
        f"DynamoDB: {settings.dynamodb_endpoint}",
        "Tokens (valid 12 h; mint more with scripts/token.py):",
    ]
    for role, subject in [
        ("seller", DEMO_SELLERS[0]),
        ("seller", DEMO_SELLERS[1]),
        ("operator", DEMO_OPERATOR),
        ("system", DEMO_SYSTEM),
    ]:
        token = mint_token(settings, subject=subject, role=role, expires_at=expires)
        lines.append(f"  {role:<8} {subject:<12} {token}")
    lines += [
        "Try:",
        f'  curl -H "Authorization: Bearer $TOKEN" {url}/complaints',
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    interval = float(os.environ.get("LOCAL_JOB_INTERVAL_SECONDS", "60"))
    moto_server = _prepare_environment()

    from chalicelib.adapters.models import create_tables
    from chalicelib.config import get_settings
    from scripts.demo_data import load_demo_data

    now = datetime.now(UTC)
    create_tables(get_settings())
    summary = load_demo_data(get_settings(), now)
    print(f"[demo] {summary}", flush=True)

    chalice = Path(sys.executable).with_name("chalice")
    process = subprocess.Popen(
        [
            str(chalice),
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--stage",
            "dev",
            "--no-autoreload",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    stop = threading.Event()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(f"{url}/health", process, timeout=60)
        except RuntimeError as exc:
            raise SystemExit(f"chalice local did not start: {exc}") from exc
        jobs = threading.Thread(target=_run_jobs_forever, args=(stop, interval), daemon=True)
        jobs.start()
        _print_banner(url, now)
        while not stop.is_set() and process.poll() is None:
            stop.wait(0.5)
    finally:
        stop.set()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if moto_server is not None:
            moto_server.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
