"""RS256 and ES256 tokens: a PEM public key from configuration, or the identity provider's
JWKS URL with key rotation (``services/signing_keys.py``), with real generated keys.  Time
is passed in (``now``: epoch seconds), never slept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from chalicelib.api import keys
from chalicelib.api.auth import sign_token, verify_bearer
from chalicelib.api.errors import Unauthenticated
from chalicelib.config import ConfigError, Settings, get_settings
from chalicelib.domain.errors import StorageUnavailable
from chalicelib.services.signing_keys import REFETCH_SECONDS, SigningKeys
from tests.fakes import KeySetServer

NOW = datetime.now(UTC).timestamp()
LATER = datetime.fromtimestamp(NOW, UTC) + timedelta(hours=1)
JWKS_URL = "https://idp.example/.well-known/jwks.json"


def _pem(private: Any, *, public: bool) -> str:
    if public:
        return (
            private.public_key()
            .public_bytes(  # type: ignore[no-any-return]
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
    return private.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_NEXT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _jwk(private: Any, kid: str, **extra: str) -> dict[str, Any]:
    algorithm = RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
    return {**algorithm.to_jwk(private.public_key(), as_dict=True), "kid": kid, **extra}


def _token(private: Any, algorithm: str, kid: str | None = None, sub: str = "s-1") -> str:
    return sign_token(
        _pem(private, public=False),
        algorithm,
        subject=sub,
        role="seller",
        expires_at=LATER,
        kid=kid,
    )


def _bearer(token: str) -> str:
    return f"Bearer {token}"


def _refused(token: str, settings: Settings, now: float = NOW) -> str:
    with pytest.raises(Unauthenticated) as err:
        verify_bearer(_bearer(token), settings, now=now)
    return err.value.code


def _pem_settings(private: Any, algorithm: str) -> Settings:
    return get_settings(
        {"AUTH_JWT_ALGORITHM": algorithm, "AUTH_JWT_KEY": _pem(private, public=True)}
    )


def _hs256_with(secret: bytes, kid: str | None = None) -> str:
    """An HS256 token whose HMAC key is ``secret`` (PyJWT refuses to make one with a PEM)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    claims = {"sub": "s-evil", "role": "seller", "exp": int(LATER.timestamp())}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


# ----------------------------------------------------------------------- PEM public keys


@pytest.mark.parametrize(("private", "algorithm"), [(RSA_KEY, "RS256"), (EC_KEY, "ES256")])
def test_a_token_signed_with_the_private_key_is_accepted(private: Any, algorithm: str) -> None:
    settings = _pem_settings(private, algorithm)
    principal = verify_bearer(_bearer(_token(private, algorithm, sub="s-pem")), settings, now=NOW)
    assert (principal.subject, principal.role) == ("s-pem", "seller")
    assert _refused(_token(RSA_NEXT, "RS256"), _pem_settings(RSA_KEY, "RS256")) == "invalid_token"


def test_an_hs256_token_signed_with_the_public_key_is_refused() -> None:
    """Algorithm confusion: the public key is public, so it must never act as an HMAC key."""
    settings = _pem_settings(RSA_KEY, "RS256")
    public_pem = _pem(RSA_KEY, public=True).encode()
    assert _refused(_hs256_with(public_pem), settings) == "invalid_token"
    none = jwt.encode({"sub": "s", "role": "seller", "exp": int(LATER.timestamp())}, None, "none")
    assert _refused(none, settings) == "invalid_token"


def test_a_token_of_an_allowed_algorithm_but_another_key_type_is_refused() -> None:
    settings = _pem_settings(RSA_KEY, "RS256,ES256")
    assert settings.jwt_algorithms == ("RS256", "ES256")
    assert verify_bearer(_bearer(_token(RSA_KEY, "RS256")), settings, now=NOW).subject == "s-1"
    assert _refused(_token(EC_KEY, "ES256"), settings) == "invalid_token"


def test_configuration_refuses_mixed_or_keyless_algorithms() -> None:
    public = _pem(RSA_KEY, public=True)
    for env in (
        {"AUTH_JWT_ALGORITHM": "HS256,RS256", "AUTH_JWT_KEY": public},  # HMAC beside RSA
        {"AUTH_JWT_ALGORITHM": "RS256"},  # no key
        {"AUTH_JWT_ALGORITHM": "none"},
        {"AUTH_JWT_ALGORITHM": "HS256", "AUTH_JWKS_URL": JWKS_URL},  # HMAC from a JWKS
        {"AUTH_JWT_ALGORITHM": "RS256", "AUTH_JWKS_URL": JWKS_URL, "AUTH_JWT_KEY": public},
        {"AUTH_JWT_ALGORITHM": "RS256", "AUTH_JWKS_URL": "http://idp/jwks", "STAGE": "staging"},
    ):
        with pytest.raises(ConfigError):
            get_settings(env)


# ----------------------------------------------------------------------- JWKS URL


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> KeySetServer:
    server = KeySetServer()
    server.publish(JWKS_URL, _jwk(RSA_KEY, "rsa-1"), _jwk(EC_KEY, "ec-1"))
    monkeypatch.setattr(keys, "key_set_source", lambda: server)
    return server


def _jwks_settings(**env: str) -> Settings:
    return get_settings({"AUTH_JWT_ALGORITHM": "RS256,ES256", "AUTH_JWKS_URL": JWKS_URL, **env})


def test_jwks_keys_are_chosen_by_kid_and_fetched_once_per_container(idp: KeySetServer) -> None:
    settings = _jwks_settings()
    assert verify_bearer(_bearer(_token(RSA_KEY, "RS256", "rsa-1", "a")), settings, now=NOW)
    assert verify_bearer(_bearer(_token(EC_KEY, "ES256", "ec-1", "b")), settings, now=NOW + 1)
    assert verify_bearer(_bearer(_token(EC_KEY, "ES256", "ec-1", "c")), settings, now=NOW + 599)
    assert idp.calls["fetch"] == 1
    # a key signs only under its own kid, and only with its own algorithm
    assert _refused(_token(EC_KEY, "ES256", "rsa-1"), settings, NOW + 2) == "invalid_token"
    assert _refused(_token(RSA_KEY, "RS256", "ec-1"), settings, NOW + 3) == "invalid_token"


def test_an_hs256_token_naming_a_jwks_key_is_refused(idp: KeySetServer) -> None:
    settings = _jwks_settings()
    public_pem = _pem(RSA_KEY, public=True).encode()
    assert _refused(_hs256_with(public_pem, kid="rsa-1"), settings) == "invalid_token"
    n = _jwk(RSA_KEY, "rsa-1")["n"].encode()  # the JWK's own bytes as the "secret"
    assert _refused(_hs256_with(n, kid="rsa-1"), settings) == "invalid_token"


def test_a_new_kid_is_accepted_after_a_refetch_at_most_once_a_minute(idp: KeySetServer) -> None:
    settings = _jwks_settings()
    assert verify_bearer(_bearer(_token(RSA_KEY, "RS256", "rsa-1")), settings, now=NOW)
    idp.publish(JWKS_URL, _jwk(RSA_KEY, "rsa-1"), _jwk(RSA_NEXT, "rsa-2"))  # rotation begins
    rotated = _token(RSA_NEXT, "RS256", "rsa-2", "s-rotated")
    # the first fetch was just now: the new kid waits for the minute to pass
    assert _refused(rotated, settings, NOW + REFETCH_SECONDS - 1) == "invalid_token"
    assert idp.calls["fetch"] == 1
    principal = verify_bearer(_bearer(rotated), settings, now=NOW + REFETCH_SECONDS)
    assert principal.subject == "s-rotated"
    assert idp.calls["fetch"] == 2


def test_a_flood_of_unknown_kids_costs_one_fetch_a_minute(idp: KeySetServer) -> None:
    settings = _jwks_settings()
    verify_bearer(_bearer(_token(RSA_KEY, "RS256", "rsa-1")), settings, now=NOW)
    for i in range(200):
        bogus = _token(RSA_NEXT, "RS256", f"bogus-{i}")
        assert _refused(bogus, settings, NOW + 60 + i * 0.25) == "invalid_token"
    assert idp.calls["fetch"] == 2  # the first, then one for the whole minute of bogus kids
    _refused(_token(RSA_NEXT, "RS256", "bogus-x"), settings, NOW + 120)
    assert idp.calls["fetch"] == 3


def test_a_removed_key_is_refused_after_the_cache_refresh(idp: KeySetServer) -> None:
    settings = _jwks_settings(AUTH_JWKS_CACHE_SECONDS="600")
    old = _token(RSA_KEY, "RS256", "rsa-1", "s-old")
    assert verify_bearer(_bearer(old), settings, now=NOW).subject == "s-old"
    idp.publish(JWKS_URL, _jwk(RSA_NEXT, "rsa-2"))  # the provider drops rsa-1
    assert verify_bearer(_bearer(old), settings, now=NOW + 599).subject == "s-old"  # cached
    # refreshed: the token verified before is not accepted from memory either
    assert _refused(old, settings, NOW + 600) == "invalid_token"
    assert idp.calls["fetch"] == 2


def test_unreachable_keys_are_503_until_known_then_the_known_ones_are_kept(
    idp: KeySetServer,
) -> None:
    settings = _jwks_settings()
    idp.down = True
    with pytest.raises(StorageUnavailable):
        verify_bearer(_bearer(_token(RSA_KEY, "RS256", "rsa-1")), settings, now=NOW)
    with pytest.raises(StorageUnavailable):  # not fetched again within the minute
        verify_bearer(_bearer(_token(RSA_KEY, "RS256", "rsa-1")), settings, now=NOW + 30)
    assert idp.calls["fetch"] == 1
    idp.down = False
    assert verify_bearer(_bearer(_token(RSA_KEY, "RS256", "rsa-1")), settings, now=NOW + 60)
    idp.down = True  # a refresh fails: the keys already known still verify
    token = _token(EC_KEY, "ES256", "ec-1", "s-kept")
    assert verify_bearer(_bearer(token), settings, now=NOW + 60 + 700).subject == "s-kept"


def test_keys_a_token_cannot_use_are_left_out_of_the_set() -> None:
    server = KeySetServer()
    server.publish(
        JWKS_URL,
        _jwk(RSA_KEY, "enc", use="enc"),  # an encryption key
        {"kty": "oct", "k": "c2VjcmV0", "kid": "oct"},  # a symmetric key in a public set
        {"kty": "RSA", "kid": "broken", "n": "AA", "e": "AQAB", "alg": "RS256"},
        _jwk(EC_KEY, "ec-1"),
    )
    found = SigningKeys(server, JWKS_URL, max_age=600)
    assert found.key("enc", "RS256", NOW) is None
    assert found.key("oct", "HS256", NOW) is None
    assert found.key("ec-1", "ES256", NOW) is not None
    assert server.calls["fetch"] == 1  # unknown kids within the minute fetch nothing more


def test_the_token_script_mints_with_a_private_key(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], idp: KeySetServer
) -> None:
    from scripts.token import main

    key_file = tmp_path / "key.pem"
    key_file.write_text(_pem(EC_KEY, public=False))
    argv = ["operator", "op-9", "2", "--private-key", str(key_file), "--algorithm", "ES256"]
    assert main([*argv, "--kid", "ec-1"]) == 0
    token = capsys.readouterr().out.strip()
    principal = verify_bearer(_bearer(token), _jwks_settings(), now=NOW)
    assert (principal.subject, principal.role) == ("op-9", "operator")
    assert main(["seller", "s-dev"]) == 0  # without a key: the dev HS256 secret
    dev = capsys.readouterr().out.strip()
    assert verify_bearer(_bearer(dev), get_settings({}), now=NOW).subject == "s-dev"
