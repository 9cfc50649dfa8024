"""The physical names of a stage's resources: ``seller-report-center-<stage>-<what>``, so
that two stages deploy side by side into one account (the tables' and the files bucket's
names follow the same pattern in ``chalicelib/config.py``)."""

from __future__ import annotations

from chalicelib.observability import SERVICE


def physical_name(stage: str, what: str) -> str:
    return f"{SERVICE}-{stage}-{what}"


def dead_letters(queue: str) -> str:
    """The name of a queue's dead-letter queue."""
    return f"{queue}-dlq"
