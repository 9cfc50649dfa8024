"""A realistic demo data set for ``make run``, relative to ``now``.

Three sellers; buyers that each rule of docs/product.md would flag and buyers it would not;
orders in every state; complaints pending (some just before and just after the 36 h
escalation point), upheld and rejected.  Loaded through the same services the API and the
queue use, so it is idempotent: loading it twice changes nothing.
"""

from __future__ import annotations

import base64
import itertools
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.wiring import Adapters, files_from_settings
from chalicelib.config import Settings
from chalicelib.domain.complaints import complaint_id_for
from chalicelib.domain.errors import DuplicateComplaint
from chalicelib.domain.timeutil import to_iso
from chalicelib.services.attachments import complete_upload, start_upload
from chalicelib.services.complaints import appeal_complaint, submit_complaint
from chalicelib.services.decisions import decide_by_operator
from chalicelib.services.ingest import ingest_events
from chalicelib.services.recategorisation import recategorise_complaint

DEMO_SELLERS = ("s-demo-1", "s-demo-2", "s-demo-3")
DEMO_OPERATOR = "op-demo"
DEMO_SYSTEM = "platform"

GOOD_ADDRESS = {
    "recipient": "Ana Souza",
    "street": "Rua Augusta 1500",
    "city": "São Paulo",
    "region": "SP",
    "postal_code": "01304-001",
    "country": "BR",
}
BAD_ADDRESS = {
    "recipient": "J",
    "street": "",
    "city": "Madrid",
    "postal_code": "ABC",
    "country": "ES",
}


class _Events:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.items: list[dict[str, Any]] = []
        self._seq = itertools.count(1)

    def ago(self, **delta: float) -> str:
        return to_iso(self.now - timedelta(**delta))

    def add(self, kind: str, key: str, version: int = 1, **data: Any) -> None:
        # Event ids are stable per (entity, version), so reloading is a no-op.
        self.items.append(
            {
                "event_id": f"demo-{kind}-{key}-v{version}",
                "type": kind,
                "version": version,
                "occurred_at": to_iso(self.now),
                "data": data,
            }
        )

    def order(
        self, order_id: str, seller: str, buyer: str, status: str, days_ago: float, **extra: Any
    ) -> None:
        data: dict[str, Any] = {
            "order_id": order_id,
            "seller_id": seller,
            "buyer_id": buyer,
            "status": status,
            "placed_at": self.ago(days=days_ago),
            "shipping_address": GOOD_ADDRESS,
            **extra,
        }
        if status in ("paid", "shipped", "delivered", "closed_unshipped"):
            data.setdefault("paid_at", self.ago(days=days_ago - 0.05))
        if status in ("shipped", "delivered"):
            data.setdefault("shipped_at", self.ago(days=days_ago - 1))
        if status == "delivered":
            data.setdefault("delivered_at", self.ago(days=max(days_ago - 8, 0.1)))
        self.add("order", order_id, **data)

    def review(
        self, review_id: str, order_id: str, seller: str, buyer: str, rating: int, days_ago: float
    ) -> None:
        self.add(
            "review",
            review_id,
            review_id=review_id,
            order_id=order_id,
            seller_id=seller,
            buyer_id=buyer,
            rating=rating,
            posted_at=self.ago(days=days_ago),
        )

    def dispute(
        self,
        dispute_id: str,
        order_id: str,
        seller: str,
        buyer: str,
        days_ago: float,
        status: str = "open",
        resolution: str | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "dispute_id": dispute_id,
            "order_id": order_id,
            "seller_id": seller,
            "buyer_id": buyer,
            "opened_at": self.ago(days=days_ago),
            "status": status,
        }
        if resolution:
            data.update(resolution=resolution, closed_at=self.ago(days=days_ago - 5))
        self.add("dispute", dispute_id, **data)

    def message(self, message_id: str, order_id: str, sender: str, days_ago: float) -> None:
        self.add(
            "message",
            message_id,
            message_id=message_id,
            order_id=order_id,
            sender=sender,
            sent_at=self.ago(days=days_ago),
        )


def delivered_order_event(order_id: str, seller: str, buyer: str, now: datetime) -> dict[str, Any]:
    """One order of ``seller``, placed two days before ``now`` and delivered, made as the
    demo data's orders are (any seller may file a harassment complaint on it): what
    ``scripts.send_fact`` sends unless told otherwise, and the order ``scripts.smoke``
    files its complaint on."""
    events = _Events(now)
    events.order(order_id, seller, buyer, "delivered", days_ago=2)
    return events.items[0]


def demo_events(now: datetime) -> list[dict[str, Any]]:
    s1, s2, s3 = DEMO_SELLERS
    ev = _Events(now)
    for buyer in ("b-flood", "b-bomber", "b-disputer", "b-spam", "b-normal", "b-new"):
        ev.add("buyer", buyer, buyer_id=buyer, registered_at=ev.ago(days=400))

    # b-flood: a competitor's account flooding s1 with orders it never pays (malicious ordering)
    for i in range(8):
        status = "delivered" if i == 0 else ("cancelled" if i % 2 else "placed")
        extra = {"cancelled_by": "buyer"} if status == "cancelled" else {}
        ev.order(f"o-flood-{i}", s1, "b-flood", status, days_ago=2 + i * 3, **extra)

    # b-bomber: 1-star reviews across three sellers (malicious review)
    for i, seller in enumerate((s1, s1, s2, s2, s3, s3)):
        ev.order(f"o-bomb-{i}", seller, "b-bomber", "delivered", days_ago=40 - i * 5)
        ev.review(
            f"r-bomb-{i}", f"o-bomb-{i}", seller, "b-bomber", 1 if i < 5 else 4, days_ago=30 - i * 4
        )

    # b-disputer: disputes on most paid orders, at two sellers, two lost by the buyer
    for i, seller in enumerate((s1, s1, s2, s2)):
        ev.order(f"o-disp-{i}", seller, "b-disputer", "delivered", days_ago=60 - i * 10)
        resolution = "seller_favour" if i < 2 else None
        ev.dispute(
            f"d-disp-{i}",
            f"o-disp-{i}",
            seller,
            "b-disputer",
            days_ago=50 - i * 10,
            status="closed" if resolution else "open",
            resolution=resolution,
        )

    # b-spam: unpaid orders with junk notes (harassment)
    for i in range(3):
        ev.order(
            f"o-spam-{i}",
            s1,
            "b-spam",
            "placed",
            days_ago=1.5 + i,
            buyer_note="加我微信 / add me on WeChat for cheap stuff!!!",
        )

    # non-fulfilment protection: an unusable address; a custom item with a silent buyer
    ev.order("o-badaddr", s1, "b-new", "paid", days_ago=3, shipping_address=BAD_ADDRESS)
    ev.order("o-custom", s1, "b-new", "paid", days_ago=6, custom_item=True)
    ev.message("m-custom-1", "o-custom", "seller", days_ago=5)

    # b-normal: an ordinary customer — every order state, an honest 2-star review, one dispute
    states = ("placed", "paid", "shipped", "delivered", "cancelled", "closed_unshipped")
    for i, status in enumerate(states):
        extra = {"cancelled_by": "seller"} if status == "cancelled" else {}
        ev.order(f"o-normal-{i}", s1, "b-normal", status, days_ago=1 + i * 4, **extra)
    ev.order("o-normal-6", s2, "b-normal", "delivered", days_ago=20)
    ev.review("r-normal-1", "o-normal-3", s1, "b-normal", 2, days_ago=3)
    ev.dispute("d-normal-1", "o-normal-6", s2, "b-normal", days_ago=10)
    ev.order("o-custom-answered", s2, "b-normal", "paid", days_ago=4, custom_item=True)
    ev.message("m-ca-1", "o-custom-answered", "seller", days_ago=3.5)
    ev.message("m-ca-2", "o-custom-answered", "buyer", days_ago=3)
    return ev.items


# (seller, order, scenario, reason, hours since submission, what a reviewer did).
# Complaints against the flagged buyers are upheld by the rules at submission; those on
# b-normal's orders stay pending for a reviewer (the rules recommend rejecting them).
# "appealed": rejected 12 h after submission, appealed by the seller 8 h later (pending
# again, due 48 h after the appeal); "recategorised:<scenario>": moved by a reviewer to
# that scenario 1 h after submission (a new id; it stays pending for a reviewer).
DEMO_COMPLAINTS: tuple[tuple[str, str, str, str | None, float, str | None], ...] = (
    ("s-demo-1", "o-flood-1", "malicious_ordering", None, 2, None),
    ("s-demo-1", "o-bomb-0", "malicious_review", None, 30, None),
    ("s-demo-1", "o-disp-0", "malicious_dispute", None, 50, None),
    ("s-demo-1", "o-spam-0", "malicious_harassment", None, 20, None),
    ("s-demo-1", "o-badaddr", "non_fulfillment_protection", "address_invalid", 5, None),
    ("s-demo-1", "o-custom", "non_fulfillment_protection", "custom_item_no_response", 1, None),
    ("s-demo-2", "o-bomb-2", "malicious_review", None, 30, None),
    ("s-demo-1", "o-normal-0", "malicious_harassment", None, 35.5, None),  # 36 h is near
    ("s-demo-1", "o-normal-1", "malicious_ordering", None, 36.5, None),  # just past 36 h
    ("s-demo-1", "o-normal-1", "non_fulfillment_protection", "address_invalid", 47.7, None),
    ("s-demo-1", "o-normal-2", "malicious_ordering", None, 3, None),
    ("s-demo-2", "o-normal-6", "malicious_dispute", None, 10, None),
    ("s-demo-1", "o-normal-3", "malicious_review", None, 60, "rejected"),
    ("s-demo-1", "o-normal-4", "malicious_harassment", None, 20, "upheld"),
    ("s-demo-1", "o-normal-4", "malicious_ordering", None, 40, "appealed"),
    ("s-demo-2", "o-bomb-3", "malicious_harassment", None, 6, "recategorised:malicious_review"),
)
DEMO_REASON = {"upheld": "complaint_upheld", "rejected": "insufficient_evidence"}
DEMO_APPEAL = "The buyer admitted in chat that the orders were placed to hurt our ratings."


#: A 1x1 PNG: the demo's evidence file, attached to the first pending demo complaint.
DEMO_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _attach_demo_png(settings: Settings, adapters: Adapters, complaint: Any, now: datetime) -> None:
    """Announce, upload (as a browser would: the bytes put at the form's key) and complete
    a small verified PNG, through the same service as the API."""
    import boto3

    files = files_from_settings(settings)
    attachment, form = start_upload(
        adapters.complaints,
        files,
        seller_id=complaint.seller_id,
        complaint_id=complaint.complaint_id,
        filename="聊天截图 chat.png",
        content_type="image/png",
        size=len(DEMO_PNG),
        now=now,
        months=settings.listing_months,
        max_bytes=settings.attachment_max_bytes,
        random_bytes=complaint.complaint_id.encode()[-16:].ljust(16, b"0"),
    )
    boto3.client(
        "s3", region_name=settings.region, endpoint_url=settings.files_endpoint
    ).put_object(Bucket=settings.files_bucket, Key=form["fields"]["key"], Body=DEMO_PNG)
    complete_upload(
        adapters.complaints,
        files,
        seller_id=complaint.seller_id,
        complaint_id=complaint.complaint_id,
        attachment_id=attachment.attachment_id,
        now=now,
        months=settings.listing_months,
        max_bytes=settings.attachment_max_bytes,
    )


def load_demo_data(settings: Settings, now: datetime) -> str:
    adapters = Adapters.from_settings(settings)
    results = ingest_events(adapters.facts, adapters.metrics, demo_events(now), now)
    created, attached = 0, False
    for seller, order_id, scenario, reason, hours, outcome in DEMO_COMPLAINTS:
        submitted = now - timedelta(hours=hours)
        moved_to = outcome.split(":", 1)[1] if outcome and ":" in outcome else None
        if moved_to and adapters.complaints.get(complaint_id_for(order_id, moved_to)):
            continue  # loaded before (its first id is free again after the move)
        try:
            complaint = submit_complaint(
                adapters,
                seller_id=seller,
                order_id=order_id,
                scenario=scenario,
                reason=reason,
                description="demo complaint",
                evidence=(),
                now=submitted,
                decision_hours=settings.decision_hours,
                thresholds=settings.thresholds,
                policy=settings.sla_policy,
            )
        except DuplicateComplaint:
            continue
        created += 1
        if outcome is None and complaint.is_pending and not attached:
            _attach_demo_png(settings, adapters, complaint, now)
            attached = True
        if outcome in ("upheld", "rejected", "appealed") and complaint.is_pending:
            decision = "rejected" if outcome == "appealed" else outcome
            decide_by_operator(
                adapters,
                complaint_id=complaint.complaint_id,
                operator_id=DEMO_OPERATOR,
                outcome=decision,
                reason_code=DEMO_REASON[decision],
                note="demo decision",
                now=submitted + timedelta(hours=12),
                policy=settings.sla_policy,
            )
        if outcome == "appealed":
            appeal_complaint(
                adapters,
                seller_id=seller,
                complaint_id=complaint.complaint_id,
                statement=DEMO_APPEAL,
                now=submitted + timedelta(hours=20),
                months=settings.listing_months,
                appeal_days=settings.appeal_days,
                decision_hours=settings.decision_hours,
                policy=settings.sla_policy,
            )
        if moved_to and complaint.is_pending:
            recategorise_complaint(
                adapters,
                complaint_id=complaint.complaint_id,
                operator_id=DEMO_OPERATOR,
                scenario=moved_to,
                reason=None,
                note="demo: the complaint is about the 1-star review",
                now=submitted + timedelta(hours=1),
                thresholds=settings.thresholds,
                policy=settings.sla_policy,
            )
    accepted = sum(1 for r in results if r.status == "accepted")
    return (
        f"{accepted} of {len(results)} fact events stored, {created} complaints created "
        f"({len(DEMO_COMPLAINTS)} in the data set)"
    )


def demo_complaint_ids() -> list[str]:
    """The demo complaints' ids (a re-categorised one's under its new scenario)."""
    ids = []
    for _, order_id, scenario, _, _, outcome in DEMO_COMPLAINTS:
        if outcome and outcome.startswith("recategorised:"):
            scenario = outcome.split(":", 1)[1]
        ids.append(complaint_id_for(order_id, scenario))
    return ids
