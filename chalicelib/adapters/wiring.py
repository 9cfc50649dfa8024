"""The adapters a request or job works with, built from settings."""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.files import S3Files
from chalicelib.adapters.jwks import HttpJwks
from chalicelib.adapters.messaging import EventPublisher, LogPublisher, SnsPublisher, SweepQueue
from chalicelib.adapters.metrics_repository import MetricsRepository
from chalicelib.adapters.parameters import SsmParameters
from chalicelib.config import Settings


class Adapters(NamedTuple):
    complaints: ComplaintRepository
    facts: FactRepository
    metrics: MetricsRepository
    publisher: EventPublisher
    sweep_queue: SweepQueue | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Adapters:
        publisher: EventPublisher = (
            SnsPublisher(settings.events_topic_arn, settings.region)
            if settings.events_topic_arn
            else LogPublisher()
        )
        queue = (
            SweepQueue(settings.sweep_queue_url, settings.region)
            if settings.sweep_queue_url
            else None
        )
        return cls(
            complaints=ComplaintRepository(settings),
            facts=FactRepository(settings),
            metrics=MetricsRepository(settings),
            publisher=publisher,
            sweep_queue=queue,
        )


def files_from_settings(settings: Settings) -> S3Files:
    """The files bucket (attachments and exports): kept out of ``Adapters`` so the routes
    that need it alone build it (building it makes no request)."""
    return S3Files(settings)


def secret_store(region: str) -> SsmParameters:
    """The secrets' store (SSM Parameter Store); building it makes no request."""
    return SsmParameters(region)


def key_set_source() -> HttpJwks:
    """Where the identity provider's signing keys are fetched from (its JWKS URL)."""
    return HttpJwks()
