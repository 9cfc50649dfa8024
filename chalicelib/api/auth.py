"""Bearer-token verification.  The caller's identity comes only from a verified token.

Tokens are JWTs with ``sub`` (the seller id for sellers), ``role`` (seller | operator |
system) and ``exp``.  The algorithm and key are configuration: HS256 with a shared secret
locally; production may configure RS256/ES256 with a public key.

PyJWT is imported on first verification, not with the module: the queue and schedule
functions deploy the same ``app.py`` and never verify a token, so they skip its import.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from chalicelib.api.errors import Forbidden, Unauthenticated
from chalicelib.config import Settings

ROLES = ("seller", "operator", "system")


class Principal(NamedTuple):
    subject: str
    role: str


def verify_bearer(authorization: str | None, settings: Settings) -> Principal:
    if not authorization:
        raise Unauthenticated("missing bearer token", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization must be 'Bearer <token>'", code="malformed_token")
    import jwt

    try:
        claims = jwt.decode(
            token.strip(),
            settings.jwt_key,
            algorithms=[settings.jwt_algorithm],
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token expired", code="token_expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise Unauthenticated("token not yet valid", code="token_not_yet_valid") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated("invalid token", code="invalid_token") from exc
    subject, role = claims.get("sub"), claims.get("role")
    if not isinstance(subject, str) or not subject or not isinstance(role, str):
        raise Unauthenticated("invalid token claims", code="invalid_token")
    if role not in ROLES:
        raise Forbidden(f"unknown role {role!r}", code="wrong_role")
    return Principal(subject=subject, role=role)


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
