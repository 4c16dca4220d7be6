"""The model's parameters: meaning, unit (in the name), default, bounds and source.

This table is the single source of truth for every model-wide default. A condition file may override
any of them in its ``[response]`` table (with its own source), and ``docs/model.md`` reproduces this
table (a test keeps the two in step). "Assumption" marks a number that no row of EVIDENCE.md gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The techniques table's names, re-exported: the parameters below are built from it.
from ptsim.core.techniques import (  # noqa: F401
    GRADE_RELIEF_FACTOR,
    GRADE_ROM_FACTOR,
    TECHNIQUE_TARGETS,
    TECHNIQUES,
    TISSUES,
)
from ptsim.core.techniques import TABLE as TECHNIQUE_TABLE


@dataclass(frozen=True)
class Parameter:
    """One model parameter with its documentation."""

    name: str
    default: float
    low: float
    high: float
    meaning: str
    source: str
    group: str


_A = "assumption"


def _p(group, name, default, low, high, meaning, source=_A):
    return Parameter(name, float(default), float(low), float(high), meaning, source, group)


_PARAMETERS: list[Parameter] = [
    # --- the manual-therapy window (minutes) -------------------------------------------------
    _p(
        "window",
        "window_tau_min",
        12,
        3,
        30,
        "time constant of the transient window after a technique; gone by ~30-60 min",
        "DePino et al. 2000 (stretch gain gone by 6 min); Honoré et al. 2019 (PPT effect gone by "
        "30 min); Teys et al. 2008",
    ),
    _p(
        "window",
        "window_rise_per_min",
        0.35,
        0.01,
        5,
        "rate at which a technique opens its window toward its maximum (per minute)",
    ),
    _p(
        "window",
        "technique_saturation_min",
        8,
        1,
        60,
        "minutes of one technique after which more minutes add little to its lasting pain relief",
    ),
]
# --- each technique's own defaults and sources (ptsim/core/techniques.toml) -----------------
_TECHNIQUE_MEANINGS = {
    "window_max_frac": (
        0,
        0.9,
        "largest share of the targeted tissue's remaining ROM deficit released transiently",
    ),
    "relief_max_frac": (0, 0.9, "largest acute pain relief (share of pain) while the window is open"),
    "pain_drop_frac": (
        0,
        0.8,
        "share of sensitization removed by one session of the technique; fades over days",
    ),
    "remodel_per_min": (
        0,
        0.05,
        "durable share of the targeted tissue's deficit removed per minute of the technique alone (no exercise)",
    ),
}
for _t in TECHNIQUES:
    _PARAMETERS += [
        _p(
            "techniques",
            f"{_t}_{field}",
            TECHNIQUE_TABLE[_t].defaults[field].value,
            low,
            high,
            meaning,
            TECHNIQUE_TABLE[_t].defaults[field].source,
        )
        for field, (low, high, meaning) in _TECHNIQUE_MEANINGS.items()
    ]
# --- the lasting manual-therapy pathway (model v2, a hypothesis beside consolidation) ----------
_PARAMETERS += [
    _p(
        "lasting",
        f"{_t}_lasting_drop_frac",
        TECHNIQUE_TABLE[_t].defaults["lasting_drop_frac"].value,
        0,
        0.8,
        "share of the gap to the course's ceiling (manual_lasting_ceiling_frac) closed by one full "
        "session of the technique: the rate at which sessions build the lasting effect (decays with "
        "manual_lasting_tau_days); 0 = transient effect only",
        TECHNIQUE_TABLE[_t].defaults["lasting_drop_frac"].source,
    )
    for _t in TECHNIQUES
]
_PARAMETERS += [
    _p(
        "lasting",
        "manual_lasting_ceiling_frac",
        0.15,
        0,
        1,
        "most of the sensitization a course of manual therapy can hold down lastingly (model v3: "
        "sessions approach it, L <- L + (ceiling - L) x step, and never exceed it); 0 = transient "
        "effect only, whatever the techniques' rates; 1 = model v2 (no ceiling)",
        "of the order of the largest pooled manual-therapy effects (its prior for the refit: "
        "data/evidence/calibration.toml [population]): Paige et al. 2017, JAMA (15 RCTs, acute low back pain: spinal manipulation vs control -9.95 /100 pain "
        "at up to 6 weeks, about a fifth of baseline pain, partly transient); Haas et al. 2014 (12 "
        "manipulation visits vs none: -8.6 /100 at 12 weeks, negligible at 24); Fitzgerald et al. 2016 "
        "and Runge et al. 2022 (knee/hip OA: no manual-therapy benefit left at one year)",
    ),
    _p(
        "lasting",
        "manual_lasting_tau_days",
        60,
        7,
        3650,
        "time constant with which the lasting manual effect fades",
        "assumption of the order of Haas et al. 2014 (manipulation dose effects present at 12 weeks, "
        "negligible by 24 weeks)",
    ),
    # --- day-to-day symptom fluctuation (model v2) ---------------------------------------------
    _p(
        "fluctuation",
        "pain_fluctuation_sd_frac",
        0.3,
        0,
        1,
        "stationary SD of the log factor by which a day's expressed pain differs from its level "
        "(Ornstein-Uhlenbeck); 0 = no fluctuation",
        "assumption: about 1.5 NPRS points at 5/10, chosen with the per-patient natural courses so "
        "that about a third of usual-care neck pain patients improve by 30 % (Hoving et al. 2002; "
        "Walker et al. 2008)",
    ),
    _p(
        "fluctuation",
        "pain_fluctuation_tau_days",
        7,
        0.5,
        60,
        "mean-reversion time constant of the pain fluctuation (good and bad spells of about a week)",
    ),
    # --- adherence after discharge (model v2) --------------------------------------------------
    _p(
        "adherence",
        "home_adherence_decay_per_year",
        0.0,
        0,
        10,
        "rate at which adherence to the after-discharge home programme declines (per year; factor "
        "exp(-rate x years since discharge)); 0 = held forever (v1); a plan's HomeProgramme may set it",
        "assumption: no evidence in EVIDENCE.md constrains it (Argent et al. 2018 gives the level, "
        "not the decline)",
    ),
    # --- behaviour state (model v3): what a supervised visit does to adherence -----------------
    _p(
        "adherence",
        "visit_engagement_restore_frac",
        0.5,
        0,
        1,
        "share of the engagement lost since intake that one supervised visit restores (model v3's "
        "behaviour state: home adherence is multiplied by an engagement that decays at "
        "home_adherence_decay_per_year between visits and after discharge); 1 = every visit restores "
        "all of it (model v2's decline counted from the last visit), 0 = visits do not re-engage",
        "assumption, bracketed by the booster trials in knee OA: Bennell et al. 2014, Arthritis Care "
        "Res 66:1680 (two booster visits over 24 weeks: home sessions done 56 % vs 51 %, pain -0.7 "
        "[-9.4, 8.0] /100, function -0.3 [-4.0, 3.5] WOMAC); Abbott et al. 2015, JOSPT (12 visits spread "
        "over a year with boosters better than 12 consecutive, n = 75); Fitzgerald et al. 2016, "
        "Osteoarthritis Cartilage 24:1340 (n = 300: no WOMAC difference with boosters at one year)",
    ),
]
_PARAMETERS += [
    # --- consolidation (DESIGN M2: a named hypothesis) ----------------------------------------
    _p(
        "consolidation",
        "consolidation_per_window_min",
        0.06,
        0,
        1,
        "durable share of the deficit gained per minute of full-intensity exercise at a fully open "
        "window; 0 turns the window-of-opportunity hypothesis off (no trial has tested it)",
    ),
    _p(
        "consolidation",
        "stretch_per_dose_min",
        0.0008,
        0,
        0.05,
        "durable share of the deficit removed per effective exercise minute without a window",
    ),
    # --- pain and sensitization (days) ----------------------------------------------------------
    _p(
        "pain",
        "sensitization_tau_days",
        2.9,
        0.5,
        14,
        "time constant with which session pain relief fades back to the set point",
        "Alkhawajah & Alshami 2019 (half the immediate relief left at 2 days: tau = 2/ln 2)",
    ),
    _p(
        "pain",
        "setpoint_drop_per_dose_min",
        0.002,
        0,
        0.05,
        "durable share of the pain set point removed per effective exercise minute within tolerance",
    ),
    _p(
        "pain",
        "education_setpoint_drop_per_min",
        0.0005,
        0,
        0.05,
        "durable share of the pain set point removed per minute of pain education",
    ),
    _p(
        "pain",
        "eih_max_frac",
        0.15,
        0,
        0.6,
        "largest exercise-induced hypoalgesia (share of pain) straight after exercise",
        "Naugle et al. 2012 (d 0.4-1.0 in healthy people, smaller and variable in chronic pain)",
    ),
    _p(
        "pain",
        "eih_tau_min",
        20,
        2,
        60,
        "time constant of exercise-induced hypoalgesia",
        "Naugle et al. 2012 (lasts ~5-45 min)",
    ),
    _p(
        "pain",
        "guarding_frac_at_max_pain",
        0.15,
        0,
        0.5,
        "share of the durable range withheld by guarding at pain 10/10 (linear in pain)",
    ),
    # --- pain gates activity (DESIGN M4) -------------------------------------------------------
    _p(
        "gating",
        "tolerance_full_nprs",
        3,
        0,
        10,
        "pain up to which the patient completes the prescribed exercise dose",
        "Silbernagel et al. pain-monitoring model (<=3/10 safe)",
    ),
    _p(
        "gating",
        "tolerance_floor_frac",
        0.3,
        0,
        1,
        "share of the prescribed dose completed at pain 10/10 (linear from the full-dose pain)",
    ),
    _p(
        "gating",
        "flare_threshold_nprs",
        5,
        0,
        10,
        "pain during exercise above which the session causes a flare",
        "Silbernagel et al. pain-monitoring model (>5/10 not acceptable)",
    ),
    _p(
        "gating",
        "exercise_provocation_nprs",
        1.5,
        0,
        5,
        "pain added during exercise at full intensity (scaled by intensity)",
    ),
    _p(
        "gating",
        "flare_gain_per_nprs",
        0.03,
        0,
        0.5,
        "sensitization added per NPRS point that exercise pain exceeds the flare threshold",
    ),
    _p(
        "gating",
        "flare_rise_allowed_nprs",
        1.0,
        -10,
        5,
        "rise of pain during exercise over pain before it that is not a flare when pain before it "
        "is already near the flare threshold (ceiling max(threshold, pain + this)); -10 = the "
        "absolute threshold only (v1)",
        "Salaffi et al. 2004 (1 NPRS point is the minimal change: a smaller rise is not a flare); "
        "its use as the pain-monitoring ceiling above 5/10 (Silbernagel et al.) is an assumption",
    ),
    _p(
        "gating",
        "flare_probability_per_nprs",
        3.0,
        0,
        math.inf,
        "probability rate of a flare per NPRS point of excess above the ceiling "
        "(P = 1 - exp(-rate x excess)); inf = every excess flares (v1)",
        "assumption: chosen so that a programme within tolerance flares in about 2 % of sessions and "
        "overload (40 min at full effort 3x a week) about 4 times as often",
    ),
    _p(
        "gating",
        "flare_setpoint_rise_frac",
        0.25,
        0,
        0.5,
        "durable cost of a flare: share of the gap to maximal sensitization added to the pain set "
        "point; 0 = flares cost only the day's sensitization jump (v1)",
        "assumption: chosen so that overload costs more than it gives (pain-monitoring model: pain "
        "above 5/10 is not acceptable, Silbernagel et al.); how much a flare sets back is not measured",
    ),
    _p(
        "gating",
        "adherence_pain_slope_per_nprs",
        0.08,
        0,
        0.5,
        "drop in the probability of doing a home session per NPRS point above the full-dose pain",
        "direction: Jack et al. 2010 (pain is a barrier to adherence); size assumption",
    ),
    # --- exercise capacity (DESIGN M3) ---------------------------------------------------------
    _p(
        "capacity",
        "fitness_tau_days",
        38,
        17,
        59,
        "fitness time constant (impulse-response)",
        "Hellard et al. 2006 (38 d, 95 % CI 17-59)",
    ),
    _p(
        "capacity",
        "fatigue_tau_days",
        19,
        6,
        32,
        "fatigue time constant (impulse-response)",
        "Hellard et al. 2006 (19 d, 95 % CI 6-32)",
    ),
    _p(
        "capacity",
        "fitness_gain_pct_per_dose_min",
        0.1,
        0,
        1,
        "neural strength gain (% of normal) per effective exercise minute, before saturation",
    ),
    _p(
        "capacity",
        "fitness_cap_pct",
        20,
        1,
        100,
        "ceiling of the neural strength gain (% of normal); gains saturate toward it",
    ),
    _p(
        "capacity",
        "fatigue_gain_per_dose_min",
        0.001,
        0,
        0.02,
        "share of capacity held back as fatigue per effective exercise minute",
    ),
    _p(
        "capacity",
        "hypertrophy_ratio",
        2.0,
        0,
        3,
        "structural gain reached per unit of sustained neural gain",
    ),
    _p(
        "capacity",
        "hypertrophy_tau_days",
        28,
        7,
        120,
        "lag of structural (hypertrophy) gains behind neural gains",
        "Moritani & deVries 1979 (hypertrophy dominant after 3-5 weeks)",
    ),
    _p(
        "capacity",
        "motor_gain_per_dose_min",
        0.003,
        0,
        0.1,
        "motor-control learning per effective exercise minute (share of the remaining gap)",
    ),
    _p("capacity", "motor_tau_days", 180, 14, 1000, "time constant of forgetting motor control"),
    _p(
        "capacity",
        "session_saturation_min",
        20,
        1,
        200,
        "effective exercise minutes in one day after which more add little (diminishing returns)",
    ),
    # --- setbacks after discharge (DESIGN M6) --------------------------------------------------
    _p(
        "setbacks",
        "setback_strength_coef_per_pct",
        0.04,
        0,
        0.5,
        "log-hazard reduction per % of normal strength gained over the patient's baseline",
    ),
    _p(
        "setbacks",
        "setback_motor_coef",
        1.5,
        0,
        10,
        "log-hazard reduction at full motor control (linear in motor control 0-1)",
    ),
    _p(
        "setbacks",
        "setback_pain_jump_frac",
        0.35,
        0,
        1,
        "share of the gap to maximal sensitization added by a setback",
    ),
    _p(
        "setbacks",
        "setback_gain_loss_frac",
        0.2,
        0,
        1,
        "share of the durable gains (ROM deficit and pain set point) lost in a setback",
    ),
    # --- function score ------------------------------------------------------------------------
    _p("function", "function_weight_pain", 0.4, 0, 1, "weight of pain in the function score"),
    _p("function", "function_weight_rom", 0.3, 0, 1, "weight of ROM in the function score"),
    _p("function", "function_weight_strength", 0.3, 0, 1, "weight of strength in the function score"),
]

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _PARAMETERS}
"""Every model-wide parameter by name."""


def defaults() -> dict[str, float]:
    """The model-wide default value of every parameter."""
    return {name: p.default for name, p in PARAMETERS.items()}


FUNCTION_WEIGHTS = ("function_weight_pain", "function_weight_rom", "function_weight_strength")
"""The weights of the function score; at least one must be positive (the score divides by their sum)."""


def check_parameter_set(params: dict[str, float], where: str = "parameters") -> None:
    """Refuse combinations of parameters that are each in range but degenerate together.

    Raises
    ------
    ValueError
        Every function weight is 0: the function score would be 0/0 (NaN) for every patient.
    """
    if sum(params.get(k, PARAMETERS[k].default) for k in FUNCTION_WEIGHTS) <= 0:
        raise ValueError(
            f"{where}: the function weights {', '.join(FUNCTION_WEIGHTS)} are all 0; at least one must be "
            "positive (the function score is their weighted mean)"
        )
