"""The lesson notebooks: structure that nbval alone does not check.

nbval (run by plain ``pytest``, see pyproject.toml) re-executes every notebook and compares its
outputs with the stored ones. These tests make sure that comparison means something: every lesson
has checked outputs (cells with stored outputs that nbval does not ignore), ignores only the cells
that display widgets, uses ipywidgets, and was stored by ``notebooks/run_all.py`` without errors.
"""

import re
from pathlib import Path

import pytest

from ptsim.teaching import lessons

nbformat = pytest.importorskip("nbformat")
widgets = pytest.importorskip("ptsim.teaching.widgets")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception"}


def _read(path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _tags(cell):
    return set(cell.metadata.get("tags", []))


def test_all_nine_lessons_are_there_in_reading_order():
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers[:9] == list(range(1, 10))
    assert numbers == sorted(set(numbers))
    names = [p.name for p in LESSONS]
    assert "08_evidence.ipynb" in names and "09_virtual_trial.ipynb" in names


def test_readme_lists_every_lesson():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        assert path.name in readme, path.name


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_checked_outputs_and_widgets(path):
    nb = _read(path)
    code = _code(nb)
    assert code[0].source.lstrip().startswith("%matplotlib inline")
    checked = [c for c in code if c.outputs and not (_tags(c) & IGNORE_TAGS)]
    assert len(checked) >= 3, "a lesson needs checked outputs so that a model change fails it"
    # the checked outputs include printed numbers, not only figures
    text = "".join(o.get("text", "") for c in checked for o in c.outputs if o.output_type == "stream")
    assert re.search(r"\d+\.\d", text)
    ignored = [c for c in code if _tags(c) & IGNORE_TAGS]
    assert ignored, "the lesson displays an interactive app"
    for cell in ignored:
        # outputs are ignored only where they are a widget (which nbval cannot compare)
        assert "nbval-skip" not in _tags(cell)
        assert any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs), cell.source
    assert any("widgets." in c.source and "_app()" in c.source for c in code)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_was_stored_cleanly(path):
    nb = _read(path)
    counts = []
    for cell in _code(nb):
        assert cell.execution_count is not None, "every cell ran (python notebooks/run_all.py)"
        counts.append(cell.execution_count)
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert "Traceback" not in out.get("text", "")
        assert "execution" not in cell.metadata  # no timestamps: reruns give unchanged files
        # nbval runs cells without history, so IPython ignores a trailing ";" there: assign instead
        assert not cell.source.rstrip().endswith(";"), cell.source
    assert counts == list(range(1, len(counts) + 1)), "cells ran top to bottom in one fresh kernel"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_opens_ready_with_its_apps_stored(path):
    # the displayed apps' widget state is stored, so an unrun lesson shows the app, not a repr
    nb = _read(path)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    views = [o["data"][WIDGET_VIEW] for c in _code(nb) for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    assert views
    for view in views:
        assert view["model_id"] in state
        assert state[view["model_id"]]["model_name"] == "HBoxModel"
    # an untrusted notebook (a lesson opened for the first time) shows the static figure instead
    for c in _code(nb):
        for o in c.outputs:
            if WIDGET_VIEW in o.get("data", {}):
                assert o["data"]["image/png"].startswith("iVBORw0KGgo"), c.source
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for c in _code(nb) for o in c.outputs)
    assert "App(children=" not in text and "VBox(" not in text
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert images and all(m.get("buffers") for m in images), "each stored app carries its figure"
    for model in state.values():  # no timing in the file: reruns give unchanged files
        assert "Updated in" not in str(model["state"].get("value", ""))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_asks_for_predictions_first_and_hides_answers(path):
    nb = _read(path)
    cells = nb.cells
    n = int(path.name[:2])
    ask = next(i for i, c in enumerate(cells) if f"lessons.ask({n})" in c.source)
    first_output = next(i for i, c in enumerate(cells) if c.cell_type == "code" and c.outputs and i != ask)
    assert ask < first_output, "the lesson's questions come before anything it prints"
    for c in cells:
        assert "lessons.solution(" not in c.source and "answer_key(" not in c.source
        text = c.source + "".join(o.get("text", "") for o in c.get("outputs", []))
        assert "DESIGN M" not in text and not re.search(r"\(M\d+\)|\bM\d+[–-]M\d+", text), text[:200]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_exercises_exist_and_can_be_checked(path):
    nb = _read(path)
    source = "\n".join(c.source for c in _code(nb))
    asked = re.findall(r'check_answer\("(\d+\.\d+)"', source)
    lesson = str(int(path.name[:2]))
    if int(lesson) <= 9:
        assert len(set(asked)) >= 2
    for qid in asked:
        assert qid in lessons.QUESTIONS
        assert qid.split(".")[0] == lesson


def test_every_app_is_used_by_a_lesson():
    sources = "\n".join(c.source for p in LESSONS for c in _code(_read(p)))
    for name, factory in widgets.APPS.items():
        assert f"widgets.{factory.__name__}()" in sources, name


def _lesson_source(prefix):
    (path,) = [p for p in LESSONS if p.name.startswith(prefix)]
    return "\n".join(c.source for c in _code(_read(path)))


def test_evidence_and_trial_lessons_cover_what_their_issues_ask():
    evidence = _lesson_source("08_")
    # each published interval beside the model's predictive interval (the app's forest plot and table),
    # the held-out rows and the share of fit rows covered, the rows not modelled with their reason, the
    # unidentified parameters, the premise scenario beside the evidence one, the hypothesis off and the
    # session time budget
    for needed in (
        "widgets.evidence_app()",
        "lessons.evidence_check(",
        "lessons.coverage(",
        'role == "held out"',
        '"not modelled"',
        "lessons.unidentified_table(",
        "lessons.scenario_claims(",
        "consolidation_per_window_min=0.0",
        "lessons.DESIGNS",
    ):
        assert needed in evidence, needed
    trial = _lesson_source("09_")
    for needed in (
        "ptsim.run_trial(",
        "ptsim.power(",
        "plotting.plot_power(",
        ".responders(",
        "lessons.trial_estimates(",
        "widgets.trial_app()",
    ):
        assert needed in trial, needed
