"""A patient's day: the one definition every loop runs (issue 19).

Each function here is one step of a day -- the day-to-day fluctuation, the night's advance, a setback,
an exercise bout, a technique, a session, home exercise, the day's adaptations, the end of the day and
its outputs -- for the patients ``i`` of a cohort whose state is the matrix ``x`` (one row per state
variable, one column per patient: :data:`STATE`). ``i`` is one patient's column (an int: the compiled
kernel, :mod:`ptsim.engine.compiled`, calls these functions patient by patient) or an integer array of
columns (the numpy engine, :mod:`ptsim.engine.vectorised`, calls the *same* functions on all the
patients who take the same step that day). The arithmetic is the equations of
:mod:`ptsim.core.equations` and :mod:`ptsim.core.mechanisms_v2`; what this module adds is how they
compose. Decisions that differ between patients (who attends, who exercises at home, who is at risk of a
setback) are made by the loops with the functions here (:func:`may_set_back`, :func:`does_home`,
:func:`adapts`); inside a function nothing branches on a patient's values (a setback is applied with a
0/1 flag), so one patient and an array of patients run the same code.

Parameters reach these functions by name: ``P`` (:class:`DayParams`: model parameters, the base setback
hazard and the one-day factors), ``C`` (:class:`DayCohort`: the patients' constants) and ``S``
(:class:`Sessions`: the clinic sessions of a run as tables), namedtuples of arrays with one value per
patient in their last axis.

To add a state variable: add ``(name, rows)`` to :data:`STATE` (the row constants below follow), its
start value to ``model.initial_state`` (a field of ``model.State`` of the same name), and its equations
to the steps here; see ``docs/architecture.md`` ("How to add a mechanism").
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ptsim.core import equations, model
from ptsim.core.equations import (
    durable_rom_deg,
    exercise_effort,
    exercised_deficit,
    exercised_eih,
    flared_sensitization,
    function_score,
    graded_dose,
    home_probability,
    jump_toward_one,
    lagged,
    lose_gains,
    lowered_setpoint,
    relax,
    relaxed_sensitization,
    rom_deg,
    saturated_dose,
    setback_exponent,
    setback_probability,
    strength_pct,
    technique_deficit,
    technique_dose_frac,
    technique_relief,
    technique_sensitization,
    technique_window,
    tolerance,
    toward,
)
from ptsim.core.mechanisms_v2 import (
    expressed_pain_nprs,
    flare_excess_nprs,
    flared_bout,
    fluctuation_factor,
    lasting_after_technique,
    ou_step,
    setpoint_after_flare,
    unit_mean_log,
)
from ptsim.core.parameters import PARAMETERS
from ptsim.core.techniques import TECHNIQUE_TARGETS, TECHNIQUES, TISSUES, grade_factors

# --- the state matrix ------------------------------------------------------------------------------

STATE = (
    ("deficit_deg", 3),
    ("sensitization", 1),
    ("setpoint", 1),
    ("fitness_pct", 1),
    ("fatigue_frac", 1),
    ("hypertrophy_pct", 1),
    ("motor", 1),
    ("window", 3),
    ("relief", 1),
    ("eih", 1),
    ("lasting", 1),
    ("fluctuation", 1),
    ("engagement", 1),
)
"""The state variables in row order, with their number of rows (tissue-resolved: 3, in the order of
``TISSUES``); the names are the fields of :class:`ptsim.core.model.State`."""

ROWS = {}
_row = 0
for _name, _count in STATE:
    ROWS[_name] = _row
    _row += _count
N_STATE = _row
"""Rows of the state matrix."""

# Row of each variable (the first of three for a tissue-resolved one): module constants, so the
# compiled kernel reads them as compile-time numbers.
DEFICIT = ROWS["deficit_deg"]
SENS = ROWS["sensitization"]
SETPOINT = ROWS["setpoint"]
FITNESS = ROWS["fitness_pct"]
FATIGUE = ROWS["fatigue_frac"]
HYPER = ROWS["hypertrophy_pct"]
MOTOR = ROWS["motor"]
WINDOW = ROWS["window"]
RELIEF = ROWS["relief"]
EIH = ROWS["eih"]
LASTING = ROWS["lasting"]
FLUCT = ROWS["fluctuation"]
ENGAGE = ROWS["engagement"]


def state_matrix(s: model.State) -> np.ndarray:
    """The ``(N_STATE, n)`` matrix of a :class:`model.State` (a copy)."""
    return np.vstack([np.atleast_2d(getattr(s, name)) for name, _ in STATE]).astype(float)


def state_of(x: np.ndarray) -> model.State:
    """The :class:`model.State` of a state matrix (views of its rows)."""
    return model.State(
        **{name: x[ROWS[name]] if count == 1 else x[ROWS[name] : ROWS[name] + count] for name, count in STATE}
    )


# --- parameters by name ------------------------------------------------------------------------------

TECHNIQUE_FIELDS = (
    "window_max_frac",
    "relief_max_frac",
    "pain_drop_frac",
    "remodel_per_min",
    "lasting_drop_frac",
)
"""The per-technique parameters (``<technique>_<field>``), held per session component in :class:`Sessions`."""

_DAY_FACTORS = tuple(k for k in model.DayFactors.__dataclass_fields__ if not k.endswith(("_end", "_deg")))

# (through an Any: the fields are generated from PARAMETERS, so a type checker cannot list them)
_namedtuple: Any = namedtuple
DayParams = _namedtuple(
    "DayParams",
    dict.fromkeys(
        [n for n in PARAMETERS if not n.startswith(TECHNIQUES)]
        + ["setback_hazard_per_day", "setback_base_probability", *_DAY_FACTORS]
    ),
)
"""Model-wide parameters, the base setback hazard and the one-day factors (``model.DayFactors``), by
name; each an ``(n,)`` array (one value per patient). A new parameter of ``PARAMETERS`` is a field by
itself."""

DayCohort = _namedtuple(
    "DayCohort",
    [
        "setpoint0",
        "strength0_pct",
        "manual_resp",
        "exercise_resp",
        "adherence",
        "rom_normal_deg",
        "adherence_decay_per_year",
        "setpoint_end",
        "deficit0_deg",
        "deficit_end_deg",
    ],
)
"""The patients' constants: ``(n,)`` arrays, and ``(3, n)`` for ``deficit0_deg`` and
``deficit_end_deg`` (baseline and untreated end of each tissue's deficit)."""

Sessions = _namedtuple(
    "Sessions",
    [
        "kind",
        "minutes",
        "intensity",
        "rom_factor",
        "relief_factor",
        "target_share",
        "window_decay",
        "eih_decay",
        *TECHNIQUE_FIELDS,
    ],
)
"""The clinic sessions of a run, component by component: ``kind`` ``(s, k)`` (EXERCISE, EDUCATION,
REST, TECHNIQUE; NONE pads a shorter session), ``minutes``, ``intensity`` (exercise effort) and the
grade's ``rom_factor`` and ``relief_factor`` ``(s, k)``, ``target_share`` ``(s, k, 3)`` (share of each
tissue), the decay of the window and of hypoalgesia over each component ``(s, k, n)`` and the
technique's parameters ``(s, k, n)``."""

NONE, EXERCISE, EDUCATION, REST, TECHNIQUE = -1, 0, 1, 2, 3

STEPS = (
    "pain",
    "strength",
    "rom",
    "outputs",
    "fluctuate",
    "advance",
    "setback_log_hazard",
    "setback",
    "pass_minutes",
    "exercise",
    "technique",
    "visit",
    "session",
    "may_set_back",
    "does_home",
    "adapts",
    "adapt",
    "end_of_day",
)
"""The steps of a day below, by name: the compiled kernel compiles each (``ptsim.engine.compiled``).
A new step is added here too."""


def per_patient(value, n: int) -> np.ndarray:
    """``(n,)`` float array of a parameter: a per-patient array as it is, a scalar repeated."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=float), (n,)))


def day_params(p: dict, natural_history: dict, pts: model.Patients) -> Any:  # a DayParams
    """The parameters the day reads, by name (see :class:`DayParams`)."""
    f = vars(model.day_factors(pts, p, natural_history, 1.0))
    base = natural_history["setback_hazard_per_day"]
    values = {
        **p,
        "setback_hazard_per_day": base,
        "setback_base_probability": equations.setback_probability(base, 0.0),
        **f,
    }
    return DayParams(**{k: per_patient(values[k], pts.n) for k in DayParams._fields})


def session_params(p: dict, n: int) -> Any:  # a DayParams
    """The parameters of a session alone (no day passes: the one-day factors and the setback hazard,
    which no session step reads, are NaN)."""
    return DayParams(**{k: per_patient(p.get(k, np.nan), n) for k in DayParams._fields})


def day_cohort(
    pts: model.Patients, natural_history: dict | None, adherence_decay_per_year
) -> Any:  # a DayCohort
    """The patients' constants (see :class:`DayCohort`); without a ``natural_history`` (a session alone)
    the untreated end levels, which no session step reads, are NaN."""
    n = pts.n
    if natural_history is None:
        k_end, d_end = np.full(n, np.nan), np.full_like(pts.deficit0_deg, np.nan, dtype=float)
    else:
        k_end, d_end = model.natural_targets(pts, natural_history)
    return DayCohort(
        setpoint0=pts.setpoint0,
        strength0_pct=pts.strength0_pct,
        manual_resp=pts.manual_resp,
        exercise_resp=pts.exercise_resp,
        adherence=pts.adherence,
        rom_normal_deg=per_patient(pts.rom_normal_deg, n),
        adherence_decay_per_year=per_patient(adherence_decay_per_year, n),
        setpoint_end=per_patient(k_end, n),
        deficit0_deg=np.ascontiguousarray(pts.deficit0_deg, dtype=float),
        deficit_end_deg=np.ascontiguousarray(d_end, dtype=float),
    )


def sessions_table(sessions, p: dict, n: int) -> Any:  # a Sessions
    """Resolved sessions (objects with ``components`` of ``kind, minutes, intensity``) as tables."""
    s, k = len(sessions), max([len(x.components) for x in sessions] + [1])
    kind = np.full((s, k), NONE, np.int64)
    minutes, intensity = np.zeros((s, k)), np.zeros((s, k))
    rom_f, relief_f = np.ones((s, k)), np.ones((s, k))
    target = np.zeros((s, k, 3))
    tech = {f: np.zeros((s, k, n)) for f in TECHNIQUE_FIELDS}
    w, w_eih = np.ones((s, k, n)), np.ones((s, k, n))
    for a, session in enumerate(sessions):
        for c, comp in enumerate(session.components):
            minutes[a, c] = comp.minutes
            w[a, c] = equations.decay(comp.minutes, per_patient(p["window_tau_min"], n))
            w_eih[a, c] = equations.decay(comp.minutes, per_patient(p["eih_tau_min"], n))
            if comp.kind == "exercise":
                kind[a, c], intensity[a, c] = EXERCISE, comp.intensity
            elif comp.kind in ("education", "rest"):
                kind[a, c] = EDUCATION if comp.kind == "education" else REST
            elif comp.kind == "manual_therapy":
                raise ValueError("the engine needs a resolved plan (Plan.resolve(condition))")
            else:
                grade = None if comp.intensity is None else int(comp.intensity)
                kind[a, c] = TECHNIQUE
                rom_f[a, c], relief_f[a, c] = grade_factors(comp.kind, grade)
                target[a, c] = [TECHNIQUE_TARGETS[comp.kind][t] for t in TISSUES]
                for f in TECHNIQUE_FIELDS:
                    tech[f][a, c] = per_patient(p[f"{comp.kind}_{f}"], n)
    return Sessions(kind, minutes, intensity, rom_f, relief_f, target, w, w_eih, **tech)


# --- outputs -----------------------------------------------------------------------------------------


def pain(x, i):
    """Expressed pain (NPRS 0-10) of patients ``i`` now."""
    return expressed_pain_nprs(
        x[SENS, i], x[RELIEF, i], x[EIH, i], x[LASTING, i], fluctuation_factor(x[FLUCT, i])
    )


def strength(x, i, C):
    """Strength (% of normal) of patients ``i`` now."""
    return strength_pct(C.strength0_pct[i], x[FITNESS, i], x[HYPER, i], x[FATIGUE, i])


def rom(x, i, P, C, pain_now):
    """Range of motion (degrees) of patients ``i`` now, at their pain ``pain_now``: durable range less
    guarding, plus the release of the open windows."""
    total = x[DEFICIT, i] + x[DEFICIT + 1, i] + x[DEFICIT + 2, i]
    released = (
        x[WINDOW, i] * x[DEFICIT, i]
        + x[WINDOW + 1, i] * x[DEFICIT + 1, i]
        + x[WINDOW + 2, i] * x[DEFICIT + 2, i]
    )
    durable = durable_rom_deg(C.rom_normal_deg[i], total)
    return rom_deg(durable, pain_now, released, P.guarding_frac_at_max_pain[i])


def outputs(x, i, P, C):
    """``rom, pain, strength, function`` of patients ``i`` now (the day's outputs at its end)."""
    pain_now = pain(x, i)
    rom_now = rom(x, i, P, C, pain_now)
    strength_now = strength(x, i, C)
    function = function_score(
        pain_now,
        rom_now,
        strength_now,
        C.rom_normal_deg[i],
        P.function_weight_pain[i],
        P.function_weight_rom[i],
        P.function_weight_strength[i],
    )
    return rom_now, pain_now, strength_now, function


# --- the start of a day ------------------------------------------------------------------------------


def fluctuate(x, i, P, z, step_days):
    """The day's symptom fluctuation: an exact OU step of ``step_days`` with standard normals ``z``
    (day 0: ``inf``, a draw from the stationary law)."""
    sd = P.pain_fluctuation_sd_frac[i]
    mu = unit_mean_log(sd)
    x[FLUCT, i] = mu + ou_step(x[FLUCT, i] - mu, z, sd, P.pain_fluctuation_tau_days[i], step_days)


def advance(x, i, P, C):
    """One night without treatment: the slow variables relax (one-day factors of ``P``), the
    minute-scale ones are gone."""
    k_end = C.setpoint_end[i]
    for j in range(3):
        x[DEFICIT + j, i] = relax(x[DEFICIT + j, i], C.deficit_end_deg[j, i], P.rom[i])
    x[SENS, i] = relaxed_sensitization(
        x[SENS, i], x[SETPOINT, i], k_end, P.sensitization_lag[i], P.sensitization_drive[i]
    )
    x[SETPOINT, i] = relax(x[SETPOINT, i], k_end, P.pain[i])
    x[HYPER, i] = lagged(
        x[HYPER, i], x[FITNESS, i], P.hypertrophy_ratio[i], P.hypertrophy_lag[i], P.hypertrophy_drive[i]
    )
    x[FITNESS, i] = x[FITNESS, i] * P.fitness[i]
    x[FATIGUE, i] = x[FATIGUE, i] * P.fatigue[i]
    x[MOTOR, i] = x[MOTOR, i] * P.motor[i]
    end_of_day(x, i)
    x[LASTING, i] = x[LASTING, i] * P.lasting[i]
    x[ENGAGE, i] = x[ENGAGE, i] * P.engagement[i]


def setback_log_hazard(x, i, P, C):
    """Log of patients ``i``'s setback hazard relative to the base day's (strength gained, motor control)."""
    gained = strength(x, i, C) - C.strength0_pct[i]
    return setback_exponent(gained, x[MOTOR, i], P.setback_strength_coef_per_pct[i], P.setback_motor_coef[i])


def may_set_back(x, i, P, C, u):
    """Whether a setback is possible for patients ``i`` with uniforms ``u``: False only where it cannot
    hit (no lost gain raises the hazard above the base day's, and ``u`` is at or above the base day's
    probability), so the loops skip :func:`setback` there (most days), which would change nothing."""
    return (u < P.setback_base_probability[i]) | (setback_log_hazard(x, i, P, C) > 0.0)


def setback(x, i, P, C, u):
    """A setback for patients ``i`` at risk whose uniform ``u`` falls below their probability: pain jumps
    toward maximal and a share of the durable gains is lost. Returns whether it hit."""
    hit = u < setback_probability(P.setback_hazard_per_day[i], setback_log_hazard(x, i, P, C))
    loss = P.setback_gain_loss_frac[i] * hit
    x[SENS, i] = jump_toward_one(x[SENS, i], P.setback_pain_jump_frac[i] * hit)
    x[SETPOINT, i] = lose_gains(x[SETPOINT, i], C.setpoint0[i], loss)
    for j in range(3):
        x[DEFICIT + j, i] = lose_gains(x[DEFICIT + j, i], C.deficit0_deg[j, i], loss)
    return hit


# --- inside a session (minutes) -----------------------------------------------------------------------


def pass_minutes(x, i, w, w_eih):
    """Time without a technique: the window and relief decay by ``w``, hypoalgesia by ``w_eih``."""
    for j in range(3):
        x[WINDOW + j, i] = x[WINDOW + j, i] * w
    x[RELIEF, i] = x[RELIEF, i] * w
    x[EIH, i] = x[EIH, i] * w_eih


def exercise(x, i, P, C, minutes, intensity, w, w_eih, flare_u, random_flares):
    """``minutes`` of exercise at ``intensity`` (``w``, ``w_eih``: the window's and hypoalgesia's decay
    over them; ``flare_u``: the day's flare uniforms, used when ``random_flares``). Returns the
    effective dose (minutes) and whether the bout flared; zero minutes change nothing."""
    if minutes == 0.0:
        return 0.0, False
    pain_now = pain(x, i)
    tol = tolerance(pain_now, P.tolerance_full_nprs[i], P.tolerance_floor_frac[i])
    effort = exercise_effort(intensity, tol, C.exercise_resp[i])
    dose = minutes * effort
    tau = P.window_tau_min[i]
    for j in range(3):
        x[DEFICIT + j, i] = exercised_deficit(
            x[DEFICIT + j, i],
            x[WINDOW + j, i],
            effort,
            dose,
            w,
            tau,
            P.consolidation_per_window_min[i],
            P.stretch_per_dose_min[i],
        )
    x[EIH, i] = exercised_eih(x[EIH, i], w_eih, dose, P.eih_max_frac[i], P.session_saturation_min[i])
    excess = flare_excess_nprs(
        pain_now,
        effort,
        P.exercise_provocation_nprs[i],
        P.flare_threshold_nprs[i],
        P.flare_rise_allowed_nprs[i],
    )
    flared = flared_bout(excess, flare_u, P.flare_probability_per_nprs[i], random_flares)
    x[SENS, i] = flared_sensitization(x[SENS, i], excess, flared, P.flare_gain_per_nprs[i])
    for j in range(3):
        x[WINDOW + j, i] = x[WINDOW + j, i] * w
    x[RELIEF, i] = x[RELIEF, i] * w
    return dose, flared


def technique(x, i, P, C, S, s, c):
    """Component ``c`` of session ``s``, a hands-on technique: opens the windows, gives relief and a
    lasting share, lowers sensitization and remodels the targeted tissues a little."""
    m = S.minutes[s, c]
    resp = C.manual_resp[i]
    rise, tau = P.window_rise_per_min[i], P.window_tau_min[i]
    rom_f, relief_f = S.rom_factor[s, c], S.relief_factor[s, c]
    for j in range(3):
        x[WINDOW + j, i] = technique_window(
            x[WINDOW + j, i], S.window_max_frac[s, c, i], rom_f, S.target_share[s, c, j], resp, rise, m, tau
        )
    x[RELIEF, i] = technique_relief(x[RELIEF, i], S.relief_max_frac[s, c, i], relief_f, resp, rise, m, tau)
    x[EIH, i] = x[EIH, i] * S.eih_decay[s, c, i]
    dose_frac = technique_dose_frac(m, P.technique_saturation_min[i])
    x[LASTING, i] = lasting_after_technique(
        x[LASTING, i],
        S.lasting_drop_frac[s, c, i],
        relief_f,
        resp,
        dose_frac,
        P.manual_lasting_ceiling_frac[i],
    )
    x[SENS, i] = technique_sensitization(
        x[SENS, i], S.pain_drop_frac[s, c, i], relief_f, resp, m, P.technique_saturation_min[i]
    )
    for j in range(3):
        x[DEFICIT + j, i] = technique_deficit(
            x[DEFICIT + j, i], S.remodel_per_min[s, c, i], rom_f, S.target_share[s, c, j], resp, m
        )


def visit(x, i, P):
    """A supervised visit re-engages patients ``i`` (model v3's behaviour state): it restores
    ``visit_engagement_restore_frac`` of the engagement lost since intake."""
    x[ENGAGE, i] = jump_toward_one(x[ENGAGE, i], P.visit_engagement_restore_frac[i])


def session(x, i, P, C, S, s, flare_u, random_flares):
    """Clinic session ``s`` for patients ``i`` (a :func:`visit`): its components in order. Returns the
    effective exercise dose (minutes) and whether any exercise flared."""
    visit(x, i, P)
    dose = 0.0
    flared = False
    for c in range(S.kind.shape[1]):
        k = S.kind[s, c]
        if k == EXERCISE:
            dd, ff = exercise(
                x, i, P, C, S.minutes[s, c], S.intensity[s, c], S.window_decay[s, c, i], S.eih_decay[s, c, i],
                flare_u, random_flares,
            )  # fmt: skip
            dose = dose + dd
            flared = flared | ff
        elif k == TECHNIQUE:
            technique(x, i, P, C, S, s, c)
        elif k == EDUCATION or k == REST:
            pass_minutes(x, i, S.window_decay[s, c, i], S.eih_decay[s, c, i])
            if k == EDUCATION:
                x[SETPOINT, i] = lowered_setpoint(
                    x[SETPOINT, i], P.education_setpoint_drop_per_min[i], S.minutes[s, c]
                )
    return dose, flared


# --- home exercise, adaptations, the end of a day -----------------------------------------------------


def does_home(x, i, P, C, frequency, u):
    """Whether patients ``i`` do today's home session: their uniform ``u`` below the probability
    (adherence times their engagement, gated by pain, times the day's ``frequency``)."""
    prob = home_probability(
        pain(x, i),
        C.adherence[i] * x[ENGAGE, i],
        frequency,
        P.tolerance_full_nprs[i],
        P.adherence_pain_slope_per_nprs[i],
    )
    return u < prob


def adapts(dose, flared):
    """Whether the day's adaptations change anything: a dose, or a flare (whose set-point cost is paid
    whatever the dose). With neither, :func:`adapt` would leave the patient exactly as they are."""
    return (dose != 0.0) | flared


def adapt(x, i, P, dose, flared):
    """Training adaptations to the day's effective dose: fitness, fatigue and motor control saturate,
    the set point falls with graded exercise and rises by a flare's cost."""
    u = saturated_dose(dose, P.session_saturation_min[i])
    cap = P.fitness_cap_pct[i]
    x[FITNESS, i] = toward(x[FITNESS, i], cap, P.fitness_gain_pct_per_dose_min[i] * u / cap)
    x[FATIGUE, i] = toward(x[FATIGUE, i], 1.0, P.fatigue_gain_per_dose_min[i] * u)
    x[MOTOR, i] = toward(x[MOTOR, i], 1.0, P.motor_gain_per_dose_min[i] * u)
    x[SETPOINT, i] = setpoint_after_flare(
        lowered_setpoint(x[SETPOINT, i], P.setpoint_drop_per_dose_min[i], graded_dose(u, flared)),
        flared,
        P.flare_setpoint_rise_frac[i],
    )


def end_of_day(x, i):
    """The minute-scale effects are gone: windows, relief and hypoalgesia are zero."""
    for j in range(3):
        x[WINDOW + j, i] = 0.0
    x[RELIEF, i] = 0.0
    x[EIH, i] = 0.0
