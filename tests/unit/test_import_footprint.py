"""Cold start: what importing ``app.py`` must not do.  Every Lambda function of the app,
queue and schedule ones included, imports it; pydantic (the request, response and event
schemas), PyJWT and boto3 are loaded by the first invocation that needs them."""

import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("pydantic", "pydantic_core", "jwt", "boto3", "cryptography")
PROBE = f"""
import sys
import app
print(sorted(name for name in {HEAVY!r} if name in sys.modules))
"""


def test_importing_the_app_loads_no_schema_library_pyjwt_or_boto3() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]"]
