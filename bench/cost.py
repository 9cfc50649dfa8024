"""What the service costs to run, per 1,000 complaints: the simulated month's work
(``bench/simulation.json``) priced with capacity units measured per request
(``bench/capacity.json``, ``python -m bench.cost measure``: a small month on dynalite through
the real adapters, ``bench/capacity.py``).

``python -m bench.cost measure`` (``make capacity``) re-measures the units; ``python -m
bench.cost`` (``make simulate`` runs it after the month) prices the month into
``bench/simulation.json`` (``cost``) and renders the README's block, which
``tests/unit/test_simulation_readme.py`` holds to the file.  Prices: list prices as of
2024, us-east-1 (``PRICES``); CloudWatch (logs, metrics), X-Ray, API Gateway and data
transfer are not included.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.simulate import (
    MS_PER_REQUEST,
    ROOT,
    SQS_BATCH,
    CountingPublisher,
    Month,
    Params,
    dynamodb_requests,
    simulated_settings,
)

SIMULATION = ROOT / "bench" / "simulation.json"
CAPACITY = ROOT / "bench" / "capacity.json"
PRICES_AS_OF = "list prices as of 2024, us-east-1"
PRICES = {
    "dynamodb_write_request_unit": 1.25 / 1e6,
    "dynamodb_read_request_unit": 0.25 / 1e6,
    "dynamodb_gb_month": 0.25,
    "lambda_gb_second": 0.0000166667,
    "lambda_request": 0.20 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "sns_publish": 0.50 / 1e6,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "s3_gb_month": 0.023,
}
#: .chalice/config.json sets no lambda_memory_size: Chalice's default
LAMBDA_MEMORY_GB = 128 / 1024
#: Evidence files: not simulated, assumed (README: Performance).
ATTACHMENTS_PER_COMPLAINT = 1.0
ATTACHMENT_MB = 0.5
ATTACHMENT_OPENS = 2  # the seller and a reviewer each open it once
#: The capacity month: small enough for dynalite, with heavy buyers as heavy as the full
#: month's (2,000 orders each), so that reads of their history are measured at full size.
CAPACITY_PARAMS = Params(complaints=400, days=3, heavy_buyers=1, heavy_orders_each=2_000)


# --------------------------------------------------------------------------- measuring


class MeteredPorts:
    """The real adapters, each call attributed to its port method in ``meter``."""

    def __init__(self, adapters: Any, meter: Any) -> None:
        from bench.capacity import Attributed
        from tests.fakes import RecordingQueue

        self.meter = meter
        self.raw_complaints = adapters.complaints
        self.complaints = Attributed("complaints", adapters.complaints, meter)
        self.facts = Attributed("facts", adapters.facts, meter)
        self.metrics = Attributed("metrics", adapters.metrics, meter)
        self.publisher = CountingPublisher()
        self.sweep_queue = RecordingQueue()

    def requests(self) -> Counter[str]:
        found = Counter(self.meter.requests)
        found.update({f"publisher.{m}": n for m, n in self.publisher.calls.items()})
        found.update({f"sweep_queue.{m}": n for m, n in self.sweep_queue.calls.items()})
        return found

    def total_requests(self) -> int:
        dynamodb: int = sum(self.meter.requests.values())
        return dynamodb + self.publisher.requests + self.sweep_queue.requests

    def peek(self, complaint_id: str) -> Any:
        current, self.meter.current = self.meter.current, "(peek)"
        try:
            return self.raw_complaints.get(complaint_id)
        finally:
            self.meter.current = current


def measure(params: Params = CAPACITY_PARAMS) -> dict[str, Any]:
    """Run ``params``' month on dynalite (``DYNALITE_ENDPOINT``, else one of its own)."""
    from scripts.local import start_dynalite

    with contextlib.ExitStack() as running:
        endpoint = os.environ.get("DYNALITE_ENDPOINT") or start_dynalite(running)
        prefix = f"capacity{uuid.uuid4().hex[:8]}"
        for name, value in {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "METRICS_DISABLED": "true",
        }.items():
            os.environ.setdefault(name, value)
        settings = simulated_settings(
            DYNAMODB_ENDPOINT=endpoint,
            COMPLAINTS_TABLE=f"{prefix}-complaints",
            FACTS_TABLE=f"{prefix}-facts",
        )
        return _measure(params, settings)


def _measure(params: Params, settings: Any) -> dict[str, Any]:
    import boto3

    from bench.capacity import Meter, Table, item_size, metered
    from chalicelib.adapters.models import create_tables
    from chalicelib.adapters.wiring import Adapters

    create_tables(settings)
    raw = boto3.client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint
    )
    meter = Meter()
    ports = MeteredPorts(Adapters.from_settings(settings), meter)
    month = Month(params, settings, ports)
    with metered(settings, meter, raw):
        month.run()
    methods = {
        method: {
            "calls": meter.calls[method],
            "requests": n,
            "read_units_per_request": round(meter.read_units[method] / n, 3),
            "write_units_per_request": round(meter.write_units[method] / n, 3),
        }
        for method, n in sorted(meter.requests.items())
    }
    storage: dict[str, Any] = {}
    for name in (settings.complaints_table, settings.facts_table):
        table = Table(raw.describe_table(TableName=name)["Table"])
        items = [
            item
            for page in raw.get_paginator("scan").paginate(TableName=name)
            for item in page["Items"]
        ]
        # DynamoDB bills 100 bytes of overhead per item and per index entry
        index_bytes = sum(
            item_size(entry) + 100
            for item in items
            for entry in (table.entry(i, item) for i in table.indexes)
            if entry is not None
        )
        storage[name.rsplit("-", 1)[1]] = {
            "items": len(items),
            "bytes": sum(item_size(i) + 100 for i in items),
            "index_bytes": index_bytes,
        }
    return {
        "params": {**params.__dict__, "heavy_orders": params.heavy_orders},
        "methods": methods,
        "index_write_units": dict(meter.index_write_units.most_common()),
        "index_write_units_if_keys_only": dict(meter.index_write_units_keys_only.most_common()),
        "table_write_units": dict(meter.table_write_units.most_common()),
        "transaction_write_units": dict(meter.transaction_write_units.most_common()),
        "storage": storage,
        "complaints": params.complaints,
        "method": "dynalite with ReturnConsumedCapacity=INDEXES (reads); writes computed "
        "from the item images before and after, DynamoDB's size rules (bench/capacity.py)",
    }


# --------------------------------------------------------------------------- pricing


def price(simulation: dict[str, Any], capacity: dict[str, Any]) -> dict[str, Any]:
    """Dollars per 1,000 complaints, by service and by DynamoDB operation."""
    per = 1000 / simulation["params"]["complaints"]
    units = capacity["methods"]
    reads: defaultdict[str, float] = defaultdict(float)
    writes: defaultdict[str, float] = defaultdict(float)
    unmeasured: Counter[str] = Counter()
    for kind, row in simulation["activity"].items():
        for method, n in row["by_method"].items():
            if not dynamodb_requests({method: n}):
                continue
            if method not in units:
                unmeasured[method] += n
                continue
            reads[f"{kind}: {method}"] += n * units[method]["read_units_per_request"]
            writes[f"{kind}: {method}"] += n * units[method]["write_units_per_request"]
    p = PRICES
    dynamo_dollars = {
        op: reads[op] * p["dynamodb_read_request_unit"]
        + writes[op] * p["dynamodb_write_request_unit"]
        for op in {*reads, *writes}
    }
    # Lambda: one invocation per API call, per SQS batch (facts and sweep queues) and per
    # scheduled run; each lasting the service code's measured time plus MS_PER_REQUEST per
    # DynamoDB request (simulated: the fakes answer at once)
    lambda_ms = 0.0
    invocations = 0
    activity = simulation["activity"]
    for kind, row in activity.items():
        lambda_ms += row["calls"] * row["wall_ms_per_call"] + row["requests"] * MS_PER_REQUEST
        batched = kind in ("ingest", "sweep worker")
        invocations += -(-row["calls"] // SQS_BATCH) if batched else row["calls"]
    sns = sum(row["sns_publishes"] for row in activity.values())
    ingest_batches = -(-activity.get("ingest", {"calls": 0})["calls"] // SQS_BATCH)
    # facts queue: a receive and a batch delete per batch (the platform's sends are its own);
    # sweep queue: the sweep's batch sends, and the worker's receives and deletes
    sqs = 2 * ingest_batches + simulation["sqs_sweep_requests"]
    complaints = simulation["params"]["complaints"]
    files = ATTACHMENTS_PER_COMPLAINT * complaints
    storage_gb = (
        sum(t["bytes"] + t["index_bytes"] for t in capacity["storage"].values())
        / capacity["complaints"]
        * complaints
        / 2**30
    )
    dollars = {
        "DynamoDB writes": sum(writes.values()) * p["dynamodb_write_request_unit"],
        "DynamoDB reads": sum(reads.values()) * p["dynamodb_read_request_unit"],
        "DynamoDB storage (one month of data, one month)": storage_gb * p["dynamodb_gb_month"],
        "Lambda compute": lambda_ms / 1000 * LAMBDA_MEMORY_GB * p["lambda_gb_second"],
        "Lambda requests": invocations * p["lambda_request"],
        "SNS publishes": sns * p["sns_publish"],
        "SQS requests": sqs * p["sqs_request"],
        # upload (POST), tag on completion: PUT-class; the completion's read, each open: GET
        "S3 requests (evidence files)": files
        * (2 * p["s3_put"] + (1 + ATTACHMENT_OPENS) * p["s3_get"]),
        "S3 storage (one month of files, one month)": files
        * ATTACHMENT_MB
        / 1024
        * p["s3_gb_month"],
    }
    top = sorted(dynamo_dollars.items(), key=lambda kv: -kv[1])[:8]
    return {
        "prices": PRICES_AS_OF,
        "price_table": PRICES,
        "lambda_memory_mb": int(LAMBDA_MEMORY_GB * 1024),
        "per_1000_complaints": {k: round(v * per, 4) for k, v in dollars.items()},
        "total_per_1000_complaints": round(sum(dollars.values()) * per, 4),
        "units_per_1000_complaints": {
            "read_request_units": round(sum(reads.values()) * per),
            "write_request_units": round(sum(writes.values()) * per),
            "lambda_gb_seconds": round(lambda_ms / 1000 * LAMBDA_MEMORY_GB * per, 1),
            "lambda_invocations": round(invocations * per),
            "sns_publishes": round(sns * per),
            "sqs_requests": round(sqs * per),
            "dynamodb_gb_stored": round(storage_gb * per, 4),
        },
        "largest_dynamodb_costs_per_1000": {op: round(d * per, 4) for op, d in top},
        "write_units_by_store_per_1000": {
            store: round(units * per)
            for store, units in sorted(_by_store(writes).items(), key=lambda kv: -kv[1])
        },
        "event_delivered_write_units_per_1000": round(
            sum(u for op, u in writes.items() if op.endswith("complaints.event_delivered")) * per
        ),
        "savings_per_1000": savings(simulation, capacity),
        "unmeasured_requests": dict(unmeasured),
        "index_write_units_measured": capacity["index_write_units"],
        "assumptions": {
            "attachments_per_complaint": ATTACHMENTS_PER_COMPLAINT,
            "attachment_mb": ATTACHMENT_MB,
            "attachment_opens": ATTACHMENT_OPENS,
            "ms_per_request": MS_PER_REQUEST,
        },
    }


def _by_store(units: dict[str, float]) -> Counter[str]:
    """Units by store (``complaints``, ``facts``, ``metrics``) from "activity: store.method"."""
    found: Counter[str] = Counter()
    for op, n in units.items():
        found[op.split(": ", 1)[1].split(".", 1)[0]] += round(n)
    return found


def savings(simulation: dict[str, Any], capacity: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Write units (and dollars) per 1,000 complaints that two changes would save: each
    index with an ALL projection made KEYS_ONLY (its readers would then fetch the items:
    more reads, not counted here) — measured per complaint of the capacity month, whose
    units are not split by operation — and each transaction's second write of its items,
    per request of each operation, times the simulated month's requests."""
    wru = PRICES["dynamodb_write_request_unit"]
    found = {}
    per_capacity = 1000 / capacity["complaints"]
    keys_only = capacity.get("index_write_units_if_keys_only", {})
    for index, units in capacity["index_write_units"].items():
        saved = (units - keys_only.get(index, units)) * per_capacity
        if saved > 0:
            found[f"index {index} KEYS_ONLY"] = {
                "write_units": round(saved),
                "dollars": round(saved * wru, 4),
            }
    requests: Counter[str] = Counter()
    for row in simulation["activity"].values():
        requests.update(row["by_method"])
    doubled = sum(
        units / 2 / capacity["methods"][method]["requests"] * requests[method]
        for method, units in capacity.get("transaction_write_units", {}).items()
    ) * (1000 / simulation["params"]["complaints"])
    found["transactions written once"] = {
        "write_units": round(doubled),
        "dollars": round(doubled * wru, 4),
    }
    return found


def main(argv: list[str]) -> None:
    if argv[:1] == ["measure"]:
        CAPACITY.write_text(json.dumps(measure(), indent=2) + "\n")
        print(f"{CAPACITY}: written", file=sys.stderr)
        return
    simulation = json.loads(SIMULATION.read_text())
    simulation["cost"] = price(simulation, json.loads(CAPACITY.read_text()))
    SIMULATION.write_text(json.dumps(simulation, indent=2) + "\n")
    update_readme(README, simulation)
    print(render(simulation))
    print(f"{SIMULATION}, {README}: updated", file=sys.stderr)


# --------------------------------------------------------------------------- the README

START, END = "<!-- simulation:start -->", "<!-- simulation:end -->"
README = ROOT / "README.md"
NAMES = {
    "DynamoDB writes": "write request units",
    "DynamoDB reads": "read request units",
    "Lambda compute": "GB-seconds",
    "Lambda requests": "invocations",
    "SNS publishes": "publishes",
    "SQS requests": "requests",
}
QUANTITIES = {
    "DynamoDB writes": "write_request_units",
    "DynamoDB reads": "read_request_units",
    "Lambda compute": "lambda_gb_seconds",
    "Lambda requests": "lambda_invocations",
    "SNS publishes": "sns_publishes",
    "SQS requests": "sqs_requests",
}


def render(simulation: dict[str, Any]) -> str:
    """The README's block: the month (``bench.simulate.markdown``) and its cost."""
    from bench.simulate import markdown

    cost = simulation["cost"]
    units = cost["units_per_1000_complaints"]
    lines = [
        markdown(simulation),
        "",
        f"**Cost per 1,000 complaints** of that month ({cost['prices']}; Lambda at "
        f"{cost['lambda_memory_mb']} MB, Chalice's default, as `.chalice/config.json` sets no "
        "memory; CloudWatch, X-Ray, API Gateway and data transfer not included):",
        "",
        "| item | per 1,000 complaints | dollars |",
        "|---|---|---|",
    ]
    for item, dollars in sorted(cost["per_1000_complaints"].items(), key=lambda kv: -kv[1]):
        quantity = (
            f"{units[QUANTITIES[item]]:,} {NAMES[item]}" if item in QUANTITIES else "(assumed)"
        )
        if item.startswith("DynamoDB storage"):
            quantity = f"{units['dynamodb_gb_stored']} GB"
        lines.append(f"| {item} | {quantity} | ${dollars:.4f} |")
    lines += [
        f"| **total** | | **${cost['total_per_1000_complaints']:.4f}** |",
        "",
        "Largest DynamoDB items (dollars per 1,000 complaints, activity: port method): "
        + "; ".join(f"{op} ${d:.4f}" for op, d in cost["largest_dynamodb_costs_per_1000"].items())
        + ".",
        "",
        "Write request units per 1,000 complaints by port: "
        + ", ".join(f"{store} {n:,}" for store, n in cost["write_units_by_store_per_1000"].items())
        + f"; of the complaints', {cost['event_delivered_write_units_per_1000']:,} take an "
        "event out of the outbox once published. What changes would save (write units and "
        "dollars per 1,000 complaints, measured on the capacity month): "
        + "; ".join(
            f"{change}: {row['write_units']:,} (${row['dollars']:.4f})"
            for change, row in cost["savings_per_1000"].items()
        )
        + ".",
    ]
    return "\n".join(lines)


def update_readme(readme: Path, simulation: dict[str, Any]) -> None:
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{render(simulation)}\n{END}{tail}")


if __name__ == "__main__":
    main(sys.argv[1:])
