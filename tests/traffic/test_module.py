"""The traffic package itself: runnable docstring examples, and pure analytics."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "lantern" / "traffic"
MODULES = sorted(
    ".".join(p.relative_to(PACKAGE.parents[1]).with_suffix("").parts)
    for p in PACKAGE.rglob("*.py")
    if p.name != "__init__.py"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_analytics_imports_only_kit_and_itself():
    """analytics/ is frame-in, frame-out: no database, web framework or other domain."""
    bad = []
    for path in (PACKAGE / "analytics").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                lantern_ok = name.startswith(("lantern.kit", "lantern.traffic.analytics"))
                if (name.startswith("lantern") and not lantern_ok) or name.split(".")[0] in {"sqlalchemy", "fastapi"}:
                    bad.append(f"{path.name}: {name}")
    assert bad == []
