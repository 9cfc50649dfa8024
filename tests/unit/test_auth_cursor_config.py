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
        {"STAGE": "prod", "AUTH_JWT_SECRET": "x", "COMPLAINT_EVENTS_TOPIC_ARN": "arn:t"}
    )
    assert prod.cursor_secret != "x"
    assert (
        get_settings(
            {"RULE_THRESHOLDS": '{"ordering_min_orders": 7}'}
        ).thresholds.ordering_min_orders
        == 7
    )
    for bad in ('{"nope": 1}', "[1]", '{"ordering_min_orders": -1}', "{"):
        with pytest.raises(ConfigError):
            get_settings({"RULE_THRESHOLDS": bad})
