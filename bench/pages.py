"""``make bench``'s pages section: what the seller center (``/center/``) and the reviewer
console (``/console/``) cost a browser to open, signed in.

The whole local service is started as ``make run`` starts it (``python -m scripts.local``:
embedded dynalite and moto, the demo data, ``DEV_SIGN_IN=1``, dev stage) on a free port,
and the pages are opened in Debian's Chromium (``/usr/bin/chromium``, as the browser tests
run it) through Playwright.  Each load is a fresh browser context with the HTTP cache
disabled (DevTools ``Network.setCacheDisabled``): the page is opened and signed in through
its dev sign-in (the token lives in the tab's ``sessionStorage``), then reloaded; the
reload is what is measured, so it is a signed-in first visit with nothing cached.

Per load: the bytes of every response body received from the service (encoded, as served:
the local service, like the API's Lambda function, does not compress them, and each
response's ``Content-Encoding`` is recorded to say so), split into the pages' own files
(HTML, JS modules, CSS) and the API's JSON; the number of requests; first contentful paint
(the ``paint`` performance entry); and the time until the page's main content is shown (the
records table, the review queue), read as ``performance.now()`` once its locator is visible.
The figures are the medians of ``BENCH_PAGE_LOADS`` (5) loads.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scripts.local import DEVELOPER_ENV

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
#: Debian's Chromium, headless, with nothing reaching out to the network by itself (this
#: machine's network is closed); the browser tests launch it the same way.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Developer and bench configuration kept out of the service (it brings its own backends).
NOT_INHERITED = (*DEVELOPER_ENV, "STAGE", "METRICS_DISABLED", "LOG_LEVEL")
STATIC_TYPES = ("document", "script", "stylesheet", "image", "font")


@contextmanager
def local_service() -> Iterator[str]:
    """``python -m scripts.local`` on a free port, in a process group of its own; yields
    its URL once the banner is printed (the demo data loaded), stops it with Ctrl-C."""
    from scripts.local import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(PORT=str(port), PYTHONUNBUFFERED="1", DEV_SIGN_IN="1")
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.local"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                log.seek(0)
                match = re.search(r"^Reviewer console: (\S+)/console/$", log.read(), re.M)
                if match:
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the local service did not start:\n{log.read()}")
                time.sleep(0.2)
            yield match.group(1)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _load(browser: Any, url: str, subject: str, main_content: Callable[[Any], Any]) -> Any:
    """One signed-in load of ``url`` in a fresh context with the cache disabled."""
    context = browser.new_context(
        locale="en-US", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto(url)
        page.get_by_role("button", name=f"Sign in as {subject}", exact=True).click()
        page.get_by_role("button", name="Sign out").wait_for()
        requests: list[Any] = []
        page.on("requestfinished", lambda request: requests.append(request))
        page.reload()
        main_content(page).wait_for()
        content_ms = page.evaluate("() => performance.now()")
        page.wait_for_load_state("networkidle")
        fcp_ms = page.evaluate(
            "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
        )
        origin = url.split("/", 3)[:3]
        static_bytes = api_bytes = 0
        encodings = set()
        served = [r for r in requests if r.url.split("/", 3)[:3] == origin]
        for request in served:
            response = request.response()
            size = request.sizes()["responseBodySize"]
            if request.resource_type in STATIC_TYPES:
                static_bytes += size
            else:
                api_bytes += size
            encodings.add(response.headers.get("content-encoding", "identity"))
        return {
            "bytes": static_bytes + api_bytes,
            "static_bytes": static_bytes,
            "api_bytes": api_bytes,
            "requests": len(served),
            "fcp_ms": fcp_ms,
            "content_ms": content_ms,
            "encodings": sorted(encodings),
        }
    finally:
        context.close()


#: path, the demo account signed in, and what shows the page's main content
PAGES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "/center/": (
        "s-demo-1",
        lambda page: page.get_by_role("table", name="Complaint records"),
    ),
    "/console/": (
        "op-demo",
        lambda page: page.get_by_role("table", name="Pending complaints (by deadline)"),
    ),
}


def page_figures() -> dict[str, Any]:
    from datetime import UTC, datetime

    from playwright.sync_api import sync_playwright

    loads = int(os.environ.get("BENCH_PAGE_LOADS", "5"))
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    figures: dict[str, Any] = {}
    with local_service() as url, sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            _load(browser, url + "/center/", "s-demo-1", PAGES["/center/"][1])  # warm
            for path, (subject, main_content) in PAGES.items():
                runs = [_load(browser, url + path, subject, main_content) for _ in range(loads)]
                encodings = sorted({e for run in runs for e in run["encodings"]})
                figures[path] = {
                    "signed_in_as": subject,
                    "loads": loads,
                    **{
                        key: round(statistics.median(run[key] for run in runs))
                        for key in ("bytes", "static_bytes", "api_bytes", "requests")
                    },
                    **{
                        key: round(statistics.median(run[key] for run in runs), 1)
                        for key in ("fcp_ms", "content_ms")
                    },
                    "content_encodings": encodings,
                }
        finally:
            browser.close()
    return {
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "pages": figures,
    }
