"""Write the OpenAPI document: ``python -m scripts.openapi [openapi.json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app import app
from chalicelib.api.openapi import build_document


def render() -> str:
    return json.dumps(build_document(app), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "openapi.json").write_text(render())
