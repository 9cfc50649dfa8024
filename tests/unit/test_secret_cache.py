"""Secrets read once per container and cache period, rotation honoured (``services/secrets.py``),
on the in-memory SSM fake; time passed in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.config import get_settings
from chalicelib.domain.errors import StorageError
from chalicelib.services.secrets import SecretCache, with_secrets
from tests.builders import T0
from tests.fakes import InMemorySecrets

NAME = "/seller-report-center/dev/cursor-secret"
AGE, GRACE = timedelta(minutes=5), timedelta(hours=1)


def _values(cache: SecretCache, at: timedelta) -> tuple[str, ...]:
    return cache.values(NAME, T0 + at, max_age=AGE, grace=GRACE)


def test_a_secret_is_read_once_per_cache_period() -> None:
    store = InMemorySecrets()
    store.put(NAME, "one", T0 - timedelta(days=30))
    cache = SecretCache(store)
    for seconds in (0, 1, 60, 299):
        assert _values(cache, timedelta(seconds=seconds)) == ("one",)
    assert store.calls["read"] == 1
    assert _values(cache, AGE) == ("one",)
    assert store.calls["read"] == 2
    assert store.calls["read_version"] == 0  # version 1: there is no previous one


def test_a_rotated_secret_is_used_within_the_period_and_the_old_one_kept_for_the_grace() -> None:
    store = InMemorySecrets()
    store.put(NAME, "old", T0 - timedelta(days=30))
    cache = SecretCache(store)
    assert _values(cache, timedelta(0)) == ("old",)
    store.put(NAME, "new", T0 + timedelta(minutes=1))  # rotated
    assert _values(cache, timedelta(minutes=4)) == ("old",)  # still cached
    assert _values(cache, AGE) == ("new", "old")  # picked up, the old one still read
    assert _values(cache, timedelta(minutes=50)) == ("new", "old")
    assert store.calls["read_version"] == 1  # the previous value is read with the current
    # past the grace (counted from the rotation) only the new value is accepted, though
    # the entry read at 5 minutes is still fresh
    assert _values(cache, GRACE + timedelta(minutes=1)) == ("new",)
    assert _values(cache, GRACE + timedelta(minutes=3)) == ("new",)
    assert store.calls["read_version"] == 1  # past the grace, never read again


def test_a_clock_going_back_reads_again_and_a_missing_secret_is_a_storage_error() -> None:
    store = InMemorySecrets()
    store.put(NAME, "one", T0)
    cache = SecretCache(store)
    _values(cache, timedelta(minutes=1))
    _values(cache, timedelta(0))
    assert store.calls["read"] == 2
    with pytest.raises(StorageError):
        cache.values("/missing", T0, max_age=AGE, grace=GRACE)


def test_settings_get_the_named_secrets_and_keep_their_own_otherwise() -> None:
    store = InMemorySecrets()
    store.put(NAME, "cursor-1", T0 - timedelta(days=1))
    store.put(NAME, "cursor-2", T0 - timedelta(minutes=10))
    store.put("/seller-report-center/dev/jwt-secret", "jwt-1", T0 - timedelta(days=1))
    cache = SecretCache(store)
    named = get_settings(
        {
            "CURSOR_SECRET_PARAMETER": NAME,
            "AUTH_JWT_SECRET_PARAMETER": "/seller-report-center/dev/jwt-secret",
        }
    )
    assert (named.cursor_secret, named.jwt_key) == ("", "")  # nothing read by config
    filled = with_secrets(named, cache, T0)
    assert filled.cursor_secrets == ("cursor-2", "cursor-1")
    assert (filled.jwt_key, filled.previous_jwt_keys) == ("jwt-1", ())
    plain = get_settings({})
    assert with_secrets(plain, cache, T0) is plain
    assert store.calls["read"] == 2


def test_deployed_stages_need_a_cursor_parameter_beside_a_token_secret_parameter() -> None:
    from chalicelib.config import ConfigError

    deployed = {
        "STAGE": "prod",
        "COMPLAINT_EVENTS_TOPIC_ARN": "arn:t",
        "SWEEP_QUEUE_URL": "https://sqs/q",
        "AUTH_JWT_SECRET_PARAMETER": "/seller-report-center/prod/jwt-secret",
    }
    with pytest.raises(ConfigError, match="CURSOR_SECRET_PARAMETER"):
        get_settings(deployed)
    with pytest.raises(ConfigError):  # a parameter and a literal key: which one?
        get_settings({**deployed, "AUTH_JWT_SECRET": "x"})
    settings = get_settings(
        {**deployed, "CURSOR_SECRET_PARAMETER": "/seller-report-center/prod/cursor-secret"}
    )
    assert settings.cursor_secret_parameter == "/seller-report-center/prod/cursor-secret"
    assert settings.secrets_cache_seconds == 300
