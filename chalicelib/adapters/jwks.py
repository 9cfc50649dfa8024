"""The identity provider's signing keys, fetched from its JWKS URL (``AUTH_JWKS_URL``).

Standard library only (``urllib``): one GET with a short timeout and a bounded body, so a
slow or hostile key server holds a request for at most ``timeout`` seconds and cannot make
the function read megabytes.  Any failure — network, status, size, not a key set — is
``StorageUnavailable`` (503 with ``Retry-After`` when no key is known yet); the caller
(``services/signing_keys.py``) caches what it gets and limits how often it asks.
"""

from __future__ import annotations

import http.client
import json
import urllib.request
from typing import Any

from chalicelib.domain.errors import StorageUnavailable

#: Seconds one fetch may take, connecting and reading.
FETCH_TIMEOUT_SECONDS = 2.0
#: Largest key set read (a provider's set of a few keys is a few kilobytes).
MAX_JWKS_BYTES = 256 * 1024


class HttpJwks:
    def __init__(
        self, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_JWKS_BYTES
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes

    def fetch(self, url: str) -> dict[str, Any]:
        """The key set at ``url``: a JSON object with a ``keys`` list."""
        if not url.startswith(("https://", "http://")):
            raise StorageUnavailable(f"a JWKS URL is http(s), not {url!r}")
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(self.max_bytes + 1)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise StorageUnavailable(f"signing keys unavailable: {exc}") from exc
        if len(body) > self.max_bytes:
            raise StorageUnavailable(f"the key set is larger than {self.max_bytes} bytes")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise StorageUnavailable("the key set is not JSON") from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise StorageUnavailable("the key set has no 'keys' list")
        return data
