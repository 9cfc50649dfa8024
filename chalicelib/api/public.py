"""Liveness and the scenario catalogue."""

from chalice import Blueprint

from chalicelib.api.http import endpoint
from chalicelib.domain.reasons import REASONS
from chalicelib.domain.rules import decision_reasons
from chalicelib.domain.scenarios import CATALOGUE, Scenario

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
@endpoint(response="HealthOut")
def health() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}


@bp.route("/openapi.json", methods=["GET"])
@endpoint(response="OpenApiOut")
def openapi() -> dict[str, object]:
    """This API's OpenAPI 3.1 description."""
    from chalicelib.api.openapi import build_document  # pydantic's JSON schema: on first use

    return build_document(bp.current_app)


@bp.route("/scenarios", methods=["GET"])
@endpoint("seller", "operator", response="CatalogueOut")
def scenarios() -> dict[str, object]:
    """The scenario catalogue and the reason texts, in 中文 and English."""
    return {
        "items": [_scenario_view(scenario) for scenario in CATALOGUE],
        "reasons": {code: text.as_dict() for code, text in REASONS.items()},
    }


def _scenario_view(scenario: Scenario) -> dict[str, object]:
    """A catalogue entry with the reason codes a decision of it (and of each sub-reason)
    may give."""
    view = scenario.as_dict()
    view["decision_reasons"] = _lists(decision_reasons(scenario.code))
    for sub_reason in view["sub_reasons"]:
        sub_reason["decision_reasons"] = _lists(decision_reasons(scenario.code, sub_reason["code"]))
    return view


def _lists(reasons: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {outcome: list(codes) for outcome, codes in reasons.items()}
