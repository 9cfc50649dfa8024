"""The reviewer console in Chromium: the queue, a complaint, decisions (also by keyboard
alone, and a conflict between two reviewers), re-categorisation, the SLA figures,
accessibility.  Controls are found by role and label, as a person finds them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import PageErrors, Service, axe_violations, screenshot, sign_in

XSS = "<img src=x onerror=alert(1)>"


def _console(service: Service, page: Page, operator: str = "op-demo") -> None:
    sign_in(page, service.url + "/console/", operator)
    expect(page.get_by_role("heading", name="Pending complaints (by deadline)")).to_be_visible()


def _open_from_queue(page: Page, complaint_id: str) -> None:
    """Find the complaint in the queue, paging forward, and open it."""
    link = page.get_by_role("link", name=f"Open complaint {complaint_id}")
    for _ in range(20):
        if link.count():
            break
        next_page = page.get_by_role("button", name="Next page")
        assert next_page.is_enabled(), f"{complaint_id} is not in the queue"
        next_page.click()
        expect(page.get_by_role("heading", name="Pending complaints (by deadline)")).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name=f"Complaint {complaint_id}")).to_be_visible()


def _status(service: Service, complaint_id: str) -> Any:
    status, body = service.call(
        "GET", f"/review/complaints/{complaint_id}", subject="op-demo", role="operator"
    )
    assert status == 200, body
    return body


def test_queue_open_and_reject_with_a_reason(
    service: Service, page: Page, page_errors: PageErrors
) -> None:
    complaint = service.fresh_complaint(description=XSS)
    _console(service, page)
    queue = page.get_by_role("table")
    expect(queue.get_by_role("columnheader", name="Recommendation")).to_be_visible()
    screenshot(page, "console-queue")
    _open_from_queue(page, complaint["complaint_id"])
    # seller and buyer, the recommendation, the criteria the rules looked at
    expect(page.get_by_text(complaint["buyer_id"])).to_be_visible()
    expect(page.get_by_text("Recommended:")).to_be_visible()
    criteria = page.get_by_role("table", name="Facts the rules looked at (criteria)")
    expect(criteria).to_be_visible()
    names = criteria.get_by_role("rowheader").all_inner_texts()
    assert names and not [n for n in names if "_" in n], names  # in words, never codes
    # the seller's text is shown as text, never as markup
    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    screenshot(page, "console-complaint")
    page.get_by_role("radio", name="Rejected").check()
    page.get_by_label("Reason", exact=True).select_option(label="Insufficient evidence")
    page.get_by_label("Decision note (optional)").fill("no chat log attached")
    page.get_by_role("button", name="Submit decision").click()
    expect(page.get_by_text("Decision saved: Rejected — Insufficient evidence.")).to_be_visible()
    expect(page.get_by_role("heading", name="Decision", exact=True)).to_be_visible()
    screenshot(page, "console-decided")
    decided = _status(service, complaint["complaint_id"])
    assert decided["status"] == "rejected"
    assert decided["decision"]["reason_code"] == "insufficient_evidence"
    assert decided["decision"]["note"] == "no chat log attached"
    assert page_errors.unexpected() == []


def test_recategorise_to_the_right_scenario(service: Service, page: Page) -> None:
    complaint = service.fresh_complaint("malicious_ordering", one_star_review=True)
    _console(service, page)
    page.goto(f"{service.url}/console/#/complaint/{complaint['complaint_id']}")
    expect(
        page.get_by_role("heading", name=f"Complaint {complaint['complaint_id']}")
    ).to_be_visible()
    page.get_by_label("New scenario").select_option(label="Malicious review")
    page.get_by_label("Re-categorisation note (optional)").fill(
        "the buyer's 1-star review is the abuse"
    )
    page.get_by_role("button", name="Re-categorise").click()
    expect(page.get_by_text("Re-categorised as “Malicious review”")).to_be_visible()
    moved_id = page.url.rsplit("/", 1)[1]
    assert moved_id != complaint["complaint_id"]
    expect(page.get_by_role("heading", name=f"Complaint {moved_id}")).to_be_visible()
    screenshot(page, "console-recategorised")
    moved = _status(service, moved_id)
    assert moved["scenario"] == "malicious_review" and moved["status"] == "pending"
    assert moved["history"][-1]["action"] == "recategorised"


def test_a_conflicting_decision_is_shown_in_words(
    service: Service, context: BrowserContext, page: Page
) -> None:
    complaint = service.fresh_complaint()
    url = f"{service.url}/console/#/complaint/{complaint['complaint_id']}"
    heading = f"Complaint {complaint['complaint_id']}"
    first, second = page, context.new_page()  # two tabs, two reviewers
    for tab, operator in ((first, "op-demo"), (second, "op-demo-2")):
        _console(service, tab, operator)
        tab.goto(url)
        expect(tab.get_by_role("heading", name=heading)).to_be_visible()
    first.get_by_role("radio", name="Upheld").check()
    first.get_by_label("Reason", exact=True).select_option(label="Complaint upheld")
    first.get_by_role("button", name="Submit decision").click()
    expect(first.get_by_text("Decision saved: Upheld")).to_be_visible()
    second.get_by_role("radio", name="Rejected").check()
    second.get_by_label("Reason", exact=True).select_option(label="Insufficient evidence")
    second.get_by_label("Decision note (optional)").fill("my reasons")
    second.get_by_role("button", name="Submit decision").click()
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text("Another reviewer decided this complaint first")
    expect(alert).to_contain_text("Rejected — Insufficient evidence")
    expect(alert).to_contain_text("my reasons")  # the note typed is not lost
    expect(second.get_by_role("heading", name="Decision", exact=True)).to_be_visible()
    screenshot(second, "console-conflict")
    assert _status(service, complaint["complaint_id"])["status"] == "upheld"


def test_sla_figures_with_charts(service: Service, page: Page, page_errors: PageErrors) -> None:
    _console(service, page)
    page.get_by_role("link", name="SLA figures").click()
    expect(page.get_by_role("heading", name="SLA figures (last 30 days)")).to_be_visible()
    chart = page.get_by_role("img", name="Decisions by who decided", exact=False)
    expect(chart).to_be_visible()
    expect(page.get_by_role("img", name="Hours to decision", exact=False)).to_be_visible()
    expect(page.get_by_role("table", name="Decisions by who decided")).to_be_attached()
    page.get_by_label("Days", exact=True).fill("7")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_role("heading", name="SLA figures (last 7 days)")).to_be_visible()
    screenshot(page, "console-sla")
    assert page_errors.unexpected() == []


def test_no_serious_accessibility_violations(service: Service, page: Page) -> None:
    complaint = service.fresh_complaint()
    page.goto(service.url + "/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert axe_violations(page) == []
    _console(service, page)
    assert axe_violations(page) == []
    page.goto(f"{service.url}/console/#/complaint/{complaint['complaint_id']}")
    expect(page.get_by_role("button", name="Submit decision")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="SLA figures").click()
    expect(page.get_by_role("img", name="Decisions by who decided", exact=False)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Language 语言").select_option("zh")
    expect(page.get_by_role("heading", name="审核台", level=1)).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "console-sla-zh")


def test_deciding_with_the_keyboard_alone(service: Service, page: Page) -> None:
    complaint = service.fresh_complaint()
    _console(service, page)
    page.goto(f"{service.url}/console/#/complaint/{complaint['complaint_id']}")
    expect(page.get_by_role("button", name="Submit decision")).to_be_visible()

    def focused(selector: str) -> bool:
        return bool(page.evaluate("(s) => document.activeElement.matches(s)", selector))

    for _ in range(60):  # Tab through the page to the outcome choice
        page.keyboard.press("Tab")
        if focused("input[name=outcome]"):
            break
    assert focused("input[name=outcome]")
    page.keyboard.press("Space")
    if not page.get_by_role("radio", name="Rejected").is_checked():
        page.keyboard.press("ArrowDown")  # arrows move within the radio group
    expect(page.get_by_role("radio", name="Rejected")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused("#decide-reason")
    page.keyboard.press("ArrowDown")  # the first reason fitting "rejected"
    page.keyboard.press("Tab")
    assert focused("#decide-note")
    page.keyboard.type("decided by keyboard")
    page.keyboard.press("Tab")
    assert focused("button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Decision saved: Rejected")).to_be_visible()
    screenshot(page, "console-keyboard-decided")
    decided = _status(service, complaint["complaint_id"])
    assert decided["status"] == "rejected" and decided["decision"]["note"] == "decided by keyboard"


def test_an_image_attachment_is_shown_inline_through_its_presigned_url(
    service: Service, page: Page, page_errors: PageErrors
) -> None:
    from scripts.demo_data import demo_complaint_ids

    with_file = [
        body
        for complaint_id in demo_complaint_ids()
        for status, body in [
            service.call(
                "GET", f"/review/complaints/{complaint_id}", subject="op-demo", role="operator"
            )
        ]
        if status == 200 and body["attachments"]
    ]
    assert with_file, "the demo data has a complaint with a verified PNG"
    complaint = with_file[0]
    _console(service, page)
    page.goto(f"{service.url}/console/#/complaint/{complaint['complaint_id']}")
    image = page.get_by_role("img", name="Attached image: 聊天截图 chat.png")
    expect(image).to_be_visible()
    # loaded from the files server the CSP allows (img-src), not blocked
    page.wait_for_function(
        "(alt) => [...document.images]"
        ".some(i => i.alt === alt && i.complete && i.naturalWidth > 0)",
        arg="Attached image: 聊天截图 chat.png",
    )
    screenshot(page, "console-attachment")
    assert page_errors.unexpected() == []
