"""Both pages load in Chromium under their Content-Security-Policy with no console error,
the dev sign-in works, and the language choice is remembered."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import PageErrors, Service, screenshot, sign_in


@pytest.mark.parametrize(
    ("path", "subject", "title"),
    [
        ("/center/", "s-demo-1", "Seller Report Center"),
        ("/console/", "op-demo", "Reviewer console"),
    ],
)
def test_the_page_loads_under_its_csp_and_signs_in(
    service: Service, page: Page, page_errors: PageErrors, path: str, subject: str, title: str
) -> None:
    response = page.goto(service.url + path)
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, f"smoke-{path.strip('/')}-sign-in")
    sign_in(page, service.url + path, subject)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_text(subject)).to_be_visible()
    # the token is in this tab's sessionStorage, not in the URL or localStorage
    assert "token" not in page.url and "eyJ" not in page.url
    assert page.evaluate(
        "() => Object.keys(localStorage).every(k => !localStorage[k].includes('eyJ'))"
    )
    screenshot(page, f"smoke-{path.strip('/')}-signed-in")
    assert page_errors.unexpected() == []


def test_the_language_choice_is_remembered(
    service: Service, context: BrowserContext, page: Page, page_errors: PageErrors
) -> None:
    sign_in(page, service.url + "/console/", "op-demo")
    page.get_by_label("Language 语言").select_option("zh")
    expect(page.get_by_role("heading", name="审核台", level=1)).to_be_visible()
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    other = context.new_page()  # another tab: same profile, the choice is remembered
    other.goto(service.url + "/center/")
    expect(other.get_by_role("heading", name="登录")).to_be_visible()
    other.get_by_role("button", name="以 s-demo-1 登录").click()
    expect(other.get_by_role("heading", name="举报工具中心", level=1)).to_be_visible()
    screenshot(other, "smoke-center-zh")
    other.get_by_label("语言 Language").select_option("en")
    expect(other.get_by_role("heading", name="Seller Report Center", level=1)).to_be_visible()
    assert page_errors.unexpected() == []
