"""The nine lesson apps: each is its controls (data), a compute function and a figure.

Every app is a function returning an :class:`~ptsim.teaching.appkit.App`; the numbers come from
:mod:`ptsim.teaching.computations`, the figures from :mod:`ptsim.teaching.plotting`. ``APPS`` lists
them by name; the dashboard shows :func:`compare_plans_app` as it is.
"""

from __future__ import annotations

import numpy as np

from ptsim.core import mechanisms_v2 as v2
from ptsim.core import model
from ptsim.core.parameters import PARAMETERS, TISSUES
from ptsim.core.techniques import TABLE as TECHNIQUE_TABLE
from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine.result import interval_label
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.ensembles import DEFAULT_ENSEMBLE_MEMBERS
from ptsim.teaching import lessons
from ptsim.teaching import plotting as plots
from ptsim.teaching.appkit import App, _busy, condition_spec
from ptsim.teaching.computations import (
    NOT_SEPARATED,
    ORDERS,
    PAIN_GROUPS,
    TECHNIQUE_LABELS,
    TRIAL_N_TRIALS,
    TRIAL_PLANS,
    capacity_table,
    compare_table,
    evidence_table,
    pain_table,
    patient_table,
    restriction_limits,
    setback_table,
    technique_table,
    window_table,
)
from ptsim.teaching.plotting import ENSEMBLE_BAND

# ---------------------------------------------------------------------------------------------------
# Lesson 1: one virtual patient


PATIENT_SPECS = {
    "condition": condition_spec(),
    "patient": {
        "kind": "int_slider",
        "label": "Virtual patient number",
        "min": 0,
        "max": 49,
        "step": 1,
        "default": 0,
    },
    "show_usual_care": {"kind": "checkbox", "label": "Show no treatment (usual care)", "default": True},
}


def _patient_compute(condition, patient, show_usual_care, fig=None):
    comp, table = patient_table(condition, patient, show_usual_care)
    row = next(iter(comp.values())).cohort.iloc[0]
    cond = next(iter(comp.values())).condition
    caption = (
        f"Patient {patient} at baseline: the tissues allow {row.rom_baseline_deg:.0f} deg of "
        f"{cond.rom_measure} (less is seen while pain makes them guard), pain "
        f"{row.pain_baseline_nprs:.1f}/10, strength {row.strength_baseline_pct_normal:.0f} % of normal. "
        "End-of-day values at key days (day 0 = the first session, day 42 = discharge)."
    )
    title = f"{cond.title}: virtual patient {patient} in each plan"
    fig = plots.plot_trajectories(comp, band=None, title=title, fig=fig)
    alt = (
        f"Four panels (pain, {cond.rom_measure}, strength, function) over a year for virtual patient "
        f"{patient}, one line per plan, discharge on day {next(iter(comp.values())).discharge_day}."
    )
    return table, fig, caption, alt


def patient_app() -> App:
    """Lesson 1: follow one virtual patient through manual-only, exercise-only and combined care."""
    return App(
        "One patient, three plans",
        PATIENT_SPECS,
        _patient_compute,
        busy_text=lambda **v: _busy(1, 4, 365),
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 2: manual therapy is not massage


TECHNIQUE_SPECS = {
    "condition": condition_spec("adhesive_capsulitis"),
    "technique": {
        "kind": "dropdown",
        "label": "Hands-on technique",
        "options": [(label, name) for name, label in TECHNIQUE_LABELS.items()],
        "default": "joint_mobilization",
    },
    "minutes": {
        "kind": "int_slider",
        "label": "Technique (min)",
        "min": 2,
        "max": 20,
        "step": 1,
        "default": 10,
    },
    "grade": {
        "kind": "int_slider",
        "label": "Maitland grade (I-IV; not for massage)",
        "min": 1,
        "max": 4,
        "step": 1,
        "default": 3,
    },
}

TECHNIQUE_COLORS = {
    "joint_mobilization": plots.OKABE_ITO["blue"],
    "soft_tissue_mobilization": plots.OKABE_ITO["sky_blue"],
    "myofascial_release": plots.OKABE_ITO["reddish_purple"],
    "massage": plots.PLAN_COLORS["massage_only"],
}
"""Known techniques' colours; a technique added to the techniques table gets one of SPARE_COLORS."""
SPARE_COLORS = (plots.OKABE_ITO["bluish_green"], plots.OKABE_ITO["vermillion"], plots.OKABE_ITO["yellow"])


def technique_color(technique: str) -> str:
    """The lesson's colour for a technique (a spare colour, in table order, for one it does not know)."""
    if technique in TECHNIQUE_COLORS:
        return TECHNIQUE_COLORS[technique]
    others = [t for t in TECHNIQUE_LABELS if t not in TECHNIQUE_COLORS]
    return SPARE_COLORS[others.index(technique) % len(SPARE_COLORS)]


def _technique_compute(condition, technique, minutes, grade):
    trace, table = technique_table(condition, technique, minutes, grade)
    tissues = table.iloc[:3].copy()
    tissues.index = list(TISSUES)
    tissues = tissues.rename(
        columns={
            "straight after": "released_now_deg",
            "after 1 week (2 sessions) vs none": "durable_week_deg",
        }
    )
    cond = load_condition(condition)
    graded = TECHNIQUE_TABLE[technique].graded
    grade_text = f" grade {'I II III IV'.split()[grade - 1]}" if graded else ""
    title = f"{cond.title}: {minutes} min of {TECHNIQUE_LABELS[technique]}{grade_text} (mean of 100 patients)"
    rom0, rom_free, largest = restriction_limits(condition)
    fig = plots.plot_technique(
        trace,
        tissues,
        title,
        color=technique_color(technique),
        rom_limits=(rom0 - 5, rom_free + 5),
        tissue_limit_deg=largest * 1.05,
    )
    alt = (
        f"{TECHNIQUE_LABELS[technique].capitalize()}: ROM and pain minute by minute, and bars of range "
        f"released per tissue (capsule {tissues.released_now_deg.iloc[0]:.1f}, muscle-tendon "
        f"{tissues.released_now_deg.iloc[1]:.1f}, fascia {tissues.released_now_deg.iloc[2]:.1f} deg)."
    )
    caption = (
        "Gains against the start of the session (range: degrees; pain: NPRS points, negative = less pain)."
    )
    return table, fig, caption, alt


def _technique_values(app, values):
    app.controls["grade"].disabled = not TECHNIQUE_TABLE[values["technique"]].graded


def technique_app() -> App:
    """Lesson 2: what each hands-on technique acts on, and what is left a week later."""
    return App(
        "Hands-on techniques",
        TECHNIQUE_SPECS,
        _technique_compute,
        busy_text=lambda **v: _busy(100, 2, 7),
        on_values=_technique_values,
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 3: the window of opportunity


WINDOW_SPECS = {
    "condition": condition_spec(),
    "order": {"kind": "toggle_buttons", "label": "Order", "options": list(ORDERS), "default": "manual first"},
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Manual therapy (min)",
        "min": 5,
        "max": 20,
        "step": 1,
        "default": 15,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Exercise (min)",
        "min": 5,
        "max": 30,
        "step": 1,
        "default": 25,
    },
    "gap_minutes": {
        "kind": "int_slider",
        "label": "Gap between them (min)",
        "min": 0,
        "max": 60,
        "step": 5,
        "default": 0,
    },
    "consolidation": {
        "kind": "float_slider",
        "label": "Consolidation per window-minute (0 = hypothesis off)",
        "min": 0.0,
        "max": 0.12,
        "step": 0.01,
        "default": PARAMETERS["consolidation_per_window_min"].default,
        "format": ".2f",
    },
}


def _window_compute(condition, order, manual_minutes, exercise_minutes, gap_minutes, consolidation):
    trace, other, table = window_table(
        condition, order, manual_minutes, exercise_minutes, gap_minutes, consolidation
    )
    cond = load_condition(condition)
    other_name = ORDERS[1] if order == ORDERS[0] else ORDERS[0]
    title = (
        f"{cond.title}: {order}, gap {gap_minutes} min, consolidation {consolidation:.2f}\n"
        "(mean of 100 patients; grey: the other order)"
    )
    fig = plots.plot_session(trace, title, reference=other, reference_label=other_name)
    gain = table["durable range gained (deg)"]
    alt = (
        f"ROM and pain minute by minute through one session, {order} (the other order in grey); durable "
        f"range gained {gain[order]:.2f} deg against {gain[other_name]:.2f} deg {other_name}."
    )
    caption = (
        "One session from baseline; the durable range is what stays once the window has closed "
        f"({cond.rom_measure})."
    )
    return table, fig, caption, alt


def window_app() -> App:
    """Lesson 3: one session minute by minute; order, gap and the consolidation hypothesis."""
    return App(
        "The window of opportunity",
        WINDOW_SPECS,
        _window_compute,
        busy_text=lambda **v: "Tracing the session minute by minute...",
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 4: building capacity


CAPACITY_SPECS = {
    "condition": condition_spec(),
    "sessions_per_week": {
        "kind": "int_slider",
        "label": "Supervised sessions / week",
        "min": 1,
        "max": 5,
        "step": 1,
        "default": 3,
    },
    "weeks": {
        "kind": "int_slider",
        "label": "Weeks of the programme",
        "min": 2,
        "max": 16,
        "step": 1,
        "default": 12,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Exercise per session (min)",
        "min": 10,
        "max": 60,
        "step": 5,
        "default": 40,
    },
    "effort": {
        "kind": "float_slider",
        "label": "Effort (share of maximal)",
        "min": 0.3,
        "max": 1.0,
        "step": 0.05,
        "default": 0.8,
        "format": ".2f",
    },
    "home_days_per_week": {
        "kind": "int_slider",
        "label": "Home sessions / week during the programme (20 min)",
        "min": 0,
        "max": 4,
        "step": 1,
        "default": 0,
    },
    "after_discharge_days_per_week": {
        "kind": "int_slider",
        "aliases": ("maintenance_days_per_week",),  # its name before issue 25
        "label": "Home sessions / week after it ends",
        "min": 0,
        "max": 5,
        "step": 1,
        "default": 0,
    },
}


def _capacity_compute(**values):
    res, comp, table = capacity_table(**values)
    v = values
    title = (
        f"{res.condition.title}: exercise {v['sessions_per_week']}x/week for {v['weeks']} weeks, "
        f"{v['exercise_minutes']} min at {v['effort']:.0%} effort\n(mean of {res.n_patients} patients)"
    )
    fig = plots.plot_capacity(comp, res.discharge_day, title)
    peak = comp.strength_pct_normal.max()
    alt = (
        f"Stacked areas of baseline strength, neural and structural gains over a year; strength peaks at "
        f"{peak:.0f} % of normal and the programme ends on day {res.discharge_day}."
    )
    caption = f"Cohort means at key days (day {res.discharge_day} = programme ends)."
    return table, fig, caption, alt


def capacity_app() -> App:
    """Lesson 4: exercise dose, fitness and fatigue, neural and structural gains, detraining."""
    return App(
        "Building capacity",
        CAPACITY_SPECS,
        _capacity_compute,
        busy_text=lambda **v: _busy(100, 1, 365),
        signature=capacity_table,
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 5: compare plans (the main dashboard)


COMPARE_SPECS = {
    "condition": condition_spec(),
    "sessions_per_week": {
        "kind": "int_slider",
        "label": "Clinic sessions / week",
        "min": 1,
        "max": 5,
        "step": 1,
        "default": 2,
    },
    "weeks": {"kind": "int_slider", "label": "Weeks of care", "min": 2, "max": 16, "step": 1, "default": 6},
    "session_minutes": {
        "kind": "int_slider",
        "label": "Session length (min, incl. 5 min education)",
        "min": 20,
        "max": 90,
        "step": 5,
        "default": 45,
    },
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Combined: manual therapy (min)",
        "min": 1,
        "max": 60,
        "step": 1,
        "default": 15,
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Combined: exercise (min)",
        "min": 1,
        "max": 80,
        "step": 1,
        "default": 25,
    },
    "home_adherence": {
        "kind": "float_slider",
        "label": "Home adherence (mean share of home sessions done)",
        "min": 0.0,
        "max": 0.95,
        "step": 0.05,
        "default": 0.6,
        "format": ".2f",
    },
    "n_patients": {
        "kind": "int_slider",
        "label": "Virtual patients",
        "min": 50,
        "max": 500,
        "step": 50,
        "default": 200,
    },
    "outcomes": {
        "kind": "dropdown",
        "label": "Outcomes shown",
        "options": [
            ("pain, ROM, strength, function", "model"),
            ("the condition's questionnaire (WOMAC, NDI, RMDQ, SPADI) and pain", "questionnaire"),
        ],
        "default": "model",
        "tooltip": "Trials report the condition's own questionnaire; its mapping from pain, ROM and strength "
        "is documented in docs/model.md",
    },
}

COMPARE_SPECS["ensemble"] = {
    "kind": "dropdown",
    "label": "Evidence uncertainty",
    "options": [
        ("off: the calibrated values", False),
        (f"on: {DEFAULT_ENSEMBLE_MEMBERS} members of the evidence ensemble", DEFAULT_ENSEMBLE_MEMBERS),
    ],
    "default": False,
    "tooltip": "On: every patient is simulated under each of the members of the condition's posterior "
    f"ensemble ({DEFAULT_ENSEMBLE_MEMBERS}x slower); bands then hold patient variability and evidence "
    "uncertainty, and the table adds each plan's difference from combined care with its evidence interval",
}

COMPARE_SPECS["scenario"] = {
    "kind": "dropdown",
    "label": "Parameters",
    "options": [(label, name) for name, label in lessons.SCENARIO_LABELS.items()],
    "default": "evidence",
    "tooltip": "Evidence: the values fitted to published trials (data/evidence). Premise: manual relief "
    "only transient and consolidation on, as the premise text claims; compare the two to test its claims",
}

COMPARE_OUTCOMES = {
    "model": ("pain", "rom", "function", "strength"),
    "questionnaire": ("questionnaire", "pain"),
}
"""What the compare-plans app's ``outcomes`` control shows: table rows (the figure: the same panels)."""


def _compare_compute(fig=None, outcomes="model", progress=None, **values):
    try:
        comp = lessons.compare_plans(**values, progress=progress)
    except FileNotFoundError:  # no stored ensemble for this condition: say what to do, briefly
        name = load_condition(values["condition"]).name
        raise ValueError(
            "No evidence ensemble is stored for this condition yet (make one with: python -m "
            f"ptsim.analysis.bayes {name}); set Evidence uncertainty to off."
        ) from None
    first = next(iter(comp.values()))
    shown = COMPARE_OUTCOMES[outcomes]
    if outcomes == "questionnaire":
        q = first.condition.questionnaire
        if q is None:
            raise ValueError(f"{first.condition.title} names no questionnaire; choose the model's outcomes")
        shown = (q.name, "pain")
    v = values
    members = first.members
    band = "mean and 10th-90th percentile band"
    who = f"{first.n_patients} patients"
    if members is not None:
        who = f"{first.n_cohort} patients x {len(members)} evidence members"
    premise = " (premise scenario)" if v.get("scenario") == "premise" else ""
    title = (
        f"{first.condition.title}{premise}: {v['sessions_per_week']}x/week for {v['weeks']} weeks, "
        f"{v['session_minutes']}-min sessions\n{who}: {band}"
    )
    if outcomes == "model":
        fig = plots.plot_trajectories(comp, title=title, fig=fig)  # the default panels
    else:
        fig = plots.plot_trajectories(comp, outcomes=shown, title=title, fig=fig)
    caption = (
        f"Means at key days (day {first.discharge_day} = discharge). Combined: {v['manual_minutes']} min "
        f"manual then {v['exercise_minutes']} min exercise; the single-treatment plans use all "
        f"{v['manual_minutes'] + v['exercise_minutes']} working minutes for their one kind of care."
    )
    panels = "pain, ROM, strength, function" if outcomes == "model" else f"{shown[0]}, pain"
    if outcomes == "questionnaire":
        caption += f" {first.condition.questionnaire}: mapped from pain, ROM and strength (docs/model.md)."
    if members is not None:
        caption += (
            f" Differences from combined care: mean [{interval_label(0.95, first)}]; "
            f"'{NOT_SEPARATED}': the interval holds 0, so the evidence cannot separate the two plans; "
            "'smaller than the MCID': separated, but by less than a clinically important difference."
        )
    alt = (
        f"Panels ({panels}) over a year, the dot at day -1 before care: {band}"
        + (f" ({ENSEMBLE_BAND}, {len(members)} evidence members)" if members is not None else "")
        + f" of manual only, exercise only and combined care, discharge on day {first.discharge_day}."
    )
    return compare_table(comp, shown), fig, caption, alt


def compare_plans_app() -> App:
    """Lesson 5 and the dashboard: manual-only, exercise-only and combined on the same patients.

    Returns a widget container; ``app.update(**values)`` returns the table it shows.
    """
    return App(
        "Compare plans",
        COMPARE_SPECS,
        _compare_compute,
        signature=lessons.compare_plans,
        busy_text=lambda **v: _busy(v["n_patients"], 3, 365, v["ensemble"] or 1),
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 6: pain, tolerance and flares


PAIN_SPECS = {
    "condition": condition_spec(),
    "effort": {
        "kind": "float_slider",
        "label": "Exercise effort (share of maximal)",
        "min": 0.3,
        "max": 1.0,
        "step": 0.05,
        "default": 0.7,
        "format": ".2f",
    },
    "exercise_minutes": {
        "kind": "int_slider",
        "label": "Exercise per session (min)",
        "min": 10,
        "max": 45,
        "step": 5,
        "default": 25,
    },
    "manual_minutes": {
        "kind": "int_slider",
        "label": "Manual therapy before it (min)",
        "min": 0,
        "max": 20,
        "step": 5,
        "default": 0,
    },
    "sessions_per_week": {
        "kind": "int_slider",
        "label": "Clinic sessions / week",
        "min": 1,
        "max": 5,
        "step": 1,
        "default": 2,
    },
}


def _pain_compute(**values):
    import pandas as pd

    res, done, flares, table = pain_table(**values)
    p = res.condition.parameters
    pain = np.linspace(0, 10, 101)
    curve = pd.DataFrame({"pain_nprs": pain, "dose_share": model.tolerance(pain, p)})
    pain0 = res.cohort["pain_baseline_nprs"].to_numpy()
    patients = pd.DataFrame({"pain_baseline_nprs": pain0, "dose_done_min": done, "flares": flares})
    groups = {}
    for label, lo, hi in PAIN_GROUPS:
        sel = (pain0 >= lo) & (pain0 < hi)
        if sel.any():
            groups[label] = (res.day, res.pain[sel].mean(axis=0))
    # The prescribed exercise (a typical patient: responsiveness 1) may flare where pain during it goes
    # above the pain-monitoring ceiling: 5/10, or a rise of more than the allowed points above that.
    effort_given = values["effort"] * model.tolerance(pain, p)
    excess = v2.flare_excess_nprs(
        pain,
        effort_given,
        p["exercise_provocation_nprs"],
        p["flare_threshold_nprs"],
        p["flare_rise_allowed_nprs"],
    )
    over = excess > 0
    zone = (float(pain[over].min()), float(pain[over].max())) if over.any() else None
    title = (
        f"{res.condition.title}: {values['exercise_minutes']} min exercise at {values['effort']:.0%} effort"
        + (f" after {values['manual_minutes']} min manual therapy" if values["manual_minutes"] else "")
        + f",\n{values['sessions_per_week']}x/week for 6 weeks ({res.n_patients} patients)"
    )
    fig = plots.plot_pain_gating(curve, patients, groups, res.discharge_day, zone, title)
    where = (
        f"goes above it when pain before it is {zone[0]:.1f} to {zone[1]:.1f}/10"
        if zone
        else "stays within it at any pain"
    )
    alt = (
        "Three panels: share of the prescribed exercise done against pain before exercising; exercise done "
        f"per patient against baseline pain (flared in another colour); mean pain by baseline group. For a "
        f"typical patient the prescribed exercise {where} (the pain-monitoring ceiling)."
    )
    caption = (
        f"By baseline pain. A flare may follow when pain during exercise goes above "
        f"{p['flare_threshold_nprs']:g}/10, or rises by more than {p['flare_rise_allowed_nprs']:g} point "
        f"above that (pain-monitoring model); for a typical patient the prescribed exercise {where}; "
        "patients who respond more strongly, or have a bad day, may still go above it."
    )
    return table, fig, caption, alt


def pain_app() -> App:
    """Lesson 6: how pain gates exercise, overload and flares, and the pain-monitoring model."""
    return App(
        "Pain, tolerance and flares",
        PAIN_SPECS,
        _pain_compute,
        busy_text=lambda **v: _busy(200, 1, 182),
        signature=pain_table,
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 7: after discharge


SETBACK_SPECS = {
    "condition": condition_spec(),
    "after_discharge_days_per_week": {
        "kind": "int_slider",
        "aliases": ("maintenance_days_per_week",),  # its name before issue 25
        "label": "Home sessions / week after discharge",
        "min": 0,
        "max": 5,
        "step": 1,
        "default": 3,
    },
    "after_discharge_adherence_factor": {
        "kind": "float_slider",
        "aliases": ("maintenance_adherence",),  # its name before issue 25
        "label": "Adherence after discharge (share of adherence in care)",
        "min": 0.0,
        "max": 1.0,
        "step": 0.1,
        "default": 0.5,
        "format": ".1f",
    },
    "years": {"kind": "int_slider", "label": "Years followed", "min": 1, "max": 3, "step": 1, "default": 1},
}


def _setback_compute(**values):
    comp, table = setback_table(**values)
    first = next(iter(comp.values()))
    title = (
        f"{first.condition.title}: after discharge, {values['after_discharge_days_per_week']} home "
        f"sessions/week scheduled ({first.n_patients} patients)"
    )
    fig = plots.plot_setbacks(comp, title)
    share = table["patients with a setback (%)"]
    alt = (
        "Two panels over time: patients with at least one setback since discharge (%) and mean pain, one "
        f"line per plan; after {values['years']} year(s) {share.min():.0f}-{share.max():.0f} % had one."
    )
    caption = (
        f"Over {values['years']} year(s) from the first session; setbacks can happen only after discharge."
    )
    return table, fig, caption, alt


def setbacks_app() -> App:
    """Lesson 7: setbacks after discharge, and why exercise prevents them."""
    return App(
        "After discharge",
        SETBACK_SPECS,
        _setback_compute,
        signature=setback_table,
        busy_text=lambda **v: _busy(200, 4, 365 * v["years"]),
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 8: the model against the evidence


EVIDENCE_SPECS = {
    "condition": condition_spec(),
    "scenario": {
        "kind": "dropdown",
        "label": "Parameters",
        "options": [(label, name) for name, label in lessons.SCENARIO_LABELS.items()],
        "default": "evidence",
        "tooltip": "Evidence: the parameter sets the published results allow (the calibrated ensemble). "
        "Premise: the premise's claims (transient manual relief, consolidation on), one parameter set.",
    },
}


def _evidence_busy(condition, scenario):
    try:
        cached = lessons.evidence_is_cached(condition, scenario)
    except ValueError:  # compute says why, in the app's message
        cached = False
    if cached:
        return "Drawing the stored check..."
    return (
        f"Simulating every published result of {condition} with each parameter set of the {scenario} "
        "scenario (tens of seconds the first time; then kept for this session)..."
    )


def _evidence_compute(condition, scenario):
    check, table = evidence_table(condition, scenario)
    title = load_condition(condition).title
    rows = lessons.evidence_rows(check)
    c = lessons.coverage(check)
    fig = plots.plot_evidence_check(rows, title=f"{title}, {scenario} scenario: published against model")
    listed = []
    for label, sel in (
        ("Not modelled", rows[rows["covered"] == "not modelled"]),
        ("Known gaps (reported, never fitted)", rows[rows["role"] == "known gap"]),
    ):
        if len(sel):
            listed.append(f" {label}: " + "; ".join(f"{n} ({why})" for n, why in sel["reason"].items()) + ".")
    caption = (
        f"Basis: {check['basis']}. Covered (the two 95 % intervals overlap): {c['fit_covered']} of "
        f"{c['fit']} fit rows, {c['held_out_covered']} of {c['held_out']} held-out rows"
        + (f", {c['known_gap_covered']} of {c['known_gap']} known gaps" if c["known_gap"] else "")
        + "."
        + "".join(listed)
    )
    return table, fig, caption, plots.evidence_check_alt(rows, f"{title}, {scenario} scenario")


def evidence_app() -> App:
    """Lesson 8: each published result's interval beside the model's predictive interval, by scenario."""
    return App(
        "The model against the evidence",
        EVIDENCE_SPECS,
        _evidence_compute,
        busy_text=_evidence_busy,
    )


# ---------------------------------------------------------------------------------------------------
# Lesson 9: run a virtual trial


TRIAL_SPECS = {
    "condition": condition_spec(),
    "reference": {
        "kind": "dropdown",
        "label": "Control arm",
        "options": list(TRIAL_PLANS),
        "default": "exercise_only",
    },
    "arm": {
        "kind": "dropdown",
        "label": "Treatment arm",
        "options": list(TRIAL_PLANS),
        "default": "combined",
    },
    "n_per_arm": {
        "kind": "int_slider",
        "label": "Patients per arm (n)",
        "min": 4,
        "max": 200,
        "step": 2,
        "default": 10,
    },
    "outcome": {
        "kind": "dropdown",
        "label": "Primary outcome (day 42)",
        "options": [(OUTCOMES[k].label, k) for k in ("pain", "rom", "function")],
        "default": "pain",
    },
}


def _trial_compute(condition, reference, arm, n_per_arm, outcome):
    if reference == arm:
        raise ValueError(
            f"the control and treatment arms are both {arm!r}: a trial compares two different plans"
        )
    trials, truth, table = lessons.trial_estimates(
        condition, (reference, arm), n_per_arm=n_per_arm, n_trials=TRIAL_N_TRIALS, outcome=outcome
    )
    cond = load_condition(condition)
    title = (
        f"{cond.title}: {TRIAL_N_TRIALS} virtual trials of {arm} against {reference},\n"
        f"{n_per_arm} patients per arm ({outcome} at discharge, day 42)"
    )
    fig = plots.plot_trials(trials, truth, reference, arm, outcome, title=title)
    alt = (
        f"Forest plot of the first 40 of {TRIAL_N_TRIALS} trials' estimates with 95 % CIs and a histogram "
        f"of all estimates of {arm} minus {reference}; the true difference is {truth:+.2f}."
    )
    caption = (
        f"{TRIAL_N_TRIALS} trials, each with its own patients, 10 % drop-out, ANCOVA on baseline. True "
        "difference: one trial of 5000 patients per arm. Significant: p < 0.05 (the share is the power)."
    )
    return table, fig, caption, alt


def trial_app() -> App:
    """Lesson 9: many virtual trials of the same two plans; sample size, power, misleading small trials."""
    return App(
        "Run a virtual trial",
        TRIAL_SPECS,
        _trial_compute,
        busy_text=lambda **v: f"Simulating {TRIAL_N_TRIALS} trials of {2 * v['n_per_arm']} patients...",
    )


APPS = {
    "patient": patient_app,
    "technique": technique_app,
    "window": window_app,
    "capacity": capacity_app,
    "compare_plans": compare_plans_app,
    "pain": pain_app,
    "setbacks": setbacks_app,
    "evidence": evidence_app,
    "trial": trial_app,
}
"""Every lesson app by name."""
