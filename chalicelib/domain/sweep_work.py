"""What the SLA sweep hands to its SQS workers: messages of complaint ids, their body and
their limits (``services/sweep.py`` makes them, ``adapters/messaging.py`` sends them,
``jobs/sla_sweep.py`` reads them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

#: Complaint ids one sweep message carries: a SendMessageBatch (10 messages) hands 100
#: complaints to the workers, and a worker invocation (10 messages) takes 100.  A message
#: fails as a whole (``batchItemFailures``) when any of its ids fails, and its retry redoes
#: the others: ``process_due`` is idempotent, so that costs a read (and at most a write of
#: the due index) each, never a second action.
IDS_PER_MESSAGE = 10
#: SendMessageBatch's most entries per request.
MESSAGES_PER_REQUEST = 10
#: SQS's longest delivery delay (``DelaySeconds``).
MAX_DELAY_SECONDS = 900


class SweepMessage(NamedTuple):
    """One SQS message of the sweep: complaint ids its worker brings up to date, delivered
    ``delay_seconds`` after it is sent (when the last of them is due)."""

    complaint_ids: tuple[str, ...]
    delay_seconds: int = 0


def encode_sweep_message(complaint_ids: Sequence[str]) -> str:
    return json.dumps({"complaint_ids": list(complaint_ids)})


def decode_sweep_message(body: str) -> list[str]:
    """The complaint ids of a sweep message's body; ``ValueError`` when it is not one.
    (``{"complaint_id": ...}`` is the one-id shape sent before ``IDS_PER_MESSAGE``.)"""
    decoded = json.loads(body)
    if not isinstance(decoded, dict):
        raise ValueError("a sweep message is a JSON object")
    ids = decoded["complaint_ids"] if "complaint_ids" in decoded else [decoded["complaint_id"]]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not ids:
        raise ValueError("complaint_ids must be a non-empty list of strings")
    return ids
