"""Liveness and the scenario catalogue."""

from chalice import Blueprint

from chalicelib.api.http import endpoint
from chalicelib.domain.reasons import REASONS
from chalicelib.domain.scenarios import CATALOGUE

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
@endpoint()
def health() -> dict[str, str]:
    return {"status": "ok"}


@bp.route("/scenarios", methods=["GET"])
@endpoint("seller", "operator")
def scenarios() -> dict[str, object]:
    return {
        "items": [scenario.as_dict() for scenario in CATALOGUE],
        "reasons": {code: text.as_dict() for code, text in REASONS.items()},
    }
