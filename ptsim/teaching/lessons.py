"""Helpers for the teaching notebooks: lesson computations and answer checking.

Nothing here imports matplotlib or ipywidgets, so the computations behind the lessons' interactive
figures (``ptsim.teaching.widgets``) can also be used and tested on their own. Answers to the lessons'
exercises are never stored: :func:`check_answer` computes the right answer from the model when it
is asked, so a change to the model changes the expected answers too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ptsim.core import model
from ptsim.engine.simulate import compare, simulate, trace_session
from ptsim.inputs.cohort import sample_cohort, to_patients
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import Component, HomeProgramme, Plan, Session, standard_plans

EDUCATION_MIN = 5.0
"""Minutes of education at the start of every treated standard session."""

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

    Returns
    -------
    Comparison
        ``manual_only``, ``exercise_only`` and ``combined`` on the same patients.
    """
    cond = load_condition(condition)
    plans = compare_plan_set(sessions_per_week, weeks, session_minutes, manual_minutes, exercise_minutes)
    cohort = sample_cohort(cond, n_patients, seed)
    if home_adherence is not None:
        cohort = with_mean_adherence(cohort, home_adherence)
    return compare(cond, plans, n_patients=None, days=days, seed=seed, cohort=cohort)


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
    maintenance_days_per_week: float = 0,
) -> Plan:
    """An exercise-only programme for the capacity lesson (no manual therapy, no education)."""
    home = HomeProgramme(
        days_per_week=home_days_per_week,
        minutes=20,
        intensity=0.6,
        after_discharge_days_per_week=maintenance_days_per_week,
    )
    session = Session((Component("exercise", exercise_minutes, effort),), exercise_minutes)
    return Plan("exercise_programme", session, sessions_per_week, weeks, home, "exercise only")


# ---------------------------------------------------------------------------------------------------
# Lessons 8 and 9: the evidence, and virtual trials

DESIGNS = ("same session minutes", "manual therapy added on")
"""How a trial of combined care against exercise alone can be designed (lesson 8): the exercise arm
gets the combined arm's manual-therapy minutes as extra exercise (same session minutes, DESIGN M8),
or only the combined arm's exercise minutes (manual therapy added on top, a longer session)."""


def combined_vs_exercise_plans(
    manual_minutes: float = 15.0,
    exercise_minutes: float = 25.0,
    design: str = "same session minutes",
    sessions_per_week: int = 2,
    weeks: int = 6,
) -> dict[str, Plan]:
    """Exercise-only and combined plans for one of the two trial designs of ``DESIGNS``.

    The combined plan is 5 minutes of education, ``manual_minutes`` of the condition's manual
    techniques, then ``exercise_minutes`` of exercise. With ``"same session minutes"`` the
    exercise-only plan spends all ``manual_minutes + exercise_minutes`` on exercise (the standard
    plans, with the defaults); with ``"manual therapy added on"`` it has only ``exercise_minutes``
    (a shorter session). Both keep the standard home programme.

    Raises
    ------
    ValueError
        An unknown design, or minutes that are not positive (combined care needs some of each).
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(map(repr, DESIGNS))}, got {design!r}")
    for name, value in (("manual_minutes", manual_minutes), ("exercise_minutes", exercise_minutes)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(
                f"{name} must be a positive number of minutes, got {value!r}: combined care needs some "
                "manual therapy and some exercise, otherwise both arms are the same plan"
            )
    work = float(manual_minutes + exercise_minutes)
    plans = compare_plan_set(sessions_per_week, weeks, EDUCATION_MIN + work, manual_minutes, exercise_minutes)
    plans = {"exercise_only": plans["exercise_only"], "combined": plans["combined"]}
    if design == "manual therapy added on":
        session = Session(
            (Component("education", EDUCATION_MIN), Component("exercise", exercise_minutes)),
            EDUCATION_MIN + exercise_minutes,
        )
        plans["exercise_only"] = plans["exercise_only"].with_(session=session)
    return plans


def combined_vs_exercise(
    condition="knee_oa",
    consolidation: float | None = None,
    manual_minutes: float = 15.0,
    exercise_minutes: float = 25.0,
    design: str = "same session minutes",
    n_patients: int = 200,
    days: int = 365,
    seed: int = 0,
):
    """Combined care against exercise alone on the same patients, for lesson 8.

    Parameters
    ----------
    condition : str or Condition
    consolidation : float or None
        ``consolidation_per_window_min`` (None: the condition's value; 0 turns the window-of-
        opportunity hypothesis off).
    manual_minutes, exercise_minutes, design
        See :func:`combined_vs_exercise_plans`.
    n_patients, days, seed : int

    Returns
    -------
    comp : Comparison
        ``exercise_only`` and ``combined``.
    table : pandas.DataFrame
        Rows (outcome with unit, day) at discharge and on the last day; columns the two plans and
        ``combined - exercise_only`` (for pain, negative favours combined care).
    """
    cond = load_condition(condition)
    if consolidation is not None:
        cond = cond.with_parameters(consolidation_per_window_min=consolidation)
    plans = combined_vs_exercise_plans(manual_minutes, exercise_minutes, design)
    comp = compare(cond, plans, n_patients=n_patients, days=days, seed=seed)
    end = comp["combined"].discharge_day
    table = key_day_table(comp, sorted({end, days}), ("pain", "rom", "function"), decimals=6)
    table["combined - exercise_only"] = table["combined"] - table["exercise_only"]
    return comp, table.round(2)


def evidence_counts(report) -> dict[str, int]:
    """How many targets of an evidence report fall within their published intervals.

    Returns ``targets``, ``within``, ``fitted`` (``use == "calibration"``) and ``fitted_within``.
    """
    fitted = report["use"] == "calibration"
    return {
        "targets": len(report),
        "within": int(report["within"].sum()),
        "fitted": int(fitted.sum()),
        "fitted_within": int(report.loc[fitted, "within"].sum()),
    }


def trial_estimates(
    condition="knee_oa",
    arms=("exercise_only", "combined"),
    n_per_arm: int = 10,
    n_trials: int = 100,
    outcome: str = "pain",
    seed: int = 0,
    truth_per_arm: int = 5000,
):
    """Many small trials of the same two plans: their estimates, CIs and p-values (lesson 9).

    Parameters
    ----------
    condition : str or Condition
    arms : (str, str)
        Reference plan, then the plan compared with it (standard plan names).
    n_per_arm, n_trials : int
        Patients per arm of each trial, and how many trials (``ptsim.analysis.trial.repeat_trials``).
    outcome : str
        ``"pain"``, ``"rom"``, ``"strength"`` or ``"function"``, assessed at discharge (day 42).
    seed : int
    truth_per_arm : int
        Patients per arm of one very large trial without drop-out whose estimate stands for the
        true difference (seed 10 000, so its patients are not those of the small trials).

    Returns
    -------
    trials : pandas.DataFrame
        One row per trial: ``trial, estimate, ci_low, ci_high, p_value``.
    truth : float
        The large trial's estimate (arm minus reference, the outcome's unit).
    table : pandas.DataFrame
        One row: the true difference, the mean and SD of the estimates, the share of trials
        significant (p < 0.05) -- the power -- and the shares pointing the wrong way.
    """
    import pandas as pd

    from ptsim.analysis.trial import repeat_trials, run_trial

    arms = list(arms)
    if len(arms) != 2 or arms[0] == arms[1]:
        raise ValueError(f"arms must be two different plans (reference, compared), got {arms!r}")
    trials = repeat_trials(condition, arms, n_per_arm=n_per_arm, n_trials=n_trials, seed=seed)
    rows = []
    for i, t in enumerate(trials):
        e = t.effects(outcome).iloc[0]
        rows.append((i, e.estimate, e.ci_low, e.ci_high, e.p_value))
    df = pd.DataFrame(rows, columns=["trial", "estimate", "ci_low", "ci_high", "p_value"])
    big = run_trial(condition, arms, n_per_arm=truth_per_arm, seed=10_000, dropout=0.0)
    truth = float(big.effects(outcome).estimate.iloc[0])
    sign = np.sign(truth)
    wrong = np.sign(df["estimate"]) == -sign
    signif = df["p_value"] < 0.05
    table = pd.DataFrame(
        {
            "true difference": [truth],
            "mean estimate": [df["estimate"].mean()],
            "SD of estimates": [df["estimate"].std(ddof=1)],
            "significant (%)": [100 * signif.mean()],
            "pointing the wrong way (%)": [100 * wrong.mean()],
            "significant the wrong way (%)": [100 * (wrong & signif).mean()],
        },
        index=[f"{arms[1]} - {arms[0]}, {n_per_arm}/arm"],
    )
    return df, truth, table.round(2)


# ---------------------------------------------------------------------------------------------------
# Exercises and their answers


@dataclass(frozen=True)
class Question:
    """A lesson exercise whose answer is computed from the model when checked.

    Attributes
    ----------
    prompt : str
    solve : callable
        Returns the right answer: a string (one of ``choices``) or a number.
    choices : tuple of str
        Accepted answers for a multiple-choice question (empty for a number).
    tolerance : float
        Accepted absolute difference for a number.
    unit : str
    explanation : str
        Shown with the answer.
    """

    prompt: str
    solve: Callable[[], str | float]
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0
    unit: str = ""
    explanation: str = ""


def _std(condition, n=100, days=365, plans=None):
    return compare(condition, plans or standard_plans(), n_patients=n, days=days, seed=0)


def _mean(comp, plan, outcome, day):
    return float(comp[plan].outcome(outcome)[:, day].mean())


def _best(comp, outcome, day, plans, lowest):
    values = {p: _mean(comp, p, outcome, day) for p in plans}
    return (min if lowest else max)(values, key=values.__getitem__)


def _solve_1_1():
    return _best(_std("knee_oa"), "pain", 42, COMPARED_PLANS, lowest=True)


def _solve_1_2():
    return _best(_std("knee_oa"), "pain", 14, COMPARED_PLANS, lowest=True)


def _technique_gain(technique, condition="adhesive_capsulitis"):
    session = Session((Component(technique, 10, None if technique == "massage" else 3),), 10)
    trace = trace_session(condition, session, n_patients=100, minutes_after=0)
    return float(trace.rom_deg.iloc[-1] - trace.rom_deg.iloc[0])


def _solve_2_1():
    gains = {t: _technique_gain(t) for t in ("joint_mobilization", "soft_tissue_mobilization", "massage")}
    return max(gains, key=gains.__getitem__)


def _solve_2_2():
    comp = _std("knee_oa", days=42, plans={p: standard_plans()[p] for p in ("usual_care", "massage_only")})
    return round(_mean(comp, "massage_only", "rom", 42) - _mean(comp, "usual_care", "rom", 42), 1)


def _order_gain(first, second, consolidation=None, condition="knee_oa"):
    cond = load_condition(condition)
    if consolidation is not None:
        cond = cond.with_parameters(consolidation_per_window_min=consolidation)
    trace = trace_session(cond, Session((first, second), 40), n_patients=100, minutes_after=0)
    return float(trace.durable_rom_deg.iloc[-1] - trace.durable_rom_deg.iloc[0])


def _solve_3_1():
    manual, ex = Component("manual_therapy", 15), Component("exercise", 25)
    return "manual first" if _order_gain(manual, ex) > _order_gain(ex, manual) else "exercise first"


def _solve_3_2():
    manual, ex = Component("manual_therapy", 15), Component("exercise", 25)
    return round(_order_gain(manual, ex, 0.0), 2)


def _solve_4_1():
    res = simulate("knee_oa", exercise_plan(), n_patients=100, days=120, seed=0)
    comp = capacity_components(res)
    late = comp[comp.day == 56].iloc[0]
    return "structural" if late.structural_pct_normal > late.neural_pct_normal else "neural"


def _solve_4_2():
    res = simulate("knee_oa", exercise_plan(), n_patients=100, days=84 + 182, seed=0)
    s = res.strength.mean(axis=0)
    return round(float(s[84 + 182] - s[83]), 1)


def _solve_5_1():
    comp = compare_plans(n_patients=100)
    return _best(comp, "function", 365, COMPARED_PLANS, lowest=False)


def _solve_5_2():
    comp = compare_plans(manual_minutes=5, exercise_minutes=35, n_patients=100)
    return round(_mean(comp, "combined", "pain", 42), 1)


def _hard_plan(effort):
    return Plan("hard", Session((Component("exercise", 40, effort),), 40), 3, 6)


def _solve_6_1():
    res = simulate("knee_oa", _hard_plan(1.0), n_patients=200, days=42, seed=0)
    high = res.cohort["pain_baseline_nprs"].to_numpy() > 6
    return round(float(res.flares[high].mean()), 1)


def _solve_6_2():
    comp = _std("knee_oa", days=182, plans={p: standard_plans()[p] for p in ("usual_care", "exercise_only")})
    return (
        "exercise_only"
        if _mean(comp, "exercise_only", "pain", 182) < _mean(comp, "usual_care", "pain", 182)
        else ("usual_care")
    )


def _solve_7_1():
    comp = _std("knee_oa", n=200)
    return round(float((comp["manual_only"].setbacks > 0).mean() * 100), 0)


def _solve_7_2():
    comp = _std("knee_oa", n=200)
    values = {p: comp[p].setbacks.mean() for p in ("usual_care", "manual_only", "exercise_only", "combined")}
    return min(values, key=values.__getitem__)


def _solve_8_1():
    from ptsim.analysis.calibrate import report

    cond = load_condition("knee_oa").with_parameters(consolidation_per_window_min=0.0)
    return evidence_counts(report(cond))["fitted_within"]


def _solve_8_2():
    _, table = combined_vs_exercise("knee_oa", consolidation=0.0)
    return float(table.loc[("function (0-100)", 42), "combined - exercise_only"])


def _solve_9_1():
    trials, truth, _ = trial_estimates("knee_oa", ("exercise_only", "combined"), n_per_arm=10, n_trials=100)
    return round(float(100 * (np.sign(trials["estimate"]) == -np.sign(truth)).mean()), 0)


def _solve_9_2():
    from ptsim.analysis.trial import run_trial

    t = run_trial("chronic_neck_pain", ["exercise_only", "combined"], n_per_arm=100, seed=0)
    r = t.responders("pain")
    return round(float(r.set_index("arm").loc["combined", "nnt"]), 1)


PLAN_CHOICES = COMPARED_PLANS

QUESTIONS: dict[str, Question] = {
    "1.1": Question(
        "Knee OA, 100 patients: which plan has the lowest mean pain at discharge (day 42)?",
        _solve_1_1,
        PLAN_CHOICES,
        explanation="Combined care gets the relief of manual therapy and the durable gains of exercise.",
    ),
    "1.2": Question(
        "Knee OA: which plan has the lowest mean pain two weeks in (day 14)?",
        _solve_1_2,
        PLAN_CHOICES,
        explanation="Manual therapy relieves pain fastest; exercise builds up over weeks.",
    ),
    "2.1": Question(
        "Frozen shoulder, 10 minutes at grade III: which technique gives the largest ROM gain straight "
        "after the session: joint_mobilization, soft_tissue_mobilization or massage?",
        _solve_2_1,
        ("joint_mobilization", "soft_tissue_mobilization", "massage"),
        explanation="The capsule holds most of a frozen shoulder's restriction, and joint mobilization "
        "acts on the capsule.",
    ),
    "2.2": Question(
        "Knee OA: after six weeks of massage-only care, how many degrees of knee flexion (mean, end of "
        "day 42, one decimal) does the massage group have over no treatment?",
        _solve_2_2,
        tolerance=0.3,
        unit="deg",
        explanation="General massage relieves pain a little, so patients guard a little less; it releases "
        "no specific restriction, so the tissues' durable range is exactly that of no treatment.",
    ),
    "3.1": Question(
        "Knee OA, 15 min manual therapy and 25 min exercise: which order leaves more durable range "
        "after one session: 'manual first' or 'exercise first'?",
        _solve_3_1,
        ("manual first", "exercise first"),
        explanation="Exercise through the open window consolidates part of the released range.",
    ),
    "3.2": Question(
        "Knee OA: with consolidation_per_window_min = 0, how many degrees of durable range does one "
        "session of 15 min manual therapy then 25 min exercise leave (mean, two decimals)?",
        _solve_3_2,
        tolerance=0.02,
        unit="deg",
        explanation="Without the hypothesis only stretching and the technique's own remodelling are left.",
    ),
    "4.1": Question(
        "Knee OA, 40 min of exercise at 80 % effort 3 times a week: at week 8 (day 56), is most of the "
        "strength gained 'neural' or 'structural'?",
        _solve_4_1,
        ("neural", "structural"),
        explanation="Neural gains come first; hypertrophy dominates after weeks 3-5.",
    ),
    "4.2": Question(
        "Same 12-week programme, nothing after it: how many points of strength (% of normal) are "
        "lost between the last training day (day 83) and six months after the programme (day 266)? "
        "Give a negative number for a loss.",
        _solve_4_2,
        tolerance=0.5,
        unit="% of normal",
        explanation="Gains are held for about four weeks, then detraining sets in.",
    ),
    "5.1": Question(
        "Compare-plans defaults with 100 patients: which plan has the best mean function a year after "
        "the first session (day 365)?",
        _solve_5_1,
        PLAN_CHOICES,
        explanation="Exercise-containing plans keep their gains after discharge; manual-only fades.",
    ),
    "5.2": Question(
        "Compare plans, 100 patients: change the combined session to 5 min manual therapy and 35 min "
        "exercise. What is the combined plan's mean pain at discharge (day 42, one decimal)?",
        _solve_5_2,
        tolerance=0.1,
        unit="NPRS",
        explanation="The session is a time budget: minutes moved from one part are taken from another.",
    ),
    "6.1": Question(
        "Knee OA, 40 min of exercise at 100 % effort 3 times a week for 6 weeks: how many flares does a "
        "patient with baseline pain above 6/10 have on average (one decimal)?",
        _solve_6_1,
        tolerance=0.2,
        unit="flares",
        explanation="Pain above 5/10 during exercise is not acceptable in the pain-monitoring model.",
    ),
    "6.2": Question(
        "'Pain means damage, so rest.' Knee OA at six months (day 182): which has lower mean pain, "
        "usual_care (rest) or exercise_only?",
        _solve_6_2,
        ("usual_care", "exercise_only"),
        explanation="Graded exercise within tolerance lowers the pain set point; rest does not.",
    ),
    "7.1": Question(
        "Knee OA, 200 patients: what percentage of the manual-only patients have at least one setback "
        "within the year (whole number)?",
        _solve_7_1,
        tolerance=1.0,
        unit="%",
        explanation="Manual therapy leaves strength and motor control where they were, so the setback "
        "hazard after discharge is that of no treatment.",
    ),
    "7.2": Question(
        "Which plan has the fewest setbacks per patient over the year: usual_care, manual_only, "
        "exercise_only or combined?",
        _solve_7_2,
        ("usual_care", "manual_only", "exercise_only", "combined"),
        explanation="Setbacks fall with strength and motor control, which only exercise builds.",
    ),
    "8.1": Question(
        "Knee OA: set consolidation_per_window_min to 0 (the window-of-opportunity hypothesis off). "
        "How many of the 10 fitted evidence targets still fall within their published intervals?",
        _solve_8_1,
        tolerance=0.0,
        unit="targets",
        explanation="None of the published numbers tests the sequence directly, so the evidence "
        "cannot tell the hypothesis on from off: that is what 'no direct trial' means.",
    ),
    "8.2": Question(
        "Knee OA, same session minutes (15 min manual + 25 min exercise against 40 min exercise), "
        "hypothesis off (consolidation 0): how many points of function (0-100) does combined care "
        "have over exercise alone at discharge (day 42, one decimal)?",
        _solve_8_2,
        tolerance=0.2,
        unit="points",
        explanation="Without consolidation, manual therapy still relieves pain, so patients tolerate "
        "more exercise (M4): a smaller advantage, not none.",
    ),
    "9.1": Question(
        "Knee OA, 100 trials of exercise_only against combined with 10 patients per arm (pain at "
        "day 42): in what percentage of them does the estimate point the wrong way, favouring "
        "exercise alone (whole number)?",
        _solve_9_1,
        tolerance=1.0,
        unit="%",
        explanation="A true difference of a quarter of a point is small next to the scatter of a "
        "10-patient arm: one small trial can point either way.",
    ),
    "9.2": Question(
        "Chronic neck pain, one trial of exercise_only against combined, 100 patients per arm, seed 0: "
        "what is the number needed to treat with combined care for one more pain responder (30 % MCID) "
        "at discharge, day 42 (one decimal)?",
        _solve_9_2,
        tolerance=0.1,
        unit="patients",
        explanation="NNT = 1 / (difference in responder rates): treat this many patients with "
        "combined care instead of exercise alone for one more of them to improve by the MCID.",
    ),
}
"""The lessons' exercises, by ``"lesson.number"``."""


def check_answer(question: str, answer=None, show: bool = True) -> bool | None:
    """Check a student's answer to a lesson exercise against the model.

    Parameters
    ----------
    question : str
        The exercise's id, e.g. ``"1.1"`` (see ``QUESTIONS``).
    answer : str or number or None
        The student's answer; None prints the question and how to answer.
    show : bool
        Print the verdict (default True).

    Returns
    -------
    bool or None
        Whether the answer is right (None without an answer).
    """
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; accepted: {', '.join(QUESTIONS)}")
    q = QUESTIONS[question]
    if answer is None:
        if show:
            how = f"one of {', '.join(repr(c) for c in q.choices)}" if q.choices else f"a number ({q.unit})"
            print(
                f"Question {question}: {q.prompt}\nAnswer with {how}, e.g. check_answer({question!r}, ...)."
            )
        return None
    right = q.solve()
    if q.choices:
        given = str(answer).strip().lower().replace(" ", "_")
        ok = given == str(right).lower().replace(" ", "_")
        if given not in {c.lower().replace(" ", "_") for c in q.choices}:
            if show:
                print(f"{answer!r} is not one of the accepted answers: {', '.join(q.choices)}")
            return False
    else:
        if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
            if show:
                print(f"Question {question} needs a number ({q.unit}), got {answer!r}")
            return False
        ok = abs(answer - float(right)) <= q.tolerance + 1e-12
    if show:
        print(
            ("Correct. " if ok else "Not quite: try again, or run the simulation behind it. ") + q.explanation
        )
    return ok


def solution(question: str) -> str:
    """The model's answer to an exercise, with its explanation (for instructors)."""
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; accepted: {', '.join(QUESTIONS)}")
    q = QUESTIONS[question]
    right = q.solve()
    unit = f" {q.unit}" if q.unit and not q.choices else ""
    return f"{question}: {right}{unit}. {q.explanation}"
