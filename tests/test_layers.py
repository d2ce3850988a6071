"""The package's layers: imports only run downwards, and there are no import cycles.

Layers, lowest first (``docs/architecture.md``): ``_checks`` and ``data``;
``ops``; ``projections``; ``spiking`` and ``rate`` (siblings: neither imports
the other); ``fitting``; the model packages (``joglekar2018``,
``potjans2014``); ``cli``; the package's ``__init__`` (the public API) on top.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "multiarea"

#: top-level part of the package -> its layer
LAYERS = {"_checks": 0, "_files": 0, "_memory": 0, "data": 0, "ops": 1, "projections": 2, "spiking": 3, "rate": 3, "fitting": 4,
          "joglekar2018": 5, "potjans2014": 5, "schmidt2018": 5, "cli": 6, "": 7}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, top_level_only: bool):
    """Modules of the package that module ``name`` imports."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "multiarea"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "multiarea":
                target = node.module
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


def _part(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_belongs_to_a_layer():
    assert {_part(m) for m in MODULES} <= set(LAYERS), sorted({_part(m) for m in MODULES} - set(LAYERS))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_run_downwards(name):
    part = _part(name)
    for target in _imports(name, top_level_only=False):
        other = _part(target)
        if other == part:
            continue
        assert LAYERS[other] < LAYERS[part], (
            f"{name} (layer {LAYERS[part]}, {part or 'the package'}) imports {target} "
            f"(layer {LAYERS[other]}, {other})")


def test_no_import_cycles():
    graph = {m: _imports(m, top_level_only=True) for m in MODULES}
    # a package's __init__ importing its own submodules is how packages are made, not a cycle
    graph = {m: {t for t in targets if not t.startswith(m + ".")} for m, targets in graph.items()}
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                cycle = stack[stack.index(t):] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t, stack + [t])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
