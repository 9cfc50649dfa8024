"""Bearer-token verification.  The caller's identity comes only from a verified token.

Tokens are JWTs with ``sub`` (the seller id for sellers), ``role`` (seller | operator |
system) and ``exp``.  The algorithms and key are configuration (README: Keys and secrets):

* HS256 with a shared secret: the documented dev secret locally, an SSM SecureString
  parameter in deployed stages (``AUTH_JWT_SECRET_PARAMETER``; during a rotation the previous
  value is accepted too, ``Settings.previous_jwt_keys``);
* RS256/ES256 (one or a comma list) with a PEM public key (``AUTH_JWT_KEY``), or with the
  identity provider's JWKS URL (``AUTH_JWKS_URL``): the key is chosen by the token's ``kid``
  and must be of the token's algorithm (``services/signing_keys.py``).

A token's ``alg`` must be one of the configured algorithms, and HMAC and public-key
algorithms are never configured together (``config._algorithms``): an HS256 token "signed"
with a public key is refused, whatever key it names.

A token is verified once (signature, algorithm, claims) and remembered, bounded, with its
validity period, which is checked on every request (``_VERIFIED``).

PyJWT is imported on first verification, not with the module: the queue and schedule
functions deploy the same ``app.py`` and never verify a token, so they skip its import.
PyJWT imports ``cryptography`` (its RSA/EC support) with itself, so that first
verification loads both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from chalicelib.api.errors import Forbidden, Unauthenticated
from chalicelib.config import Settings
from chalicelib.domain.facts import is_fact_id

ROLES = ("seller", "operator", "system")


class Principal(NamedTuple):
    subject: str
    role: str


class _Verified(NamedTuple):
    """A token whose signature and claims were verified: who it names and when it is valid
    (``not_before``: the later of ``nbf`` and ``iat``, epoch seconds)."""

    principal: Principal
    expires: float
    not_before: float | None


#: Tokens already verified, by (token, key, algorithm).  A seller's portal sends the same
#: token with every request until it expires; verifying its signature again each time is
#: most of the cost of authentication (API Gateway's authorizer cache does the same).
#: An entry only skips re-checking a signature that the same key already verified: the
#: validity period is checked on every use, and a token under another key or algorithm is
#: another entry.  Bounded: the oldest entry goes first.
_VERIFIED: dict[tuple[str, str, str], _Verified] = {}
_VERIFIED_MAX = 1024


def verify_bearer(
    authorization: str | None, settings: Settings, now: float | None = None
) -> Principal:
    """The principal of a valid bearer token (``now``: epoch seconds, default the time
    of the call); ``Unauthenticated``/``Forbidden`` otherwise."""
    if not authorization:
        raise Unauthenticated("missing bearer token", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("authorization must be 'Bearer <token>'", code="malformed_token")
    when = time.time() if now is None else now
    keys, key_id = _keys(token, settings, when)
    remembered = (token, key_id, settings.jwt_algorithm)
    verified = _VERIFIED.get(remembered)
    if verified is None:
        verified = _verify(token, keys, settings.jwt_algorithms)
        if len(_VERIFIED) >= _VERIFIED_MAX:  # list(): a snapshot, safe beside other threads
            for oldest in list(_VERIFIED)[: len(_VERIFIED) - _VERIFIED_MAX + 1]:
                _VERIFIED.pop(oldest, None)
        _VERIFIED[remembered] = verified
    if when >= verified.expires:
        raise Unauthenticated("token expired", code="token_expired")
    if verified.not_before is not None and when < verified.not_before:
        raise Unauthenticated("token not yet valid", code="token_not_yet_valid")
    return verified.principal


#: The latest time a claim may name: 9999-12-31T23:59:59Z.  Larger numbers, NaN and the
#: infinities (JSON parsers accept ``NaN``, ``Infinity`` and ``1e400``) are refused, so no
#: token "never expires" and no time overflows.
MAX_CLAIM_TIME = 253402300799


def _number_claim(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthenticated(f"the {name} claim must be a number", code="invalid_token")
    if not 0 <= value <= MAX_CLAIM_TIME:  # False for NaN too
        raise Unauthenticated(
            f"the {name} claim must be a time between 1970 and 9999", code="invalid_token"
        )
    return float(value)


def _keys(token: str, settings: Settings, now: float) -> tuple[Sequence[Any], str]:
    """The keys that may have signed ``token`` (tried in order), and what identifies them:
    the configured key (and a rotated secret's previous value), or the JWKS key the
    token's header names."""
    if settings.jwks_url is None:
        keys = (settings.jwt_key, *settings.previous_jwt_keys)
        return keys, "\n".join(keys)
    import jwt

    from chalicelib.api.keys import signing_key

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated("invalid token", code="invalid_token") from exc
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in settings.jwt_algorithms or not isinstance(kid, str | None):
        raise Unauthenticated("token algorithm not accepted", code="invalid_token")
    found = signing_key(settings, kid, algorithm, now)
    if found is None:
        raise Unauthenticated("token signed with an unknown key", code="invalid_token")
    return (found.key,), f"{settings.jwks_url}#{found.fingerprint}"


def _verify(token: str, keys: Sequence[Any], algorithms: Sequence[str]) -> _Verified:
    """Signature (with the first key that verifies it), algorithm and claims; the validity
    period is checked by the caller."""
    import jwt

    claims: dict[str, Any] | None = None
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(algorithms),
                options={
                    "require": ["exp", "sub", "role"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            break
        except jwt.InvalidSignatureError:
            continue  # perhaps the previous key of a rotation
        except jwt.PyJWTError as exc:  # InvalidKeyError too: a key of another type
            raise Unauthenticated("invalid token", code="invalid_token") from exc
    if claims is None:
        raise Unauthenticated("invalid token", code="invalid_token")
    subject, role = claims.get("sub"), claims.get("role")
    # ``sub`` becomes a key (a seller's partition, an export's S3 key): an id's shape only
    if not isinstance(subject, str) or not is_fact_id(subject) or not isinstance(role, str):
        raise Unauthenticated("invalid token claims", code="invalid_token")
    if role not in ROLES:
        raise Forbidden(f"unknown role {role!r}", code="wrong_role")
    expires = _number_claim(claims, "exp")
    assert expires is not None  # required above
    starts = [
        t for t in (_number_claim(claims, "nbf"), _number_claim(claims, "iat")) if t is not None
    ]
    return _Verified(Principal(subject, role), expires, max(starts) if starts else None)


def require_role(principal: Principal, roles: tuple[str, ...]) -> None:
    if principal.role not in roles:
        raise Forbidden(f"this route needs role {' or '.join(roles)}", code="wrong_role")


def mint_token(
    settings: Settings,
    *,
    subject: str,
    role: str,
    expires_at: datetime,
    not_before: datetime | None = None,
) -> str:
    """Sign a token with the configured key (HS256 development/test tokens)."""
    return sign_token(
        settings.jwt_key,
        settings.jwt_algorithms[0],
        subject=subject,
        role=role,
        expires_at=expires_at,
        not_before=not_before,
    )


def sign_token(
    key: str,
    algorithm: str,
    *,
    subject: str,
    role: str,
    expires_at: datetime,
    not_before: datetime | None = None,
    kid: str | None = None,
) -> str:
    """A token signed with ``key``: an HMAC secret, or a PEM private key for RS256/ES256
    (``scripts/token.py --private-key``: tokens for a stage that verifies public keys)."""
    claims: dict[str, object] = {"sub": subject, "role": role, "exp": int(expires_at.timestamp())}
    if not_before is not None:
        claims["nbf"] = int(not_before.timestamp())
    import jwt

    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)
