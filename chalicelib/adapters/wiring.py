"""The adapters a request or job works with, built from settings."""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.adapters.complaint_repository import ComplaintRepository
from chalicelib.adapters.export_files import S3ExportFiles
from chalicelib.adapters.fact_repository import FactRepository
from chalicelib.adapters.messaging import EventPublisher, LogPublisher, SnsPublisher, SweepQueue
from chalicelib.adapters.metrics_repository import MetricsRepository
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


def export_files(settings: Settings) -> S3ExportFiles:
    """Where ``GET /complaints/export`` writes its files (only that route needs them)."""
    return S3ExportFiles(settings)
