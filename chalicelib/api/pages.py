"""The pages: the seller center (``/center/``) and the reviewer console (``/console/``),
served by the API's own function from static files in ``chalicelib/pages/``, and the dev
sign-in (``/dev/accounts``).

* The pages are not JSON API routes: they carry no ``@endpoint`` (so ``openapi.json``
  leaves them out and the middleware neither authenticates them nor refuses query
  parameters); they are marked with ``page`` instead.  Everything they show comes from the
  API, called by the browser with the bearer token the sign-in gave it.
* ``GET /assets/{name}`` serves only names present in ``pages/assets`` (looked up in a
  listing of that directory, never joined onto a path), else the API's 404.  The same
  files are also served under ``/center/assets/`` and ``/console/assets/``: API Gateway
  strips a trailing slash before routing, so a page reached as ``/center/`` resolves its
  relative ``assets/…`` there and one reached as ``/center`` resolves it to ``/assets/…``;
  both work, behind the stage's path prefix too.
* Every page response carries the Content-Security-Policy (no inline script, style or
  third-party host: only this origin and the files bucket's, where presigned attachment
  URLs point) and the other security headers.
* ``/dev/accounts`` lists the demo accounts with short-lived tokens, only in the dev stage
  with ``DEV_SIGN_IN=1`` (``make run`` sets it); anywhere else it is the API's 404.  In
  production the pages sign in through ``SIGN_IN_URL`` (README: Pages).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib.api.auth import mint_token
from chalicelib.api.errors import error_response
from chalicelib.config import Settings, get_settings
from chalicelib.domain.errors import NotFound

bp = Blueprint(__name__)

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
ASSETS_DIR = PAGES_DIR / "assets"
PAGE_ATTRIBUTE = "is_page"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json; charset=utf-8",
}

#: The demo accounts the dev sign-in offers (``scripts/demo_data.py`` loads the sellers'
#: data; a test keeps the two lists the same).  Two reviewers: an appeal must be decided by
#: another reviewer than the one who rejected the complaint.
DEV_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("seller", "s-demo-1"),
    ("seller", "s-demo-2"),
    ("seller", "s-demo-3"),
    ("operator", "op-demo"),
    ("operator", "op-demo-2"),
)
#: How long a dev sign-in token is valid.
DEV_TOKEN_MINUTES = 60

View = Callable[..., Any]


def page(view: View) -> View:
    """Mark a view as a page route (not part of the JSON API; see the module's doc)."""
    setattr(view, PAGE_ATTRIBUTE, True)
    return view


def is_page(view: View) -> bool:
    return getattr(view, PAGE_ATTRIBUTE, False) is True


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def files_origins(settings: Settings) -> tuple[str, ...]:
    """Where presigned attachment URLs point: ``AWS_ENDPOINT_URL_S3`` (``make run``'s
    local server), else the bucket's S3 origins (boto3 signs virtual-hosted URLs, with or
    without the region in the host name)."""
    if settings.files_endpoint:
        return (_origin(settings.files_endpoint),)
    bucket, region = settings.files_bucket, settings.region
    return (
        f"https://{bucket}.s3.amazonaws.com",
        f"https://{bucket}.s3.{region}.amazonaws.com",
    )


def content_security_policy(settings: Settings) -> str:
    files = " ".join(files_origins(settings))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {files}",
            f"connect-src 'self' {files}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def security_headers(settings: Settings) -> dict[str, str | list[str]]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


@lru_cache(maxsize=64)
def _file(path: Path) -> str:
    """A page file's text (the files are part of the deployment package and never change
    while the function runs)."""
    return path.read_text(encoding="utf-8")


def asset_names() -> frozenset[str]:
    """The files in ``pages/assets``, by name: the only names ``/assets/{name}`` serves."""
    return _asset_names(ASSETS_DIR)


@lru_cache(maxsize=2)
def _asset_names(directory: Path) -> frozenset[str]:
    if not directory.is_dir():
        return frozenset()
    return frozenset(
        entry.name
        for entry in directory.iterdir()
        if entry.is_file() and entry.suffix in CONTENT_TYPES
    )


def _serve(path: Path, cache_control: str) -> Response:
    settings = get_settings()
    text = _file(path)
    if path.suffix == ".html":
        text = text.replace("{{SIGN_IN_URL}}", _attribute(settings.sign_in_url))
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    headers: dict[str, str | list[str]] = {
        **security_headers(settings),
        "Content-Type": CONTENT_TYPES[path.suffix],
        "Cache-Control": cache_control,
        "ETag": etag,
    }
    if bp.current_request.headers.get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers=headers)


def _attribute(value: str) -> str:
    """``value`` safe inside a double-quoted HTML attribute."""
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _html(name: str) -> Response:
    # HTML: always revalidated, so a deployment's new pages are seen at once.
    return _serve(PAGES_DIR / name, "no-cache")


def _asset(name: str) -> Response:
    if name not in asset_names():
        return error_response(NotFound("no such asset", code="not_found"))
    # Assets keep their names across deployments: cached briefly, then revalidated (ETag).
    return _serve(ASSETS_DIR / name, "public, max-age=300")


@bp.route("/center", methods=["GET"])
@page
def center() -> Response:
    """The seller center."""
    return _html("center.html")


@bp.route("/console", methods=["GET"])
@page
def console() -> Response:
    """The reviewer console."""
    return _html("console.html")


@bp.route("/assets/{name}", methods=["GET"])
@page
def asset(name: str) -> Response:
    """A page's script or style sheet."""
    return _asset(name)


@bp.route("/center/assets/{name}", methods=["GET"])
@page
def center_asset(name: str) -> Response:
    return _asset(name)


@bp.route("/console/assets/{name}", methods=["GET"])
@page
def console_asset(name: str) -> Response:
    return _asset(name)


@bp.route("/dev/accounts", methods=["GET"])
@page
def dev_accounts() -> Response:
    """The dev sign-in: the demo accounts, each with a token valid ``DEV_TOKEN_MINUTES``.
    Only in the dev stage with ``DEV_SIGN_IN=1``; otherwise the API's 404, as if the route
    did not exist."""
    settings = get_settings()
    if not settings.dev_sign_in:
        return error_response(NotFound("no such resource", code="not_found"))
    expires = datetime.now(UTC) + timedelta(minutes=DEV_TOKEN_MINUTES)
    items = [
        {
            "subject": subject,
            "role": role,
            "token": mint_token(settings, subject=subject, role=role, expires_at=expires),
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for role, subject in DEV_ACCOUNTS
    ]
    return Response(
        body={"items": items},
        status_code=200,
        headers={"Cache-Control": "no-store", **security_headers(settings)},
    )
