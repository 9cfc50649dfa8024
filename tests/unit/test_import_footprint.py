"""Cold start: what importing ``app.py`` must not do (every Lambda function of the app,
queue and schedule ones included, imports it)."""

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
import app
from chalicelib.api import schemas
from chalicelib.domain import facts
print(sorted(name for name in ("jwt", "boto3", "cryptography") if name in sys.modules))
print(sorted(
    model.__name__
    for module in (schemas, facts)
    for model in vars(module).values()
    if isinstance(model, type) and getattr(model, "__pydantic_complete__", False)
))
"""


def test_importing_the_app_loads_neither_pyjwt_nor_boto3_and_builds_no_validator() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "[]"]
