"""Lessons 8 and 9: each published result beside the model's interval, and virtual trials.

The evidence check (the posterior predictive interval of every published row, cached per condition
and scenario), the words that label its rows, the premise-against-evidence claims and the virtual
trials' estimates. Notebooks reach these through :mod:`ptsim.teaching.lessons`.
"""

from __future__ import annotations

import functools

import numpy as np

from ptsim.engine.simulate import compare
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import Component, Plan, Session, standard_plans
from ptsim.teaching.lesson_runs import EDUCATION_MIN, ENGINE, compare_plan_set, key_day_table

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
        ensemble = CLAIM_MEMBERS if scenario == "evidence" and has_ensemble(cond.name) else False
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


def has_ensemble(name: str) -> bool:
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
    ensemble = CLAIM_MEMBERS if scenario == "evidence" and has_ensemble(name) else False
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
