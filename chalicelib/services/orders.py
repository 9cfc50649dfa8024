"""The seller's recent orders, for the filing form (``GET /orders``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.services.ports import OrderPage, SellerOrders

#: Orders placed within this many days before now are listed (older ones can still be
#: asked about and filed on by id).
ORDER_LIST_DAYS = 90


def list_orders(
    orders: SellerOrders,
    *,
    seller_id: str,
    now: datetime,
    limit: int,
    after_key: str | None,
) -> OrderPage:
    """The seller's orders placed in the last ``ORDER_LIST_DAYS`` days, newest first: one
    Query of the sparse ``seller_orders`` index per page, whatever the seller's volume."""
    return orders.orders_for_seller(
        seller_id,
        since=now - timedelta(days=ORDER_LIST_DAYS),
        until=now,
        limit=limit,
        after_key=after_key,
    )
