from datetime import UTC, datetime, timedelta

import jwt
import pytest

from chalicelib.api.auth import mint_token, require_role, verify_bearer
from chalicelib.api.cursor import decode_cursor, encode_cursor
from chalicelib.api.errors import Forbidden, Unauthenticated
from chalicelib.config import DEV_JWT_SECRET, ConfigError, get_settings
from chalicelib.domain.errors import InvalidRequest

SETTINGS = get_settings({})
LATER = datetime.now(UTC) + timedelta(hours=1)


def _token(**claims: object) -> str:
    base: dict[str, object] = {"sub": "s-1", "role": "seller", "exp": int(LATER.timestamp())}
    base.update(claims)
    return jwt.encode(
        {k: v for k, v in base.items() if v is not None}, DEV_JWT_SECRET, algorithm="HS256"
    )


def test_a_valid_token_yields_the_principal() -> None:
    token = mint_token(SETTINGS, subject="s-9", role="operator", expires_at=LATER)
    principal = verify_bearer(f"Bearer {token}", SETTINGS)
    assert (principal.subject, principal.role) == ("s-9", "operator")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_token"),
        ("", "missing_token"),
        ("Basic abc", "malformed_token"),
        ("Bearer ", "malformed_token"),
        ("Bearer not-a-jwt", "invalid_token"),
        (
            f"Bearer {_token(exp=int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()))}",
            "token_expired",
        ),
        (
            f"Bearer {_token(nbf=int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))}",
            "token_not_yet_valid",
        ),
        (f"Bearer {_token(sub=None)}", "invalid_token"),
        (f"Bearer {_token(role=None)}", "invalid_token"),
        (f"Bearer {_token(exp=None)}", "invalid_token"),
        (
            "Bearer "
            + jwt.encode(
                {"sub": "s-1", "role": "seller", "exp": int(LATER.timestamp())},
                "another-secret-of-enough-length-xxxxxxxx",
                algorithm="HS256",
            ),
            "invalid_token",
        ),
        (
            "Bearer "
            + jwt.encode(
                {"sub": "s-1", "role": "seller", "exp": int(LATER.timestamp())},
                None,
                algorithm="none",
            ),
            "invalid_token",
        ),
    ],
)
def test_bad_tokens_are_unauthenticated(header: str | None, code: str) -> None:
    with pytest.raises(Unauthenticated) as err:
        verify_bearer(header, SETTINGS)
    assert err.value.code == code


def test_roles_are_enforced() -> None:
    with pytest.raises(Forbidden):
        verify_bearer(f"Bearer {_token(role='admin')}", SETTINGS)
    principal = verify_bearer(f"Bearer {_token()}", SETTINGS)
    require_role(principal, ("seller",))
    with pytest.raises(Forbidden):
        require_role(principal, ("operator",))


def test_a_verified_token_is_not_verified_again_but_its_period_is_checked_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exp, starts = int(LATER.timestamp()), int(LATER.timestamp()) - 600
    header = f"Bearer {_token(exp=exp, nbf=starts, sub='s-cache')}"
    signatures: list[str] = []
    real_decode = jwt.decode
    monkeypatch.setattr(
        jwt, "decode", lambda t, *a, **k: signatures.append(t) or real_decode(t, *a, **k)
    )

    with pytest.raises(Unauthenticated) as early:
        verify_bearer(header, SETTINGS, now=starts - 1)
    assert early.value.code == "token_not_yet_valid"
    assert verify_bearer(header, SETTINGS, now=starts).subject == "s-cache"
    assert verify_bearer(header, SETTINGS, now=exp - 1).subject == "s-cache"
    for later in (exp, exp + 3600):
        with pytest.raises(Unauthenticated) as late:
            verify_bearer(header, SETTINGS, now=later)
        assert late.value.code == "token_expired"
    assert len(signatures) == 1  # one signature check for five uses


def test_a_token_verified_under_one_key_is_not_accepted_under_another() -> None:
    header = f"Bearer {_token(sub='s-rotated')}"
    assert verify_bearer(header, SETTINGS).subject == "s-rotated"
    rotated = get_settings({"AUTH_JWT_KEY": "a-new-key-after-rotation-of-enough-length"})
    with pytest.raises(Unauthenticated) as err:
        verify_bearer(header, rotated)
    assert err.value.code == "invalid_token"


def test_a_future_issue_time_is_not_yet_valid_and_times_must_be_numbers() -> None:
    issued = int(LATER.timestamp()) - 60
    with pytest.raises(Unauthenticated) as err:
        verify_bearer(f"Bearer {_token(iat=issued)}", SETTINGS, now=issued - 1)
    assert err.value.code == "token_not_yet_valid"
    for claims in ({"exp": "tomorrow"}, {"nbf": True}, {"iat": "now"}):
        with pytest.raises(Unauthenticated) as bad:
            verify_bearer(f"Bearer {_token(**claims)}", SETTINGS)
        assert bad.value.code == "invalid_token", claims


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.api import auth

    monkeypatch.setattr(auth, "_VERIFIED", {})
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 3)
    signatures: list[str] = []
    real_decode = jwt.decode
    monkeypatch.setattr(
        jwt, "decode", lambda t, *a, **k: signatures.append(t) or real_decode(t, *a, **k)
    )
    headers = [f"Bearer {_token(sub=f's-{i}')}" for i in range(5)]
    for header in headers:
        verify_bearer(header, SETTINGS)
    assert len(auth._VERIFIED) == 3
    verify_bearer(headers[-1], SETTINGS)  # still remembered
    verify_bearer(headers[0], SETTINGS)  # forgotten: verified again
    assert len(signatures) == 6


def test_cursor_round_trips_only_for_its_owner_and_query() -> None:
    cursor = encode_cursor("k", owner="s-1", query={"status": None}, position="p#1")
    assert decode_cursor("k", cursor, owner="s-1", query={"status": None}) == "p#1"
    for kwargs in (
        {"owner": "s-2", "query": {"status": None}},
        {"owner": "s-1", "query": {"status": "pending"}},
    ):
        with pytest.raises(InvalidRequest):
            decode_cursor("k", cursor, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        decode_cursor("other-key", cursor, owner="s-1", query={"status": None})
    payload, signature = cursor.split(".")
    for forged in (payload[:-2] + "AA." + signature, "garbage", "a.b.c", "", "."):
        with pytest.raises(InvalidRequest):
            decode_cursor("k", forged, owner="s-1", query={"status": None})


def test_settings_are_read_when_asked_and_prod_needs_its_own_key() -> None:
    assert get_settings({"STAGE": "dev"}).jwt_key == DEV_JWT_SECRET
    assert get_settings({"AUTH_JWT_SECRET": "s3cret"}).jwt_key == "s3cret"
    assert get_settings({"COMPLAINTS_TABLE": "t"}).complaints_table == "t"
    with pytest.raises(ConfigError):
        get_settings({"STAGE": "prod"})
    with pytest.raises(ConfigError):
        get_settings({"MAX_BODY_BYTES": "lots"})
    with pytest.raises(ConfigError):
        get_settings({"STAGE": "prod", "AUTH_JWT_SECRET": "x"})  # no events topic
    prod = get_settings(
        {
            "STAGE": "prod",
            "AUTH_JWT_SECRET": "x",
            "COMPLAINT_EVENTS_TOPIC_ARN": "arn:t",
            "SWEEP_QUEUE_URL": "https://sqs/q",
        }
    )
    assert prod.cursor_secret != "x"
    assert (
        get_settings({"RULE_THRESHOLDS": '{"ordering_min_orders": 7}'}).thresholds[
            "ordering_min_orders"
        ]
        == 7
    )
    for bad in ('{"nope": 1}', "[1]", '{"ordering_min_orders": -1}', "{"):
        with pytest.raises(ConfigError):
            get_settings({"RULE_THRESHOLDS": bad})


def test_remembering_tokens_is_safe_from_several_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """``chalice local`` serves each request on its own thread."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.api import auth

    monkeypatch.setattr(auth, "_VERIFIED", {})
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 5)
    headers = [f"Bearer {_token(sub=f's-{i}')}" for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        subjects = list(pool.map(lambda h: verify_bearer(h, SETTINGS).subject, headers))
    assert subjects == [f"s-{i}" for i in range(200)]
    assert len(auth._VERIFIED) <= 5 + 8  # each thread may add one past the bound at once


def _signed(payload_json: str) -> str:
    """An HS256 token whose payload is exactly ``payload_json`` (numbers JSON encoders
    would not write: ``NaN``, ``Infinity``, ``1e400``, ``2**1024``)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{header}.{b64(payload_json.encode())}"
    signature = hmac.new(DEV_JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.mark.parametrize(
    "times",
    [
        '"exp": NaN',
        '"exp": Infinity',
        '"exp": -Infinity',
        '"exp": 1e400',
        f'"exp": {2**1024}',
        f'"exp": {2**64}',
        '"exp": 253402300800',  # 10000-01-01
        '"exp": -1',
        f'"exp": 4102444800, "nbf": {2**1024}',
        '"exp": 4102444800, "nbf": NaN',
        '"exp": 4102444800, "iat": 1e400',
    ],
)
def test_times_that_are_not_finite_or_out_of_range_are_refused(times: str) -> None:
    """No token "never expires", and no time claim overflows into a 500 (issue 12.11)."""
    token = _signed(f'{{"sub": "s-1", "role": "seller", {times}}}')
    with pytest.raises(Unauthenticated) as err:
        verify_bearer(f"Bearer {token}", SETTINGS)
    assert err.value.code == "invalid_token"


def test_a_far_but_real_expiry_is_still_accepted() -> None:
    token = _signed('{"sub": "s-1", "role": "seller", "exp": 253402300799}')  # 9999-12-31
    assert verify_bearer(f"Bearer {token}", SETTINGS).subject == "s-1"


RS256_PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg...\n-----END PUBLIC KEY-----"


def test_every_deployed_stage_requires_the_sweep_queue() -> None:
    """Issue 16: without its workers one sweep run decides ``SWEEP_BATCH`` complaints, and
    a burst breaches 48 h — so only the dev stage may run without the fan-out queue."""
    deployed = {"AUTH_JWT_SECRET": "x", "COMPLAINT_EVENTS_TOPIC_ARN": "arn:t"}
    for stage in ("prod", "staging"):
        with pytest.raises(ConfigError, match="SWEEP_QUEUE_URL"):
            get_settings({**deployed, "STAGE": stage})
        queue = get_settings({**deployed, "STAGE": stage, "SWEEP_QUEUE_URL": "https://sqs/q"})
        assert queue.sweep_queue_url == "https://sqs/q"
    assert get_settings({"STAGE": "dev"}).sweep_queue_url is None


def test_the_cursor_key_is_never_derived_from_a_public_key() -> None:
    """Issue 12.14: with RS256 the verification key is public, so a cursor key derived from
    it could be recomputed by anyone; outside dev, CURSOR_SECRET is required."""
    prod = {
        "STAGE": "prod",
        "AUTH_JWT_KEY": RS256_PUBLIC_KEY,
        "AUTH_JWT_ALGORITHM": "RS256",
        "COMPLAINT_EVENTS_TOPIC_ARN": "arn:t",
        "SWEEP_QUEUE_URL": "https://sqs/q",
    }
    with pytest.raises(ConfigError, match="CURSOR_SECRET"):
        get_settings(prod)
    assert get_settings({**prod, "CURSOR_SECRET": "c-secret"}).cursor_secret == "c-secret"
    dev = get_settings({**prod, "STAGE": "dev"}).cursor_secret
    assert RS256_PUBLIC_KEY not in dev and dev != "cursor:" + RS256_PUBLIC_KEY
    # an HMAC secret is secret: a key derived from it (one-way) is allowed, not the secret
    hs = get_settings({**prod, "AUTH_JWT_KEY": "hs-secret", "AUTH_JWT_ALGORITHM": "HS256"})
    assert "hs-secret" not in hs.cursor_secret and len(hs.cursor_secret) == 64
