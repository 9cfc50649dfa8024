"""``make run``: the whole service on this machine.

1. Settings: one environment for every part of the local service, ``.chalice/config.json``'s
   ``environment_variables`` (global, then the ``dev`` stage's) under the shell's own
   values (``service_environment``): ``DECISION_HOURS=1 make run`` gives 1 h deadlines to
   the demo data, to the jobs and to complaints filed through the API alike.
2. DynamoDB: the URL in ``DYNAMODB_ENDPOINT``, or, when unset, an embedded dynalite
   (``tools/dynalite/server.js``, in memory) on ``DYNALITE_PORT`` (default: a free port),
   which, like DynamoDB, applies each conditional write and transaction atomically.
   With the embedded DynamoDB come SNS (the complaint events topic), SQS (the sweep's
   fan-out queue) and S3 (the files bucket) from an embedded moto server on ``MOTO_PORT``
   (default: a free port); ``AWS_ENDPOINT_URL_S3`` points the app, and so its presigned
   URLs, at it.
3. Tables created from the app's own PynamoDB definitions; the demo data set loaded
   (idempotent: re-running against a persistent endpoint adds nothing twice).
4. The HTTP API on ``PORT`` (default 8000), served in its own process as ``chalice local``
   serves it, with a deep listen backlog (``scripts/local_api.py``).
5. Every ``@app.schedule`` job of the app invoked on a timer (``LOCAL_JOB_INTERVAL_SECONDS``,
   default 60) with a real CloudWatch scheduled event and a Lambda-like context, as Lambda
   would; and the app's SQS consumers each consuming its queue as Lambda's event source
   would — messages it handled deleted, those it reports failed left for a retry: the
   sweep's worker (``sla_sweep_worker``) the sweep queue (``SWEEP_QUEUE_URL``: the embedded
   one, or yours), the facts consumer (``on_fact_messages``) the facts queue
   (``FACTS_QUEUE_URL``: the same).
6. With the embedded backends, the complaint events the service publishes are shown: a
   queue subscribed to the topic, drained by a thread that prints each event as it arrives
   and records the latest for ``GET /dev/events`` (``scripts/local_events.py``).
7. The URL, the pages' URLs, ready-to-use tokens and how to send a fact are printed.  The
   pages' dev sign-in (``/dev/accounts``) is on: ``DEV_SIGN_IN=1`` (dev stage only).
   Ctrl-C (or SIGTERM) stops everything started here, jobs first, and the runner exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from chalicelib.config import Settings

ROOT = Path(__file__).resolve().parent.parent
STAGE = "dev"
DYNALITE_SERVER = ROOT / "tools" / "dynalite" / "server.js"
DYNALITE_PACKAGE = ROOT / "tools" / "dynalite" / "node_modules" / "dynalite"
#: How long a job already running when the service stops may take to finish its run.
JOB_STOP_SECONDS = 5.0
#: How long a server process may take to exit after SIGTERM before it is killed.
PROCESS_STOP_SECONDS = 5.0


#: Configuration that points a process at other keys or backends.  A local service a test or
#: the bench starts brings its own backends, so none of it is passed on to it (and the tests
#: keep it out of their own environment: the tokens they mint must be the ones it accepts).
DEVELOPER_ENV = (
    "AWS_PROFILE",
    "DYNAMODB_ENDPOINT",
    "AUTH_JWT_KEY",
    "AUTH_JWT_SECRET",
    "AUTH_JWT_ALGORITHM",
    "AUTH_JWT_SECRET_PARAMETER",
    "AUTH_JWKS_URL",
    "CURSOR_SECRET",
    "CURSOR_SECRET_PARAMETER",
    "COMPLAINTS_TABLE",
    "FACTS_TABLE",
    "FILES_BUCKET",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SNS",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SSM",
    "DEV_SIGN_IN",
    "DEV_EVENTS_FILE",
    "SIGN_IN_URL",
    "FACTS_QUEUE_URL",
)


def free_port() -> int:
    """A TCP port nothing listens on now (for a server started right after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def _config(stage: str = STAGE) -> Any:
    """``.chalice/config.json`` for ``stage``, as Chalice reads it (``chalice.config.Config``)."""
    from chalice.cli.factory import CLIFactory

    return CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name=stage)


def _queue_with_dead_letters(sqs: Any, name: str) -> str:
    """The URL of queue ``name``, with a dead-letter queue taking a message after
    ``MAX_RECEIVES`` receives, as deployed (``scripts/infra.py``)."""
    from scripts.infra import MAX_RECEIVES

    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    policy = {"deadLetterTargetArn": dead_arn["Attributes"]["QueueArn"]}
    policy["maxReceiveCount"] = str(MAX_RECEIVES)
    attributes = {"RedrivePolicy": json.dumps(policy)}
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def service_environment(shell: Mapping[str, str], stage: str = STAGE) -> dict[str, str]:
    """The environment of every part of the local service: the stage's
    ``environment_variables`` from ``.chalice/config.json`` (merged by Chalice, as deployed
    functions get them), overridden by ``shell``."""
    return {**_config(stage).environment_variables, **shell}


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``PROCESS_STOP_SECONDS``."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=PROCESS_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_dynalite(running: contextlib.ExitStack) -> str:
    """dynalite in memory on ``DYNALITE_PORT`` (free by default); returns its URL."""
    if shutil.which("node") is None or not DYNALITE_PACKAGE.is_dir():
        raise SystemExit(
            "The embedded DynamoDB is dynalite, which needs Node.js and "
            "`npm ci --prefix tools/dynalite` (`make run` runs it); "
            "or set DYNAMODB_ENDPOINT to a DynamoDB you run."
        )
    port = int(os.environ.get("DYNALITE_PORT") or free_port())
    process = subprocess.Popen(
        [
            *("node", str(DYNALITE_SERVER), "--host", "127.0.0.1", "--port", str(port)),
            *("--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"),
        ],
        stdout=subprocess.DEVNULL,  # its one "listening" line; errors go to stderr
    )
    running.callback(_stop_process, process)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, timeout=30)
    except RuntimeError as exc:
        raise SystemExit(f"dynalite did not start: {exc}") from exc
    return url


def _start_messaging(running: contextlib.ExitStack, api_port: int) -> str:
    """SNS, SQS and S3 from a moto server on ``MOTO_PORT`` (free by default), with the events
    topic, the sweep and facts queues and the files bucket (CORS open to the API's own
    origin, so the pages can upload through presigned POSTs); returns its URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    port = int(os.environ.get("MOTO_PORT") or free_port())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    running.callback(server.stop)
    url = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL_SNS"] = url
    os.environ["AWS_ENDPOINT_URL_SQS"] = url
    os.environ["AWS_ENDPOINT_URL_S3"] = url
    import boto3

    from chalicelib.config import get_settings
    from chalicelib.jobs.facts_queue import FACTS_QUEUE
    from chalicelib.jobs.sla_sweep import SWEEP_QUEUE

    region = os.environ["AWS_DEFAULT_REGION"]
    topic = boto3.client("sns", region_name=region).create_topic(Name="complaint-events")
    sqs = boto3.client("sqs", region_name=region)
    os.environ.setdefault("COMPLAINT_EVENTS_TOPIC_ARN", topic["TopicArn"])
    for variable, name in (("SWEEP_QUEUE_URL", SWEEP_QUEUE), ("FACTS_QUEUE_URL", FACTS_QUEUE)):
        os.environ.setdefault(variable, _queue_with_dead_letters(sqs, name))
    s3 = boto3.client("s3", region_name=region)
    bucket = get_settings().files_bucket
    s3.create_bucket(Bucket=bucket)
    origins = [f"http://{host}:{api_port}" for host in ("127.0.0.1", "localhost")]
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins,
                    "AllowedMethods": ["GET", "POST"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )
    return url


def _start_api(running: contextlib.ExitStack, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_api", "--port", str(port), "--stage", STAGE],
        cwd=ROOT,
        env=os.environ.copy(),  # the one environment of the service (service_environment)
    )
    running.callback(_stop_process, process)
    return process


class _JobContext:
    """The Lambda context of one scheduled run: a request id, and time that runs out at the
    function's timeout, or at once when the service stops (the sweep then ends its run
    early, as it does before a Lambda timeout)."""

    def __init__(self, name: str, timeout_s: float, stop: threading.Event) -> None:
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s
        self._stop = stop

    def get_remaining_time_in_millis(self) -> int:
        if self._stop.is_set():
            return 0
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _scheduled_jobs() -> list[tuple[str, Any, float]]:
    """(name, handler, Lambda timeout in seconds) of every ``@app.schedule`` job."""
    from chalice.app import ScheduledEventConfig
    from chalice.constants import DEFAULT_LAMBDA_TIMEOUT

    from app import app

    config = _config()
    return [
        (
            source.name,
            app.handler_map[source.name],
            config.scope(STAGE, source.name).lambda_timeout or DEFAULT_LAMBDA_TIMEOUT,
        )
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
    print(f"[jobs] every {interval:g}s: {', '.join(name for name, *_ in jobs)}", flush=True)
    events = Client(app).events
    while not stop.wait(interval):
        for name, handler, timeout in jobs:
            if stop.is_set():
                return
            event = events.generate_cw_event(
                source="aws.events",
                detail_type="Scheduled Event",
                detail={},
                resources=[f"arn:aws:events:us-east-1:000000000000:rule/{name}"],
            )
            try:
                result = handler(event, _JobContext(name, timeout, stop))
            except Exception as exc:  # a failed run is reported; the timer goes on
                if stop.is_set():  # cut short by the stop (Ctrl-C also reaches the backends)
                    return
                print(f"[jobs] {name} failed: {exc!r}", flush=True)
            else:
                print(f"[jobs] {name}: {result}", flush=True)


def _in_background(
    running: contextlib.ExitStack, name: str, loop: Callable[..., None], *args: Any
) -> None:
    """``loop(stop, *args)`` on a daemon thread, stopped first when the service stops (before
    the backends): a run in progress gets ``JOB_STOP_SECONDS`` to finish, then the backends
    go regardless."""
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(stop, *args), name=name, daemon=True)
    thread.start()

    def stop_loop() -> None:
        stop.set()
        thread.join(timeout=JOB_STOP_SECONDS)

    running.callback(stop_loop)


def _sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source hands a function for ``messages``."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class QueueWorker(NamedTuple):
    """How ``make run`` runs one of the app's SQS consumers: the label of its lines, the
    variable naming its queue's URL, and what the banner says when that is unset."""

    label: str
    queue_variable: str
    without_queue: str


#: The app's SQS consumers ``make run`` runs, each where its queue's URL is set, by function.
QUEUE_WORKERS = {
    "sla_sweep_worker": QueueWorker(
        "sweep worker", "SWEEP_QUEUE_URL", "the sweep does it all itself"
    ),
    "on_fact_messages": QueueWorker(
        "facts worker", "FACTS_QUEUE_URL", "send facts with POST /platform/events"
    ),
}


def _sqs_consumer(name: str) -> tuple[Any, int, float]:
    """(handler, batch size, Lambda timeout in seconds) of the app's SQS consumer ``name``,
    as its event source mapping and function are configured."""
    from chalice.app import SQSEventConfig
    from chalice.constants import DEFAULT_LAMBDA_TIMEOUT

    from app import app

    (source,) = [s for s in app.event_sources if isinstance(s, SQSEventConfig) and s.name == name]
    timeout = _config().scope(STAGE, name).lambda_timeout or DEFAULT_LAMBDA_TIMEOUT
    return app.handler_map[name], source.batch_size, timeout


def _run_queue_worker_forever(stop: threading.Event, queue_url: str, name: str) -> None:
    """The app's SQS consumer ``name`` (``QUEUE_WORKERS``) on ``queue_url``, as Lambda's
    event source mapping runs it: up to its batch size of messages at a time handed to the
    deployed handler, with a Lambda-like context; the messages it handled are deleted, those
    it reports in ``batchItemFailures`` are left to come back after the visibility timeout."""
    import boto3

    label = QUEUE_WORKERS[name].label
    handler, batch_size, timeout = _sqs_consumer(name)
    region = os.environ["AWS_DEFAULT_REGION"]
    sqs = boto3.client("sqs", region_name=region)
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    queue_arn = arn["Attributes"]["QueueArn"]
    while not stop.is_set():
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            continue
        try:
            result = handler(
                _sqs_event(messages, queue_arn, region), _JobContext(name, timeout, stop)
            )
        except Exception as exc:  # as on Lambda: the whole batch comes back; polling goes on
            if stop.is_set():
                return
            print(f"[{label}] failed, {len(messages)} messages left: {exc!r}", flush=True)
            continue
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        print(
            f"[{label}] {len(done)} messages done, {len(failed)} left for a retry",
            flush=True,
        )


def _print_banner(url: str, now: datetime, embedded_messaging: str | None) -> None:
    """The URL, the backends (``embedded_messaging``: moto's URL when the backends are
    embedded) and tokens for the demo roles."""
    from chalicelib.api.auth import mint_token
    from chalicelib.config import get_settings
    from scripts.demo_data import DEMO_OPERATOR, DEMO_SELLERS, DEMO_SYSTEM

    settings = get_settings()
    expires = now + timedelta(hours=12)
    dynamodb = settings.dynamodb_endpoint
    lines = [
        "",
        f"Seller Report Center is running at {url}",
        f"Seller center:    {url}/center/",
        f"Reviewer console: {url}/console/",
        "(dev sign-in: pick a demo account on the page)"
        if settings.dev_sign_in
        else "(dev sign-in off: DEV_SIGN_IN is not 1)",
    ]
    if embedded_messaging:
        lines.append(f"DynamoDB: {dynamodb} (embedded dynalite, in memory)")
        lines.append(f"SNS, SQS: {embedded_messaging} (embedded moto)")
        lines.append(
            f"S3 files: {embedded_messaging}/{settings.files_bucket} (embedded moto, in memory; "
            "presigned upload and download URLs point here)"
        )
    else:
        lines.append(f"DynamoDB: {dynamodb}")
    for name, worker in QUEUE_WORKERS.items():
        title = worker.label.capitalize()
        queue_url = os.environ.get(worker.queue_variable)
        if not queue_url:
            lines.append(f"{title}: none ({worker.queue_variable} unset: {worker.without_queue})")
            continue
        lines.append(f"{title}: {name} consumes {queue_url}")
        if name == "on_fact_messages":
            lines.append(f"  send a fact: .venv/bin/python -m scripts.send_fact {queue_url}")
    lines.append(_events_line(url, settings, embedded_messaging is not None))
    lines.append("Tokens (valid 12 h; mint more with scripts/token.py):")
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


def _events_line(url: str, settings: Settings, subscribed: bool) -> str:
    """Where the banner says the complaint events the service publishes are seen."""
    if not subscribed:
        if settings.events_topic_arn:
            return f"Events: published to {settings.events_topic_arn} (no local subscriber)"
        return "Events: logged by the API (COMPLAINT_EVENTS_TOPIC_ARN unset)"
    latest = (
        f"the latest at {url}/dev/events"
        if settings.dev_events_file
        else "GET /dev/events is off (DEV_SIGN_IN is not 1)"
    )
    return f"Events: each one published is printed here as an [event] line; {latest}"


def _start_event_log(running: contextlib.ExitStack) -> None:
    """The events topic's local subscriber (``scripts/local_events.py``) on a thread of its
    own, recording the latest events in a journal (``DEV_EVENTS_FILE``, which the API's
    ``GET /dev/events`` reads) in a directory removed when the service stops."""
    from chalicelib.dev_events import EventJournal
    from scripts.local_events import run_event_log_forever, subscribe

    region = os.environ["AWS_DEFAULT_REGION"]
    queue_url = subscribe(os.environ["COMPLAINT_EVENTS_TOPIC_ARN"], region)
    directory = tempfile.mkdtemp(prefix="seller-report-center-events-")
    running.callback(shutil.rmtree, directory, ignore_errors=True)  # after the thread stops
    journal = os.path.join(directory, "events.json")
    os.environ["DEV_EVENTS_FILE"] = journal
    _in_background(
        running, "events", run_event_log_forever, queue_url, region, EventJournal(journal)
    )


def _serve(running: contextlib.ExitStack, port: int, interval: float) -> int:
    """Start everything (each piece registers its own stop with ``running``), then wait
    for the API process; returns its exit status."""
    os.environ.update(service_environment(os.environ))
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("DEV_SIGN_IN", "1")  # the pages' dev sign-in (dev stage only)
    messaging = None
    if not os.environ.get("DYNAMODB_ENDPOINT"):
        os.environ["DYNAMODB_ENDPOINT"] = start_dynalite(running)
        messaging = _start_messaging(running, port)
        _start_event_log(running)  # before the demo data, whose decisions publish events

    from chalicelib.adapters.models import create_tables
    from chalicelib.config import get_settings
    from scripts.demo_data import load_demo_data

    create_tables(get_settings())
    api = _start_api(running, port)  # imports the app while the demo data loads
    now = datetime.now(UTC)
    print(f"[demo] {load_demo_data(get_settings(), now)}", flush=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/health", api, timeout=60)
    except RuntimeError as exc:
        raise SystemExit(f"the API did not start: {exc}") from exc
    _in_background(running, "jobs", _run_jobs_forever, interval)
    for name, worker in QUEUE_WORKERS.items():
        queue_url = os.environ.get(worker.queue_variable)
        if queue_url:
            _in_background(running, name, _run_queue_worker_forever, queue_url, name)
    _print_banner(url, now, messaging)
    return _wait_interruptibly(api)


def _wait_interruptibly(process: subprocess.Popen[bytes]) -> int:
    """``process.wait()``, waking up every half second.  The kernel may hand Ctrl-C's
    SIGINT to any thread — to the busy jobs thread, say — and Python runs its handler only
    when the main thread next executes bytecode; a main thread blocked in ``waitpid`` for
    good would never notice, and the service would not stop."""
    while True:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return process.wait(timeout=0.5)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


#: prctl(2) option: the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """Stop (SIGTERM) when the process that started us dies — ``make``, when a supervisor
    signals make's pid alone, which make does not pass on: without this the service
    would go on listening with no one to stop it.  Linux only; elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    interval = float(os.environ.get("LOCAL_JOB_INTERVAL_SECONDS", "60"))
    # Ctrl-C and SIGTERM stop the service, also when the shell started us with SIGINT
    # ignored (as it does for background commands).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    _stop_with_parent()
    status = 0
    try:
        with contextlib.ExitStack() as running:
            try:
                status = _serve(running, port, interval)
                if status:
                    print(f"the API exited with {status}", flush=True)
            finally:
                # Stopping is bounded (see JOB_STOP_SECONDS, PROCESS_STOP_SECONDS): a second
                # Ctrl-C must not cut it short and leave servers behind.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except KeyboardInterrupt:
        pass
    print("stopped", flush=True)
    return 1 if status else 0


if __name__ == "__main__":
    raise SystemExit(main())
