"""Seller routes for the filing form: the seller's recent orders, and which scenarios one
of them may be filed in."""

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.api.cursor import cursor_for, position_of
from chalicelib.api.http import endpoint, principal, query, request_settings
from chalicelib.api.views import eligibility_view, order_view
from chalicelib.services.eligibility import order_eligibility
from chalicelib.services.orders import list_orders

if TYPE_CHECKING:
    from chalicelib.api.schemas import PageQuery

bp = Blueprint(__name__)
#: What an order list cursor is bound to besides the seller: a complaint list's cursor is
#: refused here, and the reverse.
ORDERS_CURSOR_SCOPE = {"list": "orders"}


@bp.route("/orders", methods=["GET"])
@endpoint("seller", query="PageQuery", response="OrderPageOut")
def orders() -> dict[str, Any]:
    request = bp.current_request
    params: PageQuery = query(request)
    seller_id = principal(request).subject
    settings = request_settings(request)
    after_key = position_of(
        settings.cursor_secrets, params.cursor, owner=seller_id, query=ORDERS_CURSOR_SCOPE
    )
    page = list_orders(
        Adapters.from_settings(settings).facts,
        seller_id=seller_id,
        now=clock.now(),
        limit=params.limit,
        after_key=after_key,
    )
    next_cursor = cursor_for(
        settings.cursor_secret, page.last_key, owner=seller_id, query=ORDERS_CURSOR_SCOPE
    )
    return {"items": [order_view(o) for o in page.items], "next_cursor": next_cursor}


@bp.route("/orders/{order_id}/eligibility", methods=["GET"])
@endpoint("seller", response="OrderEligibilityOut", errors=(404,))
def eligibility(order_id: str) -> dict[str, Any]:
    request = bp.current_request
    adapters = Adapters.from_settings(request_settings(request))
    order, answers = order_eligibility(
        adapters.facts,
        adapters.complaints,
        seller_id=principal(request).subject,
        order_id=order_id,
    )
    return eligibility_view(order, answers)
