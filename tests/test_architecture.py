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
