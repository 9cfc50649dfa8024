"""The JWKS adapter (``adapters/jwks.py``) against a real HTTP server on a thread: a key
set is fetched, a rotation is picked up, and a slow, broken or oversized answer is
``StorageUnavailable`` within the timeout."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from chalicelib.adapters.jwks import HttpJwks
from chalicelib.api.auth import sign_token, verify_bearer
from chalicelib.config import get_settings
from chalicelib.domain.errors import StorageUnavailable
from chalicelib.services.signing_keys import REFETCH_SECONDS

KEY = ec.generate_private_key(ec.SECP256R1())
NEXT = ec.generate_private_key(ec.SECP256R1())


class _Provider:
    def __init__(self) -> None:
        self.status = 200
        self.body = b""
        self.requests = 0

    def publish(self, **keys: Any) -> None:
        self.body = json.dumps(
            {
                "keys": [
                    {**ECAlgorithm.to_jwk(k.public_key(), as_dict=True), "kid": kid}
                    for kid, k in keys.items()
                ]
            }
        ).encode()


@pytest.fixture
def provider() -> Iterator[tuple[_Provider, str]]:
    state = _Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def _token(private: Any, kid: str) -> str:
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    expires = datetime.now(UTC) + timedelta(hours=1)
    return sign_token(pem, "ES256", subject="s-1", role="seller", expires_at=expires, kid=kid)


def test_tokens_are_verified_with_the_served_keys_and_a_rotation_is_picked_up(
    provider: tuple[_Provider, str],
) -> None:
    state, url = provider
    state.publish(**{"k-1": KEY})
    settings = get_settings({"AUTH_JWT_ALGORITHM": "ES256", "AUTH_JWKS_URL": url})
    now = time.time()
    assert verify_bearer(f"Bearer {_token(KEY, 'k-1')}", settings, now=now).subject == "s-1"
    state.publish(**{"k-1": KEY, "k-2": NEXT})
    rotated = f"Bearer {_token(NEXT, 'k-2')}"
    assert verify_bearer(rotated, settings, now=now + REFETCH_SECONDS).subject == "s-1"
    assert state.requests == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b'{"keys": []}'),
        (200, b"<html>not json</html>"),
        (200, b'{"no": "keys"}'),
        (200, b'{"keys": [' + b'{"kty": "EC"},' * 30000 + b"{}]}"),  # larger than allowed
    ],
)
def test_a_broken_answer_is_unavailable(
    provider: tuple[_Provider, str], status: int, body: bytes
) -> None:
    state, url = provider
    state.status, state.body = status, body
    with pytest.raises(StorageUnavailable):
        HttpJwks().fetch(url)


def test_a_server_that_never_answers_costs_the_timeout_only() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/jwks.json"
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            HttpJwks(timeout=0.3).fetch(url)
        assert time.monotonic() - started < 2


def test_only_http_urls_are_fetched() -> None:
    with pytest.raises(StorageUnavailable):
        HttpJwks().fetch("file:///etc/passwd")
