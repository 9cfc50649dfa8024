"""The set of repositories a request or job works with, built from settings."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters.repository import ComplaintRepository, FactRepository
from chalicelib.config import Settings


@dataclass(frozen=True)
class Repositories:
    complaints: ComplaintRepository
    facts: FactRepository

    @classmethod
    def from_settings(cls, settings: Settings) -> Repositories:
        return cls(complaints=ComplaintRepository(settings), facts=FactRepository(settings))
