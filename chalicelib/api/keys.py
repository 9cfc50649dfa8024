"""The secrets and signing keys requests use, kept per container (a warm Lambda reuses
them; ``chalice local`` shares them between its request threads).

* ``resolved(settings)``: the settings with the secrets their SSM parameters name
  (``CURSOR_SECRET_PARAMETER``, ``AUTH_JWT_SECRET_PARAMETER``) read through
  ``services.secrets.SecretCache``; without parameters (development) they are unchanged
  and nothing is read.
* ``signing_key(settings, kid, alg, now)``: the ``AUTH_JWKS_URL`` key a token names,
  through ``services.signing_keys.SigningKeys``.
"""

from __future__ import annotations

import threading
from datetime import datetime

from chalicelib import clock
from chalicelib.adapters.wiring import key_set_source, secret_store
from chalicelib.config import Settings
from chalicelib.services.secrets import SecretCache, with_secrets
from chalicelib.services.signing_keys import SigningKey, SigningKeys

_LOCK = threading.Lock()
#: by region, and by (JWKS URL, cache period): a handful at most in one container
_SECRETS: dict[str, SecretCache] = {}
_KEY_SETS: dict[tuple[str, int], SigningKeys] = {}


def resolved(settings: Settings, now: datetime | None = None) -> Settings:
    if not (settings.cursor_secret_parameter or settings.jwt_secret_parameter):
        return settings
    with _LOCK:
        cache = _SECRETS.get(settings.region)
        if cache is None:
            cache = _SECRETS[settings.region] = SecretCache(secret_store(settings.region))
    return with_secrets(settings, cache, clock.now() if now is None else now)


def signing_key(
    settings: Settings, kid: str | None, algorithm: str, now: float
) -> SigningKey | None:
    url = settings.jwks_url
    if url is None:
        raise RuntimeError("no AUTH_JWKS_URL configured")
    with _LOCK:
        keys = _KEY_SETS.get((url, settings.jwks_cache_seconds))
        if keys is None:
            keys = _KEY_SETS[(url, settings.jwks_cache_seconds)] = SigningKeys(
                key_set_source(), url, max_age=settings.jwks_cache_seconds
            )
    return keys.key(kid, algorithm, now)


def forget() -> None:
    """Drop every cached secret and key set (tests start each from an empty container)."""
    with _LOCK:
        _SECRETS.clear()
        _KEY_SETS.clear()
