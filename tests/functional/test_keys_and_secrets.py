"""Secrets from SSM Parameter Store through the whole app (moto's SSM): the environment
names the parameters, requests read them once per cache period, and a rotation is honoured —
new values within the period, cursors and tokens of the previous value during the grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.api.auth import sign_token
from tests.builders import order_event
from tests.functional.conftest import Api

CURSOR_PARAMETER = "/seller-report-center/dev/cursor-secret"
JWT_PARAMETER = "/seller-report-center/dev/jwt-secret"


def _put(name: str, value: str) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=name, Value=value, Type="SecureString", Overwrite=True
    )


def _token(secret: str, subject: str = "s-1", role: str = "seller") -> str:
    expires = datetime.now(UTC) + timedelta(hours=4)
    return sign_token(secret, "HS256", subject=subject, role=role, expires_at=expires)


@pytest.fixture
def named(api: Api, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The app configured as a deployed stage is: parameter names, no secret values."""
    clock.current = datetime.now(UTC)  # SSM stamps versions with the real time
    _put(CURSOR_PARAMETER, "cursor-secret-one-" + "x" * 20)
    _put(JWT_PARAMETER, "jwt-secret-one-" + "y" * 20)
    monkeypatch.setenv("CURSOR_SECRET_PARAMETER", CURSOR_PARAMETER)
    monkeypatch.setenv("AUTH_JWT_SECRET_PARAMETER", JWT_PARAMETER)
    placed = order_event(
        "o-placed", placed_at=clock.current - timedelta(days=2), occurred_at=clock.current
    )
    system = _token("jwt-secret-one-" + "y" * 20, "platform", "system")
    assert api.call("POST", "/platform/events", {"events": [placed]}, token=system).status == 200
    return api


def _page(api: Api, token: str, cursor: str | None = None) -> Any:
    path = "/complaints?limit=1" + (f"&cursor={cursor}" if cursor else "")
    return api.call("GET", path, token=token)


def test_tokens_are_verified_with_the_parameters_secret_and_rotation_is_honoured(
    named: Api, clock: Any
) -> None:
    one, two = _token("jwt-secret-one-" + "y" * 20), _token("jwt-secret-two-" + "z" * 20)
    assert _page(named, one).status == 200
    assert _page(named, _token("some-other-secret-" + "w" * 20)).status == 401
    _put(JWT_PARAMETER, "jwt-secret-two-" + "z" * 20)  # rotated
    clock.advance(minutes=4)
    assert _page(named, two).status == 401  # this container still holds the old value
    clock.advance(minutes=1, seconds=1)
    assert _page(named, two).status == 200  # read again after the cache period
    assert _page(named, one).status == 200  # the previous secret, during the grace
    clock.advance(hours=1)
    reply = _page(named, one)
    assert (reply.status, reply.body["error"]["code"]) == (401, "invalid_token")
    assert _page(named, two).status == 200


def test_cursors_signed_before_a_rotation_page_on_during_the_grace(named: Api, clock: Any) -> None:
    token = _token("jwt-secret-one-" + "y" * 20)
    for scenario in ("malicious_ordering", "malicious_harassment"):
        body = {"order_id": "o-placed", "scenario": scenario, "description": "buyer abuse"}
        reply = named.call("POST", "/complaints", body, token=token)
        assert reply.status == 201, reply.body
        clock.advance(seconds=1)
    before = _page(named, token).body["next_cursor"]
    assert before
    _put(CURSOR_PARAMETER, "cursor-secret-two-" + "x" * 20)
    clock.advance(minutes=6)
    after = _page(named, token, before)
    assert after.status == 200, after.body  # signed with the previous secret: still read
    assert len(after.body["items"]) == 1
    fresh = _page(named, token).body["next_cursor"]
    assert fresh != before  # new cursors are signed with the new secret
    clock.advance(hours=1)
    stale = _page(named, token, before)
    assert (stale.status, stale.body["error"]["code"]) == (400, "invalid_cursor")
    assert _page(named, token, fresh).status == 200


def test_the_secrets_are_read_once_per_cache_period(
    named: Api, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import parameters
    from chalicelib.api import keys

    keys.forget()  # a new container (the fixture's requests filled this one)
    reads: list[str] = []
    real = parameters.SsmParameters.read
    monkeypatch.setattr(
        parameters.SsmParameters, "read", lambda self, n: reads.append(n) or real(self, n)
    )
    token = _token("jwt-secret-one-" + "y" * 20)
    for _ in range(5):
        assert _page(named, token).status == 200
        clock.advance(seconds=30)
    assert sorted(reads) == [CURSOR_PARAMETER, JWT_PARAMETER]
    clock.advance(minutes=3)
    assert _page(named, token).status == 200
    assert len(reads) == 4


def test_es256_tokens_from_a_jwks_url_through_the_app(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The middleware verifies with the provider's key; a dev HS256 token is refused; with
    the key set unreachable and nothing known, 503 with Retry-After (nothing else runs)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    from chalicelib.api import keys
    from tests.fakes import KeySetServer

    url = "https://idp.example/jwks.json"
    private = ec.generate_private_key(ec.SECP256R1())
    server = KeySetServer()
    server.publish(url, {**ECAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": "k1"})
    monkeypatch.setattr(keys, "key_set_source", lambda: server)
    hs256 = api.tokens("s-1", "seller")  # the dev secret's
    monkeypatch.setenv("AUTH_JWT_ALGORITHM", "ES256")
    monkeypatch.setenv("AUTH_JWKS_URL", url)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    expires = datetime.now(UTC) + timedelta(hours=1)
    es256 = sign_token(
        pem.decode(), "ES256", subject="s-1", role="seller", expires_at=expires, kid="k1"
    )
    assert api.call("GET", "/complaints", token=es256).status == 200
    refused = api.call("GET", "/complaints", token=hs256)
    assert (refused.status, refused.body["error"]["code"]) == (401, "invalid_token")
    keys.forget()  # a new container, and the provider down
    server.down = True
    unavailable = api.call("GET", "/complaints", token=es256)
    assert unavailable.status == 503, unavailable.body
    assert "Retry-After" in unavailable.headers
