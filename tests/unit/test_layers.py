"""The layers' rules (README, Architecture), read from the source: the domain is pure;
services reach storage only through their ports (``services/ports.py``); routes and jobs
reach storage only through a service, taking from the adapters nothing but the wiring."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHALICELIB = ROOT / "chalicelib"
#: The port bundle's fields: a repository or messaging adapter
PORT_FIELDS = frozenset({"complaints", "facts", "metrics", "publisher", "sweep_queue", "files"})


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (lazy imports in functions too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (CHALICELIB / folder).glob("**/*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", _modules("domain"), ids=_name)
def test_the_domain_imports_no_service_adapter_or_edge(path: Path) -> None:
    imported = set(_imports(path))
    assert not {
        m
        for m in imported
        if m.startswith(("chalicelib.services", "chalicelib.adapters", "chalicelib.api"))
        or m.split(".")[0] in ("boto3", "botocore", "pynamodb", "chalice")
    }


@pytest.mark.parametrize(
    "path", [p for p in _modules("services") if p.name != "ports.py"], ids=_name
)
def test_services_reach_storage_only_through_their_ports(path: Path) -> None:
    adapters = {m for m in _imports(path) if m.startswith("chalicelib.adapters")}
    # the event schemas validate incoming facts (loaded on first use): no storage
    assert adapters <= {"chalicelib.adapters.event_schema"}


@pytest.mark.parametrize("path", [*_modules("api", "jobs"), ROOT / "app.py"], ids=_name)
def test_routes_and_jobs_reach_storage_only_through_a_service(path: Path) -> None:
    adapters = {m for m in _imports(path) if m.startswith("chalicelib.adapters")}
    if path.name != "http.py":  # the HTTP plumbing may name storage errors, to map them
        assert adapters <= {"chalicelib.adapters.wiring"}
    direct = [
        f"{node.func.value.attr}.{node.func.attr} (line {node.lineno})"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr in PORT_FIELDS
    ]
    assert direct == [], "a repository called without a service"
