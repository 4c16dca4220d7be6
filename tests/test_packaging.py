"""Packaging: the wheel carries its data; environment.yml matches pyproject.toml; docs are current."""

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"build": "python-build"}


def _requirements():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for _extra, items in meta["optional-dependencies"].items():
        reqs += [r for r in items if not r.startswith("ptsim[")]
    parsed = {}
    for r in reqs:
        m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$", r)
        parsed[m.group(1).lower()] = m.group(3).strip()
    return parsed


def _environment():
    deps = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)\s*([<>=!].*)?$", line)
        if m:
            deps[m.group(1).lower()] = (m.group(2) or "").strip()
    return deps


def test_environment_yml_lists_every_dependency_with_the_same_lower_bound():
    env = _environment()
    assert "python" in env and env["python"] == ">=3.11"
    for name, spec in _requirements().items():
        conda = CONDA_NAMES.get(name, name)
        assert conda in env, f"environment.yml lacks {conda} (pyproject: {name}{spec})"
        assert env[conda] == spec, f"{conda}: environment.yml says {env[conda]!r}, pyproject {spec!r}"


def test_model_document_tables_are_up_to_date():
    from ptsim.cli.docs import render

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert render(text) == text, "docs/model.md is out of date: run python -m ptsim.cli.docs"


@pytest.mark.slow
def test_wheel_finds_its_conditions_outside_the_checkout(tmp_path):
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("ptsim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ptsim/data/conditions/knee_oa.toml" in names
    assert "ptsim/teaching/dashboard.ipynb" in names  # ptsim dashboard serves it
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import ptsim, pathlib; "
        f"assert pathlib.Path(ptsim.__file__).is_relative_to(pathlib.Path(r'{target}')), ptsim.__file__; "
        "print(len(ptsim.list_conditions()), ptsim.load_condition('knee_oa').title)"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    shipped = len(list((ROOT / "data" / "conditions").glob("*.toml")))
    assert run.stdout.strip() == f"{shipped} Knee osteoarthritis"
