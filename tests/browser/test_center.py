"""The seller center (/center/) in a real browser, against the whole local service.

The end-to-end story (file with an attachment -> records -> a reviewer rejects -> the seller
sees why -> appeals -> another reviewer upholds -> the exemption job -> before/after and the
metrics chart), plus the language switch, the XSS case, the 409 case, the export download,
keyboard-only filing and axe-core.  Controls are found by role and label only.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Page, expect

from scripts.demo_data import DEMO_PNG
from tests.browser.conftest import TIME_ZONE, Service, axe_violations, screenshot, sign_in
from tests.builders import order_event

#: The seller of these tests (demo data: a records list with every state in it).
SELLER = "s-demo-1"
XSS = "<img src=x onerror=alert(1)>"


def center(service: Service) -> str:
    return f"{service.url}/center/"


def recent_order(
    service: Service, *, seller: str = SELLER, unpaid_days: float | None = None
) -> str:
    """An order of a new buyer: delivered and placed minutes ago (the first in the filing
    form's list, newest first), or, with ``unpaid_days``, placed that long ago and never
    paid (it counts in the seller's cancellation rate)."""
    order_id = f"o-ct-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    if unpaid_days is None:
        times: dict[str, Any] = {
            "status": "delivered",
            "placed_at": now - timedelta(minutes=30),
            "paid_at": now - timedelta(minutes=29),
            "shipped_at": now - timedelta(minutes=20),
            "delivered_at": now - timedelta(minutes=10),
        }
    else:
        times = {"status": "placed", "placed_at": now - timedelta(days=unpaid_days)}
    event = order_event(
        order_id,
        seller_id=seller,
        buyer_id=f"b-ct-{uuid.uuid4().hex[:8]}",
        occurred_at=times["placed_at"] + timedelta(minutes=20),
        **times,
    )
    status, body = service.call(
        "POST", "/platform/events", {"events": [event]}, subject="platform", role="system"
    )
    assert status == 200 and body["results"][0]["status"] == "accepted", body
    return order_id


def decision_reason(service: Service, scenario: str, outcome: str) -> str:
    status, catalogue = service.call("GET", "/scenarios", subject=SELLER)
    assert status == 200
    item = next(s for s in catalogue["items"] if s["code"] == scenario)
    return str(item["decision_reasons"][outcome][0])


def complaint(service: Service, complaint_id: str) -> dict[str, Any]:
    status, body = service.call("GET", f"/complaints/{complaint_id}", subject=SELLER)
    assert status == 200, body
    return dict(body)


def open_filing(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="File a complaint").click()
    expect(page.get_by_role("heading", name="File a complaint", level=1)).to_be_visible()


def choose_order(page: Page, order_id: str) -> None:
    """Pick the order, asking for more pages (next_cursor) until it is listed."""
    radio = page.get_by_role("radio", name=re.compile(re.escape(order_id)))
    for _ in range(20):
        page.get_by_role("group", name="Orders of the last 90 days").get_by_role(
            "radio"
        ).first.wait_for()
        if radio.count():
            break
        page.get_by_role("button", name="More orders").click()
        page.wait_for_timeout(300)
    radio.check()


def chart_label(page: Page) -> str:
    chart = page.get_by_role("img", name=re.compile("Service metrics: raw and after"))
    expect(chart).to_be_visible()
    return str(chart.get_attribute("aria-label"))


def test_file_reject_appeal_uphold_exemption_story(
    service: Service, context: BrowserContext, page: Page, page_errors: Any, tmp_path: Path
) -> None:
    # never paid, placed 3 days ago (the form may need another page of orders to show it)
    order_id = recent_order(service, unpaid_days=3)
    evidence = tmp_path / "chat-screenshot.png"
    evidence.write_bytes(DEMO_PNG)

    sign_in(page, center(service), SELLER)
    expect(page.get_by_role("heading", name="Complaint records (last 6 months)")).to_be_visible()
    expect(page.get_by_role("table", name="Complaint records")).to_be_visible()
    screenshot(page, "center-home")

    # file it, with an attachment: announced, uploaded with progress, verified
    open_filing(page)
    choose_order(page, order_id)
    scenarios = page.get_by_role("group", name="Complaint type")
    expect(scenarios.get_by_role("radio", name="Malicious ordering")).to_be_enabled()
    # a scenario the order does not allow is disabled, with the reason in words
    expect(scenarios.get_by_role("radio", name="Malicious review")).to_be_disabled()
    expect(page.get_by_text("The order has no review rated 1-2")).to_be_visible()
    screenshot(page, "center-file-eligibility")
    scenarios.get_by_role("radio", name="Malicious ordering").check()
    page.get_by_label("Description").fill("This buyer is a competitor's account.")
    page.get_by_label("Evidence files (optional)").set_input_files(str(evidence))
    page.get_by_role("button", name="Submit complaint").click()
    expect(page.get_by_text("All files uploaded and verified.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Verified ✓")).to_be_visible()
    expect(
        page.get_by_role("progressbar", name="Upload progress of chat-screenshot.png")
    ).to_have_attribute("value", "100")
    screenshot(page, "center-file-submitted")
    page.get_by_role("link", name="View the complaint").click()
    expect(page.get_by_role("heading", name=re.compile("^Complaint c"))).to_be_visible()
    complaint_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text(re.compile(r"\d+ h \d+ min left"))).to_be_visible()
    expect(page.get_by_role("button", name="Download chat-screenshot.png")).to_be_visible()
    screenshot(page, "center-complaint-pending")

    # it is in the records (filtered by its order)
    page.get_by_role("navigation").get_by_role("link", name="Complaint records").click()
    page.get_by_label("Order number").fill(order_id)
    page.get_by_role("button", name="Apply filters").click()
    records = page.get_by_role("table", name="Complaint records")
    expect(records.get_by_role("row")).to_have_count(2)  # header + ours
    expect(records.get_by_role("cell", name=order_id)).to_be_visible()
    expect(records.get_by_role("cell", name="Pending")).to_be_visible()
    screenshot(page, "center-home-filtered")

    # the metrics before (the chart's figures)
    page.get_by_role("navigation").get_by_role("link", name="Service metrics").click()
    before = chart_label(page)

    # a reviewer rejects it in the console (a tab of its own: its own session)
    reviewer = context.new_page()
    sign_in(reviewer, f"{service.url}/console/", "op-demo")
    open_link = reviewer.get_by_role("link", name=f"Open complaint {complaint_id}")
    for _ in range(30):
        reviewer.get_by_role("heading", name="Pending complaints (by deadline)").wait_for()
        if open_link.count():
            break
        reviewer.get_by_role("button", name="Next page").click()
    open_link.click()
    reviewer.get_by_role("radio", name="Rejected").check()
    reviewer.get_by_label("Reason", exact=True).select_option(label="Insufficient evidence")
    reviewer.get_by_label("Decision note (optional)").fill("no pattern")
    reviewer.get_by_role("button", name="Submit decision").click()
    expect(reviewer.get_by_text("Decision saved: Rejected")).to_be_visible()
    reviewer.close()

    # the seller sees the reason and the unmet criteria, and may appeal until decided + 14 d
    records_link = page.get_by_role("navigation").get_by_role("link", name="Complaint records")
    records_link.click()
    records = page.get_by_role("table", name="Complaint records")
    records.get_by_role("link", name=f"Open complaint {complaint_id}").click()
    expect(page.get_by_role("heading", name="Decision")).to_be_visible()
    criteria = page.get_by_role("table", name="Criteria checked (unmet ones marked)")
    expect(criteria.get_by_text("✗ Not met").first).to_be_visible()
    expect(page.get_by_text(re.compile("^Not met: "))).to_be_visible()
    decided = datetime.fromisoformat(complaint(service, complaint_id)["decided_at"])
    until = (decided + timedelta(days=14)).astimezone(ZoneInfo(TIME_ZONE))
    shown = f"until {until:%b} {until.day}, {until.year}"
    expect(page.get_by_text(re.compile(f"You may appeal once, {shown}"))).to_be_visible()
    screenshot(page, "center-complaint-rejected")

    page.get_by_label("Appeal statement").fill("The buyer admitted it in chat.")
    page.get_by_role("button", name="Submit appeal").click()
    expect(page.get_by_text("Appeal submitted; the platform will decide again")).to_be_visible()
    expect(page.get_by_text("The buyer admitted it in chat.")).to_be_visible()
    expect(page.get_by_role("heading", name="Previous decision")).to_be_visible()
    screenshot(page, "center-complaint-appealed")

    # another reviewer upholds; the exemption job (every few seconds here) applies it
    status, body = service.call(
        "POST",
        f"/review/complaints/{complaint_id}/decision",
        {
            "outcome": "upheld",
            "reason_code": decision_reason(service, "malicious_ordering", "upheld"),
            "note": "appeal convinced",
        },
        subject="op-demo-2",
        role="operator",
    )
    assert status == 200, body
    deadline = time.monotonic() + 90
    while complaint(service, complaint_id)["exemption"]["status"] != "applied":
        assert time.monotonic() < deadline, "the exemption job did not apply the exemption"
        time.sleep(1)

    page.reload()
    expect(page.get_by_text(re.compile("^Applied on "))).to_be_visible()
    exemption = page.get_by_role("table", name="Each metric before and after the exemption")
    row = exemption.get_by_role("row", name=re.compile("Cancellation rate"))
    cells = row.get_by_role("cell").all_inner_texts()
    assert len(cells) == 2 and cells[0] != cells[1] and all(c.endswith("%") for c in cells)
    screenshot(page, "center-complaint-exempted")

    page.get_by_role("navigation").get_by_role("link", name="Service metrics").click()
    after = chart_label(page)
    assert after != before
    log = page.get_by_role("table", name="Exemptions in effect")
    expect(log.get_by_role("link", name=complaint_id)).to_be_visible()
    screenshot(page, "center-metrics")
    assert page_errors.unexpected() == []


def test_language_switch_is_remembered(service: Service, page: Page) -> None:
    sign_in(page, center(service), SELLER)
    expect(page.get_by_role("heading", name="Complaint records (last 6 months)")).to_be_visible()
    page.get_by_label("Language").select_option("zh")
    expect(page.get_by_role("heading", name="投诉记录（近6个月）")).to_be_visible()
    expect(page.get_by_role("link", name="我要投诉").first).to_be_visible()
    screenshot(page, "center-home-zh")
    page.reload()
    expect(page.get_by_role("heading", name="投诉记录（近6个月）")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", name="Complaint records (last 6 months)")).to_be_visible()


def test_description_is_shown_as_text(service: Service, page: Page, page_errors: Any) -> None:
    order_id = recent_order(service)
    status, body = service.call(
        "POST",
        "/complaints",
        {"order_id": order_id, "scenario": "malicious_ordering", "description": XSS},
        subject=SELLER,
    )
    assert status == 201, body
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, center(service), SELLER)
    page.goto(f"{center(service)}#/complaints/{body['complaint_id']}")
    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    expect(page.get_by_role("main").get_by_role("img")).to_have_count(0)
    screenshot(page, "center-complaint-xss")
    assert dialogs == []
    assert page_errors.unexpected() == []


def test_duplicate_filing_links_to_the_existing_complaint(
    service: Service, page: Page, page_errors: Any
) -> None:
    order_id = recent_order(service)
    sign_in(page, center(service), SELLER)
    open_filing(page)
    choose_order(page, order_id)
    page.get_by_role("group", name="Complaint type").get_by_role(
        "radio", name="Malicious ordering"
    ).check()
    page.get_by_label("Description").fill("Filed twice")
    # meanwhile the same complaint is filed elsewhere (another tab, the portal)
    status, first = service.call(
        "POST",
        "/complaints",
        {"order_id": order_id, "scenario": "malicious_ordering", "description": "first"},
        subject=SELLER,
    )
    assert status == 201, first
    page.get_by_role("button", name="Submit complaint").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("already has a complaint of this type")
    screenshot(page, "center-file-duplicate")
    alert.get_by_role("link", name="View the existing complaint").click()
    expect(page).to_have_url(re.compile(f"#/complaints/{first['complaint_id']}$"))
    expect(page.get_by_text("first", exact=True)).to_be_visible()
    assert page_errors.unexpected(409) == []


def test_export_downloads_csv_and_json_lines(service: Service, page: Page) -> None:
    sign_in(page, center(service), SELLER)
    export = page.get_by_role("form", name="Export records")
    with page.expect_download() as csv_download:
        export.get_by_label("Export format").select_option("csv")
        export.get_by_role("button", name="Export").click()
    first_line = Path(csv_download.value.path()).read_bytes().split(b"\r\n", 1)[0]
    assert first_line.startswith(b"\xef\xbb\xbfcomplaint_id,order_id,buyer_id,scenario,status")
    expect(export.get_by_text(re.compile(r"^Exported \d+ records"))).to_be_visible()
    with page.expect_download() as jsonl_download:
        export.get_by_label("Export format").select_option("jsonl")
        export.get_by_role("button", name="Export").click()
    line = Path(jsonl_download.value.path()).read_text(encoding="utf-8").split("\n", 1)[0]
    assert json.loads(line)["complaint_id"].startswith("c")
    screenshot(page, "center-export")


def tab_to(page: Page, target: Any, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def arrow_to(page: Page, target: Any, limit: int = 40) -> None:
    """Move through a radio group with the arrow keys until ``target`` is checked."""
    for _ in range(limit):
        if target.is_checked():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"arrows never reached {target}")


def test_keyboard_only_filing(service: Service, page: Page, page_errors: Any) -> None:
    order_id = recent_order(service)  # the newest order: first in the list
    sign_in(page, center(service), SELLER)
    tab_to(page, page.get_by_role("navigation").get_by_role("link", name="File a complaint"))
    page.keyboard.press("Enter")
    order = page.get_by_role("radio", name=re.compile(re.escape(order_id)))
    order.wait_for()
    tab_to(
        page,
        page.get_by_role("group", name="Orders of the last 90 days").get_by_role("radio").first,
    )
    page.keyboard.press("Space")
    arrow_to(page, order)
    scenarios = page.get_by_role("group", name="Complaint type")
    harassment = scenarios.get_by_role("radio", name="Malicious harassment")
    expect(harassment).to_be_enabled()
    tab_to(page, scenarios.get_by_role("radio", name="Malicious ordering"))
    page.keyboard.press("Space")
    arrow_to(page, harassment)
    tab_to(page, page.get_by_label("Description"))
    page.keyboard.type("Filed with the keyboard only")
    tab_to(page, page.get_by_role("button", name="Submit complaint"))
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="View the complaint")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Filed with the keyboard only")).to_be_visible()
    screenshot(page, "center-file-keyboard")
    assert page_errors.unexpected() == []


def test_no_serious_accessibility_violations(service: Service, page: Page) -> None:
    sign_in(page, center(service), SELLER)
    expect(page.get_by_role("table", name="Complaint records")).to_be_visible()
    found = {"home": axe_violations(page)}
    open_filing(page)
    page.get_by_role("group", name="Orders of the last 90 days").get_by_role("radio").first.check()
    expect(page.get_by_role("group", name="Complaint type")).to_be_visible()
    found["file"] = axe_violations(page)
    page.get_by_role("navigation").get_by_role("link", name="Service metrics").click()
    chart_label(page)
    found["metrics"] = axe_violations(page)
    page.get_by_role("navigation").get_by_role("link", name="Complaint records").click()
    page.get_by_role("table", name="Complaint records").get_by_role(
        "link", name=re.compile("^Open complaint")
    ).first.click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    found["complaint"] = axe_violations(page)
    assert found == {"home": [], "file": [], "metrics": [], "complaint": []}
