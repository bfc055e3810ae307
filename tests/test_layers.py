"""The import layers of `app/` (README, "How the code is laid out"), checked on the source.

Every import counts, including those inside functions: a cycle hidden in a function is still a
cycle. A module may import its own layer and the layers below it, never one above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

# Lowest first. A module belongs to the longest prefix listed here.
LAYERS: list[tuple[str, ...]] = [
    ("app", "app.config", "app.db", "app.models", "app.migrate", "app.textclean"),
    ("app.search", "app.ingest"),
    ("app.archive",),
    ("app.services",),
    ("app.http",),
    ("app.api", "app.web"),
    ("app.main", "app.cli"),
]
# Only the front ends (and what they share) may know the web framework and the templates.
WEB_LIBRARIES = ("fastapi", "starlette", "jinja2")
WEB_ALLOWED = ("app.api", "app.web", "app.http", "app.main", "app.cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(name: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if within(name, prefix) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{name} is in no layer: add it to LAYERS"
    return rank


def imported_names(name: str) -> Iterator[tuple[str, int]]:
    """Every module `name` imports (top-level, deferred or under TYPE_CHECKING), with its line."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    yield from imports_in(path.read_text(), package=package)


def imports_in(source: str, *, package: str) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base, node.lineno
            for alias in node.names:  # `from app.search import query` imports a module
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}", node.lineno


def app_imports(name: str) -> set[str]:
    return {target for target, _ in imported_names(name) if target in MODULES and target != name}


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        layer_of(name)


def test_no_module_imports_a_higher_layer() -> None:
    wrong = [
        f"{MODULES[name].relative_to(APP.parent)}:{line} imports {target}"
        for name in MODULES
        for target, line in imported_names(name)
        if target in MODULES and layer_of(target) > layer_of(name)
    ]
    assert not wrong, "imports that reach up a layer:\n" + "\n".join(wrong)


def test_web_framework_only_in_the_front_ends() -> None:
    wrong = [
        f"{MODULES[name].relative_to(APP.parent)}:{line} imports {target}"
        for name in MODULES
        if not any(within(name, prefix) for prefix in WEB_ALLOWED)
        for target, line in imported_names(name)
        if target.split(".")[0] in WEB_LIBRARIES
    ]
    assert not wrong, "FastAPI, Starlette or Jinja2 outside api/, web/, http/, main, cli:\n" + (
        "\n".join(wrong)
    )


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    # A package's __init__ re-exporting its own modules is not a cycle between layers.
    graph = {
        name: {t for t in app_imports(name) if not within(t, name) and not within(name, t)}
        for name in MODULES
    }
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize(
    ("graph", "has_cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"a"}}, True),
    ],
)
def test_find_cycle_finds_cycles(graph: dict[str, set[str]], has_cycle: bool) -> None:
    assert (find_cycle(graph) is not None) is has_cycle


def test_deferred_and_relative_imports_are_seen() -> None:
    # The checks must see an import hidden inside a function, or a hidden cycle passes.
    source = "def f():\n    from app.web import pages\n    from ..services import articles\n"
    found = {target for target, _ in imports_in(source, package="app.http")}
    assert {"app.web.pages", "app.services.articles"} <= found
