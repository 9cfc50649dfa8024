"""Section 8 of ``make bench`` (``python -m bench.run memory`` alone): each function's memory
size, chosen from what it measurably needs.

No AWS account (nor a container runtime that could cap a process's CPU) is available
here, so each function is measured once, locally, and Lambda's sizes are modelled:

* **Measured**, per function, in a fresh interpreter on the unpacked deployment package
  (``bench.lambda_package``) against dynalite: the cold start — importing the handler as
  Lambda does (``app.<function>``) plus the first invocation — and ``RUNS`` warm
  invocations, each as wall time and CPU time (``time.process_time``) of a real event
  through the real handler; and the process's peak resident memory.
  The probe also counts the AWS requests each invocation makes.
* **Modelled**: Lambda gives a function CPU in proportion to its memory, one vCPU at
  1,769 MB, so at ``M`` MB its CPU time stretches by ``1769 / M`` (for ``M`` < 1,769),
  while a request to DynamoDB, SNS or SQS takes what it takes:
  ``time(M) = CPU time × 1769 / M + requests × MS_PER_REQUEST`` (20 ms, the project's
  assumption for AWS, ``tests/sweep_simulation.py``).  The measured wall time beyond the
  CPU time is not used: here it is dynalite's answers and the other processes of a
  shared machine, neither of which is AWS.  This machine's core stands in for Lambda's
  vCPU (their speeds differ by some tens of per cent either way); the init phase is
  modelled like the rest, though Lambda is reported to run it faster at small sizes.

``choose`` turns the figures into each function's size (the rule is in its docstring);
``.chalice/config.json`` holds the result, and ``tests/unit/test_infrastructure.py``
checks that it still agrees with ``bench/results.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.sweep_simulation import MS_PER_REQUEST

SIZES_MB = (128, 256, 512, 1024)
FULL_VCPU_MB = 1769
RUNS = int(os.environ.get("BENCH_MEMORY_RUNS", "30"))
#: Complaints the API lists and the sweep worker's messages name, of one seller.
SEEDED = 30
SELLER = "s-memory"
#: What a cold start of the HTTP function may take (modelled, import + first request):
#: the first request of a new container is a user's request.
API_COLD_START_MS = 1500
#: Peak memory must stay below this share of the size (Python's heap grows with load
#: and Lambda ends a function that exceeds its size).
RSS_HEADROOM = 0.6

PROBE = """
import importlib, json, sys, time
spec = json.loads(sys.stdin.read())

class Context:
    function_name = spec["function"]
    aws_request_id = "bench"
    memory_limit_in_mb = "1769"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    log_group_name = log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 300_000

wall, cpu = time.perf_counter(), time.process_time()  # the init phase: imports
import botocore.client

requests = [0]
make_api_call = botocore.client.BaseClient._make_api_call

def counted(client, operation, params):  # every AWS request the invocation makes
    requests[0] += 1
    return make_api_call(client, operation, params)

botocore.client.BaseClient._make_api_call = counted
module, name = spec["handler"].rsplit(".", 1)
handler = getattr(importlib.import_module(module), name)
init = [time.perf_counter() - wall, time.process_time() - cpu]

def invoke(event):
    requests[0] = 0
    wall, cpu = time.perf_counter(), time.process_time()
    result = handler(event, Context())
    timing = [time.perf_counter() - wall, time.process_time() - cpu, requests[0]]
    if isinstance(result, dict) and result.get("statusCode", 200) >= 300:
        raise SystemExit(f"{spec['function']}: {result}")
    if isinstance(result, dict) and result.get("batchItemFailures"):
        raise SystemExit(f"{spec['function']}: {result}")
    return timing

events = spec["events"]
first = invoke(events[0])
warm = [invoke(events[1 + i % (len(events) - 1)]) for i in range(spec["runs"])]
# VmHWM, the peak of this process's own memory (ru_maxrss carries the parent's over exec)
with open("/proc/self/status") as status:
    (hwm,) = [line.split()[1] for line in status if line.startswith("VmHWM:")]
rss_mb = int(hwm) / 1024
print("RESULT " + json.dumps({"init": init, "first": first, "warm": warm, "rss_mb": rss_mb}))
"""


def modelled_ms(cpu_s: float, requests: float, memory_mb: int) -> float:
    """Time at ``memory_mb`` of what took ``cpu_s`` of a full core and made ``requests``
    AWS requests: the CPU part stretched by Lambda's share of a vCPU, plus each request's
    assumed time on AWS."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return cpu_s / share * 1000 + requests * MS_PER_REQUEST


def _figures(raw: dict[str, Any]) -> dict[str, Any]:
    """Measured wall times are shown but not modelled: beyond the CPU time they are
    dynalite's answers and the other processes of this shared machine."""
    init_wall, init_cpu = raw["init"]
    first_wall, first_cpu, first_requests = raw["first"]
    warm_wall = statistics.median(w for w, _, _ in raw["warm"])
    warm_cpu = statistics.median(c for _, c, _ in raw["warm"])
    warm_requests = statistics.median(r for _, _, r in raw["warm"])
    return {
        "measured": {
            "init_ms": round(init_wall * 1000, 1),
            "init_cpu_ms": round(init_cpu * 1000, 1),
            "first_invocation_ms": round(first_wall * 1000, 1),
            "first_invocation_cpu_ms": round(first_cpu * 1000, 1),
            "first_invocation_requests": first_requests,
            "warm_p50_ms": round(warm_wall * 1000, 2),
            "warm_p50_cpu_ms": round(warm_cpu * 1000, 2),
            "warm_requests": warm_requests,
            "peak_rss_mb": round(raw["rss_mb"], 1),
        },
        "modelled": {
            str(size): {
                "cold_start_ms": round(modelled_ms(init_cpu + first_cpu, first_requests, size)),
                "warm_p50_ms": round(modelled_ms(warm_cpu, warm_requests, size), 1),
            }
            for size in SIZES_MB
        },
    }


def choose(function: str, figures: dict[str, Any]) -> int:
    """The smallest size at which the peak memory stays under ``RSS_HEADROOM`` of it, and

    * for the HTTP function, the modelled cold start (import and first request) is within
      ``API_COLD_START_MS``: a new container's first request is a user's;
    * for the queue and schedule functions, whose starts nobody waits for, a warm
      invocation's modelled CPU part is no longer than its AWS requests' part.  Below one
      vCPU, computing costs the same GB-seconds at any size while waiting costs more at a
      larger one; this is the size from which more memory would mostly buy waiting.
    """
    rss = figures["measured"]["peak_rss_mb"]
    cpu_ms = figures["measured"]["warm_p50_cpu_ms"]
    requests_ms = figures["measured"]["warm_requests"] * MS_PER_REQUEST
    for size in SIZES_MB:
        modelled = figures["modelled"][str(size)]
        if rss > RSS_HEADROOM * size:
            continue
        if function == "api_handler":
            if modelled["cold_start_ms"] <= API_COLD_START_MS:
                return size
        elif cpu_ms * FULL_VCPU_MB / size <= requests_ms:
            return size
    return SIZES_MB[-1]


# --------------------------------------------------------------------- the events


def _api_event(path: str, token: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway proxy event as Lambda hands it to ``app.app``."""
    resource = "/complaints/{complaint_id}" if path.count("/") == 2 else path
    params = {"complaint_id": path.rsplit("/", 1)[1]} if path.count("/") == 2 else None
    headers = {"Authorization": f"Bearer {token}", "Host": "bench.example"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": "GET",
            "requestId": uuid.uuid4().hex,
            "stage": "api",
            "path": f"/api{path}",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": uuid.uuid4().hex,
                "receiptHandle": "bench",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def _scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": uuid.uuid4().hex,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/bench"],
        "detail": {},
    }


def events(settings: Any, complaint_ids: list[str], start: Any) -> dict[str, list[Any]]:
    """Each function's events: the first invocation's, then those the warm ones cycle
    through.  The HTTP function lists a seller's complaints and reads one; the fact
    consumer stores ten new orders a message batch; the sweep worker brings ten
    complaints up to date a message (none due yet: they are read, nothing changes); the
    schedule functions run on the seeded data."""
    from datetime import UTC, datetime

    from bench.operations import order
    from chalicelib.api.auth import mint_token
    from chalicelib.domain.sweep_work import IDS_PER_MESSAGE, encode_sweep_message

    token = mint_token(
        settings,
        subject=SELLER,
        role="seller",
        expires_at=datetime.now(UTC) + timedelta(hours=2),
    )
    api = [_api_event("/complaints", token, {"limit": "20"})] + [
        _api_event(f"/complaints/{complaint_ids[i % len(complaint_ids)]}", token)
        if i % 2
        else _api_event("/complaints", token, {"limit": "20"})
        for i in range(RUNS)
    ]
    facts = [
        _sqs_event(
            [
                json.dumps(
                    order(f"o-memory-{n}-{i}", seller=SELLER, placed_at=start - timedelta(days=1))
                )
                for i in range(10)
            ]
        )
        for n in range(RUNS + 1)
    ]
    per = IDS_PER_MESSAGE
    chunks = [complaint_ids[i : i + per] for i in range(0, len(complaint_ids), per)]
    worker = [_sqs_event([encode_sweep_message(chunk) for chunk in chunks])] * 2
    scheduled = [_scheduled_event(), _scheduled_event()]
    return {
        "api_handler": api,
        "on_fact_messages": facts,
        "sla_sweep": scheduled,
        "sla_sweep_worker": worker,
        "exemption_job": scheduled,
    }


def seed(harness: Any, start: Any) -> list[str]:
    """``SEEDED`` orders of seller ``SELLER`` and a pending complaint on each (their ids)."""
    from bench.operations import order

    harness.set_now(start)
    orders = [f"o-memory-{i}" for i in range(SEEDED)]
    placed = start - timedelta(days=2)
    harness.http(
        "POST",
        "/platform/events",
        {"events": [order(o, seller=SELLER, placed_at=placed) for o in orders]},
        subject="p",
        role="system",
    )
    body = {"scenario": "malicious_ordering", "description": "bench"}
    return [
        harness.http("POST", "/complaints", {**body, "order_id": o}, subject=SELLER)["complaint_id"]
        for o in orders
    ]


def measure(
    run_python: Callable[..., subprocess.CompletedProcess[str]],
    handlers: dict[str, str],
    function_events: dict[str, list[Any]],
) -> dict[str, Any]:
    """Each function's figures and chosen size; ``run_python(code, stdin)`` runs ``code``
    in a fresh interpreter on the unpacked package."""
    functions: dict[str, Any] = {}
    for function, handler in handlers.items():
        spec = {
            "function": function,
            "handler": handler,
            "events": function_events[function],
            "runs": RUNS,
        }
        output = run_python(PROBE, json.dumps(spec)).stdout
        (line,) = [line for line in output.splitlines() if line.startswith("RESULT ")]
        figures = _figures(json.loads(line.removeprefix("RESULT ")))
        figures["chosen_mb"] = choose(function, figures)
        functions[function] = figures
    return {
        "model": (f"time(M) = CPU time x {FULL_VCPU_MB}/M + AWS requests x {MS_PER_REQUEST:g} ms"),
        "ms_per_request": MS_PER_REQUEST,
        "runs": RUNS,
        "functions": functions,
    }


def handler_strings(template: Path) -> dict[str, str]:
    """Function name in the app -> its ``Handler`` in the packaged template."""
    resources = json.loads(template.read_text())["Resources"]
    out = {}
    for resource in resources.values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource["Properties"]
            name = properties["FunctionName"].rsplit("-", 1)[1]
            out[name] = properties["Handler"]
    return out


def python_runner(
    code_dir: Path, sdk_dir: Path, environment: dict[str, str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    from bench.lambda_package import python_command

    def run(code: str, stdin: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            python_command(code_dir, sdk_dir, code),
            cwd=code_dir,
            env={**environment, "PYTHONDONTWRITEBYTECODE": "1"},
            input=stdin,
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"the probe failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        return done

    return run
