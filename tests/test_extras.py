"""Optional extras: a feature whose extra is missing says so in one line naming the ``pip install``,
before any work is done (issue 24)."""

import importlib.util

import pytest

from ptsim.core import extras


def _without(monkeypatch, *modules):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a, **k: None if name in modules else real(name, *a, **k)
    )


def test_sobol_without_salib_names_the_sensitivity_extra(monkeypatch):
    from ptsim.analysis.sensitivity import sobol

    _without(monkeypatch, "SALib")
    with pytest.raises(extras.MissingExtraError) as err:
        sobol("knee_oa", "exercise_only", ["tolerance_full_nprs"], n_base=16, n_patients=2, day=7)
    assert str(err.value) == (
        'sensitivity.sobol: SALib is not installed; pip install -e ".[sensitivity]" in the ptsim folder (or '
        'pip install "ptsim[sensitivity]")'
    )


def test_handouts_without_the_lab_extra_end_in_one_line_and_no_folder(monkeypatch, tmp_path, capsys):
    from ptsim.teaching import handouts

    _without(monkeypatch, "nbclient", "nbconvert")
    out = tmp_path / "handouts"
    with pytest.raises(SystemExit) as stop:
        handouts.main(["--out", str(out), "01"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "python -m ptsim.teaching.handouts: error: handouts: nbclient, nbconvert are not installed; "
        'pip install -e ".[lab]" in the ptsim folder (or pip install "ptsim[lab]")\n'
    )
    assert not out.exists()


def test_every_extra_is_one_of_the_projects_extras():
    import tomllib
    from pathlib import Path

    declared = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert set(extras.EXTRAS) <= set(declared["project"]["optional-dependencies"])
    with pytest.raises(ValueError, match="extra must be one of"):
        extras.require("labs", "x")
