"""The one place that reads configuration.

Nothing here runs at import time: ``get_settings()`` reads the environment when it is
called, so the Chalice test client's per-stage environment and tests' ``monkeypatch.setenv``
are always honoured.  Every variable is documented in README.md (Configuration).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

#: Development-only signing secret.  Documented, so any local client can mint tokens.
DEV_JWT_SECRET = "dev-only-seller-report-center-secret-change-me"
DEV_CURSOR_SECRET = "dev-only-cursor-secret-change-me"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    complaints_table: str
    facts_table: str
    dynamodb_endpoint: str | None
    jwt_key: str
    jwt_algorithm: str
    cursor_secret: str
    max_body_bytes: int
    decision_hours: int
    listing_months: int
    event_marker_days: int
    retention_days: int

    @property
    def is_dev_secret(self) -> bool:
        return self.jwt_key == DEV_JWT_SECRET


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def get_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment) at call time."""
    env = os.environ if env is None else env
    stage = env.get("STAGE", "dev")
    algorithm = env.get("AUTH_JWT_ALGORITHM", "HS256")
    # AUTH_JWT_KEY is the verification key (an HS256 secret or, for RS256/ES256, a PEM
    # public key).  AUTH_JWT_SECRET is the design's name for the HS256 secret.
    jwt_key = env.get("AUTH_JWT_KEY") or env.get("AUTH_JWT_SECRET") or DEV_JWT_SECRET
    if stage == "prod" and jwt_key == DEV_JWT_SECRET:
        raise ConfigError("prod stage requires AUTH_JWT_KEY or AUTH_JWT_SECRET")
    cursor_secret = env.get("CURSOR_SECRET") or (
        DEV_CURSOR_SECRET if jwt_key == DEV_JWT_SECRET else "cursor:" + jwt_key
    )
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        complaints_table=env.get("COMPLAINTS_TABLE", f"seller-report-center-{stage}-complaints"),
        facts_table=env.get("FACTS_TABLE", f"seller-report-center-{stage}-facts"),
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        jwt_key=jwt_key,
        jwt_algorithm=algorithm,
        cursor_secret=cursor_secret,
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 64 * 1024),
        decision_hours=_int(env, "DECISION_HOURS", 48),
        listing_months=_int(env, "LISTING_MONTHS", 6),
        event_marker_days=_int(env, "EVENT_MARKER_DAYS", 30),
        retention_days=_int(env, "RETENTION_DAYS", 730),
    )
