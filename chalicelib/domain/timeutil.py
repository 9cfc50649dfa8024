"""Timezone-aware time helpers shared by the domain (no clock reads here)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime


def to_iso(value: datetime) -> str:
    """Canonical UTC ISO-8601 with a ``Z`` suffix and second precision; sorts as text."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    # isoformat, not strftime: the same text in a third of the time (views format many)
    return value.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601 with an explicit offset (``Z`` or ``+hh:mm``); naive input is refused."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {text!r}")
    return value.astimezone(UTC)


def months_before(value: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (day clamped to month end)."""
    month_index = value.year * 12 + (value.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)
