"""The package's layers, held for the whole tree by reading every import
(at module level and inside functions alike):

    visualizer.core      the library: knobs, surfaces, optimizers, schedules, runs, scenes,
                         the engine, explorations, the network, results, lessons
    visualizer.browser   the browser contract: payloads, encoders, events, the player's files
    visualizer.export    the exports (matplotlib for pictures)
    visualizer.live      a live class: its store, its rules, its routes beside the page
    visualizer.page      the Streamlit shell
    visualizer.cli       the command line

Each layer imports only the layers before it in LAYERS (the CLI and the
page stand side by side on top), core and browser never import Streamlit or
matplotlib, and no module imports, however indirectly, a module that
imports it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "visualizer"

# layer -> the layers it may import (itself included)
LAYERS = {
    "core": {"core"},
    "browser": {"core", "browser"},
    "export": {"core", "browser", "export"},
    "live": {"core", "browser", "live"},
    "page": {"core", "browser", "export", "live", "page"},
    "cli": {"core", "browser", "export", "cli"},
    "reference": {"core", "browser", "reference"},
    "__main__": {"cli"},
    "__init__": {"core"},
}
FORBIDDEN = {  # third-party packages a layer must not import
    "core": {"streamlit", "matplotlib"},
    "browser": {"streamlit", "matplotlib"},
    "live": {"streamlit", "matplotlib"},
    "export": {"streamlit"},
    "cli": {"streamlit"},
    "reference": {"streamlit", "matplotlib"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module `path` imports: its own package's modules by full name
    (a `from package import module` counts as the module), others by their
    top-level name."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in known else base)
    return {m if m.startswith("visualizer") else m.split(".")[0] for m in out}


def layer_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = set(modules())
    return {name: imports_of(path, name, known) for name, path in modules().items()}


def test_every_module_is_in_a_layer(graph):
    assert {layer_of(name) for name in graph} <= set(LAYERS)


def test_each_layer_imports_only_the_layers_below(graph):
    wrong = []
    for name, imported in graph.items():
        allowed = LAYERS[layer_of(name)]
        for other in imported:
            if other.startswith("visualizer.") and layer_of(other) not in allowed:
                wrong.append(f"{name} imports {other}")
            if other == "visualizer" and layer_of(name) != "__init__":
                wrong.append(f"{name} imports the top package (import from its home instead)")
    assert not wrong, "\n".join(sorted(wrong))


def test_core_and_browser_never_import_streamlit_or_matplotlib(graph):
    wrong = [f"{name} imports {other}" for name, imported in graph.items()
             for other in imported if other in FORBIDDEN.get(layer_of(name), ())]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles(graph):
    """Tarjan's strongly connected components over every import; a component
    of more than one module is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph or w == v:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    # A package's __init__ that names its modules lazily is not an import of them.
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_imports_another_modules_private_names():
    """A module that needs another's underscore name asks it for a public one."""
    wrong = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        imported = {alias.asname or alias.name.rpartition(".")[2]
                    for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)
                    for alias in node.names if (getattr(node, "module", "") or alias.name).startswith("visualizer")}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("visualizer"):
                wrong += [f"{name} imports {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and isinstance(node.value, ast.Name) and node.value.id in imported):
                wrong.append(f"{name} reads {node.value.id}.{node.attr}")
    assert not wrong, "\n".join(sorted(wrong))
