"""Text a seller or reviewer reads, in both languages the product speaks."""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    @property
    def complete(self) -> bool:
        """Both languages are there (not empty, not blank)."""
        return bool(self.zh.strip()) and bool(self.en.strip())
