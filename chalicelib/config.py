"""The one place that reads configuration.

Nothing here runs at import time: ``get_settings()`` reads the environment when it is
called, so the Chalice test client's per-stage environment and tests' ``monkeypatch.setenv``
are always honoured.  Every variable is documented in README.md (Configuration).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import NamedTuple

from chalicelib.domain.complaints import (
    APPEAL_DAYS,
    CLEANING_PERIOD_DAYS,
    DECISION_HOURS,
    ESCALATION_HOURS,
    EXEMPTION_ALERT_HOURS,
    EXEMPTION_DUE_HOURS,
    SLA_MARGIN_MINUTES,
    ExemptionPolicy,
    SlaPolicy,
)
from chalicelib.domain.rules import WINDOW_DAYS, Thresholds
from chalicelib.domain.scenarios import REGISTRY

#: Development-only signing secret.  Documented, so any local client can mint tokens.
DEV_JWT_SECRET = "dev-only-seller-report-center-secret-change-me"
DEV_CURSOR_SECRET = "dev-only-cursor-secret-change-me"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


class Settings(NamedTuple):
    """The service's configuration: a plain record, read from the environment per request
    (``get_settings``)."""

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
    escalation_hours: int = ESCALATION_HOURS
    sla_margin_minutes: int = SLA_MARGIN_MINUTES
    due_shards: int = 4
    sweep_batch: int = 200
    events_topic_arn: str | None = None
    sweep_queue_url: str | None = None
    thresholds: Thresholds = Thresholds()  # not changed after it is made: one shared default
    exemption_due_hours: int = EXEMPTION_DUE_HOURS
    exemption_alert_hours: int = EXEMPTION_ALERT_HOURS
    cleaning_period_days: int = CLEANING_PERIOD_DAYS
    #: the private bucket of evidence files (``attachments/``) and exports (``exports/``)
    files_bucket: str = "seller-report-center-dev-files"
    attachment_max_bytes: int = 10 * 1024 * 1024
    #: boto3's own ``AWS_ENDPOINT_URL_S3`` (``make run``: its local server; unset on AWS)
    files_endpoint: str | None = None
    appeal_days: int = APPEAL_DAYS
    #: ``DEV_SIGN_IN=1``: the dev sign-in (``/dev/accounts``) — honoured in the dev stage only
    dev_sign_in: bool = False
    #: where the pages send a person to sign in (the portal's SSO); see README: Pages
    sign_in_url: str = ""
    #: ``AUTH_JWKS_URL``: the identity provider's key set (RS256/ES256 keys by ``kid``)
    jwks_url: str | None = None
    #: SSM SecureString parameter names of the secrets (their values are read by the
    #: request, through a bounded cache: ``services/secrets.py``; never in the environment)
    jwt_secret_parameter: str | None = None
    cursor_secret_parameter: str | None = None
    #: values of a rotated secret still accepted (cursors, HS256 tokens) during rotation
    previous_cursor_secrets: tuple[str, ...] = ()
    previous_jwt_keys: tuple[str, ...] = ()
    secrets_cache_seconds: int = 300
    secrets_rotation_grace_seconds: int = 3600
    jwks_cache_seconds: int = 600
    #: ``DEV_EVENTS_FILE`` (``make run`` sets it): the journal ``GET /dev/events`` lists —
    #: honoured with the dev sign-in only (dev stage, ``DEV_SIGN_IN=1``)
    dev_events_file: str | None = None

    @property
    def jwt_algorithms(self) -> tuple[str, ...]:
        """The algorithms a token may be signed with (``AUTH_JWT_ALGORITHM``, comma list)."""
        return tuple(a.strip() for a in self.jwt_algorithm.split(",") if a.strip())

    @property
    def cursor_secrets(self) -> tuple[str, ...]:
        """The keys a cursor may be signed with: the current one first (it signs new ones)."""
        return (self.cursor_secret, *self.previous_cursor_secrets)

    @property
    def exemption_policy(self) -> ExemptionPolicy:
        return ExemptionPolicy(
            window_days=self.thresholds.window_days,
            cleaning_period_days=self.cleaning_period_days,
            due_after=timedelta(hours=self.exemption_due_hours),
            alert_after=timedelta(hours=self.exemption_alert_hours),
        )

    @property
    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(
            escalation_hours=self.escalation_hours,
            margin=timedelta(minutes=self.sla_margin_minutes),
        )


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


def _thresholds(raw: str | None) -> Thresholds:
    """``RULE_THRESHOLDS``: a JSON object overriding the rules' thresholds by name (each
    scenario record declares its own with their defaults) and ``window_days``."""
    if not raw:
        return Thresholds()
    try:
        overrides = json.loads(raw)
    except ValueError as exc:
        raise ConfigError("RULE_THRESHOLDS must be a JSON object") from exc
    known = {"window_days", *REGISTRY.threshold_defaults()}
    if not isinstance(overrides, dict) or set(overrides) - known:
        raise ConfigError(f"RULE_THRESHOLDS keys must be among {sorted(known)}")
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
        for v in overrides.values()
    ):
        raise ConfigError("RULE_THRESHOLDS values must be non-negative numbers")
    window = overrides.pop("window_days", WINDOW_DAYS)
    return Thresholds(int(window), **overrides)


#: Token algorithms the service verifies.  HMAC (a shared secret) and public-key ones are
#: never allowed together: a public key must not be usable as an HMAC secret.
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
PUBLIC_KEY_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")


def _algorithms(raw: str, *, jwks: bool) -> str:
    """``AUTH_JWT_ALGORITHM``: one algorithm or a comma list of public-key ones."""
    names = [a.strip() for a in raw.split(",") if a.strip()]
    if not names or set(names) - {*HMAC_ALGORITHMS, *PUBLIC_KEY_ALGORITHMS}:
        raise ConfigError(
            f"AUTH_JWT_ALGORITHM must be among {HMAC_ALGORITHMS + PUBLIC_KEY_ALGORITHMS}"
        )
    hmac_names = set(names) & set(HMAC_ALGORITHMS)
    if hmac_names and (len(names) > 1 or jwks):
        raise ConfigError("an HMAC algorithm (HS256) is configured alone, without AUTH_JWKS_URL")
    return ",".join(names)


def _cursor_secret(
    env: Mapping[str, str], stage: str, algorithm: str, jwt_key: str, from_parameter: bool
) -> str:
    """``CURSOR_SECRET``; else derived from the token key only when that key is a secret
    (an HMAC algorithm's shared secret) — never from an RS256/ES256 public key, which anyone
    may know.  Without either, only the dev stage falls back to a documented key.
    Empty when ``CURSOR_SECRET_PARAMETER`` names it (read by the request)."""
    explicit = env.get("CURSOR_SECRET")
    if explicit:
        return explicit
    if env.get("CURSOR_SECRET_PARAMETER"):
        return ""
    if jwt_key == DEV_JWT_SECRET:
        return DEV_CURSOR_SECRET
    if algorithm.upper().startswith("HS") and jwt_key:
        return hmac.new(
            jwt_key.encode(), b"seller-report-center cursor", hashlib.sha256
        ).hexdigest()
    if stage != "dev":
        why = "is a parameter" if from_parameter else f"{algorithm} verifies with a public key"
        raise ConfigError(f"the token key {why}: set CURSOR_SECRET_PARAMETER (or CURSOR_SECRET)")
    return DEV_CURSOR_SECRET


def get_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment) at call time."""
    env = os.environ if env is None else env
    stage = env.get("STAGE", "dev")
    jwks_url = env.get("AUTH_JWKS_URL") or None
    jwt_parameter = env.get("AUTH_JWT_SECRET_PARAMETER") or None
    algorithm = _algorithms(env.get("AUTH_JWT_ALGORITHM") or "HS256", jwks=jwks_url is not None)
    # AUTH_JWT_KEY is the verification key (an HS256 secret or, for RS256/ES256, a PEM
    # public key).  AUTH_JWT_SECRET is the design's name for the HS256 secret; deployed
    # stages name an SSM parameter holding it instead (AUTH_JWT_SECRET_PARAMETER), or give
    # a JWKS URL (AUTH_JWKS_URL).
    literal_key = env.get("AUTH_JWT_KEY") or env.get("AUTH_JWT_SECRET")
    public_key = not algorithm.startswith("HS")
    if jwt_parameter and (public_key or jwks_url or literal_key):
        raise ConfigError("AUTH_JWT_SECRET_PARAMETER holds an HS256 secret: give no other key")
    if public_key and not (jwks_url or literal_key):
        raise ConfigError(f"{algorithm} needs AUTH_JWT_KEY (a PEM public key) or AUTH_JWKS_URL")
    if jwks_url and (literal_key or (not jwks_url.startswith("https://") and stage != "dev")):
        raise ConfigError("AUTH_JWKS_URL is an https:// URL, given without AUTH_JWT_KEY")
    jwt_key = "" if jwt_parameter or jwks_url else literal_key or DEV_JWT_SECRET
    if stage == "prod" and jwt_key == DEV_JWT_SECRET:
        raise ConfigError(
            "prod stage requires AUTH_JWT_SECRET_PARAMETER, AUTH_JWKS_URL or AUTH_JWT_KEY"
        )
    if stage == "prod" and not env.get("COMPLAINT_EVENTS_TOPIC_ARN"):
        raise ConfigError("prod stage requires COMPLAINT_EVENTS_TOPIC_ARN")
    if stage != "dev" and not env.get("SWEEP_QUEUE_URL"):
        # without its workers one run decides 200 complaints: a burst would breach 48 h
        raise ConfigError(f"the {stage} stage requires SWEEP_QUEUE_URL (the sweep's fan-out)")
    cursor_secret = _cursor_secret(env, stage, algorithm, jwt_key, jwt_parameter is not None)
    dev_sign_in = stage == "dev" and env.get("DEV_SIGN_IN") == "1"
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
        decision_hours=_int(env, "DECISION_HOURS", DECISION_HOURS),
        listing_months=_int(env, "LISTING_MONTHS", 6),
        event_marker_days=_int(env, "EVENT_MARKER_DAYS", 30),
        retention_days=_int(env, "RETENTION_DAYS", 730),
        escalation_hours=_int(env, "ESCALATION_HOURS", ESCALATION_HOURS),
        sla_margin_minutes=_int(env, "SLA_MARGIN_MINUTES", SLA_MARGIN_MINUTES),
        due_shards=_int(env, "DUE_SHARDS", 4),
        sweep_batch=_int(env, "SWEEP_BATCH", 200),
        events_topic_arn=env.get("COMPLAINT_EVENTS_TOPIC_ARN") or None,
        sweep_queue_url=env.get("SWEEP_QUEUE_URL") or None,
        thresholds=_thresholds(env.get("RULE_THRESHOLDS")),
        exemption_due_hours=_int(env, "EXEMPTION_DUE_HOURS", EXEMPTION_DUE_HOURS),
        exemption_alert_hours=_int(env, "EXEMPTION_ALERT_HOURS", EXEMPTION_ALERT_HOURS),
        cleaning_period_days=_int(env, "CLEANING_PERIOD_DAYS", CLEANING_PERIOD_DAYS),
        files_bucket=env.get("FILES_BUCKET", f"seller-report-center-{stage}-files"),
        attachment_max_bytes=_int(env, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        files_endpoint=env.get("AWS_ENDPOINT_URL_S3") or None,
        appeal_days=_int(env, "APPEAL_DAYS", APPEAL_DAYS),
        dev_sign_in=dev_sign_in,
        sign_in_url=env.get("SIGN_IN_URL", ""),
        jwks_url=jwks_url,
        jwt_secret_parameter=jwt_parameter,
        cursor_secret_parameter=env.get("CURSOR_SECRET_PARAMETER") or None,
        secrets_cache_seconds=_int(env, "SECRETS_CACHE_SECONDS", 300),
        secrets_rotation_grace_seconds=_int(env, "SECRETS_ROTATION_GRACE_SECONDS", 3600),
        jwks_cache_seconds=_int(env, "AUTH_JWKS_CACHE_SECONDS", 600),
        dev_events_file=(env.get("DEV_EVENTS_FILE") or None) if dev_sign_in else None,
    )
