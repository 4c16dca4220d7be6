"""Lesson computations: the plans, cohorts and tables the lessons simulate (lessons 1-7).

Nothing here imports matplotlib or ipywidgets, so the computations behind the lessons' interactive
figures (``ptsim.teaching.widgets``) can be used and tested on their own. Notebooks reach these
through :mod:`ptsim.teaching.lessons`.
"""

from __future__ import annotations

import math

import numpy as np

from ptsim.core import model
from ptsim.engine.simulate import compare, simulate
from ptsim.inputs.cohort import sample_cohort, to_patients
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import Component, HomeProgramme, Plan, Session, standard_plans

EDUCATION_MIN = 5.0
"""Minutes of education at the start of every treated standard session."""

ENGINE = "auto"
"""The engine every lesson computation runs on: the compiled one where numba is installed."""

COMPARED_PLANS = ("manual_only", "exercise_only", "combined")
"""The three plans of the compare-plans lesson and dashboard."""


# ---------------------------------------------------------------------------------------------------
# Lesson computations


def with_mean_adherence(cohort, mean_adherence: float):
    """A copy of a cohort whose home adherence has the given mean, keeping each patient's rank.

    Each patient's odds of doing a scheduled home session are multiplied by one common factor,
    found so that the cohort mean equals ``mean_adherence``. Patients keep their order (a keen
    patient stays keener than a reluctant one) and every probability stays inside [0, 1] without
    clipping.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A cohort (``ptsim.inputs.cohort.COLUMNS``).
    mean_adherence : float
        Target mean probability of doing a scheduled home session, in [0, 1).
    """
    from scipy.optimize import brentq

    if isinstance(mean_adherence, bool) or not isinstance(mean_adherence, int | float):
        raise ValueError(f"mean_adherence must be a probability in [0, 1), got {mean_adherence!r}")
    if not 0 <= mean_adherence < 1:
        raise ValueError(f"mean_adherence must be a probability in [0, 1), got {mean_adherence!r}")
    p = cohort["home_adherence_prob"].to_numpy(dtype=float)
    out = cohort.copy()
    if mean_adherence == 0:
        out["home_adherence_prob"] = 0.0
        return out
    inner = (p > 0) & (p < 1)
    if not inner.any():
        raise ValueError("every patient's home_adherence_prob is 0 or 1; it cannot be rescaled")
    odds = np.where(inner, p / np.where(inner, 1 - p, 1), 0.0)

    def scaled(k):
        q = np.where(inner, k * odds / (1 + k * odds), p)
        return q

    def gap(log_k):
        return scaled(math.exp(log_k)).mean() - mean_adherence

    lo, hi = -30.0, 30.0
    if gap(lo) > 0 or gap(hi) < 0:
        raise ValueError(
            f"mean_adherence={mean_adherence!r} cannot be reached: patients with adherence 0 or 1 "
            "keep it, so the mean lies in "
            f"[{scaled(math.exp(lo)).mean():.2f}, {scaled(math.exp(hi)).mean():.2f}]"
        )
    log_k = brentq(gap, lo, hi, xtol=1e-12)
    out["home_adherence_prob"] = scaled(math.exp(log_k))
    return out


def compare_plan_set(
    sessions_per_week: int = 2,
    weeks: int = 6,
    session_minutes: float = 45.0,
    manual_minutes: float = 15.0,
    exercise_minutes: float = 25.0,
) -> dict[str, Plan]:
    """Manual-only, exercise-only and combined plans sharing one session budget.

    Every session starts with 5 minutes of education. The combined session then gives
    ``manual_minutes`` of the condition's manual techniques and ``exercise_minutes`` of exercise;
    manual-only and exercise-only spend the same working minutes (manual + exercise) on their one
    kind of care. The plans with exercise keep the standard home programme, on at most the
    ``7 - sessions_per_week`` days without a clinic visit. With the defaults these are exactly the
    standard plans of :func:`ptsim.standard_plans`.

    Raises
    ------
    ValueError
        If education + manual + exercise minutes exceed the session, or the combined session lacks
        manual therapy or exercise.
    """
    for name, value in (("manual_minutes", manual_minutes), ("exercise_minutes", exercise_minutes)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"{name} must be a positive number of minutes, got {value!r}")
    used = EDUCATION_MIN + manual_minutes + exercise_minutes
    if used > session_minutes + 1e-9:
        raise ValueError(
            f"education ({EDUCATION_MIN:g} min) + manual therapy ({manual_minutes:g} min) + exercise "
            f"({exercise_minutes:g} min) = {used:g} min, more than the {session_minutes:g}-min session; "
            "shorten a part or lengthen the session"
        )
    # standard_plans fits the home programme into the days without a clinic visit.
    std = standard_plans(sessions_per_week=sessions_per_week)
    edu = Component("education", EDUCATION_MIN)
    work = float(manual_minutes + exercise_minutes)
    sessions = {
        "manual_only": (edu, Component("manual_therapy", work)),
        "exercise_only": (edu, Component("exercise", work)),
        "combined": (
            edu,
            Component("manual_therapy", manual_minutes),
            Component("exercise", exercise_minutes),
        ),
    }
    return {
        name: std[name].with_(
            session=Session(comps, session_minutes),
            sessions_per_week=sessions_per_week,
            weeks=weeks,
            home=std[name].home,
        )
        for name, comps in sessions.items()
    }


def compare_plans(
    condition="knee_oa",
    sessions_per_week: int = 2,
    weeks: int = 6,
    session_minutes: float = 45.0,
    manual_minutes: float = 15.0,
    exercise_minutes: float = 25.0,
    home_adherence: float | None = None,
    n_patients: int = 200,
    days: int = 365,
    seed: int = 0,
    ensemble=False,
    scenario: str = "evidence",
    progress=None,
):
    """The comparison behind the compare-plans lesson and dashboard.

    Parameters
    ----------
    condition : str or Condition
    sessions_per_week, weeks : int
        Clinic visits a week, weeks of care.
    session_minutes, manual_minutes, exercise_minutes : float
        The session budget and its split (see :func:`compare_plan_set`).
    home_adherence : float or None
        Mean probability of doing a scheduled home session (see :func:`with_mean_adherence`);
        None keeps the cohort as sampled.
    n_patients, days, seed : int
    ensemble : bool, int or Ensemble
        Draw the parameters from the condition's evidence ensemble (as for :func:`ptsim.compare`;
        default False).
    scenario : {"evidence", "premise"}
        The condition's parameter scenario (see :func:`ptsim.load_condition`): the calibrated
        evidence (default) or the premise text's claims. The premise has no ensemble.
    progress : callable, optional
        ``progress(done, total, plan_name)`` after each chunk of patients (:func:`ptsim.compare`);
        the apps show it in their busy line.

    Returns
    -------
    Comparison
        ``manual_only``, ``exercise_only`` and ``combined`` on the same patients.
    """
    if scenario == "premise" and ensemble is not False:
        raise ValueError(
            "The premise scenario states claims, not evidence: it has no ensemble. Set Evidence "
            "uncertainty to off, or choose the evidence scenario."
        )
    cond = load_condition(condition, scenario=scenario)  # a Condition given is used as it is
    plans = compare_plan_set(sessions_per_week, weeks, session_minutes, manual_minutes, exercise_minutes)
    cohort = sample_cohort(cond, n_patients, seed)
    if home_adherence is not None:
        cohort = with_mean_adherence(cohort, home_adherence)
    return compare(
        cond,
        plans,
        n_patients=None,
        days=days,
        seed=seed,
        cohort=cohort,
        engine=ENGINE,
        ensemble=ensemble,
        progress=progress,
    )


def key_day_table(comp, days, outcomes=("pain", "rom", "strength", "function"), decimals=1):
    """Mean outcome of each plan at key days: rows (outcome with unit, day), one column a plan.

    Parameters
    ----------
    comp : Comparison
    days : list of int
        Days, and ``"baseline"`` for the pre-treatment values (equal in every plan).
    outcomes : sequence of str
        Outcome names (``OUTCOMES``, or the condition's questionnaire by its name or as
        ``"questionnaire"``).
    decimals : int
        Rounding of the shown means.
    """
    import pandas as pd

    from ptsim.engine.simulate import outcome_unit

    rows, index = [], []
    condition = next(iter(comp.values())).condition
    for outcome in outcomes:
        for d in days:
            index.append(
                (f"{outcome} ({outcome_unit(condition, outcome)})", d if d == "baseline" else int(d))
            )
            if d == "baseline":  # before the first session: the same patients in every plan
                rows.append([round(float(comp[p].baseline(outcome).mean()), decimals) for p in comp])
            else:
                rows.append([round(float(comp[p].outcome(outcome)[:, d].mean()), decimals) for p in comp])
    idx = pd.MultiIndex.from_tuples(index, names=["outcome", "day"])
    return pd.DataFrame(rows, index=idx, columns=list(comp))


def capacity_components(result):
    """Cohort-mean strength split into baseline, neural and structural gains and fatigue, by day.

    The split is replayed exactly from the day-by-day exercise doses the engine recorded, with the
    model's own update functions (training adaptations depend only on the dose), so
    ``strength_pct_normal`` equals the mean of ``result.strength``.

    Returns
    -------
    pandas.DataFrame
        ``day, baseline_pct_normal, neural_pct_normal, structural_pct_normal, fatigue_pct_normal,
        strength_pct_normal, motor_control_0_1`` (cohort means; fatigue as % of normal held back).
    """
    import pandas as pd

    cond = result.condition
    pts = to_patients(result.cohort, cond)
    p, nh = cond.parameters, cond.natural_history
    state = model.initial_state(pts)
    t = result.day.size
    out = {k: np.empty(t) for k in ("neural", "structural", "fatigue", "strength", "motor")}
    for d in range(t):
        if d > 0:
            state = model.advance_days(state, pts, p, nh, 1.0)
        dose = result.exercise_dose[:, d]
        if dose.any():
            state = model.adapt(state, p, dose, result.flare_events[:, d])
        gross = pts.strength0_pct + state.fitness_pct + state.hypertrophy_pct
        out["neural"][d] = state.fitness_pct.mean()
        out["structural"][d] = state.hypertrophy_pct.mean()
        out["fatigue"][d] = (gross * state.fatigue_frac).mean()
        out["strength"][d] = model.strength_pct(state, pts).mean()
        out["motor"][d] = state.motor.mean()
    return pd.DataFrame(
        {
            "day": result.day,
            "baseline_pct_normal": np.full(t, pts.strength0_pct.mean()),
            "neural_pct_normal": out["neural"],
            "structural_pct_normal": out["structural"],
            "fatigue_pct_normal": out["fatigue"],
            "strength_pct_normal": out["strength"],
            "motor_control_0_1": out["motor"],
        }
    )


def exercise_plan(
    sessions_per_week: int = 3,
    weeks: int = 12,
    exercise_minutes: float = 40.0,
    effort: float = 0.8,
    home_days_per_week: float = 0,
    after_discharge_days_per_week: float = 0,
) -> Plan:
    """An exercise-only programme for the capacity lesson (no manual therapy, no education)."""
    home = HomeProgramme(
        days_per_week=home_days_per_week,
        minutes=20,
        intensity=0.6,
        after_discharge_days_per_week=after_discharge_days_per_week,
    )
    session = Session((Component("exercise", exercise_minutes, effort),), exercise_minutes)
    return Plan("exercise_programme", session, sessions_per_week, weeks, home, "exercise only")


# Lesson 6: pain, tolerance and flares (the app's computation; the exercise 6.1 reads it)

PAIN_GROUPS = (("baseline pain < 5", 0.0, 5.0), ("5 to 7", 5.0, 7.0), ("7 or more", 7.0, 10.01))


def pain_table(
    condition="knee_oa",
    effort=0.7,
    exercise_minutes=25,
    manual_minutes=0,
    sessions_per_week=2,
    n_patients=200,
    days=182,
):
    """Six weeks of exercise (optionally after manual therapy): dose done and flares by baseline pain.

    The plan is education, optional manual therapy, then exercise at each clinic visit for six weeks,
    with the standard home programme (5 days a week, or the days without a visit if fewer). Dose and
    flares are counted during care (clinic and home sessions).

    Returns
    -------
    result : Result
    dose_done_min, flares : (n_patients,) arrays
        Effective exercise minutes and flares of each patient during care.
    table : pandas.DataFrame
        By baseline-pain group.
    """
    import pandas as pd

    comps = [Component("education", 5)]
    if manual_minutes > 0:
        comps.append(Component("manual_therapy", manual_minutes))
    comps.append(Component("exercise", exercise_minutes, effort))
    session = Session(tuple(comps), float(sum(c.minutes for c in comps)))
    # The standard plans' home programme for this many visits (fitted into the days without one).
    home = standard_plans(sessions_per_week=sessions_per_week)["exercise_only"].home
    plan = Plan("graded_exercise", session, sessions_per_week, 6, home)
    res = simulate(condition, plan, n_patients=n_patients, days=days, seed=0, engine=ENGINE)
    pain0 = res.cohort["pain_baseline_nprs"].to_numpy()
    care = res.day < res.discharge_day
    done = res.exercise_dose[:, care].sum(axis=1)
    flares = res.flare_events[:, care].sum(axis=1)
    rows = {}
    for label, lo, hi in PAIN_GROUPS:
        sel = (pain0 >= lo) & (pain0 < hi)
        if not sel.any():
            continue
        rows[label] = {
            "patients": int(sel.sum()),
            "effective exercise in care (min)": done[sel].mean(),
            "flares in care per patient": flares[sel].mean(),
            f"pain at discharge, day {res.discharge_day} (NPRS)": res.pain[sel, res.discharge_day].mean(),
            f"pain on day {days} (NPRS)": res.pain[sel, days].mean(),
        }
    table = pd.DataFrame(rows).T
    table["patients"] = table["patients"].astype(int)
    return res, done, flares, table.round(2)
