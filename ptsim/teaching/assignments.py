"""Write an nbgrader course from the lessons' answer bank.

    python -m ptsim.teaching.assignments COURSE_DIR [--lessons 1 3 ...]

writes ``COURSE_DIR/nbgrader_config.py`` and, for each lesson with checkable exercises, the source
notebook ``COURSE_DIR/source/ptsim_lesson_N/ptsim_lesson_N.ipynb``: each exercise of
:data:`ptsim.teaching.lessons.QUESTIONS` as its prompt, an autograded answer cell and a test cell
worth one point. The answer cell's solution is the model's answer when the course is written; the
test cell's hidden test checks the student's answer with :func:`ptsim.teaching.lessons.is_correct`,
which computes the answer from the model when grading, so a course written before a refit is graded
by the model that grades it. Students get the feedback of the lessons (the likely mistake, never the
answer) in the test's message.

Then, from ``COURSE_DIR``, nbgrader's own commands do the rest (``pip install -e ".[test]"`` installs
nbgrader)::

    nbgrader generate_assignment ptsim_lesson_3   # release/: solutions and hidden tests removed
    nbgrader autograde ptsim_lesson_3             # grades submitted/<student>/ptsim_lesson_3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ptsim.teaching import lessons

NBGRADER_SCHEMA = 3
"""nbgrader's cell-metadata schema version the cells are written in (nbgrader 0.9)."""

CONFIG = """c = get_config()  # noqa: F821  (nbgrader's configuration file)
c.CourseDirectory.course_id = "ptsim"
c.ClearSolutions.code_stub = {{"python": "# YOUR ANSWER HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = {timeout}
"""


def assignment_name(lesson: int) -> str:
    """The nbgrader assignment (and notebook) name of a lesson, e.g. ``ptsim_lesson_3``."""
    return f"ptsim_lesson_{lesson}"


def answer_variable(question: str) -> str:
    """The variable a student's answer to an exercise is stored in, e.g. ``answer_3_1``."""
    return "answer_" + question.replace(".", "_")


def lessons_with_questions() -> list[int]:
    """The lessons that have checkable exercises, in order."""
    return sorted({int(q.split(".")[0]) for q in lessons.QUESTIONS})


def _questions(lesson: int) -> list[str]:
    ids = [q for q in lessons.QUESTIONS if q.split(".")[0] == str(lesson)]
    if not ids:
        raise ValueError(
            f"lesson {lesson!r} has no checkable exercises; lessons with exercises: "
            f"{', '.join(map(str, lessons_with_questions()))}"
        )
    return ids


def _meta(grade_id: str, *, solution: bool, grade: bool, points: float | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _how(q: lessons.Question) -> str:
    if q.choices:
        return "one of " + ", ".join(repr(c) for c in q.choices) + " (a string, in quotes)"
    return f"a number ({q.unit}, as the question rounds it)"


def source_notebook(lesson: int, solutions: bool = True):
    """The nbgrader source notebook of one lesson (an ``nbformat`` notebook).

    Parameters
    ----------
    lesson : int
        The lesson number.
    solutions : bool
        Write the model's answers in the solution regions (default True). The answers are computed
        here, from the model; nbgrader's ``generate_assignment`` removes them from what students get.
    """
    import nbformat.v4 as nbf

    ids = _questions(lesson)
    cells = [
        nbf.new_markdown_cell(
            f"# ptsim lesson {lesson}: graded exercises\n\n"
            f"Answer each exercise of lesson {lesson} below, in the cell under its question: replace the "
            "two lines `# YOUR ANSWER HERE` and `raise NotImplementedError()` by the answer, e.g. "
            f"`{answer_variable(ids[0])} = ...`. Use the lesson's notebook and its apps to find the "
            "answers; run the test cell under each answer to see that it is of the right kind. Your answers "
            "are graded against the model when they are collected.",
            metadata={"nbgrader": {**_meta("intro", solution=False, grade=False)["nbgrader"]}},
        ),
        nbf.new_code_cell(
            "from ptsim.teaching import lessons", metadata=_meta("setup", solution=False, grade=False)
        ),
    ]
    for qid in ids:
        q = lessons.QUESTIONS[qid]
        var = answer_variable(qid)
        cells.append(
            nbf.new_markdown_cell(
                f"**{qid}.** {q.prompt}\n\nAnswer with {_how(q)}. Where to look: {q.where}.",
                metadata=_meta(f"question_{var}", solution=False, grade=False),
            )
        )
        answer = lessons.answer_key(qid).answer if solutions else None
        cells.append(
            nbf.new_code_cell(
                f"### BEGIN SOLUTION\n{var} = {answer!r}\n### END SOLUTION",
                metadata=_meta(var, solution=True, grade=False),
            )
        )
        kind = "str" if q.choices else "(int, float)"
        cells.append(
            nbf.new_code_cell(
                f'"""{qid}: one point."""\n'
                f"assert isinstance({var}, {kind}), {f'answer {qid} with {_how(q)}'!r}\n"
                "### BEGIN HIDDEN TESTS\n"
                f"assert lessons.is_correct({qid!r}, {var}), lessons.feedback({qid!r}, {var})\n"
                "### END HIDDEN TESTS",
                metadata=_meta(f"test_{var}", solution=False, grade=True, points=1),
            )
        )
    nb = nbf.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_course(root, lesson_numbers=None, timeout: int = 600) -> list[Path]:
    """Write the nbgrader course: its configuration and one source assignment per lesson.

    Parameters
    ----------
    root : str or Path
        The course directory (created if missing).
    lesson_numbers : list of int, optional
        The lessons to write (default: every lesson with exercises).
    timeout : int
        Seconds nbgrader lets one cell run when it grades (the first answer of a lesson simulates).

    Returns
    -------
    list of Path
        The source notebooks written.
    """
    import nbformat

    root = Path(root)
    numbers = lessons_with_questions() if lesson_numbers is None else [int(n) for n in lesson_numbers]
    for n in numbers:
        _questions(n)  # a clear error before anything is written
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(timeout=int(timeout)))
    written = []
    for n in numbers:
        name = assignment_name(n)
        path = root / "source" / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(n), path)
        written.append(path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ptsim.teaching.assignments",
        description="Write an nbgrader course (source assignments with autograded answers) from the "
        "lessons' answer bank.",
    )
    parser.add_argument("course", help="the course directory to write (nbgrader's course root)")
    parser.add_argument(
        "--lessons", nargs="+", type=int, metavar="N", help="lessons to write (default: all with exercises)"
    )
    args = parser.parse_args(argv)
    try:
        written = write_course(args.course, args.lessons)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(
        f"Wrote {len(written)} assignment(s). From {args.course}: nbgrader generate_assignment "
        f"{assignment_name(int(written[0].parent.name.rsplit('_', 1)[1]))}, then nbgrader autograde it."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
