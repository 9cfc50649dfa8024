"""What Lambda runs: the unpacked ``build/prod/deployment.zip``, with boto3/botocore/
s3transfer from this venv standing in for the SDK the runtime provides (the package
leaves them out).  Code run on it (``python_command``) starts in a fresh interpreter that
sees no site-packages (``-S``), so nothing installed only for development (moto brings
``cryptography``, which PyJWT would load) is counted, and that writes no bytecode, as on
Lambda: what is not precompiled in the package is compiled on every cold start."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "build" / "prod" / "deployment.zip"
RUNTIME_SDK = ("boto3", "botocore", "s3transfer")


@contextmanager
def unpacked() -> Iterator[tuple[Path, Path]]:
    """(the code directory, the runtime SDK's directory), removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        code_dir, sdk_dir = Path(tmp, "task"), Path(tmp, "runtime")
        with zipfile.ZipFile(PACKAGE) as archive:
            archive.extractall(code_dir)
        sdk_dir.mkdir()
        for name in RUNTIME_SDK:
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.origin is not None, f"{name} is not installed"
            (sdk_dir / name).symlink_to(Path(spec.origin).parent)
        yield code_dir, sdk_dir


def python_command(code_dir: Path, sdk_dir: Path, code: str) -> list[str]:
    """The command that runs ``code`` on the unpacked package (with its directory as the
    working directory and ``PYTHONDONTWRITEBYTECODE=1``: ``/var/task`` is read-only)."""
    prelude = f"import sys; sys.path[:0] = [{str(code_dir)!r}, {str(sdk_dir)!r}]; "
    return [sys.executable, "-S", "-c", prelude + code]
