"""Secrets a request needs (the cursor key, an HS256 token secret), read from their store
once per cache period and kept in the container.

A warm Lambda serves thousands of requests; reading SSM for each would cost a request and
tens of milliseconds each time.  So each secret is read once, kept for ``max_age`` (five
minutes by default, ``SECRETS_CACHE_SECONDS``), then read again: a rotated secret is in use
everywhere within that period, and no container keeps an old one longer.

Rotation: ``put-parameter --overwrite`` makes a new version.  For ``grace`` after the new
version was written (``SECRETS_ROTATION_GRACE_SECONDS``, one hour), the previous version is
accepted as well (read once, with the current one): cursors handed out just before the
rotation still page on, and containers that still sign with the old value (up to
``max_age``) are still understood.  After it, only the current value counts.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import NamedTuple

from chalicelib.config import Settings
from chalicelib.services.ports import SecretStore


class _Entry(NamedTuple):
    value: str
    version: int
    previous: str | None
    previous_until: datetime
    read_at: datetime


class SecretCache:
    """Named secrets as last read, each with the previous value while it is in grace."""

    def __init__(self, store: SecretStore) -> None:
        self._store = store
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def values(
        self, name: str, now: datetime, *, max_age: timedelta, grace: timedelta
    ) -> tuple[str, ...]:
        """The current value first, then the previous one while it is still accepted."""
        with self._lock:  # one read per secret and period, however many threads ask
            entry = self._entries.get(name)
            if entry is None or not entry.read_at <= now < entry.read_at + max_age:
                entry = self._read(name, now, grace, entry)
                self._entries[name] = entry
        if entry.previous is not None and now < entry.previous_until:
            return (entry.value, entry.previous)
        return (entry.value,)

    def _read(self, name: str, now: datetime, grace: timedelta, known: _Entry | None) -> _Entry:
        """The current version; the previous one too while in grace (read once a version:
        a refresh that finds the same version keeps what it had)."""
        stored = self._store.read(name)
        until = stored.modified_at + grace
        if known is not None and known.version == stored.version:
            previous = known.previous
        elif stored.version > 1 and now < until:
            previous = self._store.read_version(name, stored.version - 1)
        else:
            previous = None
        return _Entry(stored.value, stored.version, previous, until, now)


def with_secrets(settings: Settings, cache: SecretCache, now: datetime) -> Settings:
    """``settings`` with the secrets their parameters name filled in (unchanged when they
    name none: development, and tests, give the values themselves)."""
    max_age = timedelta(seconds=settings.secrets_cache_seconds)
    grace = timedelta(seconds=settings.secrets_rotation_grace_seconds)
    if settings.cursor_secret_parameter:
        cursor, *old = cache.values(
            settings.cursor_secret_parameter, now, max_age=max_age, grace=grace
        )
        settings = settings._replace(cursor_secret=cursor, previous_cursor_secrets=tuple(old))
    if settings.jwt_secret_parameter:
        key, *old = cache.values(settings.jwt_secret_parameter, now, max_age=max_age, grace=grace)
        settings = settings._replace(jwt_key=key, previous_jwt_keys=tuple(old))
    return settings
