"""The lessons' exercises: each question, and how the model's answer is computed.

A :class:`Question` names its lesson, what is asked, the accepted answer's kind and tolerance, where
the reader finds the number in the lesson, and a solver that computes the model's answer when asked
(answers are never stored, so a change to the model changes them too). :mod:`ptsim.teaching.lessons`
checks answers against them.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ptsim.core.techniques import TABLE as TECHNIQUE_TABLE
from ptsim.engine.simulate import compare, simulate, trace_session
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import Component, Session, standard_plans
from ptsim.teaching.evidence_views import (
    CLAIM_MEMBERS,
    coverage,
    evidence_check,
    has_ensemble,
    manual_relief,
    trial_estimates,
)
from ptsim.teaching.lesson_runs import (
    COMPARED_PLANS,
    ENGINE,
    capacity_components,
    compare_plans,
    exercise_plan,
    pain_table,
)

# ---------------------------------------------------------------------------------------------------
# Exercises: predict first, then check against the model

REVEAL_HINT = "open it once you have made your predictions"
"""What a reveal's title adds by default: predict, then reveal."""


@dataclass(frozen=True)
class Reveal:
    """Text shown only once the reader asks: a collapsed ``<details>`` block in a notebook.

    In a notebook the text sits under a one-line title that opens it (the reveal control); as plain
    text (a console, nbval's comparison of stored outputs) it is the title and the text.

    Attributes
    ----------
    title : str
        The line that opens it, e.g. "Mean pain by plan (open it once you have answered 1.1)".
    text : str
        What it reveals (preformatted text, e.g. a printed table).
    """

    title: str
    text: str

    def __repr__(self) -> str:
        return f"{self.title}\n{self.text}"

    def _repr_html_(self) -> str:
        import html

        return (
            f"<details class='ptsim-reveal'><summary><b>{html.escape(self.title)}</b></summary>"
            f"<pre>{html.escape(self.text)}</pre></details>"
        )


@contextlib.contextmanager
def revealed(title: str):
    """Collect what a notebook cell prints and show it behind a reveal control (:class:`Reveal`).

    Example::

        with lessons.revealed("All four techniques (open it once you have answered 2.1)"):
            print(table.to_string())

    Parameters
    ----------
    title : str
        The reveal's title: what it shows, and when to open it.
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    shown = Reveal(title, buffer.getvalue().rstrip("\n"))
    try:
        from IPython.display import display
    except ImportError:  # outside IPython: plain text
        print(repr(shown))
    else:
        display(shown)


@dataclass(frozen=True)
class Solved:
    """The model's answer to an exercise, with the numbers behind it.

    Attributes
    ----------
    answer : str or float
        One of the question's choices, or a number rounded as the question asks.
    values : dict of str to float
        For a choice question, the number behind each choice (e.g. each plan's mean pain).
    mistakes : dict
        For a number question, what a likely mistake would give (float), described (e.g. "the value
        for exercise only: the question asks about combined care"). For a choice question, a choice ->
        the likely reasoning behind picking it (str), shown when that choice is wrong.
    explanation : str
        Why, with the model's numbers; shown once the answer is right.
    """

    answer: str | float
    values: dict = field(default_factory=dict)
    mistakes: dict = field(default_factory=dict)
    explanation: str = ""


@dataclass(frozen=True)
class Question:
    """A lesson exercise whose answer is computed from the model when checked.

    Attributes
    ----------
    prompt : str
        The question, naming its condition and settings (it does not change with a lesson's
        ``CONDITION``: the exercises are the knee OA story unless they name another condition).
    solve : callable
        ``solve() -> Solved``.
    choices : tuple of str
        Accepted answers for a multiple-choice question (empty for a number).
    tolerance : float
        Accepted absolute difference for a number.
    unit : str
    where : str
        Where in the lesson the student finds the number or can test the prediction.
    value_label : str
        For a choice question, what the numbers of ``Solved.values`` are (with unit).
    """

    prompt: str
    solve: Callable[[], Solved]
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0
    unit: str = ""
    where: str = ""
    value_label: str = ""


def _std(condition, n=100, days=365, plans=None):
    return compare(condition, plans or standard_plans(), n_patients=n, days=days, seed=0, engine=ENGINE)


def _mean(comp, plan, outcome, day):
    return float(comp[plan].outcome(outcome)[:, day].mean())


def _by_plan(comp, outcome, day, plans=COMPARED_PLANS):
    return {p: _mean(comp, p, outcome, day) for p in plans}


def _pick(values, lowest):
    return (min if lowest else max)(values, key=values.get)


def _listing(values, fmt=".1f", unit=""):
    return ", ".join(f"{k.replace('_', ' ')} {v:{fmt}}{unit}" for k, v in values.items())


OUTCOME_WORDS = {"function": "function", "rom": "range of motion", "strength": "strength", "pain": "pain"}
"""Plain names of the four outcomes, for the exercises' feedback."""


def _leads_elsewhere(comp, day, asked, answer, plans=COMPARED_PLANS):
    """The likely misreading of a 'which plan is best' question: reading another outcome's panel.

    For each wrong plan that is best on day ``day`` on an outcome other than ``asked``: that plan ->
    the reasoning (what it leads on, not the answer).
    """
    reasoning = {}
    for plan in plans:
        if plan == answer:
            continue
        for outcome in OUTCOME_WORDS:
            if outcome != asked and _pick(_by_plan(comp, outcome, day, plans), outcome == "pain") == plan:
                reasoning[plan] = (
                    f"the plan that leads on {OUTCOME_WORDS[outcome]} on day {day}; the question asks about "
                    f"{OUTCOME_WORDS[asked]} alone"
                )
                break
    return reasoning


TIE = "a tie"
"""The answer to a 'which plan is best' exercise when the evidence cannot separate the best plans."""


def evidence_comparison(condition="knee_oa", plans=COMPARED_PLANS, days: int = 365, n_patients: int = 100):
    """Standard plans on the condition's stored evidence ensemble, so that every difference carries the
    evidence interval (:data:`CLAIM_MEMBERS` members; the calibrated values without a stored ensemble).

    Parameters
    ----------
    condition : str or Condition
    plans : tuple of str
        Names of standard plans (:func:`ptsim.standard_plans`).
    days, n_patients : int
    """
    std = standard_plans()
    unknown = [p for p in plans if p not in std]
    if unknown:
        raise ValueError(f"plans: {unknown[0]!r} is not a standard plan; accepted: {', '.join(std)}")
    cond = load_condition(condition)
    ensemble = CLAIM_MEMBERS if has_ensemble(cond.name) else False
    return compare(
        cond,
        {p: std[p] for p in plans},
        n_patients=n_patients,
        days=days,
        seed=0,
        engine=ENGINE,
        ensemble=ensemble,
    )


def best_or_tie(comp, outcome: str, day: int, plans=COMPARED_PLANS, lowest: bool = True):
    """Which plan is best on an outcome and day, or whether the evidence leaves a tie.

    The plan with the best mean is compared with every other plan (``Comparison.differences``, the
    evidence interval when the comparison runs an ensemble); each other plan ties with it when the
    interval includes 0 or lies inside +-MCID of the outcome (a difference smaller than the MCID is
    not a win: :data:`NOT_A_WIN`).

    Returns
    -------
    answer : str
        The best plan, or :data:`TIE`.
    means : dict of str to float
        Each plan's mean.
    rows : pandas.DataFrame
        The differences from the best plan (columns of ``Comparison.differences``).
    """
    means = _by_plan(comp, outcome, day, plans)
    best = _pick(means, lowest)
    rows = comp.differences(reference=best, days=[day], outcomes=[outcome])
    rows = rows[rows.plan.isin(plans)]
    tied = rows[_ties(rows)]
    return (TIE if len(tied) else best), means, rows


NOT_A_WIN = ("fixed by design", "not separated", "smaller than the MCID", "below the instrument's resolution")
"""Verdicts of :func:`ptsim.core.intervals.judge` under which neither plan wins: the evidence cannot
separate them, or it can but by less than the MCID (or than the instrument can read)."""


def _ties(rows):
    """Which difference rows are ties (:data:`NOT_A_WIN`)."""
    return rows.judgement.isin(NOT_A_WIN).to_numpy()


def _interval_words(rows, unit: str) -> str:
    return "; ".join(
        f"{r.plan.replace('_', ' ')} minus {r.reference.replace('_', ' ')} {r.mean_difference:+.2f} {unit} "
        f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]"
        for r in rows.itertuples()
    )


def _tie_mistakes(answer, rows) -> dict:
    """The likely reasoning behind a wrong pick in a 'best plan, or a tie' exercise."""
    if answer == TIE:
        tied = [rows.reference.iloc[0], *rows.plan[_ties(rows)]]
        return dict.fromkeys(
            tied,
            "a plan with one of the lowest model means. Before naming a winner, read the evidence interval "
            "of the difference between them: does it exclude 0, and does it reach beyond the MCID (2 NPRS "
            "points for pain)?",
        )
    return {
        TIE: "the 'their means are close, so they tie' reasoning. Close is not the test: read the evidence "
        "interval of each difference from the best plan: it excludes 0 and reaches beyond the MCID"
    }


def _tie_solved(comp, outcome, day, question_day_words, plans=COMPARED_PLANS, lowest=True):
    answer, means, rows = best_or_tie(comp, outcome, day, plans, lowest)
    mistakes = {
        **_leads_elsewhere(comp, day, outcome, _pick(means, lowest), plans),
        **_tie_mistakes(answer, rows),
    }
    unit = "NPRS" if outcome == "pain" else ""
    interval = rows.interval.iloc[0]
    if answer == TIE:
        tied = ", ".join(
            r.plan.replace("_", " ") for r, t in zip(rows.itertuples(), _ties(rows), strict=True) if t
        )
        verdict = (
            f"The evidence does not put {_pick(means, lowest).replace('_', ' ')} ahead of {tied} by a "
            "difference that matters: a tie, and saying so is the right answer. A smaller model mean is "
            "not a win when the published results allow parameter sets in which the order turns round, or "
            "when the whole interval is smaller than the MCID."
        )
    else:
        verdict = (
            f"{answer.replace('_', ' ')} is ahead of every other plan, and the evidence interval says so."
        )
    return Solved(
        answer,
        means,
        mistakes=mistakes,
        explanation=f"Mean {OUTCOME_WORDS[outcome]} {question_day_words}: {_listing(means)}. "
        f"Differences from the best plan, with the evidence interval ({interval}): "
        f"{_interval_words(rows, unit)}. {verdict}",
    )


def _solve_1_1():
    comp = evidence_comparison()
    solved = _tie_solved(comp, "pain", 42, "at discharge, day 42 (NPRS)")
    strength = _by_plan(comp, "strength", 42)
    return Solved(
        solved.answer,
        solved.values,
        solved.mistakes,
        solved.explanation + f" Pain is not everything: strength at discharge (% of normal): "
        f"{_listing(strength)}; only the plans with exercise build it.",
    )


def _solve_1_2():
    comp = evidence_comparison()
    solved = _tie_solved(comp, "pain", 14, "two weeks in, day 14 (NPRS)")
    return Solved(
        solved.answer,
        solved.values,
        solved.mistakes,
        solved.explanation + " Manual therapy relieves pain within days; exercise builds up over weeks.",
    )


def _technique_gain(technique, condition="adhesive_capsulitis"):
    session = Session((Component(technique, 10, 3 if TECHNIQUE_TABLE[technique].graded else None),), 10)
    trace = trace_session(condition, session, n_patients=100, minutes_after=0)
    return float(trace.rom_deg.iloc[-1] - trace.rom_deg.iloc[0])


def _solve_2_1():
    gains = {t: _technique_gain(t) for t in ("joint_mobilization", "soft_tissue_mobilization", "massage")}
    return Solved(
        _pick(gains, lowest=False),
        gains,
        explanation=f"ROM gained straight after 10 minutes (deg): {_listing(gains)}. The capsule holds most "
        "of a frozen shoulder's restriction, and joint mobilization is the technique that acts on it.",
    )


def _solve_2_2():
    comp = _std("knee_oa", days=42, plans={p: standard_plans()[p] for p in ("usual_care", "massage_only")})
    massage, none = _mean(comp, "massage_only", "rom", 42), _mean(comp, "usual_care", "rom", 42)
    return Solved(
        round(massage - none, 1),
        mistakes={"the massage group's ROM itself, not its difference from no treatment": round(massage, 1)},
        explanation=f"Knee flexion on day 42: massage {massage:.1f} deg, no treatment {none:.1f} deg. "
        "General massage relieves pain a little, so patients guard a little less; it releases no specific "
        "restriction, so the tissues' durable range is that of no treatment.",
    )


def _order_gain(first, second, consolidation=None, condition="knee_oa"):
    cond = load_condition(condition)
    if consolidation is not None:
        cond = cond.with_parameters(consolidation_per_window_min=consolidation)
    trace = trace_session(cond, Session((first, second), 40), n_patients=100, minutes_after=0)
    return float(trace.durable_rom_deg.iloc[-1] - trace.durable_rom_deg.iloc[0])


def _orders(consolidation=None):
    manual, ex = Component("manual_therapy", 15), Component("exercise", 25)
    return {
        "manual first": _order_gain(manual, ex, consolidation),
        "exercise first": _order_gain(ex, manual, consolidation),
    }


def _solve_3_1():
    gains = _orders()
    return Solved(
        _pick(gains, lowest=False),
        gains,
        explanation=f"Durable range gained in one session (deg): {_listing(gains, '.2f')}. Exercise through "
        "the open window consolidates part of the released range; exercise first leaves the window to "
        "drain away with nothing after it.",
    )


def _solve_3_2():
    off, on = _orders(0.0), _orders()
    diff = off["manual first"] - off["exercise first"]
    return Solved(
        round(diff, 2),
        mistakes={
            "the difference with the hypothesis on: set consolidation to 0": round(
                on["manual first"] - on["exercise first"], 2
            ),
            "the durable range of 'manual first' alone: subtract 'exercise first'": round(
                off["manual first"], 2
            ),
        },
        explanation=f"With the hypothesis off the order changes the durable range by {diff:.2f} deg "
        f"(manual first {off['manual first']:.2f}, exercise first {off['exercise first']:.2f}), against "
        f"{on['manual first'] - on['exercise first']:.2f} deg with it on: what is left is stretching and "
        "the technique's own remodelling, which do not depend on the order.",
    )


def _solve_4_1():
    res = simulate("knee_oa", exercise_plan(), n_patients=100, days=120, seed=0, engine=ENGINE)
    comp = capacity_components(res)
    late = comp[comp.day == 56].iloc[0]
    gains = {"neural": float(late.neural_pct_normal), "structural": float(late.structural_pct_normal)}
    return Solved(
        _pick(gains, lowest=False),
        gains,
        explanation=f"Gains at week 8 (% of normal): {_listing(gains)}. Neural gains come first; "
        "hypertrophy takes weeks to build and then dominates.",
    )


def _solve_4_2():
    res = simulate("knee_oa", exercise_plan(), n_patients=100, days=84 + 182, seed=0, engine=ENGINE)
    s = res.strength.mean(axis=0)
    return Solved(
        round(float(s[84 + 182] - s[83]), 1),
        mistakes={"the strength on day 266 itself, not the change since day 83": round(float(s[266]), 1)},
        explanation=f"Strength falls from {s[83]:.1f} to {s[266]:.1f} % of normal: gains are held for a few "
        "weeks, then detraining sets in when nothing maintains them.",
    )


FUNCTION_CLEAR_POINTS = 5.0
"""A difference in function (0-100) counted as clear in exercise 5.1: a teaching threshold (an
assumption), half of the 10 points often quoted as a minimal important change on 0-100 scales."""
CHOICES_5_1 = ("combined by more than 5", "within 5 points", "manual_only by more than 5")


def _solve_5_1():
    comp = compare_plans(n_patients=100)
    f = _by_plan(comp, "function", 365)
    diff = f["combined"] - f["manual_only"]
    answer = CHOICES_5_1[0] if diff > FUNCTION_CLEAR_POINTS else CHOICES_5_1[1]
    if diff < -FUNCTION_CLEAR_POINTS:
        answer = CHOICES_5_1[2]
    mistakes = {}
    if answer != CHOICES_5_1[0]:
        if f["combined"] - f["exercise_only"] > FUNCTION_CLEAR_POINTS:
            mistakes[CHOICES_5_1[0]] = (
                f"combined care's lead over exercise only (more than {FUNCTION_CLEAR_POINTS:g} points); the "
                "question compares it with manual only"
            )
        else:
            mistakes[CHOICES_5_1[0]] = "a lead at discharge; the question asks about day 365"
    if answer != CHOICES_5_1[2]:
        early = _by_plan(comp, "function", 14, ("manual_only", "combined"))
        if _mean(comp, "manual_only", "pain", 365) < _mean(comp, "combined", "pain", 365):
            mistakes[CHOICES_5_1[2]] = "manual only's lower pain; the question asks about function"
        elif early["manual_only"] > early["combined"]:
            mistakes[CHOICES_5_1[2]] = "manual only's lead early in care; the question asks about day 365"
    if abs(diff) <= FUNCTION_CLEAR_POINTS:
        verdict = (
            f"less than the {FUNCTION_CLEAR_POINTS:g} points counted as clear here and well below the "
            "10 or so a patient would notice"
        )
    else:
        verdict = f"a clear difference (more than {FUNCTION_CLEAR_POINTS:g} points)"
    return Solved(
        answer,
        {c: diff for c in CHOICES_5_1},
        mistakes=mistakes,
        explanation=f"At a year: combined {f['combined']:.1f}, manual only {f['manual_only']:.1f}, exercise "
        f"only {f['exercise_only']:.1f} (combined minus manual only {diff:+.1f} points on 0-100), {verdict}. "
        "Combined care gives 15 minutes of hands-on care where manual only gives 40, and adds the exercise "
        "that builds strength; what decides the year is how much of each plan's gain lasts.",
    )


CHOICES_5_2 = ("30 + 10", "15 + 25", TIE)
"""Exercise 5.2's answers: the split with less pain at discharge, or a tie (within the NPRS MCID)."""


def _solve_5_2():
    from ptsim.core.intervals import MCID

    mcid, _ = MCID["pain_points"]
    moved = _mean(
        compare_plans(manual_minutes=30, exercise_minutes=10, n_patients=100), "combined", "pain", 42
    )
    default = _mean(compare_plans(n_patients=100), "combined", "pain", 42)
    diff = moved - default
    answer = TIE if abs(diff) < mcid else CHOICES_5_2[0] if diff < 0 else CHOICES_5_2[1]
    reasons = {
        CHOICES_5_2[0]: "more hands-on minutes give more relief within each session",
        CHOICES_5_2[1]: "more exercise minutes build more strength",
    }
    mistakes = {
        c: f"{why}, but the question asks whether pain at discharge differs by the MCID ({mcid:g} NPRS)"
        for c, why in reasons.items()
        if c != answer
    }
    if answer != TIE:
        mistakes[TIE] = (
            f"the two splits differ by {abs(diff):.1f} NPRS points, more than the MCID of {mcid:g}"
        )
    return Solved(
        answer,
        {CHOICES_5_2[0]: moved, CHOICES_5_2[1]: default},
        mistakes=mistakes,
        explanation=f"Combined care's pain at discharge: {moved:.1f} NPRS with 30 + 10 minutes, "
        f"{default:.1f} with the default 15 + 25 (a difference of {diff:+.1f}, against an MCID of {mcid:g}). "
        "The session is a time budget: minutes moved to one part are taken from the other, and here what "
        "one part gains the other loses.",
    )


def _solve_6_1():
    settings = {"effort": 1.0, "exercise_minutes": 40, "sessions_per_week": 3}
    table = pain_table(**settings)[3]
    default = pain_table()[3]
    col = "flares in care per patient"
    mistakes = {
        f"the '{g}' group: the question asks about patients starting at 7 or more": round(
            float(table.loc[g, col]), 1
        )
        for g in table.index
        if g != "7 or more"
    }
    mistakes["the default settings' value: set effort 1.00, 40 min, 3 sessions a week"] = round(
        float(default.loc["7 or more", col]), 1
    )
    value = float(table.loc["7 or more", col])
    return Solved(
        round(value, 1),
        mistakes=mistakes,
        explanation=f"{value:.1f} flares per patient in care, against "
        f"{float(default.loc['7 or more', col]):.1f} at the default 70 % effort. Exercise may flare when "
        "pain during it goes above 5/10, or rises by more than a point beyond it (pain-monitoring model): "
        "dosed within tolerance that is rare, and overload makes it several times more frequent.",
    )


CHOICES_6_3 = ("lower effort", "manual therapy first")
SETTINGS_6_3: dict[str, dict[str, float]] = {
    "lower effort": {"effort": 0.5},
    "manual therapy first": {"manual_minutes": 15},
}
"""Exercise 6.3's two ways to protect the patients in most pain (the rest at the app's defaults)."""


def _solve_6_3():
    group, pain_col = "7 or more", "pain at discharge, day 42 (NPRS)"
    dose, flares = "effective exercise in care (min)", "flares in care per patient"
    rows = {c: pain_table(**SETTINGS_6_3[c])[3].loc[group] for c in CHOICES_6_3}
    default = pain_table()[3].loc[group]
    pain = {c: float(r[pain_col]) for c, r in rows.items()}
    answer = _pick(pain, lowest=True)
    other = next(c for c in CHOICES_6_3 if c != answer)
    said = {c: f"{r[flares]:.1f} flares, {r[dose]:.0f} min of effective exercise" for c, r in rows.items()}
    return Solved(
        answer,
        pain,
        mistakes={
            # what a student who picks each choice probably reasoned, shown when that choice is wrong
            "lower effort": "the 'fewer flares, so less pain' reasoning. Lower effort does bring fewer "
            "flares, but it also lowers the exercise done, and the exercise is what lowers the pain set "
            "point: compare the 'effective exercise' column as well as the flares",
            "manual therapy first": "the 'relief first lets them do more' reasoning, which here does not "
            "outweigh what lower effort saves: compare the flares and the exercise done in both",
        },
        explanation=f"Patients starting at 7/10 or more, pain at discharge: {_listing(pain)} NPRS, against "
        f"{float(default[pain_col]):.1f} at the defaults ({default[flares]:.1f} flares, "
        f"{default[dose]:.0f} min). {answer.capitalize()}: {said[answer]}; {other}: {said[other]}. "
        "Fewer flares is not the goal in itself: pain falls with the exercise a patient can do. Relief "
        "before the exercise lowers the pain it starts from, so the patient completes more of it; a lower "
        "effort avoids flares by doing less.",
    )


def _solve_6_2():
    comp = evidence_comparison(plans=REST_OR_EXERCISE, days=182)
    solved = _tie_solved(comp, "pain", 182, "at six months, day 182 (NPRS)", plans=REST_OR_EXERCISE)
    return Solved(
        solved.answer,
        solved.values,
        solved.mistakes,
        solved.explanation + " Graded exercise within tolerance lowers the pain set point; rest does not do "
        "better. In knee OA the difference is modest, about what the pooled trials find two to six months "
        "after care (6 points of 100, Fransen et al. 2015).",
    )


def _solve_7_1():
    comp = _std("knee_oa", n=200)
    shares = {
        p: float((comp[p].setbacks > 0).mean() * 100) for p in ("manual_only", "usual_care", "combined")
    }
    return Solved(
        round(shares["manual_only"], 0),
        mistakes={
            "the share for combined care: the question asks about manual only": round(shares["combined"], 0),
            "a proportion, not a percentage: multiply by 100": round(shares["manual_only"] / 100, 2),
        },
        explanation=f"{shares['manual_only']:.0f} % of manual-only patients against "
        f"{shares['usual_care']:.0f} % with no treatment: manual therapy leaves strength and motor "
        "control where they were, so the setback hazard after discharge is that of no treatment.",
    )


def _solve_7_2():
    """Fewest setbacks per patient over the year, or a tie: the plan with the fewest is compared with
    each other plan member by member of the evidence ensemble; an interval of the difference that
    holds 0 is a tie (there is no MCID for a count of setbacks)."""
    plans = STANDARD_FOUR
    comp = evidence_comparison("knee_oa", plans=plans, n_patients=200)
    if comp[plans[0]].members is None:  # no stored ensemble: the calibrated values, no interval
        per = {p: float(comp[p].setbacks.mean()) for p in plans}
        return Solved(
            _pick(per, lowest=True), per, explanation=f"Setbacks per patient: {_listing(per, '.2f')}."
        )
    members = {p: comp[p].member_means(comp[p].setbacks.astype(float)) for p in plans}
    per = {p: float(m.mean()) for p, m in members.items()}
    best = _pick(per, lowest=True)
    intervals = {p: tuple(np.percentile(members[p] - members[best], [2.5, 97.5])) for p in plans if p != best}
    tied = [p for p, (lo, hi) in intervals.items() if lo <= 0.0 <= hi]
    words = "; ".join(f"{p.replace('_', ' ')} {lo:+.2f} to {hi:+.2f}" for p, (lo, hi) in intervals.items())
    verdict = (
        f"{best.replace('_', ' ')} has the fewest, and the evidence interval of every difference excludes 0"
        if not tied
        else f"the evidence cannot separate {best.replace('_', ' ')} from "
        f"{', '.join(p.replace('_', ' ') for p in tied)}: a tie"
    )
    return Solved(
        TIE if tied else best,
        per,
        mistakes={p: "the smallest mean without its interval" for p in ([best, *tied] if tied else [])},
        explanation=f"Setbacks per patient over the year (mean over {len(members[best])} evidence members): "
        f"{_listing(per, '.2f')}. Each plan minus {best.replace('_', ' ')}, 95 % evidence interval: {words}. "
        f"Setbacks fall with strength and motor control, which only the plans with exercise build; "
        f"{verdict}.",
    )


def _solve_8_1():
    counts = {sc: coverage(evidence_check("knee_oa", sc)) for sc in ("evidence", "premise")}
    covered = {sc: float(c["fit_covered"]) for sc, c in counts.items()}
    n = counts["evidence"]["fit"]
    if covered["evidence"] == covered["premise"]:
        answer = CHOICES_8_1[2]
    else:
        answer = _pick(covered, lowest=False)
    why = (
        "The evidence scenario's parameter sets were chosen by these published results, and its intervals "
        "carry how unsure they leave the parameters; the premise's single parameter set was chosen to "
        "show the premise's claims, and a point has to land inside a published interval to count."
        if answer == "evidence"
        else "Fitting to the published results did not buy better coverage here: look at which rows each "
        "scenario misses, and at how wide the evidence scenario's intervals are."
    )
    return Solved(
        answer,
        covered,
        mistakes={
            # what a student who picks each choice probably reasoned, shown when that choice is wrong
            "premise": "the 'clear claims fit trials best' reasoning. The premise's one parameter set was "
            "chosen to show its claims, not by the published results, and a point has to land inside a "
            "published interval to count: compare the two scenarios' counts of covered fit rows",
            "the same number": "the 'same model, same fit' reasoning. The model is the same, its parameters "
            "are not: the evidence scenario's were chosen by these published results, the premise's by "
            "its claims: switch the scenario and compare the counts",
            "evidence": "the 'fitting always covers' reasoning: here it did not; look at which rows each "
            "scenario misses",
        },
        explanation=f"Fit rows covered (of {n}): evidence {covered['evidence']:.0f}, premise "
        f"{covered['premise']:.0f}. {why}",
    )


def _solve_8_2():
    comps = {sc: manual_relief("knee_oa", sc) for sc in ("evidence", "premise")}

    def relief(sc, day):
        d = comps[sc].differences(reference="usual_care", days=[day], outcomes=["pain"])
        return d.iloc[0]

    year, premise, end = relief("evidence", 365), relief("premise", 365), relief("evidence", 42)
    value = float(year["mean_difference"])
    own = _mean(comps["evidence"], "manual_only", "pain", 365)
    share = abs(value) / max(abs(float(end["mean_difference"])), 1e-9)
    if not year["separated"]:
        verdict = (
            "A year on, the evidence cannot separate manual-only care from no treatment: for knee OA the "
            "published results agree with the premise that the relief fades."
        )
    elif year["judgement"] == "smaller than the MCID":
        verdict = (
            f"A year on only {100 * share:.0f} % of the discharge difference is left, far below the NPRS "
            "MCID of 2 points: the evidence interval excludes 0, but no patient would notice what is left. "
            "For knee OA the published results (the pooled long-term evidence of Runge et al. 2022 and "
            "Fitzgerald et al. 2016 outweighing one trial's one-year result) agree with the premise that "
            "the relief fades."
        )
    elif share < 0.25:
        verdict = (
            f"Most of the relief has faded ({100 * share:.0f} % of the discharge difference is left), "
            "but not all: the evidence interval excludes 0, because the published one-year results of "
            "manual therapy (Abbott et al. 2013) call for a small lasting effect. 'Always fades' is "
            "stronger than the knee OA evidence allows; 'mostly fades' is what it supports."
        )
    else:
        verdict = (
            f"{100 * share:.0f} % of the discharge difference is still there a year on: the published "
            "one-year results of manual therapy (Abbott et al. 2013) call for a lasting effect that the "
            "premise leaves out. 'Manual relief always fades' is a claim the knee OA evidence does not back."
        )
    return Solved(
        round(value, 1),
        mistakes={
            "the premise scenario's value: the question asks about the evidence scenario": round(
                float(premise["mean_difference"]), 1
            ),
            "the difference at discharge (day 42): the question asks about day 365": round(
                float(end["mean_difference"]), 1
            ),
            "manual-only care's own pain: subtract no treatment's (usual_care)": round(own, 1),
        },
        explanation=f"Manual-only minus no treatment, mean pain on day 365: {value:+.2f} NPRS "
        f"[{year['ci_low']:+.2f}, {year['ci_high']:+.2f}; {year['interval']}] in the evidence scenario, "
        f"{premise['mean_difference']:+.2f} in the premise (evidence scenario at discharge, day 42: "
        f"{end['mean_difference']:+.2f}). {verdict}",
    )


TRIAL_ARMS = ("manual_only", "combined")
"""Lesson 9's pilot: manual therapy alone (the control arm) against the same minutes of combined care,
asking whether adding exercise to hands-on care helps (in knee OA the model gives combined care about 7.5
function points more at discharge, which a 10-patient pilot finds less than half of the time)."""
TRIAL_OUTCOME = "function"
"""Lesson 9's primary outcome, at discharge (day 42)."""


def _trials_9(n_per_arm):
    _, truth, table = trial_estimates("knee_oa", TRIAL_ARMS, n_per_arm=n_per_arm, outcome=TRIAL_OUTCOME)
    return truth, table.iloc[0]


def _solve_9_1():
    truth, twenty = _trials_9(20)
    ten = _trials_9(10)[1]
    share = float(twenty["pointing the wrong way (%)"])
    favoured = TRIAL_ARMS[0] if truth > 0 else TRIAL_ARMS[1]
    return Solved(
        round(share, 0),
        mistakes={
            "the share with 10 patients per arm: set 20": round(float(ten["pointing the wrong way (%)"]), 0),
            "the share significant (the power): the question asks which way the estimates point": round(
                float(twenty["significant (%)"]), 0
            ),
            "the share not significant: a trial can miss p < 0.05 and still point the right way": round(
                100 - float(twenty["significant (%)"]), 0
            ),
        },
        explanation=f"{share:.0f} % of the 20-patient trials point the wrong way (favouring "
        f"{favoured.replace('_', ' ')}), against {float(ten['pointing the wrong way (%)']):.0f} % at 10 per "
        f"arm: a true difference of {truth:+.1f} points of function is small next to the scatter of small "
        "arms.",
    )


def _nnt(n_per_arm):
    from ptsim.analysis.trial import run_trial

    t = run_trial("chronic_neck_pain", ["exercise_only", "combined"], n_per_arm=n_per_arm, seed=0)
    return float(t.responders("pain").set_index("arm").loc["combined", "nnt"])


def _solve_9_2():
    value, lesson = _nnt(50), _nnt(100)
    return Solved(
        round(value, 1),
        mistakes={
            "the trial with 100 patients per arm: the question asks about 50 per arm": round(lesson, 1)
        },
        explanation=f"NNT {value:.1f} with 50 patients per arm, {lesson:.1f} with 100: NNT = 1 / (difference "
        "in responder rates), and in a smaller trial that difference, and so the NNT, is less certain.",
    )


def _lesson_10(solve_name: str) -> Solved:
    """Lesson 10's answers, computed in :mod:`ptsim.teaching.lesson10` (the forecast of its case)."""
    from ptsim.teaching import lesson10

    return Solved(**getattr(lesson10, solve_name)())


CHOICES_8_1 = ("evidence", "premise", "the same number")
PLAN_CHOICES = COMPARED_PLANS
TIE_CHOICES = (*COMPARED_PLANS, TIE)
REST_OR_EXERCISE = ("usual_care", "exercise_only")
STANDARD_FOUR = ("usual_care", "manual_only", "exercise_only", "combined")
IN_APP = "the lesson's app: "

QUESTIONS: dict[str, Question] = {
    "1.1": Question(
        "Knee OA, 100 patients, over the parameter sets the published evidence allows: which plan has the "
        "lowest mean pain at discharge (day 42)? If the evidence cannot separate the lowest plan from "
        "another one, answer 'a tie'.",
        _solve_1_1,
        TIE_CHOICES,
        where="predict now; then the figure at day 42, and the reveal 'How sure is the evidence?' under it",
        value_label="mean pain at day 42 (NPRS)",
    ),
    "1.2": Question(
        "Knee OA, 100 patients, over the parameter sets the published evidence allows: which plan has the "
        "lowest mean pain two weeks in (day 14)? If the evidence cannot separate the lowest plan from "
        "another one, answer 'a tie'.",
        _solve_1_2,
        TIE_CHOICES,
        where="predict now; then the pain panel at day 14, and the reveal 'How sure is the evidence?'",
        value_label="mean pain at day 14 (NPRS)",
    ),
    "2.1": Question(
        "Frozen shoulder, 10 minutes at grade III: which technique gives the largest ROM gain straight "
        "after the session: joint_mobilization, soft_tissue_mobilization or massage?",
        _solve_2_1,
        ("joint_mobilization", "soft_tissue_mobilization", "massage"),
        where=IN_APP + "switch the technique and read 'ROM incl. less guarding', straight after",
        value_label="ROM gained straight after (deg)",
    ),
    "2.2": Question(
        "Knee OA: after six weeks of massage-only care, how many degrees of knee flexion (mean, end of "
        "day 42, one decimal) does the massage group have over no treatment?",
        _solve_2_2,
        tolerance=0.3,
        unit="deg",
        where="the lesson's 'Six weeks of care' cell: open its numbers and read knee OA's massage_only row",
    ),
    "3.1": Question(
        "Knee OA, 15 min manual therapy and 25 min exercise: which order leaves more durable range "
        "after one session: 'manual first' or 'exercise first'?",
        _solve_3_1,
        ("manual first", "exercise first"),
        where=IN_APP + "the table's 'durable range gained' row for each order",
        value_label="durable range gained (deg)",
    ),
    "3.2": Question(
        "Knee OA, hypothesis off (consolidation 0), 15 min manual therapy and 25 min exercise, no gap: how "
        "many more degrees of durable range does 'manual first' leave than 'exercise first' after one "
        "session (two decimals; negative if it leaves less)?",
        _solve_3_2,
        tolerance=0.02,
        unit="deg",
        where=IN_APP + "consolidation 0, then 'manual first' minus 'exercise first' in the table",
    ),
    "4.1": Question(
        "Knee OA, 40 min of exercise at 80 % effort 3 times a week: at week 8 (day 56), is most of the "
        "strength gained 'neural' or 'structural'?",
        _solve_4_1,
        ("neural", "structural"),
        where=IN_APP + "the shaded areas at day 56",
        value_label="gain at day 56 (% of normal)",
    ),
    "4.2": Question(
        "Same 12-week programme, nothing after it: how many points of strength (% of normal) are "
        "lost between the last training day (day 83) and six months after the programme (day 266)? "
        "Give a negative number for a loss.",
        _solve_4_2,
        tolerance=0.5,
        unit="% of normal",
        where="the lesson's 'Keeping it' cell: open its numbers, 0 home sessions a week, days 83 and 266",
    ),
    "5.1": Question(
        "Compare-plans defaults, 100 patients: a year after the first session (day 365), how does combined "
        "care compare with manual therapy only on function (0-100)? Answer 'combined by more than 5', "
        "'within 5 points' or 'manual_only by more than 5'.",
        _solve_5_1,
        CHOICES_5_1,
        where=IN_APP + "the table's function rows at day 365",
        value_label="combined minus manual only, function at day 365 (points)",
    ),
    "5.2": Question(
        "Compare plans, 100 patients: change the combined session to 30 min manual therapy and 10 min "
        "exercise, and compare its mean pain at discharge (day 42) with the default split (15 + 25). Which "
        "split leaves less pain? Answer '30 + 10', '15 + 25', or 'a tie' if they differ by less than the "
        "NPRS MCID (2 points).",
        _solve_5_2,
        CHOICES_5_2,
        where=IN_APP
        + "the table's pain row at day 42, with manual 30 and exercise 10 min, then the defaults",
        value_label="combined care's mean pain at discharge with each split (NPRS)",
    ),
    "6.1": Question(
        "Knee OA, in the app: effort 1.00, 40 min of exercise, no manual therapy, 3 clinic sessions a week. "
        "How many flares in care does a patient starting at 7/10 or more have on average (one decimal)?",
        _solve_6_1,
        tolerance=0.2,
        unit="flares",
        where=IN_APP + "the table's 'flares in care per patient' for '7 or more'",
    ),
    "6.2": Question(
        "'Pain means damage, so rest.' Knee OA at six months (day 182), over the parameter sets the "
        "published evidence allows: which has lower mean pain, usual_care (rest) or exercise_only? If the "
        "evidence cannot separate them, answer 'a tie'.",
        _solve_6_2,
        (*REST_OR_EXERCISE, TIE),
        where="predict now; the lesson's misconception section shows it (open its numbers)",
        value_label="mean pain at day 182 (NPRS)",
    ),
    "6.3": Question(
        "Knee OA, the patients starting at 7/10 or more, the app's defaults otherwise (25 min at 70 % "
        "effort, twice a week). To protect them, one colleague lowers the effort to 0.50; another keeps "
        "0.70 and adds 15 min of manual therapy before the exercise. Which leaves this group with less pain "
        "at discharge (day 42): 'lower effort' or 'manual therapy first'?",
        _solve_6_3,
        CHOICES_6_3,
        where=IN_APP + "effort 0.50, then effort 0.70 with manual therapy 15 min; for '7 or more' compare "
        "flares, effective exercise and pain at discharge",
        value_label="pain at discharge of the patients starting at 7/10 or more (NPRS)",
    ),
    "7.1": Question(
        "Knee OA, 200 patients, the standard plans: what percentage of the manual-only patients have at "
        "least one setback within the year (whole number)?",
        _solve_7_1,
        tolerance=1.0,
        unit="%",
        where=IN_APP + "open the numbers under the figure at the defaults (200 patients, one year): "
        "'patients with a setback (%)'",
    ),
    "7.2": Question(
        "Knee OA, the standard plans: which has the fewest setbacks per patient over the year (usual_care, "
        "manual_only, exercise_only or combined), or is it 'a tie' by the evidence interval?",
        _solve_7_2,
        (*STANDARD_FOUR, TIE),
        where="predict now; then the app's setback curves",
        value_label="setbacks per patient",
    ),
    "8.1": Question(
        "Knee OA: which scenario's predictions cover more of knee OA's fit rows (the model's 95 % interval "
        "overlaps the published one): 'evidence', 'premise' or 'the same number'?",
        _solve_8_1,
        CHOICES_8_1,
        where=IN_APP + "switch the scenario and read how many fit rows are covered, above the table",
        value_label="fit rows covered",
    ),
    "8.2": Question(
        "'Manual relief always fades.' Knee OA, evidence scenario, standard plans, 200 patients: a year "
        "after the first session (day 365), how much lower is manual-only care's mean pain than no "
        "treatment's (manual_only minus usual_care, NPRS, one decimal; negative means less pain)?",
        _solve_8_2,
        tolerance=0.1,
        unit="NPRS",
        where="the cell above 8.2: open it and read the scenario and the day the question asks for",
    ),
    "9.1": Question(
        "Knee OA, 100 trials of manual_only against combined with 20 patients per arm (function at "
        "day 42): in what percentage of them does the estimate point the other way than the true "
        "difference (whole number)?",
        _solve_9_1,
        tolerance=1.0,
        unit="%",
        where=IN_APP + "manual_only against combined, function, 20 patients per arm; the table's "
        "'pointing the wrong way (%)'",
    ),
    "9.2": Question(
        "Chronic neck pain, one trial of exercise_only against combined with 50 patients per arm, seed 0: "
        "what is the number needed to treat with combined care for one more pain responder (30 % MCID) "
        "at discharge, day 42 (one decimal)?",
        _solve_9_2,
        tolerance=0.1,
        unit="patients",
        where="the lesson's responders cell: open it and read the trial with 50 patients per arm",
    ),
    "10.1": Question(
        "Lesson 10's knee OA patient (pain 7, 6, 6 and flexion 95, 100, 101 deg at visits on days 0, 7 and "
        "14 of manual therapy): three months after the last visit (day 105), which plan gives the lowest "
        "median pain reading: 'manual_only', 'exercise_only', 'combined' or 'a tie' (no plan lower than "
        "the others by the NPRS MCID, 2 points)?",
        functools.partial(_lesson_10, "solve_10_1"),
        TIE_CHOICES,
        where=IN_APP + "the table's '+91 d: median' column, or the figure at day 105",
        value_label="median pain reading on day 105 (NPRS)",
    ),
    "10.2": Question(
        "Same patient, no treatment from the last visit on (usual_care): is the 90 % interval of the flexion "
        "reading on day 91 narrower with 'all three visits', with 'the intake alone', or 'the same' "
        "(within 1 deg)?",
        functools.partial(_lesson_10, "solve_10_2"),
        ("all three visits", "the intake alone", "the same"),
        where="the lesson's 'How much do visits tell?' cell (it prints both widths once revealed)",
        value_label="width of the 90 % interval on day 91 (deg)",
    ),
    "10.3": Question(
        "Same patient, combined care: what is the probability (%, whole number) that the pain reading three "
        "months after the last visit (day 105) is at least 2 points (the MCID) below the first visit's?",
        functools.partial(_lesson_10, "solve_10_3"),
        tolerance=1.0,
        unit="%",
        where=IN_APP + "the table's '+91 d: P(MCID)' column, row combined (figure: Pain)",
    ),
}
"""The lessons' exercises, by ``"lesson.number"``. The model's answers are computed when checked and
are printed only in the instructor material (``docs/instructor/answer_key.md``)."""
