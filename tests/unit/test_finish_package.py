import subprocess
import sys
import zipfile
from pathlib import Path

from scripts.finish_package import finish

TAG = sys.implementation.cache_tag


def _package(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_the_aws_sdk_leaves_the_package_and_nothing_else_does(tmp_path: Path) -> None:
    kept = {
        "app.py": "VALUE = 1\n",
        "chalicelib/config.py": "X = 2\n",
        "chalicelib/pages/center.html": "<!doctype html>\n",
        "chalicelib/pages/assets/api.js": "export const x = 1;\n",
        "pydantic_core/x.so": "x" * 1000,
        "botocore_extra/readme.txt": "x" * 1000,
    }
    dropped = {
        "botocore/client.py": "x = 1\n" * 1000,
        "botocore/data/dynamodb/service-2.json": "x" * 100_000,
        "botocore-1.44.8.dist-info/METADATA": "x" * 1000,
        "boto3/session.py": "x = 1\n" * 1000,
        "s3transfer/manager.py": "x = 1\n" * 1000,
    }
    package = _package(tmp_path / "deployment.zip", {**kept, **dropped})
    before, after = finish(package)
    assert after < before
    names = zipfile.ZipFile(package).namelist()
    sources = [name for name in names if "__pycache__" not in name]
    assert sorted(sources) == sorted(kept)
    assert not any(name.startswith(("botocore/", "boto3/", "s3transfer/")) for name in names)


def test_every_module_ships_bytecode_that_python_loads_without_checking_the_source(
    tmp_path: Path,
) -> None:
    package = _package(
        tmp_path / "deployment.zip",
        {
            "app.py": "from chalicelib import config\nVALUE = config.X\n",
            "chalicelib/__init__.py": "",
            "chalicelib/config.py": "X = 'compiled'\n",
            "legacy/py2.py": "print 'not python 3'\n",  # kept as source, build goes on
        },
    )
    finish(package)
    names = set(zipfile.ZipFile(package).namelist())
    assert {
        f"__pycache__/app.{TAG}.pyc",
        f"chalicelib/__pycache__/__init__.{TAG}.pyc",
        f"chalicelib/__pycache__/config.{TAG}.pyc",
    } <= names
    assert f"legacy/__pycache__/py2.{TAG}.pyc" not in names
    assert "legacy/py2.py" in names

    task = tmp_path / "task"
    zipfile.ZipFile(package).extractall(task)
    pyc = (task / f"chalicelib/__pycache__/config.{TAG}.pyc").read_bytes()
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, unchecked (PEP 552)
    # A different source with the same bytecode: the bytecode is what runs.
    (task / "chalicelib/config.py").write_text("X = 'from source'\n")
    out = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(task)!r}); import app; print(app.VALUE)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "compiled"
