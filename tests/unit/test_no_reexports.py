"""Callers import a name from the module that defines it: no module re-exports.

The one exception is ``sloscope/__init__.py``, the curated public API, which loads names
lazily from their defining modules (``tests/unit/test_public_api.py`` checks it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import sloscope

PACKAGE = Path(sloscope.__file__).parent
CURATED = PACKAGE / "__init__.py"


def _module_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != CURATED)


def _imported_names(tree: ast.Module) -> dict[str, ast.ImportFrom | ast.Import]:
    """Names bound by module-level imports (outside ``if TYPE_CHECKING:`` too)."""
    names: dict[str, ast.ImportFrom | ast.Import] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = node
    return names


def _all_names(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                assert node.value is not None
                value = ast.literal_eval(node.value)
                return [str(v) for v in value]
    return []


def test_no_module_lists_an_imported_name_in_all() -> None:
    offenders = []
    for path in _module_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _imported_names(tree)
        for name in _all_names(tree):
            if name in imported:
                offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert offenders == [], "re-exported names (import them from where they are defined)"


def test_no_module_re_exports_with_a_redundant_alias() -> None:
    offenders = []
    for path in _module_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                offenders += [
                    f"{path.relative_to(PACKAGE)}: {a.name}"
                    for a in node.names
                    if a.asname is not None and a.asname == a.name
                ]
    assert offenders == [], "'import x as x' marks an explicit re-export"


def test_package_inits_import_no_sloscope_names_they_do_not_use_themselves() -> None:
    """A package ``__init__`` is a docstring, or holds entry points of its own."""
    offenders = []
    for path in _module_files():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defines = any(
            isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) for n in tree.body
        )
        imports_sloscope = any(
            isinstance(n, ast.ImportFrom) and (n.module or "").startswith("sloscope")
            for n in tree.body
        )
        if imports_sloscope and not defines:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
