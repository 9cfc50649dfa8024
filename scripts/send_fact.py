"""Send platform fact events to the facts queue, one a message, as a platform system does
(docs/api.md, Platform fact events)::

    python -m scripts.send_fact QUEUE_URL [EVENT_JSON ...] [--seller SELLER]

Without an event it sends a new delivered order of ``--seller`` (default ``s-demo-1``),
which ``GET /orders`` lists for that seller once the facts consumer has stored it.
``make run`` prints its facts queue's URL with this command.  A queue not on AWS (``make
run``'s embedded one) is reached at its URL's own host, with placeholder credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scripts.demo_data import DEMO_SELLERS, delivered_order_event


def _sqs(queue_url: str) -> Any:
    import boto3

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    parts = urlsplit(queue_url)
    if parts.hostname and parts.hostname.endswith(".amazonaws.com"):
        return boto3.client("sqs", region_name=region)
    return boto3.client(
        "sqs",
        endpoint_url=f"{parts.scheme}://{parts.netloc}",
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _events(texts: list[str], seller: str) -> list[dict[str, Any]]:
    """The events given (``SystemExit`` naming one that is not a JSON object), else one new
    order of ``seller``."""
    if not texts:
        run = uuid.uuid4().hex[:8]
        order = delivered_order_event(f"o-local-{run}", seller, f"b-local-{run}", datetime.now(UTC))
        return [order]
    events = []
    for text in texts:
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            raise SystemExit(f"not an event (a JSON object): {text[:80]}")
        events.append(event)
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queue_url", help="the facts queue (make run prints it)")
    parser.add_argument("events", nargs="*", help="events as JSON (default: a new order)")
    parser.add_argument("--seller", default=DEMO_SELLERS[0], help="the new order's seller")
    args = parser.parse_args(argv)
    sqs = _sqs(args.queue_url)
    events = _events(args.events, args.seller)
    for event in events:
        sent = sqs.send_message(QueueUrl=args.queue_url, MessageBody=json.dumps(event))
        print(
            f"sent {event.get('type')} event {event.get('event_id')} (message {sent['MessageId']})",
            flush=True,
        )
    if not args.events:
        order = events[0]["data"]
        print(f"once stored, GET /orders as {order['seller_id']} lists {order['order_id']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
