"""Platform fact events over HTTP, for systems that cannot use the queue."""

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import clock
from chalicelib.adapters.wiring import Adapters
from chalicelib.api.http import endpoint, json_body, request_settings
from chalicelib.observability import count
from chalicelib.services.ingest import ingest_events

if TYPE_CHECKING:
    from chalicelib.api.schemas import PlatformEventBatch

bp = Blueprint(__name__)


@bp.route("/platform/events", methods=["POST"])
@endpoint("system", request="PlatformEventBatch", response="EventResultsOut", errors=(413,))
def post_events() -> dict[str, Any]:
    """Answers 200 with one result per event: accepted, duplicate, stale or rejected."""
    batch: PlatformEventBatch = json_body(bp.current_request)
    adapters = Adapters.from_settings(request_settings(bp.current_request))
    results = ingest_events(adapters.facts, adapters.metrics, batch.events, clock.now())
    count("RejectedEvents", sum(1 for r in results if r.status == "rejected"))
    return {"results": [result.as_dict() for result in results]}
