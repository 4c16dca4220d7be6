"""The lessons' API: what the teaching notebooks call, and answer checking.

The notebooks import this one module. Its computations live in rooms of one job, re-exported here:
:mod:`ptsim.teaching.lesson_runs` (the plans and tables lessons 1-7 simulate),
:mod:`ptsim.teaching.evidence_views` (lessons 8 and 9: the evidence check and virtual trials) and
:mod:`ptsim.teaching.question_bank` (the exercises and how their answers are computed). This module
asks the questions and checks the answers. Answers are never stored: :func:`check_answer` computes
the right answer from the model when it is asked, so a change to the model changes the expected
answers too. Nothing here imports matplotlib or ipywidgets.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

from ptsim.inputs.conditions import load_condition
from ptsim.teaching.evidence_views import (  # noqa: F401 (the lessons' API)
    ARM_WORDS,
    CLAIM_MEMBERS,
    CLAIM_PLANS,
    COMPARES,
    DESIGNS,
    INSTRUMENT_UNITS,
    INSTRUMENT_WORDS,
    MECHANISMS,
    QUANTITY_UNITS,
    QUANTITY_WORDS,
    ROLE_LABELS,
    SCENARIO_LABELS,
    combined_vs_exercise,
    combined_vs_exercise_plans,
    coverage,
    evidence_check,
    evidence_is_cached,
    evidence_rows,
    has_ensemble,
    held_out_lines,
    manual_relief,
    plain,
    point_coverage,
    result_label,
    row_unit,
    scenario_claims,
    trial_estimates,
    unidentified_table,
)
from ptsim.teaching.lesson_runs import (  # noqa: F401 (the lessons' API)
    COMPARED_PLANS,
    EDUCATION_MIN,
    ENGINE,
    PAIN_GROUPS,
    capacity_components,
    compare_plan_set,
    compare_plans,
    exercise_plan,
    key_day_table,
    pain_table,
    with_mean_adherence,
)
from ptsim.teaching.question_bank import (  # noqa: F401 (the lessons' API)
    CHOICES_5_1,
    CHOICES_5_2,
    CHOICES_6_3,
    CHOICES_8_1,
    FUNCTION_CLEAR_POINTS,
    IN_APP,
    NOT_A_WIN,
    OUTCOME_WORDS,
    PLAN_CHOICES,
    QUESTIONS,
    REST_OR_EXERCISE,
    REVEAL_HINT,
    SETTINGS_6_3,
    STANDARD_FOUR,
    TIE,
    TIE_CHOICES,
    TRIAL_ARMS,
    TRIAL_OUTCOME,
    Question,
    Reveal,
    Solved,
    best_or_tie,
    evidence_comparison,
    revealed,
)


@functools.cache
def _solved(question: str) -> Solved:
    """The model's answer, computed once per session (the model does not change while a lesson runs).

    A likely mistake of a number question whose value is accepted (within the question's tolerance)
    is not a mistake for these parameters, so it is left out: no hint calls an accepted answer wrong.
    """
    q = QUESTIONS[question]
    solved = q.solve()
    if q.choices:
        return solved
    kept = {
        m: v
        for m, v in solved.mistakes.items()
        if not _numbers_match(float(v), float(solved.answer), q.tolerance)
    }
    return solved if len(kept) == len(solved.mistakes) else replace(solved, mistakes=kept)


_PREDICTIONS: dict[str, object] = {}


def _question(question: str) -> Question:
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; accepted: {', '.join(QUESTIONS)}")
    return QUESTIONS[question]


def _how(q: Question) -> str:
    return f"one of {', '.join(repr(c) for c in q.choices)}" if q.choices else f"a number ({q.unit})"


def ask(lesson) -> None:
    """Print a lesson's checkable questions, to predict before playing with the lesson.

    Parameters
    ----------
    lesson : int or str
        The lesson number, e.g. ``3``.
    """
    prefix = f"{int(lesson)}."
    ids = [qid for qid in QUESTIONS if qid.startswith(prefix)]
    if not ids:
        raise ValueError(f"lesson {lesson!r} has no questions; lessons with questions: 1-10")
    for qid in ids:
        q = QUESTIONS[qid]
        print(f"{qid}  {q.prompt}\n     Answer with {_how(q)}.")
    print(f'Write your predictions, e.g. predict("{ids[0]}", ...); check them at the end of the lesson.')


def predict(question: str, answer) -> None:
    """Record a prediction before playing; :func:`check_answer` compares with it later."""
    q = _question(question)
    if answer is None:
        print(f"{question}: no prediction yet (replace None with your guess: {_how(q)}).")
        return
    _PREDICTIONS[question] = answer
    print(
        f"Prediction for {question} noted: {answer!r}. Check it with check_answer at the end of the lesson."
    )


def _norm(value) -> str:
    return str(value).strip().lower().replace(" ", "_")


def _numbers_match(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol + 1e-9


def _feedback(q: Question, s: Solved, answer) -> str:
    """What a wrong answer probably got wrong: a sign, a unit, another plan or setting."""
    if q.choices:
        mine, right = _norm(answer), _norm(s.answer)
        reasoning = {_norm(k): v for k, v in s.mistakes.items() if isinstance(v, str)}
        if mine in reasoning:
            return f"Not quite: that is {reasoning[mine]}. Where to look: {q.where}."
        by = {_norm(k): v for k, v in s.values.items()}
        if mine in by and right in by and q.value_label and by[mine] != by[right]:
            return (
                f"Not quite. Look again at {q.value_label}: compare {answer!r} with the other choices. "
                f"Where to look: {q.where}."
            )
        return f"Not quite. Where to look: {q.where}."
    target, tol = float(s.answer), q.tolerance
    # a recognised mistake first: its own hint is more specific than a sign or a unit
    matched = [
        mistake
        for mistake, value in s.mistakes.items()
        if _numbers_match(answer, float(value), tol) and not _numbers_match(float(value), target, tol)
    ]
    if matched:  # two slips can give the same number: name each
        return "Not quite: that is " + ". Or it is ".join(matched) + "."
    if target != 0 and _numbers_match(answer, -target, tol):
        return (
            "Check the sign: the size is on target, the direction is not (a loss is negative; 'A minus B' "
            "is negative when B is larger)."
        )
    if "%" in q.unit and target != 0 and _numbers_match(answer, target / 100, max(tol / 100, 0.0001)):
        return (
            f"Check the units: the answer is in {q.unit} (a percentage), and yours looks like a proportion."
        )
    if _numbers_match(answer, target, max(3 * tol, 0.05 * abs(target))):
        return f"Close: check the setting and the rounding the question asks for. Where to look: {q.where}."
    return f"Not quite. Where to look: {q.where}."


def is_correct(question: str, answer) -> bool:
    """Whether an answer to a lesson exercise is right, without printing anything.

    For graders and tests; students use :func:`check_answer`, which explains.

    Parameters
    ----------
    question : str
        The exercise's id, e.g. ``"1.1"`` (see ``QUESTIONS``).
    answer : str or number
        The answer; one that is not of the question's kind (not a choice, not a finite number) is wrong.
    """
    q = _question(question)
    if q.choices:
        return _norm(answer) in {_norm(c) for c in q.choices} and _norm(answer) == _norm(
            _solved(question).answer
        )
    if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
        return False
    return _numbers_match(float(answer), float(_solved(question).answer), q.tolerance)


def check_answer(question: str, answer=None) -> None:
    """Check a student's answer to a lesson exercise against the model, and say why.

    The right answer is computed from the model (once per session) and is not printed: a wrong answer
    gets a hint naming the likely mistake, a right one the explanation with the model's numbers. It
    prints and returns nothing (so a notebook shows the feedback, not a bare ``True``/``False``; use
    :func:`is_correct` for the verdict alone).

    Parameters
    ----------
    question : str
        The exercise's id, e.g. ``"1.1"`` (see ``QUESTIONS``).
    answer : str or number or None
        The student's answer; None prints the question and how to answer.
    """
    print(feedback(question, answer))


def feedback(question: str, answer=None) -> str:
    """What :func:`check_answer` prints: the question, the verdict with its explanation, or a hint."""
    q = _question(question)
    if answer is None:
        example = f"check_answer({question!r}, ...)"
        return f"Question {question}: {q.prompt}\nAnswer with {_how(q)}, e.g. {example}."
    if q.choices:
        if _norm(answer) not in {_norm(c) for c in q.choices}:
            return f"{answer!r} is not one of the accepted answers: {', '.join(q.choices)}"
    elif isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
        return f"Question {question} needs a number ({q.unit}), got {answer!r}"
    s = _solved(question)
    text = ("Correct. " + s.explanation) if is_correct(question, answer) else _feedback(q, s, answer)
    if question in _PREDICTIONS:
        guess = _PREDICTIONS[question]
        same = is_correct(question, guess)
        text += f" (Your prediction was {guess!r}: {'right' if same else 'not what the model gives'}.)"
    return text


def answer_key(question: str) -> Solved:
    """The model's answer to an exercise (for the instructor material; see docs/instructor/)."""
    _question(question)
    return _solved(question)


def story_note(condition, story: str = "knee_oa") -> None:
    """Say plainly when a lesson's apps show another condition than its story and exercises are about.

    Parameters
    ----------
    condition : str or Condition
        The lesson's ``CONDITION`` (what its apps and computed cells show).
    story : str
        The condition the lesson's story, prose and exercises are written for.
    """
    cond = load_condition(condition)
    told = load_condition(story)
    if cond.name != told.name:
        print(
            f"Note: this lesson now computes for {cond.title}. Its story, its prose and its exercises are "
            f"written for {told.title}: read the figures and numbers for {cond.title}, and the text as "
            f"the {told.title} example (the exercises name their own condition and do not change)."
        )
