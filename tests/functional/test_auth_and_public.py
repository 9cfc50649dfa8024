from datetime import timedelta
from typing import Any

import jwt
import pytest

from chalicelib.config import DEV_JWT_SECRET
from tests.functional.conftest import Api

SELLER_ROUTES = [
    ("GET", "/scenarios"),
    ("POST", "/complaints"),
    ("GET", "/complaints"),
    ("GET", "/complaints/c_x"),
]
SYSTEM_ROUTES = [("POST", "/platform/events")]


def test_health_needs_no_token(api: Api) -> None:
    reply = api.call("GET", "/health", seller=None)
    assert (reply.status, reply.body) == (200, {"status": "ok"})


def test_scenario_catalogue(api: Api) -> None:
    body = api.call("GET", "/scenarios").body
    assert [s["code"] for s in body["items"]] == [
        "malicious_ordering",
        "malicious_review",
        "malicious_dispute",
        "malicious_harassment",
        "non_fulfillment_protection",
    ]
    assert body["items"][4]["sub_reasons"][0]["name"]["zh"] == "买家地址无效或不完整"
    assert body["reasons"]["no_dispute"]["en"] == "The order has no dispute"
    # which reasons belong to which scenario (and sub-reason)
    ordering, protection = body["items"][0], body["items"][4]
    assert ordering["decision_reasons"] == {
        "upheld": ["malicious_ordering_confirmed", "complaint_upheld"],
        "rejected": ["not_malicious_competition", "insufficient_evidence"],
    }
    address, custom = protection["sub_reasons"]
    assert "address_valid" in address["decision_reasons"]["rejected"]
    assert "address_valid" not in custom["decision_reasons"]["rejected"]
    assert "buyer_responded" in custom["decision_reasons"]["rejected"]
    for scenario in body["items"]:
        for codes in scenario["decision_reasons"].values():
            assert all(code in body["reasons"] for code in codes)


def _bad_tokens(tokens: Any) -> dict[str, str | None]:
    return {
        "missing_token": None,
        "malformed_token": "Token abc",
        "invalid_token": "Bearer abc.def.ghi",
        "token_expired": "Bearer " + tokens("s-1", ttl=timedelta(seconds=-5)),
        "wrong_signature": "Bearer "
        + jwt.encode(
            {"sub": "s-1", "role": "seller", "exp": 2**40},
            "not-" + DEV_JWT_SECRET,
            algorithm="HS256",
        ),
    }


@pytest.mark.parametrize(("method", "path"), SELLER_ROUTES + SYSTEM_ROUTES)
def test_every_protected_route_refuses_bad_tokens_with_401(
    api: Api, tokens: Any, method: str, path: str
) -> None:
    for case, header in _bad_tokens(tokens).items():
        reply = api.call(
            method, path, {"x": 1}, seller=None, headers={"Authorization": header} if header else {}
        )
        assert reply.status == 401, case
        assert reply.body["error"]["code"] in {
            "missing_token",
            "malformed_token",
            "invalid_token",
            "token_expired",
        }
        assert "Bearer" in reply.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("method", "path"), SELLER_ROUTES)
def test_seller_routes_refuse_other_roles_with_403(api: Api, method: str, path: str) -> None:
    roles = ["system"] if path == "/scenarios" else ["operator", "system"]
    for role in roles:
        reply = api.call(method, path, {"x": 1}, seller="someone", role=role)
        assert reply.status == 403
        assert reply.body["error"]["code"] == "wrong_role"


def test_platform_events_refuse_sellers_and_operators(api: Api) -> None:
    for role in ("seller", "operator"):
        reply = api.call("POST", "/platform/events", {"events": []}, role=role)
        assert reply.status == 403


def test_auth_is_checked_before_the_content_type(api: Api) -> None:
    reply = api.call(
        "POST", "/complaints", raw="x", seller=None, headers={"Content-Type": "text/plain"}
    )
    assert reply.status == 401


def test_chalice_refusals_use_the_same_error_shape(api: Api) -> None:
    reply = api.call("POST", "/complaints", raw="x", headers={"Content-Type": "text/plain"})
    assert reply.status == 415
    assert reply.body["error"]["code"] == "unsupported_media_type"


def test_an_authenticated_request_reads_its_configuration_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The middleware reads the settings to verify the token; the handler uses the same."""
    import sys

    from chalicelib.config import get_settings

    reads: list[object] = []

    def counted() -> object:
        reads.append(1)
        return get_settings()

    for name, module in list(sys.modules.items()):  # wherever a route module imported it
        if name.startswith("chalicelib.api") and hasattr(module, "get_settings"):
            monkeypatch.setattr(module, "get_settings", counted)
    for method, path in [("GET", "/complaints"), ("GET", "/metrics"), ("GET", "/scenarios")]:
        reads.clear()
        assert api.call(method, path).status == 200
        assert len(reads) == 1, path


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/metrics?seller_id=s-2&foo=bar", "seller"),
        ("/scenarios?x=1", "seller"),
        ("/complaints/c_x?expand=all", "seller"),
        ("/health?probe=1", "seller"),
    ],
)
def test_a_route_without_query_parameters_refuses_them(api: Api, path: str, role: str) -> None:
    """As routes with a query model refuse unknown ones (black-box finding)."""
    reply = api.call("GET", path, role=role)
    assert reply.status == 400
    assert reply.body["error"]["details"]["parameters"]
    no_token = api.call("GET", path, seller=None).status
    assert no_token == (400 if path.startswith("/health") else 401)  # the token comes first
