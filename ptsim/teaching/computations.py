"""The computations behind the lesson apps: pure functions of the apps' control values.

Each ``*_table`` function takes the values of one app's controls (and a cohort size) and returns the
simulated results and the table the app shows. Nothing here imports matplotlib or ipywidgets, so the
numbers of every lesson can be computed, tested and quoted without a display
(:mod:`ptsim.teaching.apps` draws them; :mod:`ptsim.teaching.appkit` is the widget framework).
"""

from __future__ import annotations

import numpy as np

from ptsim.core import model
from ptsim.core.parameters import TECHNIQUES, TISSUES
from ptsim.core.techniques import TABLE as TECHNIQUE_TABLE
from ptsim.engine.simulate import compare, simulate, trace_session
from ptsim.inputs.cohort import sample_cohort, to_patients
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import PLAN_NAMES, Component, Plan, Session, standard_plans
from ptsim.teaching import lessons
from ptsim.teaching.lessons import PAIN_GROUPS as PAIN_GROUPS  # lesson 6's app reads them here
from ptsim.teaching.lessons import pain_table as pain_table

DEFAULT_CONDITION = "knee_oa"
"""The condition every lesson opens with (lesson 2 opens with adhesive capsulitis)."""
ENGINE = lessons.ENGINE

TISSUE_LABELS = {"capsule": "joint capsule", "muscle_tendon": "muscle-tendon", "fascia": "fascia"}
"""Readable names of the model's tissues."""


# Lesson 1: one virtual patient


PATIENT_DAYS = (0, 14, 42, 182, 365)


def patient_table(condition=DEFAULT_CONDITION, patient=0, show_usual_care=True, days=365):
    """One virtual patient through the three plans (and no treatment): comparison and table."""
    if isinstance(patient, bool) or not isinstance(patient, int | np.integer) or patient < 0:
        raise ValueError(f"patient must be a whole number >= 0, got {patient!r}")
    cond = load_condition(condition)
    cohort = sample_cohort(cond, 1, seed=0, first_id=int(patient))
    std = standard_plans()
    names = (("usual_care",) if show_usual_care else ()) + lessons.COMPARED_PLANS
    comp = compare(
        cond, {n: std[n] for n in names}, n_patients=None, days=days, seed=0, cohort=cohort, engine=ENGINE
    )
    key = [d for d in PATIENT_DAYS if d <= days]
    return comp, lessons.key_day_table(comp, key, ("pain", "rom", "strength", "function"))


# Lesson 2: manual therapy is not massage


TECHNIQUE_LABELS = {name: TECHNIQUE_TABLE[name].label for name in TECHNIQUES}
"""Each technique's name in the lessons, from the techniques table."""


def restriction_limits(condition="adhesive_capsulitis", n_patients=100) -> tuple[float, float, float]:
    """The scale of the technique lesson's axes: cohort-mean baseline ROM, ROM with every tissue
    restriction released (guarding aside), and the largest tissue's restriction (degrees)."""
    cond = load_condition(condition)
    cohort = sample_cohort(cond, n_patients, seed=0)
    pts, p = to_patients(cohort, cond), cond.parameters
    s0 = model.initial_state(pts)
    deficits = s0.deficit_deg.mean(axis=1)
    rom0 = float(model.rom_deg(s0, pts, p).mean())
    return rom0, rom0 + float(deficits.sum()), float(deficits.max())


def technique_table(
    condition="adhesive_capsulitis", technique="joint_mobilization", minutes=10, grade=3, n_patients=100
):
    """What one technique does: per tissue straight after, an hour later and after a week.

    Returns
    -------
    trace : pandas.DataFrame
        The session minute by minute (technique then 60 minutes of rest).
    table : pandas.DataFrame
        Rows: each tissue's range (deg), all tissues, and pain (NPRS); columns: straight after the
        technique, 60 min later, and after a week of two sessions against no treatment.
    """
    if technique not in TECHNIQUES:
        raise ValueError(f"technique must be one of {', '.join(TECHNIQUES)}, got {technique!r}")
    import pandas as pd

    cond = load_condition(condition)
    grade = grade if TECHNIQUE_TABLE[technique].graded else None
    comp = Component(technique, minutes, grade)
    cohort = sample_cohort(cond, n_patients, seed=0)
    pts, p = to_patients(cohort, cond), cond.parameters
    s0 = model.initial_state(pts)
    s1 = model.technique(s0, pts, p, technique, float(minutes), None if grade is None else int(grade))
    s60 = model.pass_minutes(s1, 60.0, p)

    def released(s):
        # durable remodelling plus the open window, per tissue (degrees)
        return (s0.deficit_deg - s.deficit_deg + s.window * s.deficit_deg).mean(axis=1)

    plan = Plan(technique, Session((comp,), float(minutes)), 2, 1)
    week = compare(
        cond,
        {"none": "usual_care", technique: plan},
        n_patients=None,
        days=7,
        seed=0,
        cohort=cohort,
        engine=ENGINE,
    )
    untreated, treated = week["none"].final_state, week[technique].final_state
    assert untreated is not None and treated is not None  # full trajectories keep the final state
    durable = (untreated.deficit_deg - treated.deficit_deg).mean(axis=1)
    trace = trace_session(
        cond, Session((comp,), float(minutes)), n_patients=None, cohort=cohort, minutes_after=60
    )
    now, later = released(s1), released(s60)
    rows = {f"{TISSUE_LABELS[t]} range (deg)": (now[i], later[i], durable[i]) for i, t in enumerate(TISSUES)}
    rows["ROM incl. less guarding (deg)"] = (
        (model.rom_deg(s1, pts, p) - model.rom_deg(s0, pts, p)).mean(),
        (model.rom_deg(s60, pts, p) - model.rom_deg(s0, pts, p)).mean(),
        (week[technique].rom[:, 7] - week["none"].rom[:, 7]).mean(),
    )
    rows["pain change (NPRS)"] = (
        (model.pain_nprs(s1) - model.pain_nprs(s0)).mean(),
        (model.pain_nprs(s60) - model.pain_nprs(s0)).mean(),
        (week[technique].pain[:, 7] - week["none"].pain[:, 7]).mean(),
    )
    cols = ["straight after", "60 min later", "after 1 week (2 sessions) vs none"]
    table = pd.DataFrame(rows, index=cols).T.round(2)
    return trace, table


# Lesson 3: the window of opportunity


ORDERS = ("manual first", "exercise first")


def window_session(order="manual first", manual_minutes=15, exercise_minutes=25, gap_minutes=0) -> Session:
    """Manual therapy and exercise in the given order with an optional rest gap between them."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    manual = Component("manual_therapy", manual_minutes)
    ex = Component("exercise", exercise_minutes)
    first, second = (manual, ex) if order == "manual first" else (ex, manual)
    comps = (first, Component("rest", gap_minutes), second) if gap_minutes > 0 else (first, second)
    return Session(comps, float(manual_minutes + exercise_minutes + gap_minutes))


def window_table(
    condition=DEFAULT_CONDITION,
    order="manual first",
    manual_minutes=15,
    exercise_minutes=25,
    gap_minutes=0,
    consolidation=None,
    n_patients=100,
):
    """One session minute by minute in the chosen order, and the same minutes in the other order.

    Returns
    -------
    trace, other : pandas.DataFrame
        Traces of the chosen session and of the other order (same gap), 60 minutes of rest after.
    table : pandas.DataFrame
        Per order: durable range gained, ROM and pain at the start of the exercise, ROM and pain an
        hour after the session.
    """
    import pandas as pd

    cond = load_condition(condition)
    if consolidation is not None:
        cond = cond.with_parameters(consolidation_per_window_min=consolidation)
    traces = {}
    for o in ORDERS:
        session = window_session(o, manual_minutes, exercise_minutes, gap_minutes)
        traces[o] = trace_session(cond, session, n_patients=n_patients, minutes_after=60)
    rows = {}
    for o, tr in traces.items():
        ex_start = tr.loc[tr.component == "exercise", "minute"].min() - 1
        at_ex = tr[tr.minute == ex_start].iloc[0]
        rows[o] = {
            "durable range gained (deg)": tr.durable_rom_deg.iloc[-1] - tr.durable_rom_deg.iloc[0],
            "ROM as exercise starts (deg)": at_ex.rom_deg,
            "pain as exercise starts (NPRS)": at_ex.pain_nprs,
            "ROM 1 h after (deg)": tr.rom_deg.iloc[-1],
            "pain 1 h after (NPRS)": tr.pain_nprs.iloc[-1],
        }
    table = pd.DataFrame(rows).T.round(2)
    other = ORDERS[1] if order == ORDERS[0] else ORDERS[0]
    return traces[order], traces[other], table


# Lesson 4: building capacity


def capacity_table(
    condition=DEFAULT_CONDITION,
    sessions_per_week=3,
    weeks=12,
    exercise_minutes=40,
    effort=0.8,
    home_days_per_week=0,
    after_discharge_days_per_week=0,
    n_patients=100,
    days=365,
):
    """An exercise programme's strength by source; the table at key days."""
    plan = lessons.exercise_plan(
        sessions_per_week, weeks, exercise_minutes, effort, home_days_per_week, after_discharge_days_per_week
    )
    res = simulate(condition, plan, n_patients=n_patients, days=days, seed=0, engine=ENGINE)
    comp = lessons.capacity_components(res)
    end = plan.discharge_day
    key = sorted({d for d in (0, 21, end, end + 28, end + 91, days) if d <= days})
    table = comp.set_index("day").loc[key].drop(columns=["baseline_pct_normal"])
    table = table.rename(
        columns={
            "neural_pct_normal": "neural gain (% normal)",
            "structural_pct_normal": "structural gain (% normal)",
            "fatigue_pct_normal": "held back by fatigue (% normal)",
            "strength_pct_normal": "strength (% normal)",
            "motor_control_0_1": "motor control (0-1)",
        }
    )
    return res, comp, table.round(2)


# Lesson 5: compare plans


def compare_table(comp, outcomes=("pain", "rom", "function", "strength"), reference: str = "combined"):
    """The compare-plans table: means at key days, and setbacks per patient over the period.

    For an ensemble comparison (``ensemble=...``) a column per other plan gives its difference from
    ``reference`` with the evidence interval (:func:`difference_cells`).
    """
    import pandas as pd

    first = next(iter(comp.values()))
    last = int(first.day[-1])
    days = ["baseline", *sorted({d for d in (14, first.discharge_day, 91, 182, 365) if d <= last})]
    table = lessons.key_day_table(comp, days, outcomes)
    if first.ensemble_member is not None and reference in comp:
        cells = difference_cells(comp.differences(reference, [d for d in days if d != "baseline"], outcomes))
        table = table.join(cells).fillna("")
    setbacks = pd.DataFrame(
        [[round(float(comp[p].setbacks.mean()), 2) for p in comp]],
        index=pd.MultiIndex.from_tuples([("setbacks per patient", last)], names=["outcome", "day"]),
        columns=list(comp),
    )
    return pd.concat([table, setbacks]).fillna("")


NOT_SEPARATED = "cannot separate"
"""What a difference cell adds when its interval holds 0 (the plans are not separated)."""

CELL_NOTES = {
    "not separated": NOT_SEPARATED,
    "fixed by design": "fixed by design",
    "smaller than the MCID": "smaller than the MCID",
    "below the instrument's resolution": "below what the instrument reads",
}
"""What a difference cell adds, by the difference's judgement (:data:`ptsim.core.intervals.JUDGEMENTS`)."""


def difference_cells(differences):
    """A :meth:`ptsim.Comparison.differences` table as text cells: rows ``(outcome (unit), day)``, a
    column ``"<plan> - <reference>"`` per plan holding ``"mean [low, high]"``, followed by
    :data:`NOT_SEPARATED` where the interval holds 0, "fixed by design" where it has no width, and
    "smaller than the MCID" where it lies within the MCID (:data:`CELL_NOTES`)."""
    import pandas as pd

    d = differences
    cells = [
        f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]" + (f" {CELL_NOTES[j]}" if j in CELL_NOTES else "")
        for m, lo, hi, j in zip(d["mean_difference"], d["ci_low"], d["ci_high"], d["judgement"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "outcome": [f"{o} ({u})" for o, u in zip(d["outcome"], d["unit"], strict=True)],
            "day": d["day"],
            "column": [f"{p} - {r}" for p, r in zip(d["plan"], d["reference"], strict=True)],
            "cell": cells,
        }
    )
    return frame.pivot_table(index=["outcome", "day"], columns="column", values="cell", aggfunc="first")


# Lesson 6: pain, tolerance and flares


# Lesson 7: after discharge


SETBACK_PLANS = ("usual_care", "manual_only", "exercise_only", "combined")


def setback_table(
    condition=DEFAULT_CONDITION,
    after_discharge_days_per_week=3,
    after_discharge_adherence_factor=0.5,
    years=1,
    n_patients=200,
):
    """Setbacks after discharge for the standard plans, with a maintenance programme after discharge."""
    import pandas as pd

    std = standard_plans()
    plans = {}
    for name in SETBACK_PLANS:
        plan = std[name]
        if plan.home is not None:
            home = plan.home.__class__(
                days_per_week=plan.home.days_per_week,
                minutes=plan.home.minutes,
                intensity=plan.home.intensity,
                after_discharge_days_per_week=after_discharge_days_per_week,
                after_discharge_adherence_factor=after_discharge_adherence_factor,
            )
            plan = plan.with_(home=home)
        plans[name] = plan
    days = 365 * years
    comp = compare(condition, plans, n_patients=n_patients, days=days, seed=0, engine=ENGINE)
    end = next(iter(comp.values())).discharge_day
    rows = {}
    for name, res in comp.items():
        rows[name] = {
            "setbacks per patient": res.setbacks.mean(),
            "patients with a setback (%)": 100 * (res.setbacks > 0).mean(),
            "strength at discharge (% normal)": res.strength[:, end].mean(),
            "pain at discharge (NPRS)": res.pain[:, end].mean(),
            f"pain on day {days} (NPRS)": res.pain[:, days].mean(),
        }
    return comp, pd.DataFrame(rows).T.round(2)


# Lesson 8: the evidence


def evidence_table(condition=DEFAULT_CONDITION, scenario="evidence"):
    """A condition's published results beside the model's predictive intervals, in one scenario.

    Returns
    -------
    check : dict
        :func:`ptsim.teaching.lessons.evidence_check` (cached per condition and scenario).
    table : pandas.DataFrame
        :func:`ptsim.teaching.lessons.evidence_rows` of the rows the model simulates.
    """
    check = lessons.evidence_check(condition, scenario)
    return check, lessons.evidence_rows(check, modelled_only=True)


# Lesson 9: virtual trials


TRIAL_PLANS = PLAN_NAMES
TRIAL_N_TRIALS = 100
