"""The seller's service metrics."""

from typing import Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.api.http import endpoint, principal, request_settings
from chalicelib.services.metrics import seller_metrics

bp = Blueprint(__name__)


@bp.route("/metrics", methods=["GET"])
@endpoint("seller", response="MetricsOut")
def metrics() -> dict[str, Any]:
    """The seller's service metrics, raw and after exemptions, and the exemptions applied."""
    seller_id = principal(bp.current_request).subject
    settings = request_settings(bp.current_request)
    return seller_metrics(
        Adapters.from_settings(settings).metrics, seller_id, clock.now(), settings.listing_months
    )
