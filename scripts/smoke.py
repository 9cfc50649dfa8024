"""Smoke test of a deployed stage (or of ``make run``): is it up, and can a seller file a
complaint and read it back?  ::

    SMOKE_TOKEN=... SMOKE_SYSTEM_TOKEN=... python -m scripts.smoke --base-url URL
    python -m scripts.smoke --base-url http://127.0.0.1:8000 --key KEY [--seller s-smoke]

``URL`` is the stage's API root (``https://<id>.execute-api.<region>.amazonaws.com/api``).
Tokens come from the environment — ``SMOKE_TOKEN``, a test seller's, and
``SMOKE_SYSTEM_TOKEN``, a ``system`` token to send the order the complaint is filed on — or,
for the dev stage, are minted from ``--key`` (the stage's HS256 key) for ``--seller``.

The steps, each of which must answer as stated:

1. ``GET /health``: 200 ``{"status": "ok"}``;
2. ``POST /platform/events``: a new delivered order of the test seller, ``accepted``;
3. ``POST /complaints`` on that order (``malicious_harassment``): 201 with its id;
4. ``GET /complaints/{id}``: 200, the same complaint, order and scenario.

Exit status 0 when all pass; 1 naming the step that failed, what was sent and what came
back; 2 when tokens or arguments are missing.  It writes to the stage: one order of the
test seller and one complaint, pending in the reviewers' queue like any other (the sweep
decides it by the rules at its deadline unless a reviewer does first).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from scripts.demo_data import delivered_order_event

SCENARIO = "malicious_harassment"
#: How long minted tokens are valid.
TOKEN_MINUTES = 15


class SmokeFailure(Exception):
    """A step did not answer as it must; the message says which, and what came back."""


class Tokens(NamedTuple):
    seller_id: str
    seller: str
    system: str


def _tokens(key: str | None, seller: str) -> Tokens:
    """From ``--key`` (minted), else from the environment; ``SystemExit`` (2) without."""
    import jwt

    if key:
        from chalicelib.api.auth import mint_token
        from chalicelib.config import get_settings

        settings = get_settings({"STAGE": "dev", "AUTH_JWT_KEY": key})
        expires = datetime.now(UTC) + timedelta(minutes=TOKEN_MINUTES)
        return Tokens(
            seller,
            mint_token(settings, subject=seller, role="seller", expires_at=expires),
            mint_token(settings, subject="smoke", role="system", expires_at=expires),
        )
    seller_token = os.environ.get("SMOKE_TOKEN")
    system_token = os.environ.get("SMOKE_SYSTEM_TOKEN")
    if not seller_token or not system_token:
        print(
            "smoke test: no tokens — set SMOKE_TOKEN (a test seller's) and SMOKE_SYSTEM_TOKEN "
            "(a system token), or give --key (the dev stage's HS256 key)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    try:  # whose orders it may complain about: the token's subject (the stage verifies it)
        claims = jwt.decode(seller_token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        print(f"smoke test: SMOKE_TOKEN is not a JWT ({exc})", file=sys.stderr)
        raise SystemExit(2) from exc
    return Tokens(str(claims.get("sub")), seller_token, system_token)


class Stage:
    """The API at ``base_url``, called with urllib (JSON in, JSON out)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def call(
        self, step: str, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmokeFailure(f"{step}: cannot reach {self.base_url}{path}: {reason}") from error
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")[:500]


def _shown(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def _expect(step: str, got: tuple[int, Any], status: int, method: str, path: str) -> Any:
    if got[0] != status:
        answer = _shown(got[1])
        raise SmokeFailure(f"{step}: {method} {path} answered {got[0]} (not {status}): {answer}")
    return got[1]


def run(stage: Stage, tokens: Tokens, now: datetime) -> list[str]:
    """The steps; returns a line per step passed (``SmokeFailure`` at the first failure)."""
    done = []
    body = _expect("health", stage.call("health", "GET", "/health"), 200, "GET", "/health")
    if body != {"status": "ok"}:
        raise SmokeFailure(f"health: GET /health answered 200 with {_shown(body)}")
    done.append("health: ok")

    run_id = f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    order = delivered_order_event(f"o-smoke-{run_id}", tokens.seller_id, f"b-smoke-{run_id}", now)
    order_id = order["data"]["order_id"]
    sent = stage.call("order", "POST", "/platform/events", tokens.system, {"events": [order]})
    results = _expect("order", sent, 200, "POST", "/platform/events")["results"]
    if [r.get("status") for r in results] != ["accepted"]:
        raise SmokeFailure(f"order: the order event was not accepted: {_shown(results)}")
    done.append(f"order: {order_id} of seller {tokens.seller_id} accepted")

    filing = {"order_id": order_id, "scenario": SCENARIO, "description": "smoke test"}
    filed = stage.call("complaint", "POST", "/complaints", tokens.seller, filing)
    complaint_id = _expect("complaint", filed, 201, "POST", "/complaints")["complaint_id"]
    done.append(f"complaint: {complaint_id} filed ({filed[1].get('status')})")

    path = f"/complaints/{complaint_id}"
    read = _expect(
        "read back", stage.call("read back", "GET", path, tokens.seller), 200, "GET", path
    )
    expected = {"complaint_id": complaint_id, "order_id": order_id, "scenario": SCENARIO}
    if {k: read.get(k) for k in expected} != expected:
        raise SmokeFailure(f"read back: GET {path} answered another complaint: {_shown(read)}")
    done.append(f"read back: {complaint_id} ({read.get('status')})")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the stage's API root")
    parser.add_argument("--key", help="mint the tokens with this HS256 key (dev stage)")
    parser.add_argument("--seller", default="s-smoke", help="the test seller, with --key")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    args = parser.parse_args(argv)
    tokens = _tokens(args.key, args.seller)
    try:
        for line in run(Stage(args.base_url, args.timeout), tokens, datetime.now(UTC)):
            print(line, flush=True)
    except SmokeFailure as failure:
        print(f"smoke test FAILED at {failure}", file=sys.stderr)
        return 1
    print(f"smoke test passed: {args.base_url}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
