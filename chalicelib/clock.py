"""The edge's clock.  Only handlers and jobs call ``now()``; the domain and the services
take ``now`` as an argument, so tests travel in time by passing (or patching) it."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
