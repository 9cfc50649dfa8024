"""``make run``'s journal of the complaint events the service published: the latest
``KEPT``, newest first, for ``GET /dev/events`` (``api/dev_events.py``).

The runner's subscriber to the events topic (``scripts/local_events.py``) is its one
writer; the API's process reads it.  It is one small JSON document, replaced whole (written
beside it, then renamed over it), so a reader sees the journal before or after a write,
never half of one.  The path is ``DEV_EVENTS_FILE``, which ``make run`` sets; settings
honour it only with the dev sign-in (dev stage, ``DEV_SIGN_IN=1``).  A development aid
only: nothing deployed writes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Events the journal keeps (and ``GET /dev/events`` lists).
KEPT = 50


class EventJournal:
    def __init__(self, path: str | Path, kept: int = KEPT) -> None:
        self.path = Path(path)
        self.kept = kept

    def latest(self) -> list[dict[str, Any]]:
        """The kept events, newest first (none before the first is recorded)."""
        try:
            items = json.loads(self.path.read_text(encoding="utf-8"))["items"]
        except FileNotFoundError:
            return []
        return list(items)

    def record(self, events: Sequence[dict[str, Any]]) -> None:
        """``events``, oldest first as they arrived, put before the kept ones."""
        if not events:
            return
        items = [*reversed(events), *self.latest()][: self.kept]
        draft = self.path.with_name(self.path.name + ".draft")
        draft.write_text(json.dumps({"items": items}, ensure_ascii=False), encoding="utf-8")
        os.replace(draft, self.path)
