"""The import rules of ../shared/conventions.md, checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lantern"
PLUMBING = {
    "config",
    "db",
    "errors",
    "kit",
    "models",
    "logs",
    "runtime",
    "store",
    "web",
    "app",
    "cli",
    "migrations",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in SRC.rglob("*.py")
        if "migrations/versions" not in path.as_posix()
    }


MODULES = _modules()


def _imports(tree: ast.Module, top_level_only: bool) -> set[str]:
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("lantern")}


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for module, tree in MODULES.items():
        graph.add_node(module)
        for target in _imports(tree, top_level_only=True):
            resolved = _resolve(target)
            if resolved and resolved != module and not module.startswith(resolved + ".") and resolved != "lantern":
                graph.add_edge(module, resolved)
    return graph


def _domain(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def test_there_is_no_import_cycle():
    cycles = list(nx.simple_cycles(_graph()))
    assert cycles == [], f"import cycles: {cycles}"


def test_no_imports_hidden_inside_functions():
    offenders = []
    for module, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        offenders.append(f"{module}.{node.name}")
    assert offenders == []


@pytest.mark.parametrize(
    ("lower", "forbidden"),
    [
        ("repository", {"service", "routes"}),
        ("service", {"routes"}),
        ("analytics", {"repository", "service", "routes"}),
    ],
)
def test_layers_import_downwards_only(lower, forbidden):
    bad = [
        (source, target) for source, target in _graph().edges if _layer(source) == lower and _layer(target) in forbidden
    ]
    assert bad == []


def test_services_do_not_import_fastapi():
    bad = [
        m
        for m, tree in MODULES.items()
        if _layer(m) == "service"
        and any(
            isinstance(n, (ast.Import, ast.ImportFrom))
            and "fastapi" in (getattr(n, "module", None) or ",".join(a.name for a in n.names))
            for n in ast.walk(tree)
        )
    ]
    assert bad == []


def test_other_domains_are_reached_only_through_their_service():
    bad = []
    for source, target in _graph().edges:
        a, b = _domain(source), _domain(target)
        if a == b or b in PLUMBING or a in {"app", "cli", "web"}:
            continue
        if _layer(target) in {"repository", "routes"}:
            bad.append((source, target))
    assert bad == []


def test_kit_and_models_import_no_domain():
    allowed = {"kit": {"kit"}, "models": {"models", "db", "errors", "kit"}}
    bad = [
        (source, target)
        for source, target in _graph().edges
        if _domain(source) in allowed and _domain(target) not in allowed[_domain(source)]
    ]
    assert bad == []


def test_analytics_modules_are_pure():
    bad = [
        m
        for m, tree in MODULES.items()
        if _layer(m) == "analytics"
        and any(name.startswith(("lantern.models", "lantern.db")) for name in _imports(tree, top_level_only=False))
    ]
    assert bad == []
