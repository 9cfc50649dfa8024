"""The identity provider's public keys (a JWKS URL), cached per container, with rotation.

* The key set is fetched on first use and again once it is ``max_age`` old
  (``AUTH_JWKS_CACHE_SECONDS``, ten minutes): a key the provider removed is refused from
  the next refresh on.
* A token naming a ``kid`` the cache does not hold makes the cache fetch the set again —
  at most once every ``REFETCH_SECONDS`` (a minute), however many such tokens come: the
  provider's new key is accepted as soon as it is published (within a minute), and a flood
  of tokens with made-up ``kid``s costs one fetch a minute, not one a token.
* A key is chosen by ``kid`` *and* algorithm: the JWK's ``alg`` (or, without one, the
  algorithm its type implies: RSA → RS256, EC P-256 → ES256) must be the token's.
* A failed fetch keeps the keys already known; with none known it is ``StorageUnavailable``
  (503): the service cannot verify anyone until the provider answers.

PyJWT (and with it ``cryptography``) is imported on the first fetch, never with the module.
``now`` is epoch seconds, passed in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from typing import Any, NamedTuple

from chalicelib.domain.errors import StorageUnavailable
from chalicelib.services.ports import KeySetSource

log = logging.getLogger(__name__)

#: Least seconds between two fetches of the key set (an unknown ``kid``, a failed refresh).
REFETCH_SECONDS = 60.0
#: Key types kept: public keys only (a symmetric ``oct`` key in a public set is no secret).
PUBLIC_KEY_TYPES = ("RSA", "EC")


class SigningKey(NamedTuple):
    kid: str | None
    algorithm: str
    #: the key object PyJWT verifies with
    key: Any
    #: identifies the key material (a digest of its JWK): tokens verified under it are
    #: remembered under it, never under a key that replaced it
    fingerprint: str


def _parse(document: dict[str, Any]) -> dict[str | None, SigningKey]:
    """The set's public signature keys PyJWT can use, by ``kid``; the others are left out."""
    import jwt

    keys: dict[str | None, SigningKey] = {}
    for data in document.get("keys", []):
        if (
            not isinstance(data, dict)
            or data.get("use", "sig") != "sig"
            or data.get("kty") not in PUBLIC_KEY_TYPES
        ):
            continue
        try:
            jwk = jwt.PyJWK(data)
        except jwt.PyJWTError as exc:  # an unknown key type or curve, a broken key
            log.warning("signing key %r left out: %s", data.get("kid"), exc)
            continue
        kid = data.get("kid") if isinstance(data.get("kid"), str) else None
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        keys[kid] = SigningKey(kid, jwk.algorithm_name, jwk.key, digest)
    return keys


class SigningKeys:
    """One JWKS URL's keys, as last fetched."""

    def __init__(self, source: KeySetSource, url: str, *, max_age: float) -> None:
        self._source = source
        self._url = url
        self._max_age = max_age
        self._keys: dict[str | None, SigningKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None, algorithm: str, now: float) -> SigningKey | None:
        """The key a token with this ``kid`` and ``alg`` header is verified with; None
        when the set holds no such key (after a fetch, if one is allowed now)."""
        with self._lock:
            fresh = self._fetched_at is not None and 0 <= now - self._fetched_at < self._max_age
            if not fresh and self._may_fetch(now):
                self._fetch(now)
            found = self._keys.get(kid)
            if found is None and self._may_fetch(now):
                self._fetch(now)
                found = self._keys.get(kid)
            if found is None and self._fetched_at is None:
                raise StorageUnavailable("the identity provider's signing keys are unavailable")
        return found if found is not None and found.algorithm == algorithm else None

    def _may_fetch(self, now: float) -> bool:
        last = self._attempted_at
        return last is None or not 0 <= now - last < REFETCH_SECONDS

    def _fetch(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = self._source.fetch(self._url)
        except StorageUnavailable as exc:
            if self._fetched_at is None:
                raise
            log.warning("signing keys not refreshed, keeping the known ones: %s", exc)
            return
        self._keys = _parse(document)
        self._fetched_at = now
