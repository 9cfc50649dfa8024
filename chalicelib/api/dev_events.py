"""``GET /dev/events``: the latest complaint events the service published under
``make run`` (``complaint.decided``, ``.escalated``, ``.exemption_applied``, ...), newest
first, as its subscriber to the events topic recorded them (``chalicelib/dev_events.py``).

Guarded as the dev sign-in is (``api/pages.py``): only in the dev stage with
``DEV_SIGN_IN=1`` and a journal (``DEV_EVENTS_FILE``, which ``make run`` sets); anywhere
else it is the API's 404, as if the route did not exist.  Like ``/dev/accounts`` it is a
development aid, not part of the JSON API (marked ``page``: not in ``openapi.json``).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.errors import error_response
from chalicelib.api.pages import page, security_headers
from chalicelib.config import get_settings
from chalicelib.dev_events import EventJournal
from chalicelib.domain.errors import NotFound

bp = Blueprint(__name__)


@bp.route("/dev/events", methods=["GET"])
@page
def dev_events() -> Response:
    """The journal's events, newest first (at most ``dev_events.KEPT``)."""
    settings = get_settings()
    if settings.dev_events_file is None:
        return error_response(NotFound("no such resource", code="not_found"))
    return Response(
        body={"items": EventJournal(settings.dev_events_file).latest()},
        status_code=200,
        headers={"Cache-Control": "no-store", **security_headers(settings)},
    )
