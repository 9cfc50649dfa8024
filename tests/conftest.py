"""Shared fixtures.  Tables are created from the same PynamoDB definitions the app uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.adapters.models import create_tables
from chalicelib.api.auth import mint_token
from chalicelib.api.keys import forget as forget_keys
from chalicelib.config import Settings, get_settings
from scripts.local import DEVELOPER_ENV
from tests.builders import T0

ROOT = Path(__file__).resolve().parent.parent


#: Developer configuration kept out of the tests (and of the services they start).
ISOLATED_ENV = DEVELOPER_ENV


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real AWS, no developer configuration leaking into tests."""
    for name in ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("STAGE", "dev")
    forget_keys()  # each test starts as a new container: no secret or key set cached


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def aws(settings: Settings) -> Iterator[None]:
    with mock_aws():
        create_tables(settings)
        import boto3

        boto3.client("s3", region_name=settings.region).create_bucket(Bucket=settings.files_bucket)
        yield


class Clock:
    """A movable clock patched into the edge (``chalicelib.clock.now``)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(T0)
    monkeypatch.setattr("chalicelib.clock.now", fake)
    return fake


@pytest.fixture
def tokens(settings: Settings) -> Any:
    def make(
        subject: str = "s-1",
        role: str = "seller",
        *,
        ttl: timedelta = timedelta(hours=1),
        not_before: datetime | None = None,
    ) -> str:
        # Tokens are checked against the real clock (api/auth.py), so they expire relative to it.
        from datetime import UTC
        from datetime import datetime as real_datetime

        return mint_token(
            settings,
            subject=subject,
            role=role,
            expires_at=real_datetime.now(UTC) + ttl,
            not_before=not_before,
        )

    return make


DYNALITE = ROOT / "tools" / "dynalite" / "node_modules" / ".bin" / "dynalite"
#: dynalite plus TransactWriteItems, which dynalite itself lacks (see the file's header)
DYNALITE_SERVER = ROOT / "tools" / "dynalite" / "server.js"


def _wait_for_dynalite(endpoint: str, process: Any = None) -> None:
    from scripts.local import wait_until_serving

    try:
        wait_until_serving(endpoint, process, timeout=10)
    except RuntimeError as exc:
        pytest.fail(f"dynalite is not serving: {exc}")


@pytest.fixture(scope="session")
def dynalite_endpoint() -> Iterator[str]:
    """dynalite — a real, concurrent DynamoDB implementation.  ``make test`` starts it and
    passes ``DYNALITE_ENDPOINT``; run directly, pytest starts one itself."""
    import os
    import subprocess

    from scripts.local import free_port

    given = os.environ.get("DYNALITE_ENDPOINT")
    if given:
        _wait_for_dynalite(given)
        yield given
        return
    if not DYNALITE.exists():
        pytest.fail("dynalite is not installed: run `make test` (it installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            "node",
            str(DYNALITE_SERVER),
            "--port",
            str(port),
            "--createTableMs",
            "0",
            "--deleteTableMs",
            "0",
            "--updateTableMs",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for_dynalite(endpoint, process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)
