"""The layers of ``ptsim/`` and the direction of imports between them (docs/architecture.md).

Every import is read from the source with ``ast``, including imports inside functions, so a
function-level import cannot hide a dependency that points the wrong way.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ptsim"

# Lowest first: a module may import its own layer and the layers before it, never one after it.
LAYERS = ("core", "inputs", "engine", "analysis", "teaching", "cli")
# Only the teaching layer draws or shows controls.
TEACHING_ONLY = ("matplotlib", "ipywidgets", "IPython", "voila")


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 and rel[0] in LAYERS else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports (ptsim.<layer>.<module>)"
            names.append(node.module or "")
            if node.module == "ptsim":  # from ptsim import <subpackage>
                names += [f"ptsim.{alias.name}" for alias in node.names]
    return names


def test_the_package_is_its_layers():
    top = {p.name for p in PACKAGE.iterdir() if not p.name.startswith((".", "__pycache__"))}
    assert top == {"__init__.py", "__main__.py", *LAYERS}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path):
    layer = _layer(path)
    if layer is None:
        return  # ptsim/__init__.py and __main__.py sit above the layers
    rank = LAYERS.index(layer)
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "ptsim" and len(parts) > 1 and parts[1] in LAYERS:
            assert LAYERS.index(parts[1]) <= rank, f"{path.name} ({layer}) imports {name}"
        if parts[0] in TEACHING_ONLY:
            assert layer == "teaching", f"{path.name} ({layer}) imports {name}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _ptsim_targets(path: Path) -> set[str]:
    """The ptsim modules ``path`` imports (top-level or inside functions): ``from a.b import c`` counts
    as an import of module ``a.b.c`` when that is a module, else of ``a.b``."""
    known = {_module_name(p) for p in _modules()}
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "ptsim"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ptsim":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in known else node.module)
    return {t for t in out if t in known}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(m):
        state[m] = 1
        path.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                return [*path[path.index(t) :], t]
            if t not in state and (found := visit(t)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_inside_the_package():
    """The modules of ptsim import each other without a cycle, counting imports inside functions
    (the package ``__init__`` files and ``ptsim/__init__.py``, which re-export, included)."""
    graph = {_module_name(p): _ptsim_targets(p) - {_module_name(p)} for p in _modules()}
    assert _cycle(graph) is None, "import cycle: " + " -> ".join(_cycle(graph))


def test_the_engine_uses_no_private_names_of_its_siblings():
    """Modules of the engine layer import only public names from one another."""
    for path in sorted((PACKAGE / "engine").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ptsim.engine"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"
