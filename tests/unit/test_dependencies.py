"""DESIGN.md §2: dependencies point one way. The registry and the audit ledger know nothing of
OIDC or pages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "idp"

# What each package may import from inside `idp` besides itself.
ALLOWED = {
    "population": {"idp.models", "idp.extensions", "idp.clock"},
    "keys": {"idp.models", "idp.extensions", "idp.clock"},
    "audit": {"idp.models", "idp.extensions", "idp.clock"},
    # Anything may notify a citizen, so the notifier depends on almost nothing.
    "notify": {"idp.models", "idp.extensions", "idp.clock", "idp.config", "idp.population"},
    "consent": {
        "idp.models",
        "idp.extensions",
        "idp.clock",
        "idp.accounts",
        "idp.audit",
        "idp.notify",
        "idp.oidc",
        "idp.pages",
    },
}


def _internal_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "idp":
            names.update(f"idp.{a.name}" for a in node.names)  # from idp import clock
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("idp"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("idp"))
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    allowed = ALLOWED[package] | {f"idp.{package}"}
    for path in (PACKAGE / package).rglob("*.py"):
        for name in _internal_imports(path):
            assert any(name == a or name.startswith(a + ".") for a in allowed), (
                f"{path.relative_to(PACKAGE)} imports {name}"
            )


def test_models_import_nothing_above_them() -> None:
    for path in (PACKAGE / "models").rglob("*.py"):
        for name in _internal_imports(path):
            assert name.startswith("idp.models"), f"{path.name} imports {name}"
