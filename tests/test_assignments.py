"""The nbgrader course written from the lessons' answer bank, graded by nbgrader itself.

``python -m ptsim.teaching.assignments`` writes the course; nbgrader's own ``generate_assignment``
releases it (solutions and hidden tests removed) and ``autograde`` grades a correct, a wrong and a
half-right submission. The scores must be full, zero and half marks, and the wrong answers' grading
output must carry the lessons' hint, not the answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ptsim.teaching import assignments, lessons

ROOT = Path(__file__).resolve().parent.parent
LESSON = 3
"""The lesson graded in the round trip (its exercises are quick to compute)."""


def _env() -> dict:
    parts = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(parts))}


def _run(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)


def _wrong(qid: str):
    q, right = lessons.QUESTIONS[qid], lessons.answer_key(qid).answer
    if q.choices:
        return next(c for c in q.choices if c != right)
    return float(right) + 10 * q.tolerance + 5


def _submit(course: Path, name: str, student: str, answers: dict) -> None:
    import nbformat

    nb = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    filled = 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id in answers:
            assert "raise NotImplementedError()" in cell.source  # the release holds no solution
            cell.source = f"{grade_id} = {answers[grade_id]!r}"
            filled += 1
        if cell.cell_type == "code":
            assert "BEGIN HIDDEN TESTS" not in cell.source and "is_correct" not in cell.source
    assert filled == len(answers)
    target = course / "submitted" / student / name
    target.mkdir(parents=True)
    nbformat.write(nb, target / f"{name}.ipynb")


def test_the_course_is_written_from_the_answer_bank(tmp_path):
    import nbformat

    written = assignments.write_course(tmp_path / "course")
    assert [p.parent.name for p in written] == [
        assignments.assignment_name(n) for n in assignments.lessons_with_questions()
    ]
    every = []
    for path in written:
        nb = nbformat.read(path, as_version=4)
        graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        asked = [c.metadata["nbgrader"]["grade_id"].removeprefix("test_answer_") for c in graded]
        every += [a.replace("_", ".") for a in asked]
        assert all(c.metadata["nbgrader"]["points"] == 1 for c in graded)
    assert every == list(lessons.QUESTIONS)  # every exercise, once, in order


def test_a_bad_lesson_is_a_clear_error(tmp_path, capsys):
    assert assignments.main([str(tmp_path / "c"), "--lessons", "42"]) == 2
    err = capsys.readouterr().err
    assert "lesson 42 has no checkable exercises" in err and "Traceback" not in err
    assert not (tmp_path / "c").exists()


@pytest.mark.skipif(
    shutil.which("nbgrader") is None, reason='nbgrader is not installed: pip install -e ".[test]"'
)
def test_nbgrader_generates_and_autogrades_the_assignment(tmp_path):
    course = tmp_path / "course"
    out = _run(
        [sys.executable, "-m", "ptsim.teaching.assignments", str(course), "--lessons", str(LESSON)], ROOT
    )
    assert out.returncode == 0, out.stderr
    name = assignments.assignment_name(LESSON)
    gen = _run(["nbgrader", "generate_assignment", name, "--force"], course)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    qids = [q for q in lessons.QUESTIONS if q.startswith(f"{LESSON}.")]
    right = {assignments.answer_variable(q): lessons.answer_key(q).answer for q in qids}
    wrong = {assignments.answer_variable(q): _wrong(q) for q in qids}
    half = {**right, assignments.answer_variable(qids[-1]): _wrong(qids[-1])}
    for student, answers in (("right", right), ("wrong", wrong), ("half", half)):
        _submit(course, name, student, answers)
    graded = _run(["nbgrader", "autograde", name, "--create"], course)
    assert graded.returncode == 0, graded.stdout + graded.stderr

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(name, s).score for s in ("right", "wrong", "half")}
        assert gb.find_submission(name, "right").max_score == len(qids)
    assert scores == {"right": len(qids), "wrong": 0, "half": len(qids) - 1}
    # the wrong answers' grading output is the lessons' feedback, never the answer
    text = (course / "autograded" / "wrong" / name / f"{name}.ipynb").read_text()
    assert "Not quite" in text
    for q in qids:
        assert f"Correct. {lessons.answer_key(q).explanation[:40]}" not in text
