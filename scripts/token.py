"""Mint a development token: ``python -m scripts.token seller s-demo-1 [hours]``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from chalicelib.api.auth import mint_token
from chalicelib.config import get_settings


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    role, subject = argv[0], argv[1]
    hours = float(argv[2]) if len(argv) == 3 else 12.0
    expires = datetime.now(UTC) + timedelta(hours=hours)
    print(mint_token(get_settings(), subject=subject, role=role, expires_at=expires))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
