"""Every code block of the README runs as written (issue 24: the README had drifted from the code).

The Python blocks run in order in one namespace, in a fresh folder (as a reader pasting them into one
session would); the plan TOML block loads and runs; the schedule TOML block is the shipped file it
says it shows; every ``ptsim`` command of the shell blocks runs through ``ptsim``'s ``main`` in that
folder (with the files the README tells the reader to make: ``my_condition.toml`` a copy of a shipped
condition, ``my_plan.toml`` the plan block) and ends with status 0; the error example prints what the
README shows. Installs, the test command and the dashboard server are the only lines not run here:
:data:`NOT_RUN_HERE` says which test runs each instead.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from pathlib import Path

import pytest

import ptsim
from ptsim.cli import commands as cli
from ptsim.inputs.conditions import conditions_dir

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)

NOT_RUN_HERE = {
    "pip install": "installing: tests/test_packaging.py builds and installs the package",
    "pytest": "the test suite itself",
    "ptsim dashboard": "a server that runs until Ctrl-C: tests/test_dashboard_serve.py",
}
"""Shell lines of the README this test does not run, by prefix, with where they are tested."""


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCKS if lang == language]


def commands() -> list[str]:
    """The shell blocks' commands, one per entry: comments dropped, continuation lines joined, ``a &&
    b`` split."""
    out = []
    for code in blocks("bash"):
        text = re.sub(r"\\\n\s*", " ", code)
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            out += [part.strip() for part in line.split("&&") if part.strip()]
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A reader's folder after the Python blocks ran in it (they write my_patients.csv and visits.csv)."""
    return tmp_path_factory.mktemp("readme")


def test_the_python_blocks_run_in_order_as_written(folder):
    namespace: dict = {}
    with contextlib.chdir(folder):
        for i, code in enumerate(blocks("python")):
            exec(compile(code, f"README.md, Python block {i + 1}", "exec"), namespace)
    assert (folder / "my_patients.csv").is_file()
    assert namespace["res"].pain.shape == (1_000_000, 3)  # the big-cohort block ran last


def test_the_plan_block_loads_and_the_schedule_block_is_the_shipped_file(tmp_path):
    plan_block, schedule_block = blocks("toml")
    path = tmp_path / "my_plan.toml"
    path.write_text(plan_block, encoding="utf-8")
    plan = ptsim.load_plan(path)
    assert plan.name == "mobilize_then_load" and plan.sessions_per_week == 3
    assert ptsim.simulate("knee_oa", plan, n_patients=5, days=60).pain.shape == (5, 61)
    shipped = ROOT / "data" / "plans" / "manual_then_exercise_boosters.toml"
    assert schedule_block == shipped.read_text(encoding="utf-8")


def test_every_ptsim_command_of_the_shell_blocks_runs(folder, capsys):
    if not (folder / "my_patients.csv").is_file():
        pytest.skip("needs the Python blocks' files (test_the_python_blocks_run_in_order_as_written)")
    (folder / "my_condition.toml").write_bytes((conditions_dir() / "knee_oa.toml").read_bytes())
    (folder / "my_plan.toml").write_text(blocks("toml")[0], encoding="utf-8")
    ran = []
    for command in commands():
        if command.startswith(tuple(NOT_RUN_HERE)):
            continue
        argv = shlex.split(command)
        assert argv[:1] == ["ptsim"] or argv[:3] == ["python", "-m", "ptsim"], command
        argv = argv[1:] if argv[0] == "ptsim" else argv[3:]
        with contextlib.chdir(folder):
            status = cli.main(argv)
        err = capsys.readouterr().err
        assert status == 0, f"{command}: {err}"
        ran.append(command)
    assert len(ran) >= 9  # python -m ptsim, list, show x2, compare x3, trial x2


def test_the_error_example_prints_what_the_readme_shows(capsys):
    (example,) = blocks("text")
    prompt, shown = example.strip().splitlines()
    assert cli.main(shlex.split(prompt.removeprefix("$ "))[1:]) == 2
    assert capsys.readouterr().err.strip() == shown


def test_every_skipped_line_is_an_install_the_test_command_or_the_server():
    skipped = [c for c in commands() if c.startswith(tuple(NOT_RUN_HERE))]
    assert all(not c.startswith("ptsim") or c.startswith("ptsim dashboard") for c in skipped)
    assert any(c.startswith("ptsim dashboard") for c in skipped)


def test_the_readme_says_how_long_the_tests_take():
    assert re.search(r"takes about \d+ minutes on 2 cores", README)
