"""Opaque, tamper-proof paging cursors.

A cursor is the position (the last item's list key) plus the seller and the query it
belongs to, signed with HMAC-SHA256.  A forged cursor, or one replayed by another seller or
with other filters, is refused with 400 ``invalid_cursor``.

New cursors are signed with the current secret; while the secret is being rotated, a cursor
signed with the previous one is still read (``Settings.cursor_secrets``), so a seller paging
through a list at the moment of rotation is not sent back to the first page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.errors import InvalidRequest


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def encode_cursor(secret: str, *, owner: str, query: dict[str, Any], position: str) -> str:
    payload = json.dumps(
        {"o": owner, "q": query, "p": position}, separators=(",", ":"), sort_keys=True
    ).encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def decode_cursor(
    secrets: str | Sequence[str], cursor: str, *, owner: str, query: dict[str, Any]
) -> str:
    """Return the position inside a cursor made by ``encode_cursor`` with one of
    ``secrets`` for the same owner and query; raise ``InvalidRequest`` otherwise."""
    accepted = (secrets,) if isinstance(secrets, str) else tuple(secrets)
    invalid = InvalidRequest("invalid cursor", code="invalid_cursor")
    try:
        payload_part, signature_part = cursor.split(".", 1)
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except ValueError as exc:
        raise invalid from exc
    if not any(hmac.compare_digest(signature, _signature(s, payload)) for s in accepted):
        raise invalid
    try:
        content = json.loads(payload)
    except ValueError as exc:
        raise invalid from exc
    if (
        content.get("o") != owner
        or content.get("q") != query
        or not isinstance(content.get("p"), str)
    ):
        raise invalid
    return str(content["p"])


def position_of(
    secrets: str | Sequence[str], cursor: str | None, *, owner: str, query: dict[str, Any]
) -> str | None:
    """The position a request's optional cursor points at (None: the first page)."""
    return decode_cursor(secrets, cursor, owner=owner, query=query) if cursor else None


def cursor_for(
    secret: str, position: str | None, *, owner: str, query: dict[str, Any]
) -> str | None:
    """The cursor of the next page (None when this page is the last)."""
    return encode_cursor(secret, owner=owner, query=query, position=position) if position else None
