"""Mint a token: ``python -m scripts.token <role> <subject> [hours]``.

Without options the token is signed with the configured HS256 key (the documented dev secret
under ``make run``).  For a stage that verifies RS256/ES256 tokens (smoke tests, trying the
JWKS set-up), sign with a private key instead:

    python -m scripts.token seller s-1 --private-key key.pem --algorithm ES256 --kid key-1
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.api.auth import ROLES, mint_token, sign_token
from chalicelib.config import PUBLIC_KEY_ALGORITHMS, get_settings


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.token", description=__doc__)
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("subject")
    parser.add_argument("hours", nargs="?", type=float, default=12.0)
    parser.add_argument("--private-key", type=Path, help="PEM private key (RS256/ES256)")
    parser.add_argument("--algorithm", choices=PUBLIC_KEY_ALGORITHMS, default="RS256")
    parser.add_argument("--kid", help="the key's id in the identity provider's JWKS")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    expires = datetime.now(UTC) + timedelta(hours=args.hours)
    if args.private_key is None:
        token = mint_token(get_settings(), subject=args.subject, role=args.role, expires_at=expires)
    else:
        token = sign_token(
            args.private_key.read_text(),
            args.algorithm,
            subject=args.subject,
            role=args.role,
            expires_at=expires,
            kid=args.kid,
        )
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
