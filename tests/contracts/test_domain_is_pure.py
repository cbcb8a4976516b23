"""The domain layer stays pure: no database, network, Prefect, docx, or reading the clock."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "emergency" / "domain"
FORBIDDEN_MODULES = ("sqlalchemy", "prefect", "requests", "docx", "docxtpl", "apscheduler", "emergency.db",
                     "emergency.services", "emergency.adapters")


def test_domain_imports_nothing_impure() -> None:
    """No module under emergency/domain imports I/O libraries or outer layers."""
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN_MODULES), f"{path.name} imports {name}"


def test_domain_never_reads_the_clock() -> None:
    """Time comes in from outside: no now(), utcnow() or today() in the domain."""
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"}:
                raise AssertionError(f"{path.name} reads the clock ({node.attr})")
