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
import logging
import os
import signal
import sys

from chalice.cli.factory import CLIFactory
from chalice.deploy.validate import validate_routes
from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer

from scripts.local import ROOT, service_environment

#: Connections the kernel queues while every thread is busy accepting (socketserver: 5).
LISTEN_BACKLOG = 1024


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
    server = LocalDevServer(app, config, host, port, server_cls=ApiHTTPServer)
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
