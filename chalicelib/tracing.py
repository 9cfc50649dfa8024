"""X-Ray annotations (the complaint id), with the standard library only.

With active tracing (``.chalice/config.json``: ``xray``) Lambda records a segment for
each invocation; annotations — the fields X-Ray can search traces by — go on a
subsegment the function sends itself.  ``traced`` wraps an invocation (the observability
middleware does it for every handler) and, when it ends, sends one subsegment with what
``annotate`` recorded during it to the X-Ray daemon Lambda runs beside the function:
one UDP datagram to ``AWS_XRAY_DAEMON_ADDRESS``, under the trace and parent that
``_X_AMZN_TRACE_ID`` names, and only for a sampled trace.  Without those variables
(tests, ``make run``) nothing is recorded or sent.

aws-xray-sdk would do this, and trace each AWS request too, but importing it costs about
half of what importing the whole app costs, on every cold start (docs/deploy.md).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = b'{"format": "json", "version": 1}\n'
Annotation = str | int | float | bool
_annotations: ContextVar[dict[str, Annotation] | None] = ContextVar("annotations", default=None)


def _daemon(address: str) -> tuple[str, int]:
    """``host:port``, or ``tcp:host:port udp:host:port``: the UDP one."""
    for part in address.split():
        if part.startswith("udp:"):
            address = part.removeprefix("udp:")
    host, _, port = address.rpartition(":")
    return host, int(port)


def _sampled_parent(header: str) -> tuple[str, str] | None:
    """(trace id, parent segment id) of a sampled ``_X_AMZN_TRACE_ID``, else None."""
    fields = dict(part.split("=", 1) for part in header.split(";") if "=" in part)
    if fields.get("Sampled") != "1" or "Root" not in fields or "Parent" not in fields:
        return None
    return fields["Root"], fields["Parent"]


def annotate(key: str, value: Annotation) -> None:
    """Record ``key`` on the current invocation's trace (nothing when it is not traced)."""
    annotations = _annotations.get()
    if annotations is not None:
        annotations[key] = value


@contextmanager
def traced(name: str) -> Iterator[None]:
    daemon = os.environ.get("AWS_XRAY_DAEMON_ADDRESS")
    parent = _sampled_parent(os.environ.get("_X_AMZN_TRACE_ID", ""))
    if not daemon or parent is None:
        yield
        return
    annotations: dict[str, Annotation] = {}
    token = _annotations.set(annotations)
    start = time.time()
    try:
        yield
    finally:
        _annotations.reset(token)
        trace_id, parent_id = parent
        document = {
            "name": name,
            "id": secrets.token_hex(8),
            "trace_id": trace_id,
            "parent_id": parent_id,
            "type": "subsegment",
            "start_time": start,
            "end_time": time.time(),
            "annotations": annotations,
        }
        _send(_daemon(daemon), HEADER + json.dumps(document).encode())


def _send(address: tuple[str, int], datagram: bytes) -> None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(datagram, address)
    except OSError:  # a trace is never worth failing the invocation for
        from chalicelib.observability import logger  # (which imports this module)

        logger().warning("could not send the X-Ray subsegment", exc_info=True)
