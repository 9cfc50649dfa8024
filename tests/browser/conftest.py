"""Browser tests: the pages in Debian's Chromium, driven by Playwright, against the whole
local service started as ``make run`` starts it (``python -m scripts.local``) on free ports,
with the dev sign-in on.

* ``service`` (session): the running service, its URL, and ``service.call(...)`` to set up
  data through the HTTP API (``fresh_order``/``fresh_complaint`` make data of a test's own,
  so tests do not depend on each other's leftovers).
* ``browser`` (session): ``/usr/bin/chromium`` through ``executable_path`` — never a
  browser Playwright downloads.
* ``context``/``page``: a fresh browser profile per test (English, Asia/Shanghai time
  zone), with the page's console errors and uncaught exceptions collected in
  ``page_errors``.
* ``sign_in(page, url, subject)``: through the dev sign-in shown by the page.
* ``axe_violations(page)``: axe-core (``tools/axe``) run in the page; serious and critical
  violations only.
* ``screenshot(page, name)``: ``artifacts/screenshots/<name>.png`` (not committed).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from bench.pages import CHROMIUM, CHROMIUM_FLAGS  # one launch for the bench and the tests
from chalicelib.api.auth import mint_token
from chalicelib.config import get_settings
from tests.builders import order_event, review_event
from tests.conftest import ROOT
from tests.functional.test_demo_and_local_service import LocalService

AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
TIME_ZONE = "Asia/Shanghai"
#: the seller whose complaints the console tests make (a demo seller: make run's data)
SELLER = "s-demo-3"


@dataclass
class Service:
    url: str
    process: LocalService

    def token(self, subject: str, role: str) -> str:
        expires = datetime.now(UTC) + timedelta(hours=1)
        return mint_token(get_settings(), subject=subject, role=role, expires_at=expires)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        subject: str = SELLER,
        role: str = "seller",
    ) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.token(subject, role)}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def fresh_order(self, *, one_star_review: bool = False, seller: str = SELLER) -> str:
        """A delivered order of a new buyer (and, if asked, the buyer's 1-star review)."""
        order_id = f"o-br-{uuid.uuid4().hex[:10]}"
        buyer_id = f"b-br-{uuid.uuid4().hex[:8]}"
        now = datetime.now(UTC)
        events = [
            order_event(
                order_id,
                seller_id=seller,
                buyer_id=buyer_id,
                status="delivered",
                placed_at=now - timedelta(days=3),
                occurred_at=now - timedelta(days=1),
            )
        ]
        if one_star_review:
            events.append(
                review_event(
                    f"r-{order_id}",
                    order_id,
                    rating=1,
                    seller_id=seller,
                    buyer_id=buyer_id,
                    posted_at=now - timedelta(hours=12),
                )
            )
        status, body = self.call(
            "POST", "/platform/events", {"events": events}, subject="platform", role="system"
        )
        assert status == 200 and all(r["status"] == "accepted" for r in body["results"]), body
        return order_id

    def fresh_complaint(
        self, scenario: str = "malicious_ordering", *, description: str = "buyer abuse", **kw: Any
    ) -> dict[str, Any]:
        """A pending complaint on a fresh order."""
        order_id = self.fresh_order(**kw)
        body = {"order_id": order_id, "scenario": scenario, "description": description}
        status, complaint = self.call("POST", "/complaints", body)
        assert status == 201 and complaint["status"] == "pending", complaint
        return dict(complaint)


@pytest.fixture(scope="session")
def service() -> Iterator[Service]:
    # The jobs every few seconds: the seller center's story waits for the exemption job
    # (tests/browser/test_center.py); tests use complaints of their own, which the SLA
    # sweep leaves alone for 36 h.
    process = LocalService(DEV_SIGN_IN="1", LOCAL_JOB_INTERVAL_SECONDS="5")
    try:
        match = process.wait_for(r"^Reviewer console: (\S+)/console/$", timeout=180)
        yield Service(match.group(1), process)
    finally:
        process.interrupt(group=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: make test installs it (apt-get)"
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
    )
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    profile = browser.new_context(
        locale="en-US", timezone_id=TIME_ZONE, viewport={"width": 1280, "height": 900}
    )
    profile.set_default_timeout(15_000)
    yield profile
    profile.close()


@dataclass
class PageErrors:
    """Console errors and uncaught exceptions of a page."""

    messages: list[str] = field(default_factory=list)

    def unexpected(self, *allowed_statuses: int) -> list[str]:
        """The errors, less the browser's own line for a response with an expected status
        (Chromium logs "Failed to load resource: ... status of 409" for every such fetch)."""
        allowed = tuple(f"status of {status} " for status in allowed_statuses)
        return [m for m in self.messages if not any(a in m for a in allowed)]


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(context: BrowserContext, page_errors: PageErrors) -> Page:
    opened = context.new_page()
    opened.on(
        "console",
        lambda message: (
            page_errors.messages.append(message.text) if message.type == "error" else None
        ),
    )
    opened.on("pageerror", lambda error: page_errors.messages.append(f"uncaught: {error}"))
    return opened


def sign_in(page: Page, url: str, subject: str) -> None:
    """Open ``url`` and sign in as ``subject`` through the page's dev sign-in."""
    page.goto(url)
    page.get_by_role("button", name=f"Sign in as {subject}", exact=True).click()
    page.get_by_role("button", name="Sign out").wait_for()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.  The script is
    evaluated through the DevTools protocol, which the page's CSP does not govern (no
    <script> is added to the page)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
