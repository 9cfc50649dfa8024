"""Liveness and the scenario catalogue."""

from chalice import Blueprint

from chalicelib.api.http import endpoint
from chalicelib.domain.reasons import all_reasons
from chalicelib.domain.scenarios import REGISTRY

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
        "items": [scenario.as_dict() for scenario in REGISTRY],
        "reasons": {code: text.as_dict() for code, text in all_reasons().items()},
    }
