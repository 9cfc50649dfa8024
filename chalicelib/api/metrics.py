"""The seller's service metrics, and their exemption log page by page."""

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.api.cursor import cursor_for, position_of
from chalicelib.api.http import endpoint, principal, query, request_settings
from chalicelib.services.metrics import exemption_log, seller_metrics

if TYPE_CHECKING:
    from chalicelib.api.schemas import PageQuery

bp = Blueprint(__name__)

#: What an exemption log cursor is bound to (besides its seller): not a list's filters.
LOG_CURSOR = {"list": "exemptions"}


@bp.route("/metrics", methods=["GET"])
@endpoint("seller", response="MetricsOut")
def metrics() -> dict[str, Any]:
    """The seller's service metrics, raw and after exemptions, and the newest exemptions
    applied (``exemptions_next_cursor``: the rest, from ``GET /metrics/exemptions``)."""
    seller_id = principal(bp.current_request).subject
    settings = request_settings(bp.current_request)
    body = seller_metrics(
        Adapters.from_settings(settings).metrics, seller_id, clock.now(), settings.listing_months
    )
    after = body.pop("exemptions_after")
    next_cursor = cursor_for(settings.cursor_secret, after, owner=seller_id, query=LOG_CURSOR)
    return {**body, "exemptions_next_cursor": next_cursor}


@bp.route("/metrics/exemptions", methods=["GET"])
@endpoint("seller", query="PageQuery", response="ExemptionLogPageOut")
def exemptions() -> dict[str, Any]:
    """The seller's exemption log, newest first, a page at a time."""
    request = bp.current_request
    params: PageQuery = query(request)
    seller_id = principal(request).subject
    settings = request_settings(request)
    secret = settings.cursor_secret
    after = position_of(settings.cursor_secrets, params.cursor, owner=seller_id, query=LOG_CURSOR)
    page = exemption_log(
        Adapters.from_settings(settings).metrics,
        seller_id,
        clock.now(),
        settings.listing_months,
        params.limit,
        after,
    )
    next_cursor = cursor_for(secret, page.last_key, owner=seller_id, query=LOG_CURSOR)
    return {"items": page.entries, "next_cursor": next_cursor}
