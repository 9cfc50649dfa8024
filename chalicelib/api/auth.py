"""Bearer-token verification.  The caller's identity comes only from a verified token.

Tokens are JWTs with ``sub`` (the seller id for sellers), ``role`` (seller | operator |
system) and ``exp``.  The algorithm and key are configuration: HS256 with a shared secret
locally; production may configure RS256/ES256 with a public key.

A token is verified once (signature, algorithm, claims) and remembered, bounded, with its
validity period, which is checked on every request (``_VERIFIED``).

PyJWT is imported on first verification, not with the module: the queue and schedule
functions deploy the same ``app.py`` and never verify a token, so they skip its import.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, NamedTuple

from chalicelib.api.errors import Forbidden, Unauthenticated
from chalicelib.config import Settings

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
    key = (token, settings.jwt_key, settings.jwt_algorithm)
    verified = _VERIFIED.get(key)
    if verified is None:
        verified = _verify(token, settings)
        if len(_VERIFIED) >= _VERIFIED_MAX:  # list(): a snapshot, safe beside other threads
            for oldest in list(_VERIFIED)[: len(_VERIFIED) - _VERIFIED_MAX + 1]:
                _VERIFIED.pop(oldest, None)
        _VERIFIED[key] = verified
    when = time.time() if now is None else now
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


def _verify(token: str, settings: Settings) -> _Verified:
    """Signature, algorithm and claims; the validity period is checked by the caller."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            settings.jwt_key,
            algorithms=[settings.jwt_algorithm],
            options={
                "require": ["exp", "sub", "role"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated("invalid token", code="invalid_token") from exc
    subject, role = claims.get("sub"), claims.get("role")
    if not isinstance(subject, str) or not subject or not isinstance(role, str):
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
    claims: dict[str, object] = {"sub": subject, "role": role, "exp": int(expires_at.timestamp())}
    if not_before is not None:
        claims["nbf"] = int(not_before.timestamp())
    import jwt

    return jwt.encode(claims, settings.jwt_key, algorithm=settings.jwt_algorithm)
