"""Helpers for the teaching notebooks: lesson computations and answer checking.

Nothing here imports matplotlib or ipywidgets, so the computations behind the lessons' interactive
figures (``ptsim.teaching.widgets``) can also be used and tested on their own. Answers to the lessons'
exercises are never stored: :func:`check_answer` computes the right answer from the model when it
is asked, so a change to the model changes the expected answers too.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ptsim.core import model
from ptsim.core.techniques import TABLE as TECHNIQUE_TABLE
from ptsim.engine.simulate import compare, simulate, trace_session
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
gets the combined arm's manual-therapy minutes as extra exercise (same session minutes: the session's time
budget), or only the combined arm's exercise minutes (manual therapy added on top, a longer session)."""


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
    comp = compare(cond, plans, n_patients=n_patients, days=days, seed=seed, engine=ENGINE)
    end = comp["combined"].discharge_day
    table = key_day_table(comp, sorted({end, days}), ("pain", "rom", "function"), decimals=6)
    table["combined - exercise_only"] = table["combined"] - table["exercise_only"]
    return comp, table.round(2)


# Lesson 8 (v2): each published result beside the model's predictive interval

SCENARIO_LABELS = {
    "evidence": "evidence: calibrated to published trials",
    "premise": "premise: the premise text's claims",
}
"""The two named parameter scenarios as the apps' controls name them (compare plans, lesson 8)."""

INSTRUMENT_UNITS = {
    "NPRS": "NPRS points (0-10)",
    "pain_0_100": "pain points (0-100)",
    "function_0_100": "function points (0-100)",
    "WOMAC_0_100": "WOMAC points (0-100)",
    "WOMAC_0_240": "WOMAC points (0-240)",
    "KOOS4_0_100": "KOOS4 points (0-100, 100 best)",
    "NDI_0_50": "NDI points (0-50)",
    "RMDQ_0_24": "RMDQ points (0-24)",
    "ODI_0_100": "ODI points (0-100)",
    "SPADI_0_100": "SPADI points (0-100)",
    "DASH_0_100": "DASH points (0-100)",
    "Constant_0_100": "Constant score points (0-100, 100 best)",
    "degrees": "deg",
    "percent": "%",
    "SMD": "SMD (no unit)",
    "risk_ratio": "risk ratio (no unit)",
    "days": "days",
}
"""The unit of each instrument of ``data/evidence/published.csv`` (its ``instrument`` column)."""

QUANTITY_UNITS = {
    "proportion": "% of patients",
    "proportion_difference": "percentage points of patients",
    "percent_of_baseline": "% of baseline",
}
"""Units of the rows reported in per cent, by what they compare (``quantity``): a share, a difference of
shares, or a level against the baseline."""


def row_unit(instrument: str, quantity: str = "") -> str:
    """The unit a published row is reported in: its instrument's, or for a per-cent row its quantity's."""
    if instrument == "percent" and quantity in QUANTITY_UNITS:
        return QUANTITY_UNITS[quantity]
    return INSTRUMENT_UNITS.get(instrument, instrument)


COMPARES = {
    "between_arm_difference": "difference between groups",
    "proportion_difference": "difference between groups",
    "ratio": "ratio between groups",
    "within_arm_level": "one group",
    "within_arm_change": "one group",
    "percent_of_baseline": "one group",
    "proportion": "one group",
    "time_to_event": "one group",
}
"""What a published row compares (its ``quantity``): two groups, or one group's level, change or share.
The lesson draws them on separate panels, so a level is never read on a difference's axis."""

ROLE_LABELS = {"fit": "fit", "calibration": "fit", "held_out": "held out", "known_gap": "known gap"}
"""A published row's role as the lesson names it: fitted by the calibration, or held out from it."""

_EVIDENCE_CHECKS: dict[tuple, dict] = {}


def _compute_evidence_check(name: str, scenario: str, members: int, n_patients: int | None) -> dict:
    from ptsim.analysis.bayes import (
        evidence_report,
        fit_coverage,
        fitted_patients,
        predictive,
        stored_ensemble,
    )

    if scenario == "evidence":
        return dict(evidence_report(name, members=members, n_patients=n_patients, engine=ENGINE)[name])
    n = n_patients or fitted_patients(stored_ensemble(name))  # the evidence scenario's cohort size
    table = predictive(load_condition(name, scenario=scenario), None, n_patients=n, engine=ENGINE)
    return {
        "basis": f"the {scenario} scenario's one parameter set (a point prediction: no evidence interval)",
        "table": table,
        "fit_covered": fit_coverage(table),
        "unidentified": None,
    }


def _check_key(condition, scenario, members, n_patients) -> tuple:
    from ptsim.analysis.bayes import REPORT_MEMBERS
    from ptsim.inputs.conditions import SCENARIOS, list_conditions

    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(map(repr, SCENARIOS))}, got {scenario!r}")
    name = condition if isinstance(condition, str) else getattr(condition, "name", None)
    if name not in list_conditions():
        raise ValueError(
            f"condition must be a shipped condition (its published rows and ensemble are stored under "
            f"its name), got {condition!r}; accepted: {', '.join(list_conditions())}"
        )
    return (name, scenario, REPORT_MEMBERS if members is None else members, n_patients)


def evidence_check(
    condition="knee_oa", scenario: str = "evidence", members: int | None = None, n_patients: int | None = None
):
    """A condition's published results beside the model's 95 % predictive intervals (lesson 8).

    Computed once per condition, scenario and size in a session (the first call takes seconds: every
    ensemble member simulates every published result); later calls return the same object, which is
    not to be modified.

    Parameters
    ----------
    condition : str
        A shipped condition's name.
    scenario : {"evidence", "premise"}
        ``"evidence"``: :func:`ptsim.analysis.bayes.evidence_report` over the condition's stored
        posterior ensemble (at its calibrated values if it has none; ``basis`` says which).
        ``"premise"``: the premise scenario's single parameter set (``load_condition(...,
        scenario="premise")``), so its predictive interval is a point.
    members : int, optional
        Ensemble members simulated, evenly spaced (default ``ptsim.analysis.bayes.REPORT_MEMBERS``).
    n_patients : int, optional
        Virtual patients per arm of each simulated result (default: the cohort size the ensemble was
        fitted with, else 100).

    Returns
    -------
    dict
        ``basis`` (str), ``table`` (the frame of :func:`ptsim.analysis.bayes.predictive`),
        ``fit_covered`` (covered, modelled fit rows) and ``unidentified`` (parameter names, or None
        without an ensemble).
    """
    key = _check_key(condition, scenario, members, n_patients)
    if key not in _EVIDENCE_CHECKS:
        _EVIDENCE_CHECKS[key] = _compute_evidence_check(*key)
    return _EVIDENCE_CHECKS[key]


def evidence_is_cached(
    condition="knee_oa", scenario: str = "evidence", members=None, n_patients=None
) -> bool:
    """Whether :func:`evidence_check` with these arguments has already been computed this session."""
    return _check_key(condition, scenario, members, n_patients) in _EVIDENCE_CHECKS


INSTRUMENT_WORDS = {
    "Constant_0_100": "Constant shoulder score",
    "KOOS4_0_100": "KOOS knee score",
    "NDI_0_50": "Neck Disability Index",
    "NPRS": "pain (NPRS)",
    "RMDQ_0_24": "Roland-Morris disability",
    "SMD": "pain (standardised)",
    "SPADI_0_100": "SPADI shoulder score",
    "WOMAC_0_240": "WOMAC knee score",
    "days": "days",
    "degrees": "range of motion",
    "function_0_100": "function",
    "pain_0_100": "pain (0-100)",
    "percent": "patients (%)",
    "risk_ratio": "risk ratio",
}
"""What a published result measured, in words a PT student reads (lesson 8's row labels)."""
QUANTITY_WORDS = {
    "between_arm_difference": "difference between groups",
    "within_arm_level": "level in one group",
    "within_arm_change": "change in one group",
    "percent_of_baseline": "% of the starting value",
    "proportion": "share of one group",
    "proportion_difference": "difference in share",
    "ratio": "ratio between groups",
    "time_to_event": "time until it happens",
}


ARM_WORDS = {
    "manual": "manual therapy",
    "mt": "manual therapy",
    "exercise": "exercise",
    "combined": "combined care",
    "usual": "usual care",
    "single": "one mobilization",
    "mte": "manual therapy and exercise",
    "pt": "physical therapy",
    "nonsurgical": "non-surgical care",
    "specific": "specific exercise",
}
"""The group a published result describes, in words (the first part of its arm's name)."""


def _when(day: int) -> str:
    if day == 0:
        return "straight after"
    if day < 7:
        return f"{day} days later"
    if day < 182:
        return f"week {round(day / 7)}"
    if day < 365:
        return f"month {round(day / 30.4)}"
    years = day / 365
    return (
        f"{years:.0f} year" + ("s" if round(years) > 1 else "")
        if abs(years - round(years)) < 0.1
        else f"day {day}"
    )


@functools.cache
def _published_index():
    from ptsim.analysis.evidence import published_targets

    return published_targets().set_index("id")


def result_label(row_id: str) -> str:
    """A published result in plain words: first author and year, what was measured, and when.

    For example ``knee_deyle2020_pt_1yr`` -> "Deyle 2020: WOMAC knee score, level in one group, 1 year"
    (an id that is not a published row loses its condition prefix only).
    """
    import re

    table = _published_index()
    if row_id not in table.index:
        return row_id.split("_", 1)[1] if "_" in row_id else row_id
    r = table.loc[row_id]
    source = str(r["source"])
    words = re.split(r"[\s,&]+", source.strip())
    author = " ".join(words[:2]) if words[0].islower() else words[0]  # "da Silva", "Fransen"
    year = re.search(r"\b(19|20)\d\d\b", source)
    what = INSTRUMENT_WORDS.get(r["instrument"], str(r["instrument"]))
    how = QUANTITY_WORDS.get(r["quantity"], str(r["quantity"]).replace("_", " "))
    arm = ARM_WORDS.get(str(r["arm"]).split("_", 1)[0])
    return (
        f"{author} {year.group(0) if year else ''}: {what}, {how}"
        + (f" ({arm})" if arm else "")
        + f", {_when(int(r['day']))}"
    )


def evidence_rows(check: dict, modelled_only: bool = False):
    """The rows of an :func:`evidence_check` as the lesson shows them: units, two decimals.

    Parameters
    ----------
    check : dict
        From :func:`evidence_check`.
    modelled_only : bool
        Leave out the rows the model cannot simulate (and the ``reason`` column).

    Returns
    -------
    pandas.DataFrame
        Index ``result`` (:func:`result_label`); columns ``role`` (fit, held out, known gap), ``day``
        (days from the start of care), ``unit``, ``compares`` (:data:`COMPARES`: a difference or
        ratio between groups, or one group), ``published``, ``published low``, ``published high``
        (its 95 % interval), ``model median``, ``model low``, ``model high`` (the 95 % predictive
        interval over the members), ``covered`` (yes / no: the two intervals overlap; "not modelled")
        and ``reason`` (why a row is not modelled, or is a known gap: reported, never fitted).
    """
    import pandas as pd

    from ptsim.analysis.evidence import published_targets

    t = check["table"]
    published = published_targets().set_index("id")
    rows = {}
    for _, r in t.iterrows():
        modelled = r["status"] == "modelled"
        if modelled_only and not modelled:
            continue
        row = {
            "role": ROLE_LABELS.get(r["role"], r["role"]),
            "day": int(published.loc[r["id"], "day"]),
            "unit": row_unit(r["instrument"], r["quantity"]),
            "compares": COMPARES.get(r["quantity"], str(r["quantity"]).replace("_", " ")),
            "published": r["published"],
            "published low": r["low"],
            "published high": r["high"],
            "model median": r["predicted_median"],
            "model low": r["predicted_low"],
            "model high": r["predicted_high"],
            "covered": ("yes" if r["covered"] else "no") if modelled else "not modelled",
        }
        if not modelled_only:
            gap = r["role"] == "known_gap"
            reason = published.loc[r["id"], "notes"] if gap else "" if modelled else r["mapping"]
            row["reason"] = plain(reason)  # no internal design tags in what students read
        label = result_label(r["id"])
        rows[label if label not in rows else f"{label} [{r['id']}]"] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "result"
    return out.round(2)


def held_out_lines(check: dict, from_day: int = 0) -> list[str]:
    """What a condition's held-out results say, one line each: covered or not, and on which side.

    Lessons that draw a conclusion about the months after care print these for ``from_day=182`` and
    point to lesson 8, so that a one-year claim is read beside the results no fit has seen.

    Parameters
    ----------
    check : dict
        From :func:`evidence_check`.
    from_day : int
        Only held-out results measured on this day from the start of care or later.
    """
    rows = evidence_rows(check, modelled_only=True)
    held = rows[(rows.role == ROLE_LABELS["held_out"]) & (rows.day >= from_day)]
    lines = []
    for name, r in held.iterrows():
        if r["model median"] > r["published high"]:
            side = "above"
        elif r["model median"] < r["published low"]:
            side = "below"
        else:
            side = "inside"
        verdict = "covered" if r.covered == "yes" else "NOT covered"
        lines.append(
            f"{name} (day {r.day}): {verdict}; the model's median {r['model median']:.2f} "
            f"[{r['model low']:.2f}, {r['model high']:.2f}] is {side} the published {r.published:.2f} "
            f"[{r['published low']:.2f}, {r['published high']:.2f}] {r.unit}"
        )
    return lines


def coverage(check: dict) -> dict[str, int]:
    """Counts of an :func:`evidence_check`: ``fit``, ``fit_covered``, ``held_out``,
    ``held_out_covered``, ``known_gap`` and ``known_gap_covered`` (rows the model simulates), and
    ``not_modelled``."""
    t = check["table"]
    modelled = t["status"] == "modelled"
    out = {"not_modelled": int((~modelled).sum())}
    for key, roles in (
        ("fit", ("fit", "calibration")),
        ("held_out", ("held_out",)),
        ("known_gap", ("known_gap",)),
    ):
        sel = t[modelled & t["role"].isin(roles)]
        out[key] = len(sel)
        out[f"{key}_covered"] = int(sum(bool(c) for c in sel["covered"]))
    return out


def point_coverage(condition="knee_oa", **parameters) -> dict[str, int]:
    """:func:`coverage` of one parameter set: the condition's calibrated values (the evidence scenario's
    mode), with ``parameters`` changed (e.g. ``consolidation_per_window_min=0.0``)."""
    from ptsim.analysis.bayes import predictive

    cond = load_condition(condition)
    if parameters:
        cond = cond.with_parameters(**parameters)
    return coverage({"table": predictive(cond, None, engine=ENGINE)})


def unidentified_table(condition="knee_oa"):
    """The parameters a condition's evidence fits, prior range against posterior (lesson 8).

    Returns
    -------
    pandas.DataFrame or None
        One row a parameter (``ptsim.analysis.bayes.identifiability``), in the parameter's own unit (its
        name says it: ``_frac``, ``_days``, ``_per_dose_min``): ``meaning``, ``prior low``, ``prior
        high`` (the documented range, a uniform prior), ``posterior median``, ``posterior SD``, ``SD
        ratio (posterior / prior)`` and ``unidentified`` (the ratio above
        ``ptsim.analysis.bayes.UNIDENTIFIED_SD_RATIO``); None if the condition has no stored ensemble.
    """
    from ptsim.analysis.bayes import identifiability
    from ptsim.analysis.calibrate import free_parameters
    from ptsim.core.parameters import PARAMETERS
    from ptsim.inputs.conditions import NATURAL_HISTORY_KEYS
    from ptsim.inputs.ensembles import load_ensemble

    name = load_condition(condition).name
    try:
        ens = load_ensemble(name)
    except FileNotFoundError:
        return None
    table = identifiability(ens, free_parameters(name))

    def meaning(p):
        if p.startswith("natural_history."):
            return "untreated course: " + NATURAL_HISTORY_KEYS.get(p.split(".", 1)[1], p)
        return PARAMETERS[p].meaning if p in PARAMETERS else p

    table.insert(1, "meaning", [meaning(p) for p in table["parameter"]])
    names = {
        "prior_low": "prior low",
        "prior_high": "prior high",
        "posterior_median": "posterior median",
        "posterior_sd": "posterior SD",
        "sd_ratio": "SD ratio (posterior / prior)",
    }
    return table.rename(columns=names).set_index("parameter")


CLAIM_PLANS = ("usual_care", "manual_only", "exercise_only", "combined")
"""The standard plans the premise's claims are about."""

CLAIM_MEMBERS = 20
"""Ensemble members the evidence scenario's claims are run with (``compare(..., ensemble=20)``)."""


def scenario_claims(condition="knee_oa", n_patients: int = 200, days: int = 365, seed: int = 0):
    """The premise's claim "combined care beats either alone", in the evidence and premise scenarios.

    Both scenarios run the same virtual patients on the standard plans (:data:`CLAIM_PLANS`). The
    evidence scenario draws :data:`CLAIM_MEMBERS` members of the condition's stored ensemble
    (``compare(..., ensemble=20)``), so its interval is the evidence interval (what the published
    results allow); without a stored ensemble it runs the calibrated values. The premise scenario is
    one parameter set, so its interval is the t interval over these patients.

    Returns
    -------
    pandas.DataFrame
        Index (scenario, combined minus, outcome, day), for pain (NPRS 0-10) and function (0-100) at
        discharge and on ``days``: ``mean difference``, ``low``, ``high`` (in the outcome's unit),
        ``interval`` (how it was made), ``favours combined`` (the interval excludes 0 on combined care's
        side: less pain, more function) and ``verdict`` (:meth:`ptsim.Comparison.differences`' words).
    """
    import pandas as pd

    from ptsim.core.vocabulary import OUTCOMES

    plans = {p: standard_plans()[p] for p in CLAIM_PLANS}
    frames = []
    for scenario in ("evidence", "premise"):
        cond = load_condition(condition, scenario=scenario)
        ensemble = CLAIM_MEMBERS if scenario == "evidence" and _has_ensemble(cond.name) else False
        comp = compare(
            cond, plans, n_patients=n_patients, days=days, seed=seed, engine=ENGINE, ensemble=ensemble
        )
        end = comp["combined"].discharge_day
        for reference in ("manual_only", "exercise_only"):
            d = comp.differences(reference=reference, days=[end, days], outcomes=["pain", "function"])
            d = d[d["plan"] == "combined"].copy()
            d["scenario"] = scenario
            frames.append(d)
    d = pd.concat(frames, ignore_index=True)
    lower_better = d["outcome"].map(lambda o: OUTCOMES[o].lower_is_better)
    d["favours combined"] = d["separated"] & ((d["mean_difference"] < 0) == lower_better)
    d["outcome"] = d["outcome"] + " (" + d["unit"] + ")"
    d = d.rename(
        columns={"reference": "combined minus", "mean_difference": "mean difference", "ci_low": "low"}
    )
    d = d.rename(columns={"ci_high": "high"})
    cols = ["mean difference", "low", "high", "interval", "favours combined", "verdict"]
    return d.set_index(["scenario", "combined minus", "outcome", "day"])[cols].round(2)


def _has_ensemble(name: str) -> bool:
    from ptsim.inputs.ensembles import load_ensemble

    try:
        load_ensemble(name)
    except FileNotFoundError:
        return False
    return True


def manual_relief(condition="knee_oa", scenario: str = "evidence", n_patients: int = 200, days: int = 365):
    """No treatment (usual care) against manual-only care, on the same patients (exercise 8.2).

    The premise's "manual relief always fades" says manual-only care's mean pain returns to that of no
    treatment after discharge. This is ``ptsim.compare(condition, ["usual_care", "manual_only"],
    n_patients=n_patients, days=days, scenario=scenario)`` with seed 0 and, in the evidence scenario
    of a condition with a stored ensemble, ``ensemble=20`` (:data:`CLAIM_MEMBERS`); its
    ``differences(reference="usual_care")`` gives manual-only minus no treatment with its interval.
    """
    name = load_condition(condition).name
    ensemble = CLAIM_MEMBERS if scenario == "evidence" and _has_ensemble(name) else False
    return compare(
        condition,
        ["usual_care", "manual_only"],
        n_patients=n_patients,
        days=days,
        seed=0,
        engine=ENGINE,
        scenario=scenario,
        ensemble=ensemble,
    )


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
    ensemble = CLAIM_MEMBERS if _has_ensemble(cond.name) else False
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


MECHANISMS = {
    "M1": "the window of opportunity",
    "M2": "consolidation",
    "M3": "exercise builds capacity",
    "M4": "pain gates activity",
    "M5": "durable versus transient gains",
    "M6": "setbacks after discharge",
    "M7": "natural history",
    "M8": "the session time budget",
    "M9": "people differ and measurements are noisy",
    "M10": "manual therapy is not massage",
}
"""Plain names of the model's design mechanisms, for text shown to students."""


def plain(text: str) -> str:
    """Text with the model's internal mechanism tags (``M5``, ``DESIGN M8``) replaced by plain names."""
    import re

    text = re.sub(r"DESIGN\s+(M\d+)", r"\1", str(text))
    return re.sub(r"\b(M\d{1,2})\b", lambda m: MECHANISMS.get(m.group(1), m.group(1)), text)


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
