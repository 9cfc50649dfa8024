"""``make run``'s HTTP API: the server ``chalice local`` runs, with room for many clients.

``chalice local`` serves the app through ``chalice.local.LocalDevServer``: API Gateway's
routing, authorizers, CORS and binary handling (``LocalGateway``), one thread per
connection.  Its server keeps socketserver's listen backlog of 5, so when 50 clients connect
at once most of them are reset.  This module builds the same server from the same pieces and
the same ``.chalice/config.json`` stage, with a backlog of ``LISTEN_BACKLOG``.

Run by ``scripts.local`` as its own process (as the API is its own Lambda function, apart
from the scheduled jobs), with the environment every process of the local service shares::

    python -m scripts.local_api --port 8000 [--host 127.0.0.1] [--stage dev]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import uuid

from chalice.cli.factory import CLIFactory
from chalice.deploy.validate import validate_routes
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    NotAuthorizedError,
    ThreadedHTTPServer,
)

from chalicelib.config import get_settings
from scripts.gateway_responses import GATEWAY_RESPONSES, GatewayResponse, error_body
from scripts.local import ROOT, service_environment

#: Connections the kernel queues while every thread is busy accepting (socketserver: 5).
LISTEN_BACKLOG = 1024


class ApiRequestHandler(ChaliceRequestHandler):
    """``chalice local``'s handler, except for what API Gateway answers by itself — an
    unknown path or method, a bad request line — which it answers as the deployed API's
    gateway responses do (``scripts.gateway_responses``): the app's error shape, never
    ``chalice local``'s ``{"message": ...}`` quoting the caller's Authorization header, nor
    an HTML page."""

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError):  # no route: API Gateway's missing-token answer
            kind = "MISSING_AUTHENTICATION_TOKEN"
        elif isinstance(error, NotAuthorizedError):
            kind = "UNAUTHORIZED"
        else:
            kind = "DEFAULT_5XX"
        self._send_gateway_response(GATEWAY_RESPONSES[kind])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``BaseHTTPRequestHandler``'s HTML error page (an unknown method, a malformed
        request line), as the gateway would answer it."""
        kind = "MISSING_AUTHENTICATION_TOKEN" if code == 501 else "DEFAULT_4XX"
        self.close_connection = True
        self.request_version = self.protocol_version  # answer with a status line and headers
        self._send_gateway_response(GATEWAY_RESPONSES[kind])

    def _generic_handle(self) -> None:
        if self.command == "OPTIONS" and not self._has_options_view():
            # no route defines OPTIONS or CORS: the deployed REST API has no such method
            self._send_gateway_response(GATEWAY_RESPONSES["MISSING_AUTHENTICATION_TOKEN"])
            return
        refused = self._refused_body()
        if refused is not None:
            self.close_connection = True  # the body, if sent, is not read
            self._send_gateway_response(refused)
            return
        super()._generic_handle()

    def _refused_body(self) -> GatewayResponse | None:
        """A body refused before it is read, as API Gateway refuses one over its limit: over
        the app's own ``MAX_BODY_BYTES`` (which the app would answer 413 — after ``chalice
        local`` had read all of it into memory), or a ``Content-Length`` that is no length."""
        declared = self.headers.get("content-length", "0").strip()
        if not declared.isdigit():
            return GATEWAY_RESPONSES["DEFAULT_4XX"]
        if int(declared) > get_settings().max_body_bytes:
            return GATEWAY_RESPONSES["REQUEST_TOO_LARGE"]
        return None

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _has_options_view(self) -> bool:
        app = self.local_gateway._app_object
        return any(
            "OPTIONS" in methods or any(view.cors for view in methods.values())
            for methods in app.routes.values()
        )

    def _send_gateway_response(self, response: GatewayResponse) -> None:
        body = json.dumps(error_body(response, str(uuid.uuid4()))).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class ApiHTTPServer(ThreadedHTTPServer):
    """``chalice local``'s threaded server (daemon thread per connection), deeper backlog."""

    request_queue_size = LISTEN_BACKLOG


def create_server(host: str, port: int, stage: str = "dev") -> LocalDevServer:
    """The server ``chalice local --stage <stage>`` creates, bound to ``host:port``.

    The app is loaded as the Chalice CLI loads it, except that the stage's
    ``environment_variables`` are applied to a copy of the environment: the process
    environment already holds them, under the shell's own values (``service_environment``).
    """
    factory = CLIFactory(str(ROOT), environ=dict(os.environ))
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)  # as `chalice local` does: refuse what deploy would refuse
    # chalice.local.create_local_server's own two steps (it takes no server class): the
    # current request becomes per thread.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    server = LocalDevServer(
        app, config, host, port, handler_cls=ApiRequestHandler, server_cls=ApiHTTPServer
    )
    _make_dynamodb_clients()  # clients connecting meanwhile wait in the backlog
    return server


def _make_dynamodb_clients() -> None:
    """Make the DynamoDB clients before the first request instead of on it.

    The app makes them on first use (PynamoDB: one client per model class), which costs
    a cold Lambda nothing extra, as it serves one request at a time.  Here concurrent first
    requests would each make their own (~0.2 s of CPU apiece: 50 clients connecting at once
    to a fresh server waited 10 s and more).  Best effort: a DynamoDB that does not answer
    yet is the requests' concern, as it would be without this.
    """
    from chalicelib.adapters.models import all_models
    from chalicelib.config import get_settings

    with contextlib.suppress(Exception):
        for model in all_models(get_settings()):
            model.exists()  # DescribeTable, through the model's (now made) client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    os.environ.update(service_environment(os.environ, args.stage))
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as every Chalice CLI command sets it
    os.chdir(ROOT)
    # What `chalice local` configures: the root logger on stdout, messages only.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    server = create_server(args.host, args.port, args.stage)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
