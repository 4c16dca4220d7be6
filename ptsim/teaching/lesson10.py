"""Lesson 10, forecast one patient: the cases, the forecasts the lesson shows, its exercises' answers.

The lesson's story is one knee OA patient measured at three visits over two weeks of manual therapy
(:data:`CASES` ``"knee_3_visits"``); students predict, then forecast the plans with
:func:`ptsim.forecast` and compare the plans' intervals. The exercises' answers are computed here from
the forecasts (the stored posterior ensemble), so a refit updates them; ``ptsim.teaching.lessons``
registers the questions (10.1-10.3) and wraps these answers. No ipywidgets here (the app is
:mod:`ptsim.teaching.forecast_app`).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from ptsim.analysis.forecast import Forecast, forecast
from ptsim.analysis.outcomes import MCID


@dataclass(frozen=True)
class Case:
    """A patient's measured visits, as a clinician would enter them.

    Attributes
    ----------
    title : str
        One line for people.
    condition : str
    so_far : str
        The care given up to the last visit (a standard plan).
    visits : str
        The visits as CSV text (``day`` and instrument columns; an empty cell: not measured).
    """

    title: str
    condition: str
    so_far: str
    visits: str

    def table(self):
        """The visits as a DataFrame."""
        import pandas as pd

        return pd.read_csv(io.StringIO(self.visits))


CASES = {
    "knee_3_visits": Case(
        "Knee OA, 3 visits (manual therapy)",
        "knee_oa",
        "manual_only",
        "day,pain_nprs,rom_deg,strength_pct_normal,womac_0_100\n0,7,95,62,52\n7,6,100,,\n14,6,101,,\n",
    ),
    "neck_2_visits": Case(
        "Neck pain, 2 visits (exercise)",
        "chronic_neck_pain",
        "exercise_only",
        "day,pain_nprs,rom_deg,ndi_0_50\n0,6,50,24\n7,5,55,\n",
    ),
}
"""Preset cases (the lesson's story is ``knee_3_visits``)."""

STORY = "knee_3_visits"
LESSON_PLANS = ("usual_care", "manual_only", "exercise_only", "combined")
"""The plans the lesson compares: no treatment and the three the suite teaches."""
HORIZON_DAYS = 91
"""The lesson forecasts three months after the last visit."""
TIE = "a tie"
"""The answer when no plan beats the others by at least the instrument's MCID."""


@functools.cache
def case_forecast(case: str = STORY, visits_used: int | None = None) -> Forecast:
    """The forecast of a preset case under the lesson's plans (computed once per session).

    Parameters
    ----------
    case : str
        A key of :data:`CASES`.
    visits_used : int, optional
        Use only the first visits (e.g. 1: the intake alone); default all.
    """
    if case not in CASES:
        raise ValueError(f"case must be one of {', '.join(CASES)}, got {case!r}")
    c = CASES[case]
    table = c.table()
    if visits_used is not None:
        if not 1 <= visits_used <= len(table):
            raise ValueError(f"visits_used must be in [1, {len(table)}], got {visits_used!r}")
        table = table.iloc[:visits_used]
    return forecast(c.condition, table, list(LESSON_PLANS), horizon_days=HORIZON_DAYS, so_far=c.so_far)


def at(fc: Forecast, outcome: str, day: int):
    """The forecast's rows of one outcome on one day, indexed by plan."""
    rows = fc.course[(fc.course["outcome"] == outcome) & (fc.course["day"] == day)]
    return rows.set_index("plan")


def lowest_or_tie(fc: Forecast, outcome: str, day: int, plans=("manual_only", "exercise_only", "combined")):
    """The plan with the lowest median reading on ``day``, or :data:`TIE` when it does not beat every
    other plan by at least the MCID (pain: 2 points, Farrar et al. 2001).

    Returns
    -------
    (answer, medians by plan, the MCID)
    """
    rows = at(fc, outcome, day)
    medians = {p: float(rows.loc[p, "median"]) for p in plans}
    best = min(medians, key=lambda p: medians[p])
    mcid = MCID["pain_points"][0]
    clear = all(medians[p] - medians[best] >= mcid for p in plans if p != best)
    return (best if clear else TIE), medians, mcid


def solve_10_1() -> dict:
    """Exercise 10.1: the plan with the lowest median pain three months after the last visit, or a tie."""
    fc = case_forecast()
    day = fc.visits.last_day + HORIZON_DAYS
    answer, medians, mcid = lowest_or_tie(fc, "pain", day)
    listing = ", ".join(f"{p.replace('_', ' ')} {m:.0f}" for p, m in medians.items())
    best = min(medians, key=lambda p: medians[p])
    mistakes = {}
    for plan, m in medians.items():
        if plan != answer and answer == TIE and m == medians[best]:
            mistakes[plan] = (
                f"a plan with the lowest median, but it does not beat the others by the NPRS MCID "
                f"({mcid:g} points), and the intervals overlap: that is a tie"
            )
    if answer != TIE:
        mistakes[TIE] = f"not so: {answer.replace('_', ' ')} is at least {mcid:g} points (the MCID) lower"
    return {
        "answer": answer,
        "values": medians,
        "mistakes": mistakes,
        "explanation": f"Median pain reading on day {day} (NPRS): {listing}. A difference smaller than the "
        f"NPRS MCID ({mcid:g} points), between intervals that overlap, is a tie: the forecast cannot "
        "choose between those plans for this patient.",
    }


WIDTH_DAY = 91
"""Day (from the first session) on which exercise 10.2 compares the 90 % intervals: in both forecasts."""


def width_90(fc: Forecast, outcome: str, plan: str, day: int = WIDTH_DAY) -> float:
    """The width of a plan's 90 % predictive interval of ``outcome`` on ``day``."""
    row = at(fc, outcome, day).loc[plan]
    return float(row["high_90"] - row["low_90"])


def solve_10_2() -> dict:
    """Exercise 10.2: with no treatment from the last visit on, is the 90 % interval of the flexion
    reading on day 91 narrower with all three visits or with the intake alone?"""
    three = width_90(case_forecast(), "rom", "usual_care")
    one = width_90(case_forecast(visits_used=1), "rom", "usual_care")
    if abs(three - one) < 1.0:
        answer = "the same"
    else:
        answer = "all three visits" if three < one else "the intake alone"
    return {
        "answer": answer,
        "values": {"all three visits": three, "the intake alone": one},
        "mistakes": {
            "the intake alone": "the forecast that knows less: fewer visits leave more patients who "
            "read like this one, so the interval is wider",
        },
        "explanation": f"Width of the 90 % interval of the flexion reading on day {WIDTH_DAY} with no "
        f"treatment: {three:.0f} deg with all three visits, {one:.0f} deg with the intake alone. Each visit "
        "rules out virtual patients who would not have read what this patient read. On average over many "
        "patients every visit narrows the forecast (the validation in docs/forecast.md); for one patient "
        "a surprising reading can move a forecast more than it narrows it: compare the other plans.",
    }


def solve_10_3() -> dict:
    """Exercise 10.3: the probability (%) that combined care's pain reading three months after the last
    visit is at least 2 points (the MCID) below the first visit's."""
    fc = case_forecast()
    day = fc.visits.last_day + HORIZON_DAYS
    rows = at(fc, "pain", day)
    value = 100 * float(rows.loc["combined", "p_mcid"])
    other = 100 * float(rows.loc["manual_only", "p_mcid"])
    return {
        "answer": round(value),
        "mistakes": {"the value for manual only: the question asks about combined care": round(other)},
        "explanation": f"P(MCID) for combined care on day {day}: {value:.0f} % (manual only {other:.0f} %). "
        "A probability for this patient, not a promise: about that share of the virtual patients who "
        "read like them improve by the MCID.",
    }
