"""The README's figures, rendered from ``bench/results.json`` between two markers, so the
README shows exactly what the last ``make bench`` measured (``make bench`` calls this;
``tests/unit/test_bench_readme.py`` fails if the two drift apart)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
API_TARGET, COLD_START_TARGET, PACKAGE_TARGET_MB = 1.5, 1.3, 20
#: API Gateway's integration timeout and Lambda's response payload limit
GATEWAY_SECONDS, LAMBDA_RESPONSE_MB = 29, 6


def _verdict(value: float, target: float) -> str:
    return f"within the {target}× target" if value <= target else f"**above the {target}× target**"


def render(results: dict[str, Any]) -> str:
    size = results["cost_against_size"]
    small, large = size["sizes"]
    lines = [
        f"Measured {results['measured_at'][:10]} on {results['cpus']} cores.",
        "",
        "**DynamoDB requests per business operation** (the budgets; asserted exactly by "
        "`tests/functional/test_request_budgets.py`):",
        "",
        "| operation | requests | budget |",
        "|---|---|---|",
    ]
    for op, row in results["requests_per_operation"].items():
        lines.append(f"| {op} | {row['requests']} | {row['budget']} |")
    lines += [
        "",
        f"**Cost against data size** ({small:,} vs {large:,} complaints and orders, dynalite):",
        "",
        f"| operation | requests | ms p50 ({small:,} → {large:,}) | time ratio |",
        "|---|---|---|---|",
    ]
    for op, row in size["operations"].items():
        (r1, r2), (t1, t2) = row["requests"], row["ms_p50"]
        lines.append(f"| {op} | {r1} → {r2} | {t1} → {t2} | {row['time_ratio']} |")
    lines += [
        "",
        "**API overhead** through `chalice local`, over the time the same operation's "
        "DynamoDB requests take against the same dynalite server:",
        "",
        "| route | API p50 / p99 (ms) | DynamoDB requests p50 (ms) | in-process p50 (ms) | ratio |",
        "|---|---|---|---|---|",
    ]
    for route, row in results["api_overhead"].items():
        lines.append(
            f"| {route} | {row['api_ms']['p50']} / {row['api_ms']['p99']} "
            f"| {row['dynamodb_requests_ms']['p50']} | {row['in_process_ms']['p50']} "
            f"| {row['ratio_p50']}, {_verdict(row['ratio_p50'], API_TARGET)} |"
        )
    floor = results["throughput"].get("health_p50_ms")
    if floor is not None:
        lines += [
            "",
            f"`GET /health` (no DynamoDB request, no authentication) takes {floor} ms p50 through "
            "`chalice local` in the same run: the local server's floor, which every route pays "
            "and which weighs most on a route of one GetItem.",
        ]
    cold = results["cold_start"]
    package = (
        "within" if cold["package_mb"] <= PACKAGE_TARGET_MB else "**above**"
    ) + f" the {PACKAGE_TARGET_MB} MB target"
    throughput = results["throughput"]["submissions_per_second"]
    lines += [
        "",
        f"**Cold start** ({cold['measured_on']}): importing `app.py` takes "
        f"{cold['import_app_ms']} ms against {cold['import_chalice_pynamodb_ms']} ms for "
        f"chalice + pynamodb alone: {cold['ratio']}×, {_verdict(cold['ratio'], COLD_START_TARGET)}"
        ". That is the whole cold start of the schedule functions. The HTTP function's first "
        f"request also loads the request schemas (pydantic): {cold['with_request_schemas_ms']} ms"
        f" in all, {cold['with_request_schemas_ratio']}×; the fact consumer's first message "
        f"loads the event schemas: {cold['with_event_schemas_ms']} ms, "
        f"{cold['with_event_schemas_ratio']}×. "
        f"**Deployment package**: {cold['package_mb']} MB zipped, {package}.",
        "",
        "**Submissions per second** through `chalice local` on dynalite: "
        + ", ".join(
            f"{clients} client{'s' if clients != '1' else ''}: {rate}"
            for clients, rate in throughput.items()
        )
        + _failures(results["throughput"].get("failed_requests", {}))
        + ".",
    ]
    if "export" in results:
        lines += ["", *_export(results["export"])]
    if "pages" in results:
        lines += ["", *_pages(results["pages"])]
    if "memory" in results:
        lines += ["", *_memory(results["memory"])]
    return "\n".join(lines)


def _memory(memory: dict[str, Any]) -> list[str]:
    """Each function's size from its measured CPU time and memory (bench/memory.py)."""
    functions = memory["functions"]
    sizes = list(next(iter(functions.values()))["modelled"])
    lines = [
        "**Memory per function** (`.chalice/config.json`): measured on the unpacked package "
        f"against dynalite (median of {memory['runs']} warm invocations), then modelled for "
        f"Lambda, which gives CPU in proportion to memory: `{memory['model']}` "
        "(docs/deploy.md explains the model and the rule that chose each size).",
        "",
        "Each size's column is the modelled cold start (import and first invocation) / warm "
        "invocation, in ms.",
        "",
        "| function | peak memory | CPU ms: init + first / warm | AWS requests: first / warm | "
        + " | ".join(f"{s} MB" for s in sizes)
        + " | size |",
        "|---|---|---|---|" + "---|" * len(sizes) + "---|",
    ]
    for name, row in functions.items():
        measured, modelled = row["measured"], row["modelled"]
        cold = " | ".join(
            f"{modelled[s]['cold_start_ms']:,} / {modelled[s]['warm_p50_ms']:g}" for s in sizes
        )
        lines.append(
            f"| {name} | {measured['peak_rss_mb']} MB "
            f"| {measured['init_cpu_ms']} + {measured['first_invocation_cpu_ms']} "
            f"/ {measured['warm_p50_cpu_ms']} "
            f"| {measured['first_invocation_requests']} / {measured['warm_requests']:g} "
            f"| {cold} | **{row['chosen_mb']} MB** |"
        )
    return lines


def _pages(pages: dict[str, Any]) -> list[str]:
    """The seller center and the reviewer console in Chromium (bench/pages.py, section 7)."""
    rows = pages["pages"]
    loads = next(iter(rows.values()))["loads"]
    encodings = sorted({e for row in rows.values() for e in row["content_encodings"]})
    served = "uncompressed" if encodings == ["identity"] else f"as served ({', '.join(encodings)})"
    lines = [
        f"**Pages** signed in, in Chromium against `make run`'s service (measured "
        f"{pages['measured_at'][:10]}; median of {loads} loads, each a fresh browser context "
        "with the cache disabled). *Transferred* is every response body from the service, "
        f"{served}: the page's own HTML, JS modules and CSS, plus the API's JSON it fetches; "
        "*first paint* is the first contentful paint and *content shown* the time from "
        "navigation until the main content (the records table, the review queue) is on "
        "screen, both in ms from the start of navigation on this machine.",
        "",
        "| page | signed in as | transferred (page files + API) | requests | first paint "
        "| content shown |",
        "|---|---|---|---|---|---|",
    ]
    for path, row in rows.items():
        lines.append(
            f"| `{path}` | {row['signed_in_as']} | {row['bytes'] / 1024:.1f} KiB "
            f"({row['static_bytes'] / 1024:.1f} + {row['api_bytes'] / 1024:.1f}) "
            f"| {row['requests']} | {row['fcp_ms']:g} ms | {row['content_ms']:g} ms |"
        )
    return lines


def _export(export: dict[str, Any]) -> list[str]:
    """``GET /complaints/export`` for one seller's six months (bench/run.py, section 6)."""
    count = export["seller_complaints"]
    lines = [
        f"**Export** of a seller with {count:,} complaints in six months (measured "
        f"{export['measured_at'][:10]}; dynalite, S3 on moto's server; the file goes to S3 and "
        f"the response is a link, so Lambda's {LAMBDA_RESPONSE_MB} MB response limit does not "
        "apply):",
        "",
        "| format | DynamoDB requests (per 1,000 rows) | ms per 1,000 rows (DynamoDB) "
        f"| whole export | file | within API Gateway's {GATEWAY_SECONDS} s |",
        "|---|---|---|---|---|---|",
    ]
    for fmt, row in export["formats"].items():
        verdict = "yes" if row["total_s"] < GATEWAY_SECONDS else "**no**"
        lines.append(
            f"| {fmt} | {row['dynamodb_requests']} ({row['requests_per_1000_rows']}) "
            f"| {row['ms_per_1000_rows']} ({row['dynamodb_ms_per_1000_rows']}) "
            f"| {row['total_s']} s | {row['object_mb']} MB | {verdict} |"
        )
    return lines


def _failures(failed: dict[str, int]) -> str:
    named = [
        f"{n} at {clients} client{'s' if clients != '1' else ''}"
        for clients, n in failed.items()
        if n
    ]
    return f" (failed requests, not counted: {', '.join(named)})" if named else ""


def update(readme: Path, results: dict[str, Any]) -> None:
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{render(results)}\n{END}{tail}")


if __name__ == "__main__":
    update(ROOT / "README.md", json.loads((ROOT / "bench" / "results.json").read_text()))
    print("README.md: performance figures updated", file=sys.stderr)
