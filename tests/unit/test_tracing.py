"""X-Ray subsegments with the invocation's annotations, sent to the daemon over UDP."""

import json
import socket
from collections.abc import Iterator

import pytest

from chalicelib.tracing import HEADER, annotate, traced

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A UDP socket standing in for Lambda's X-Ray daemon."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.settimeout(0.5)
        host, port = udp.getsockname()
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"{host}:{port}")
        monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
        yield udp


def received(daemon: socket.socket) -> dict[str, object]:
    datagram = daemon.recv(65_536)
    assert datagram.startswith(HEADER)
    document: dict[str, object] = json.loads(datagram[len(HEADER) :])
    return document


def test_a_sampled_invocation_sends_one_subsegment_with_its_annotations(
    daemon: socket.socket,
) -> None:
    with traced("seller-report-center"):
        annotate("complaint_id", "c_abc")
        annotate("correlation_id", "portal-42")
    document = received(daemon)
    assert document["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert document["parent_id"] == "53995c3f42cd8ad8"
    assert document["type"] == "subsegment" and document["name"] == "seller-report-center"
    assert document["annotations"] == {"complaint_id": "c_abc", "correlation_id": "portal-42"}
    assert isinstance(document["id"], str) and len(document["id"]) == 16
    assert document["start_time"] <= document["end_time"]  # type: ignore[operator]


def test_the_subsegment_is_sent_when_the_handler_fails_too(daemon: socket.socket) -> None:
    with pytest.raises(KeyError), traced("seller-report-center"):
        annotate("complaint_id", "c_abc")
        raise KeyError("boom")
    assert received(daemon)["annotations"] == {"complaint_id": "c_abc"}


def test_the_tcp_udp_form_of_the_daemon_address_uses_the_udp_one(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = daemon.getsockname()
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"tcp:{host}:1 udp:{host}:{port}")
    with traced("x"):
        annotate("complaint_id", "c_1")
    assert received(daemon)["annotations"] == {"complaint_id": "c_1"}


def test_an_unsampled_trace_sends_nothing(
    daemon: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE.replace("Sampled=1", "Sampled=0"))
    with traced("x"):
        annotate("complaint_id", "c_1")
    with pytest.raises(TimeoutError):
        daemon.recv(65_536)


def test_without_xray_annotations_are_dropped_and_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS", raising=False)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    annotate("complaint_id", "outside any invocation")
    with traced("x"):
        annotate("complaint_id", "c_1")  # no error, no trace
