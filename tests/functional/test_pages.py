"""The pages blueprint (``chalicelib/api/pages.py``): the two pages and their assets with
their headers, nothing outside the assets directory, and the dev sign-in only where it
belongs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.api.auth import verify_bearer
from chalicelib.api.pages import ASSETS_DIR, DEV_ACCOUNTS, asset_names
from chalicelib.config import get_settings
from scripts.demo_data import DEMO_OPERATOR, DEMO_SELLERS
from tests.conftest import ROOT

SHARED_MODULES = {"api.js", "session.js", "i18n.js", "dom.js", "chart.js", "styles.css"}


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client


def _get(client: Client, path: str, headers: dict[str, str] | None = None) -> Any:
    return client.http.get(path, headers=headers or {})


@pytest.mark.parametrize(
    ("path", "script"),
    [
        ("/center", "assets/center-main.js"),
        ("/center/", "assets/center-main.js"),
        ("/console", "assets/console-main.js"),
        ("/console/", "assets/console-main.js"),
    ],
)
def test_pages_are_html_with_security_headers(pages: Client, path: str, script: str) -> None:
    response = _get(pages, path + "?utm_source=mail&lang=en")  # unknown parameters: fine
    assert response.status_code == 200
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp and "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-cache"
    html = response.body.decode()
    assert f'<script type="module" src="{script}"></script>' in html
    assert "<script>" not in html and " on" not in html.split("<body>")[1].split(">")[0]


def test_the_files_origin_is_allowed_for_images_and_uploads(
    pages: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    csp = _get(pages, "/console").headers["Content-Security-Policy"]
    bucket = get_settings().files_bucket
    assert f"img-src 'self' data: blob: https://{bucket}.s3.amazonaws.com" in csp
    assert f"connect-src 'self' https://{bucket}.s3.amazonaws.com" in csp
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4567/")
    csp = _get(pages, "/console").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http://127.0.0.1:4567;" in csp
    assert "connect-src 'self' http://127.0.0.1:4567;" in csp


def test_the_sign_in_url_is_configured_into_the_page_as_an_attribute(
    pages: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_URL", 'https://sso.example/sign-in?a=1&b="x"><script>')
    html = _get(pages, "/center").body.decode()
    assert (
        '<meta name="sign-in-url" content="https://sso.example/sign-in?a=1&amp;b=&quot;x&quot;'
        '&gt;&lt;script&gt;">' in html
    )


def test_every_shared_module_and_page_script_is_served(pages: Client) -> None:
    assert SHARED_MODULES | {"center-main.js", "console-main.js"} <= asset_names()
    for name in sorted(asset_names()):
        for prefix in ("/assets/", "/center/assets/", "/console/assets/"):
            response = _get(pages, prefix + name)
            assert response.status_code == 200, name
            assert response.body == (ASSETS_DIR / name).read_bytes()
            expected = "text/css" if name.endswith(".css") else "text/javascript"
            assert response.headers["Content-Type"] == f"{expected}; charset=utf-8"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Cache-Control"] == "public, max-age=300"


def test_an_unchanged_asset_is_not_sent_again(pages: Client) -> None:
    first = _get(pages, "/assets/api.js")
    again = _get(pages, "/assets/api.js", {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.body
    other = _get(pages, "/assets/api.js", {"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.body


@pytest.mark.parametrize(
    "name",
    [
        "nope.js",
        "..%2Fpages.py",
        "..%2F..%2Fconfig.py",
        "%2e%2e%2fcenter.html",
        "..",
        ".",
        "center.html",  # a page, not an asset
        "API.JS",
        "api.js%00.css",
        "%2Fetc%2Fpasswd",
    ],
)
def test_unknown_assets_are_404_and_nothing_outside_the_directory_is_read(
    pages: Client, name: str
) -> None:
    for prefix in ("/assets/", "/console/assets/"):
        response = _get(pages, prefix + name)
        assert response.status_code == 404, name
        assert json.loads(response.body)["error"]["code"] == "not_found"


def test_dev_sign_in_lists_the_demo_accounts_with_working_tokens(
    pages: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEV_SIGN_IN", "1")
    response = _get(pages, "/dev/accounts")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    items = json.loads(response.body)["items"]
    assert [(i["role"], i["subject"]) for i in items] == list(DEV_ACCOUNTS)
    settings = get_settings()
    for item in items:
        principal = verify_bearer(f"Bearer {item['token']}", settings)
        assert (principal.role, principal.subject) == (item["role"], item["subject"])
    # the accounts are make run's demo accounts
    sellers = {s for r, s in DEV_ACCOUNTS if r == "seller"}
    assert sellers == set(DEMO_SELLERS)
    assert DEMO_OPERATOR in {s for r, s in DEV_ACCOUNTS if r == "operator"}


def test_dev_sign_in_is_404_without_the_flag(
    pages: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for value in (None, "0", "yes", "true"):
        if value is None:
            monkeypatch.delenv("DEV_SIGN_IN", raising=False)
        else:
            monkeypatch.setenv("DEV_SIGN_IN", value)
        response = _get(pages, "/dev/accounts")
        assert response.status_code == 404
        assert json.loads(response.body)["error"]["code"] == "not_found"
        assert b"token" not in response.body


def test_dev_sign_in_is_404_outside_the_dev_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_SIGN_IN", "1")
    monkeypatch.setenv("AUTH_JWT_SECRET", "a-production-secret-for-this-test")
    monkeypatch.setenv("COMPLAINT_EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:000000000000:t")
    monkeypatch.setenv("SWEEP_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/000000000000/q")
    with Client(app, stage_name="prod", project_dir=str(ROOT)) as client:
        response = _get(client, "/dev/accounts")
        assert response.status_code == 404
        assert b"token" not in response.body
        assert _get(client, "/center").status_code == 200  # the pages themselves are there


def test_pages_are_not_part_of_the_api_description(pages: Client) -> None:
    document = json.loads((ROOT / "openapi.json").read_text())
    assert not [
        p for p in document["paths"] if p.startswith(("/center", "/console", "/assets", "/dev"))
    ]
