"""Optional compiled engine (Numba): the whole daily loop of ``simulate._run`` in one kernel.

Why it exists: the numpy engine runs each model equation as a separate pass over all patients, so a
day costs ~150 array operations; that cannot come within the issue-8 targets (>= 200x a per-patient
Python loop, within 3x of a five-update numpy floor), see ``docs/performance.md``. This kernel does
the same arithmetic per patient in registers. It is opt-in (``engine="numba"``, needs ``pip install
numba``); ``model.py`` stays the definition and the numpy engine the default.

The arithmetic follows ``model.py`` operation by operation and in the same order; constants that the
numpy engine computes with numpy (decay factors of fixed minutes or one day) are computed here the
same way, in Python, and passed in. Remaining differences are the last bit of ``exp`` in per-patient
exponentials (numpy's and LLVM's ``exp`` may round differently): results agree to ~1e-15 relative
(tests/test_performance.py checks 1e-12 and identical event counts on the test cohorts).

Maintenance: this is a second spelling of the model. A change to ``model.py`` or to ``_run`` must be
made here too; ``test_numba_engine_agrees_with_numpy_engine`` fails until it is. Features the kernel
does not have fall back to the numpy engine with ``engine="auto"`` and are refused with a clear
ValueError with ``engine="numba"`` (:func:`unsupported`): adaptive plans (``ptsim.engine.adaptive``
policies decide sessions in Python each day) and per-patient parameter arrays (the batches of
``ptsim.analysis.sensitivity``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ptsim.core import model
from ptsim.core.parameters import GRADE_RELIEF_FACTOR, GRADE_ROM_FACTOR, TECHNIQUE_TARGETS, TISSUES
from ptsim.core.streams import _GOLDEN, _M1, _M2, patient_keys
from ptsim.engine import vectorised as _engine
from ptsim.inputs.cohort import to_patients

try:
    import numba
except ImportError:  # pragma: no cover - depends on the environment
    numba = None  # type: ignore[assignment]  # numba is optional: AVAILABLE says whether it loaded

AVAILABLE = numba is not None

# model-wide parameters the kernel reads, in the order of the P array
_PARAMS = (
    "window_tau_min",
    "eih_tau_min",
    "tolerance_full_nprs",
    "tolerance_floor_frac",
    "adherence_pain_slope_per_nprs",
    "consolidation_per_window_min",
    "stretch_per_dose_min",
    "eih_max_frac",
    "session_saturation_min",
    "exercise_provocation_nprs",
    "flare_threshold_nprs",
    "flare_gain_per_nprs",
    "fitness_cap_pct",
    "fitness_gain_pct_per_dose_min",
    "fatigue_gain_per_dose_min",
    "motor_gain_per_dose_min",
    "setpoint_drop_per_dose_min",
    "setback_strength_coef_per_pct",
    "setback_motor_coef",
    "setback_pain_jump_frac",
    "setback_gain_loss_frac",
    "guarding_frac_at_max_pain",
    "function_weight_pain",
    "function_weight_rom",
    "function_weight_strength",
)
EXERCISE, EDUCATION, REST, TECHNIQUE = 0, 1, 2, 3


def _kernel_py(
    deficit0, setpoint0, strength0, manual_resp, exercise_resp, adherence, rom_normal,
    k_end, d_end, adv, P,
    clinic, freq, discharge, base_hazard, home_minutes, home_intensity, home_w, home_weih,
    kind, minutes, intensity, c_w, c_weih, t_aw, t_ar, t_rate, t_lam, t_e, r_lam, r_e, t_adrop, t_remodel,
    edu_f, keys_setback, keys_home, row_of_day,
    out_values, out_dose, out_setback, out_flare, setback_count, flare_count,
    daily_mean, daily_m2, daily_setbacks, daily_flares,
    deficit, sens, setpoint, fitness, fatigue, hyper, motor, window, relief, eih,
):  # fmt: skip
    """One plan for all patients: loop over days, and inside a day over patients. Patients are
    independent (in ``model.py`` a patient who does not exercise is left exactly as they were, even on
    a day others train), so each patient's day is done in one pass. State arrays are updated in
    place."""
    n = setpoint0.shape[0]
    t = clinic.shape[0]
    window_tau, full, floor_frac, adh_slope = P[0], P[2], P[3], P[4]
    cons, stretch, eih_max, sat, provocation = P[5], P[6], P[7], P[8], P[9]
    flare_thr, flare_gain, cap, fit_gain, fat_gain = P[10], P[11], P[12], P[13], P[14]
    motor_gain, sp_drop, sb_strength, sb_motor, sb_jump = P[15], P[16], P[17], P[18], P[19]
    sb_loss, guarding, w_pain, w_rom, w_str = P[20], P[21], P[22], P[23], P[24]
    f_pain, f_rom, s_fl, s_drive, h_fl, h_drive, h_ratio, f_fit, f_fat = (
        adv[0],
        adv[1],
        adv[2],
        adv[3],
        adv[4],
        adv[5],
        adv[6],
        adv[7],
        adv[8],
    )
    f_motor = adv[9]
    tol_slope = (1.0 - floor_frac) / max(10.0 - full, 1e-9)
    p_base = -math.expm1(-base_hazard)
    dose = np.zeros(n)
    flared = np.zeros(n, dtype=np.bool_)
    hit = np.zeros(n, dtype=np.bool_)
    outs = np.empty((4, n))
    for d in range(t):
        hit[:] = False
        if d > 0:
            setback_day = d >= discharge and base_hazard > 0
            dm = np.uint64(d) * _M1
            for i in range(n):
                # model.advance_days (one day, factors precomputed)
                sp_rel = setpoint[i] - k_end[i]
                for j in range(3):
                    deficit[j, i] = d_end[j, i] + (deficit[j, i] - d_end[j, i]) * f_rom
                sens[i] = k_end[i] + ((sens[i] - k_end[i]) * s_fl + sp_rel * s_drive)
                setpoint[i] = k_end[i] + sp_rel * f_pain
                hyper[i] = hyper[i] * h_fl + h_ratio * fitness[i] * h_drive
                fitness[i] = fitness[i] * f_fit
                fatigue[i] = fatigue[i] * f_fat
                motor[i] = motor[i] * f_motor
                for j in range(3):
                    window[j, i] = 0.0
                relief[i] = 0.0
                eih[i] = 0.0
                if setback_day:
                    # model.setback_hazard, the setback stream's uniform, model.setback
                    gained = (strength0[i] + fitness[i] + hyper[i]) * (1.0 - fatigue[i]) - strength0[i]
                    x = -sb_strength * gained - sb_motor * motor[i]
                    z = keys_setback[i] ^ dm
                    z = z + _GOLDEN
                    z = (z ^ (z >> np.uint64(30))) * _M1
                    z = (z ^ (z >> np.uint64(27))) * _M2
                    z = z ^ (z >> np.uint64(31))
                    u = (float(z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)
                    # With x <= 0 the hazard is at most the base hazard, so a draw at or above the
                    # base day's probability cannot hit: skip the two exponentials (most days).
                    if x <= 0.0 and u >= p_base:
                        continue
                    hazard = base_hazard * math.exp(x)
                    if u < -math.expm1(-hazard):
                        hit[i] = True
                        sens[i] = sens[i] + sb_jump * (1.0 - sens[i])
                        setpoint[i] = setpoint[i] + sb_loss * max(setpoint0[i] - setpoint[i], 0.0)
                        for j in range(3):
                            deficit[j, i] = deficit[j, i] + sb_loss * max(deficit0[j, i] - deficit[j, i], 0.0)
        dose[:] = 0.0
        flared[:] = False
        if clinic[d]:
            for i in range(n):
                for c in range(kind.shape[0]):
                    k = kind[c]
                    if k == EXERCISE:
                        dd, ff = _exercise(
                            i,
                            minutes[c],
                            intensity[c],
                            c_w[c],
                            c_weih[c],
                            deficit,
                            sens,
                            window,
                            relief,
                            eih,
                            exercise_resp,
                            window_tau,
                            full,
                            floor_frac,
                            tol_slope,
                            cons,
                            stretch,
                            eih_max,
                            sat,
                            provocation,
                            flare_thr,
                            flare_gain,
                        )
                        dose[i] = dose[i] + dd
                        flared[i] = flared[i] or ff
                    elif k == EDUCATION or k == REST:
                        for j in range(3):
                            window[j, i] = window[j, i] * c_w[c]
                        relief[i] = relief[i] * c_w[c]
                        eih[i] = eih[i] * c_weih[c]
                        if k == EDUCATION:
                            setpoint[i] = setpoint[i] * edu_f[c]
                    else:  # model.technique
                        resp = manual_resp[i]
                        w_target = min(t_aw[c] * resp, 1.0)
                        for j in range(3):
                            x_inf = t_rate[c, j] * w_target / t_lam[c, j]
                            window[j, i] = x_inf + (window[j, i] - x_inf) * t_e[c, j]
                        r_target = min(t_ar[c] * resp, 1.0)
                        x_inf = t_rate[c, 3] * r_target / r_lam[c]
                        relief[i] = x_inf + (relief[i] - x_inf) * r_e[c]
                        drop = min(t_adrop[c] * resp * t_remodel[c, 3], 1.0)
                        eih[i] = eih[i] * c_weih[c]
                        sens[i] = sens[i] * (1.0 - drop)
                        for j in range(3):
                            deficit[j, i] = deficit[j, i] * math.exp(t_remodel[c, j] * resp * minutes[c])
        elif freq[d] > 0:
            # model.home_probability and the home-exercise stream's uniform; then model.exercise for
            # the patients who exercise (0 minutes leave the others exactly as they are).
            dm = np.uint64(d) * _M1
            for i in range(n):
                pain_now = 10.0 * sens[i] * (1.0 - relief[i]) * (1.0 - eih[i])
                excess = max(pain_now - full, 0.0)
                gate = min(max(1.0 - adh_slope * excess, 0.0), 1.0)
                prob = adherence[i] * gate * freq[d]
                z = keys_home[i] ^ dm
                z = z + _GOLDEN
                z = (z ^ (z >> np.uint64(30))) * _M1
                z = (z ^ (z >> np.uint64(27))) * _M2
                z = z ^ (z >> np.uint64(31))
                u = (float(z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)
                if u < prob:
                    dd, ff = _exercise(
                        i,
                        home_minutes,
                        home_intensity,
                        home_w,
                        home_weih,
                        deficit,
                        sens,
                        window,
                        relief,
                        eih,
                        exercise_resp,
                        window_tau,
                        full,
                        floor_frac,
                        tol_slope,
                        cons,
                        stretch,
                        eih_max,
                        sat,
                        provocation,
                        flare_thr,
                        flare_gain,
                    )
                    dose[i] = dd
                    flared[i] = ff
        row = row_of_day[d]
        n_flared = 0
        n_hit = 0
        for i in range(n):
            if dose[i] != 0.0:
                # model.adapt (at zero dose it leaves the patient exactly as they are: expm1(-0) = -0)
                u = sat * (1.0 - math.exp(-dose[i] / sat))
                fitness[i] = fitness[i] - (cap - fitness[i]) * math.expm1(-fit_gain * u / cap)
                fatigue[i] = fatigue[i] - (1.0 - fatigue[i]) * math.expm1(-fat_gain * u)
                motor[i] = motor[i] - (1.0 - motor[i]) * math.expm1(-motor_gain * u)
                graded = 0.5 * u if flared[i] else u
                setpoint[i] = setpoint[i] * math.exp(-sp_drop * graded)
            # end of day: the fast variables are gone; outputs (as _engine.DayStep.outputs)
            for j in range(3):
                window[j, i] = 0.0
            relief[i] = 0.0
            eih[i] = 0.0
            pain = 10.0 * sens[i]
            durable = rom_normal - (deficit[0, i] + deficit[1, i] + deficit[2, i])
            rom = durable * (1.0 - guarding * pain / 10.0)
            strength = (strength0[i] + fitness[i] + hyper[i]) * (1.0 - fatigue[i])
            score = (
                w_pain * (1.0 - pain / 10.0) + w_rom * rom / rom_normal + w_str * min(strength / 100.0, 1.0)
            )
            outs[0, i] = rom
            outs[1, i] = pain
            outs[2, i] = strength
            outs[3, i] = 100.0 * score / (w_pain + w_rom + w_str)
            if flared[i]:
                flare_count[i] += 1
                n_flared += 1
            if hit[i]:
                setback_count[i] += 1
                n_hit += 1
            if row >= 0:
                for k in range(4):
                    out_values[k, row, i] = outs[k, i]
                out_dose[row, i] = dose[i]
                out_flare[row, i] = flared[i]
                out_setback[row, i] = hit[i]
        daily_flares[d] = n_flared
        daily_setbacks[d] = n_hit
        for k in range(4):
            total = 0.0
            for i in range(n):
                total += outs[k, i]
            mean = total / n
            m2 = 0.0
            for i in range(n):
                dev = outs[k, i] - mean
                m2 += dev * dev
            daily_mean[k, d] = mean
            daily_m2[k, d] = m2


def _exercise_py(
    i, m, intensity, w, w_eih, deficit, sens, window, relief, eih, exercise_resp, window_tau, full,
    floor_frac, tol_slope, cons, stretch, eih_max, sat, provocation, flare_thr, flare_gain,
):  # fmt: skip
    """model.exercise for patient ``i``: returns (dose, flared) and updates the state in place."""
    if m == 0.0:
        # Zero minutes: model.exercise leaves the patient exactly as they are (every factor is exactly
        # 1, and only exercise that is done can flare).
        return 0.0, False
    pain_now = 10.0 * sens[i] * (1.0 - relief[i]) * (1.0 - eih[i])
    tol = min(max(1.0 - tol_slope * (pain_now - full), floor_frac), 1.0)
    effort = intensity * tol * exercise_resp[i]
    dose = m * effort
    for j in range(3):
        window_integral = window[j, i] * window_tau * (1.0 - w)
        consolidate = cons * effort * window_integral
        deficit[j, i] = deficit[j, i] * math.exp(-consolidate - stretch * dose)
    eih_left = eih[i] * w_eih
    eih_new = (eih_max - eih_left) * (1.0 - math.exp(-dose / sat))
    eih[i] = eih_left + max(eih_new, 0.0)
    exercise_pain = pain_now + provocation * effort  # (times minutes > 0, which is 1 here)
    excess = max(exercise_pain - flare_thr, 0.0)
    jump = min(flare_gain * excess, 1.0) if excess > 0 else 0.0
    sens[i] = sens[i] + jump * (1.0 - sens[i])
    for j in range(3):
        window[j, i] = window[j, i] * w
    relief[i] = relief[i] * w
    return dose, excess > 0


if AVAILABLE:
    _exercise = numba.njit(cache=True, inline="always")(_exercise_py)
    _kernel: Callable[..., None] = numba.njit(cache=True)(_kernel_py)  # numba's Dispatcher


def _session_arrays(session, p: dict):
    """The session's components as arrays, with the constants numpy would compute (same values)."""
    k = len(session.components)
    kind = np.zeros(k, np.int64)
    mins, inten = np.zeros(k), np.zeros(k)
    c_w, c_weih, t_aw, t_ar, r_lam, r_e, t_adrop, edu_f = (np.ones(k) for _ in range(8))
    t_rate, t_lam, t_e = np.zeros((k, 4)), np.ones((k, 3)), np.ones((k, 3))
    t_remodel = np.zeros((k, 4))
    tau, rise = p["window_tau_min"], p["window_rise_per_min"]
    for c, comp in enumerate(session.components):
        m = comp.minutes
        mins[c] = m
        c_w[c] = model.decay(m, tau)
        c_weih[c] = model.decay(m, p["eih_tau_min"])
        if comp.kind == "exercise":
            kind[c], inten[c] = EXERCISE, comp.intensity
        elif comp.kind in ("education", "rest"):
            kind[c] = EDUCATION if comp.kind == "education" else REST
            edu_f[c] = np.exp(-p["education_setpoint_drop_per_min"] * m)
        elif comp.kind == "manual_therapy":
            raise ValueError("the numba engine needs a resolved plan (Plan.resolve(condition))")
        else:
            name = comp.kind
            grade = 1 if comp.intensity is None else int(comp.intensity)
            kind[c] = TECHNIQUE
            targets = np.array([TECHNIQUE_TARGETS[name][x] for x in TISSUES])[:, None]
            rom_f, relief_f = GRADE_ROM_FACTOR[grade - 1], GRADE_RELIEF_FACTOR[grade - 1]
            t_aw[c] = p[f"{name}_window_max_frac"] * rom_f
            t_ar[c] = p[f"{name}_relief_max_frac"] * relief_f
            rate = rise * targets
            lam = rate + 1.0 / tau
            t_rate[c, :3], t_lam[c], t_e[c] = rate[:, 0], lam[:, 0], np.exp(-lam * m)[:, 0]
            t_rate[c, 3] = rise
            r_lam[c] = rise + 1.0 / tau
            r_e[c] = np.exp(-r_lam[c] * m)
            t_adrop[c] = p[f"{name}_pain_drop_frac"] * relief_f
            t_remodel[c, 3] = 1.0 - np.exp(-m / p["technique_saturation_min"])  # the technique's dose
            t_remodel[c, :3] = (-p[f"{name}_remodel_per_min"] * rom_f * targets)[:, 0]
    return (
        kind,
        mins,
        inten,
        c_w,
        c_weih,
        t_aw,
        t_ar,
        t_rate,
        t_lam,
        t_e,
        r_lam,
        r_e,
        t_adrop,
        t_remodel,
        edu_f,
    )


def unsupported(cond, policy=None) -> str | None:
    """Why the kernel cannot run this case (None when it can): it knows fixed plans with one number
    per model parameter only."""
    if policy is not None:
        return "an adaptive plan (policy); the compiled kernel runs fixed plans only"
    arrays = sorted(k for k, v in {**cond.parameters, **cond.natural_history}.items() if np.ndim(v))
    if arrays:
        return f"per-patient parameter arrays ({', '.join(arrays)}); the compiled kernel takes one value each"
    return None


def run(cond, plan, df, days: int, seed: int, policy=None, record_days=None, draws=None):
    """Same contract as ``simulate._run``; see the module docstring.

    Raises
    ------
    ValueError
        If numba is not installed, or for a case the kernel does not run (see :func:`unsupported`:
        a policy, per-patient parameter arrays); ``engine="numpy"`` runs those.
    """
    if not AVAILABLE:
        raise ValueError("engine='numba' needs the numba package: pip install numba (or engine='numpy')")
    why = unsupported(cond, policy)
    if why is not None:
        raise ValueError(f"engine='numba' cannot run {why}: use engine='numpy' (or 'auto')")
    from ptsim.engine.simulate import OUTCOMES, Result, _schedule

    pts = to_patients(df, cond)
    p, nh = cond.parameters, cond.natural_history
    ids = df["patient_id"].to_numpy()
    clinic, freq = _schedule(plan, days)
    n, t = pts.n, days + 1
    step = _engine.DayStep(pts, p, nh)
    sens_fl, sens_drive = step.sens_lag
    hyper_fl, hyper_drive = step.hyper_lag
    adv = np.array((step.f_pain, step.f_rom, sens_fl, sens_drive, hyper_fl, hyper_drive, step.hyper_ratio))
    adv = np.append(adv, (step.f_fitness, step.f_fatigue, step.f_motor))
    P = np.array([p[k] for k in _PARAMS], dtype=float)
    home = plan.home
    h: tuple[float, ...]
    if home is not None:
        h = (home.minutes, home.intensity, model.decay(home.minutes, p["window_tau_min"]))
        h = (*h, model.decay(home.minutes, p["eih_tau_min"]))
    else:
        h = (0.0, 0.0, 1.0, 1.0)
    row_of_day = np.full(t, -1, np.int64)
    rec_days = np.arange(t) if record_days is None else np.asarray(record_days, int)
    row_of_day[rec_days] = np.arange(len(rec_days))
    r = len(rec_days)
    # buffers (r, n) as the numpy engine's recorders: the result arrays are their transposes
    values = np.empty((4, r, n))
    out_dose, out_setback, out_flare = np.zeros((r, n)), np.zeros((r, n), bool), np.zeros((r, n), bool)
    setback_count, flare_count = np.zeros(n, np.int64), np.zeros(n, np.int64)
    daily_mean, daily_m2 = np.empty((4, t)), np.empty((4, t))
    daily_setbacks, daily_flares = np.zeros(t, np.int64), np.zeros(t, np.int64)
    s0 = model.initial_state(pts)
    state = [
        s0.deficit_deg.copy(),
        s0.sensitization.copy(),
        s0.setpoint.copy(),
        *(np.zeros(n) for _ in range(4)),
        np.zeros((3, n)),
        np.zeros(n),
        np.zeros(n),
    ]
    _kernel(
        pts.deficit0_deg, pts.setpoint0, pts.strength0_pct, pts.manual_resp, pts.exercise_resp,
        pts.adherence, float(pts.rom_normal_deg), step.k_end, np.ascontiguousarray(step.d_end), adv, P,
        clinic, freq, plan.discharge_day, float(nh["setback_hazard_per_day"]), *map(float, h),
        *_session_arrays(plan.session, p), patient_keys(seed, "setback", ids),
        patient_keys(seed, "home_exercise", ids), row_of_day, values, out_dose, out_setback, out_flare,
        setback_count, flare_count, daily_mean, daily_m2, daily_setbacks, daily_flares, *state,
    )  # fmt: skip
    final = model.State(*state)
    arrays = {k: values[j].T for j, k in enumerate(OUTCOMES)}
    sd = np.sqrt(daily_m2 / (n - 1)) if n > 1 else np.full((4, t), math.nan)
    daily = _engine.DailySummary(
        day=np.arange(t),
        n=n,
        mean={k: daily_mean[j] for j, k in enumerate(OUTCOMES)},
        sd={k: sd[j] for j, k in enumerate(OUTCOMES)},
        setbacks=daily_setbacks,
        flares=daily_flares,
    )
    extra: dict[str, Any] = {}
    if record_days is not None:
        extra = {"setback_count": setback_count, "flare_count": flare_count, "daily": daily}
    return Result(
        condition=cond,
        plan=plan,
        cohort=df,
        seed=seed,
        day=rec_days,
        exercise_dose=out_dose.T,
        setback_events=out_setback.T,
        flare_events=out_flare.T,
        final_state=final,
        **arrays,
        **extra,
    )
