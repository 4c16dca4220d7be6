"""The compiled engine (Numba): the whole daily loop of a fixed plan in one kernel.

Why it exists: the numpy engine runs each model equation as a separate pass over all patients, so a
day costs ~150 array operations; the kernel does the same arithmetic per patient in registers, about
10x faster (``docs/performance.md``). It is the default engine (``engine="auto"``).

The arithmetic is not written here: the kernel calls the functions of :mod:`ptsim.core.equations`
and :mod:`ptsim.core.mechanisms_v2` (the same functions the numpy engine runs over arrays), compiled
for one patient's numbers, and the counter-based random numbers of :mod:`ptsim.core.streams`: the
uniforms of the setback, home-exercise and flare streams (:func:`~ptsim.core.streams.mix64`, per
patient and day) and the fluctuation stream's normals (computed by :func:`run` for all days). What
this module adds is the order of the day (the same order as :func:`ptsim.engine.vectorised.run`), per
patient.
Parameters reach the kernel by name: :class:`KernelParams` and :class:`SessionTable` are
namedtuples of arrays, one value per patient, so per-patient parameter arrays (the batches of
``ptsim.analysis.sensitivity``) run here too.

Results agree with the numpy engine to ~1e-15 relative: the only difference is the last bit of
``exp`` (numpy's and LLVM's may round differently); tests/test_performance.py checks 1e-12 and
identical events. Adaptive plans (policies decide sessions in Python each day) are not run here:
``engine="auto"`` runs them on the numpy engine and says so in ``Result.engine_note``.

Without numba (or with ``NUMBA_DISABLE_JIT=1``) the same kernel runs as plain Python
(:func:`kernels` with ``compiled=False``): slow, but the same code, which the tests use to check the
kernel where numba is missing.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import types
from collections import namedtuple
from pathlib import Path
from typing import Any

import numpy as np

from ptsim.core import equations, mechanisms_v2, model
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
    rom_deg,
    saturated_dose,
    setback_exponent,
    setback_probability,
    strength_pct,
    technique_deficit,
    technique_relief,
    technique_sensitization,
    technique_window,
    tolerance,
    toward,
)
from ptsim.core.mechanisms_v2 import (
    adherence_after_discharge_factor,
    expressed_pain_nprs,
    flare_excess_nprs,
    flare_probability,
    fluctuation_factor,
    lasting_after_technique,
    ou_step,
    setpoint_after_flare,
    unit_mean_log,
)
from ptsim.core.parameters import (
    GRADE_RELIEF_FACTOR,
    GRADE_ROM_FACTOR,
    PARAMETERS,
    TECHNIQUE_TARGETS,
    TECHNIQUES,
    TISSUES,
)
from ptsim.core.streams import _M1, mix64, patient_keys, unit_from_bits
from ptsim.engine.result import OUTCOMES, DailySummary, Result
from ptsim.engine.setup import POLICY_NOTE, schedule
from ptsim.engine.vectorised import DailyDraws
from ptsim.inputs.cohort import to_patients

try:
    import numba
except ImportError:  # pragma: no cover - depends on the environment
    numba = None  # type: ignore[assignment]  # numba is optional: AVAILABLE says whether it loaded

AVAILABLE = numba is not None

_TECHNIQUE_FIELDS = (
    "window_max_frac",
    "relief_max_frac",
    "pain_drop_frac",
    "remodel_per_min",
    "lasting_drop_frac",
)
_DAY_FACTORS = tuple(k for k in model.DayFactors.__dataclass_fields__ if not k.endswith(("_end", "_deg")))

# (through an Any: the fields are generated from PARAMETERS, so a type checker cannot list them)
_namedtuple: Any = namedtuple
KernelParams = _namedtuple(
    "KernelParams",
    dict.fromkeys(
        [n for n in PARAMETERS if not n.startswith(TECHNIQUES)]
        + ["setback_hazard_per_day", "setback_base_probability", *_DAY_FACTORS]
    ),
)
"""Model-wide parameters, the base setback hazard (and its daily probability) and the one-day factors
(``model.DayFactors``), by name; each an ``(n,)`` array (one value per patient: a per-patient array
or a repeated scalar)."""

SessionTable = _namedtuple(
    "SessionTable",
    [
        "kind",
        "minutes",
        "intensity",
        "rom_factor",
        "relief_factor",
        "target_share",
        "window_decay",
        "eih_decay",
        *_TECHNIQUE_FIELDS,
    ],
)
"""A clinic session's components in order: ``kind`` (EXERCISE, EDUCATION, REST, TECHNIQUE),
``minutes``, ``intensity`` (exercise effort), the grade's ``rom_factor`` and ``relief_factor``,
``target_share`` ``(k, 3)`` (share of each tissue), the decay of the window and of hypoalgesia over
each component ``(k, n)`` (``equations.decay``, once per run, not per patient-day), and the
technique's parameters ``(k, n)``."""

EXERCISE, EDUCATION, REST, TECHNIQUE = 0, 1, 2, 3


def _pain(i, sens, relief, eih, lasting, fluct):
    """``model.pain_nprs`` of patient ``i`` (NPRS 0-10): the expressed pain of the day."""
    return expressed_pain_nprs(sens[i], relief[i], eih[i], lasting[i], fluctuation_factor(fluct[i]))


def _exercise(
    i, m, intensity, w, w_eih, P, deficit, sens, window, relief, eih, lasting, fluct, exercise_resp,
    flare_u, random_flares,
):  # fmt: skip
    """``model.exercise`` for patient ``i`` (``w``, ``w_eih``: the window's and the hypoalgesia's decay
    over the ``m`` minutes; ``flare_u``: the patient's flare uniform of the day, used when
    ``random_flares``): updates the state in place, returns (dose, flared)."""
    if m == 0.0:
        # Zero minutes leave the patient exactly as they are (every factor is 1; no flare).
        return 0.0, False
    pain_now = _pain(i, sens, relief, eih, lasting, fluct)
    tol = tolerance(pain_now, P.tolerance_full_nprs[i], P.tolerance_floor_frac[i])
    effort = exercise_effort(intensity, tol, exercise_resp[i])
    dose = m * effort
    tau = P.window_tau_min[i]
    for j in range(3):
        deficit[j, i] = exercised_deficit(
            deficit[j, i],
            window[j, i],
            effort,
            dose,
            w,
            tau,
            P.consolidation_per_window_min[i],
            P.stretch_per_dose_min[i],
        )
    eih[i] = exercised_eih(eih[i], w_eih, dose, P.eih_max_frac[i], P.session_saturation_min[i])
    excess = flare_excess_nprs(
        pain_now,
        effort,
        P.exercise_provocation_nprs[i],
        P.flare_threshold_nprs[i],
        P.flare_rise_allowed_nprs[i],
    )
    flared = excess > 0.0
    if flared and random_flares:
        flared = flare_u < flare_probability(excess, P.flare_probability_per_nprs[i])
    sens[i] = flared_sensitization(sens[i], excess, flared, P.flare_gain_per_nprs[i])
    for j in range(3):
        window[j, i] = window[j, i] * w
    relief[i] = relief[i] * w
    return dose, flared


def _session(
    i, S, P, deficit, sens, setpoint, window, relief, eih, lasting, fluct, manual_resp, exercise_resp,
    flare_u, random_flares,
):  # fmt: skip
    """``vectorised.run_session`` for patient ``i``: the components in order; returns (dose, flared)."""
    dose = 0.0
    flared = False
    tau = P.window_tau_min[i]
    rise = P.window_rise_per_min[i]
    for c in range(S.kind.shape[0]):
        k = S.kind[c]
        m = S.minutes[c]
        if k == EXERCISE:
            w, w_eih = S.window_decay[c, i], S.eih_decay[c, i]
            dd, ff = _exercise(
                i, m, S.intensity[c], w, w_eih, P, deficit, sens, window, relief, eih, lasting, fluct,
                exercise_resp, flare_u, random_flares,
            )  # fmt: skip
            dose = dose + dd
            flared = flared or ff
        elif k == TECHNIQUE:
            resp = manual_resp[i]
            for j in range(3):
                window[j, i] = technique_window(
                    window[j, i],
                    S.window_max_frac[c, i],
                    S.rom_factor[c],
                    S.target_share[c, j],
                    resp,
                    rise,
                    m,
                    tau,
                )
            relief[i] = technique_relief(
                relief[i], S.relief_max_frac[c, i], S.relief_factor[c], resp, rise, m, tau
            )
            eih[i] = eih[i] * S.eih_decay[c, i]
            lasting[i] = lasting_after_technique(
                lasting[i],
                S.lasting_drop_frac[c, i],
                S.relief_factor[c],
                resp,
                1.0 - np.exp(-m / P.technique_saturation_min[i]),
                P.manual_lasting_ceiling_frac[i],
            )
            sens[i] = technique_sensitization(
                sens[i], S.pain_drop_frac[c, i], S.relief_factor[c], resp, m, P.technique_saturation_min[i]
            )
            for j in range(3):
                deficit[j, i] = technique_deficit(
                    deficit[j, i], S.remodel_per_min[c, i], S.rom_factor[c], S.target_share[c, j], resp, m
                )
        else:  # education or rest: model.pass_minutes (and education's set point)
            w = S.window_decay[c, i]
            for j in range(3):
                window[j, i] = window[j, i] * w
            relief[i] = relief[i] * w
            eih[i] = eih[i] * S.eih_decay[c, i]
            if k == EDUCATION:
                setpoint[i] = lowered_setpoint(setpoint[i], P.education_setpoint_drop_per_min[i], m)
    return dose, flared


def _uniform(key, day):
    """``streams.uniforms_from_keys`` for one key and day."""
    h = mix64(key ^ (np.uint64(day) * _M1))
    return unit_from_bits(float(h >> np.uint64(11)))


def _kernel(
    deficit0, setpoint0, strength0, manual_resp, exercise_resp, adherence, rom_normal, k_end, d_end, P, S,
    clinic, freq, discharge, home_minutes, home_intensity, home_w, home_weih, keys_setback, keys_home,
    adherence_decay, keys_flare, random_flares, normals, fluctuating, row_of_day,
    out_values, out_dose, out_setback, out_flare, setback_count, flare_count,
    daily_mean, daily_m2, daily_setbacks, daily_flares,
    deficit, sens, setpoint, fitness, fatigue, hyper, motor, window, relief, eih, lasting, fluct,
):  # fmt: skip
    """One plan for all patients: loop over days, and inside a day over patients (patients are
    independent: a patient who does not exercise is left exactly as they were, even on a day others
    train). The order of a day is that of ``vectorised.run``. State arrays are updated in place.

    The model-v2 random numbers come from the engine's streams: ``normals`` ``(days + 1, n)`` are the
    ``fluctuation`` stream's standard normals (used when ``fluctuating``), the ``flare`` stream's
    uniforms are drawn here from ``keys_flare`` (when ``random_flares``)."""
    n = setpoint0.shape[0]
    t = clinic.shape[0]
    dose = np.zeros(n)
    flared = np.zeros(n, dtype=np.bool_)
    hit = np.zeros(n, dtype=np.bool_)
    outs = np.empty((4, n))
    for d in range(t):
        hit[:] = False
        if fluctuating:
            # model.fluctuate; day 0 draws from the stationary law (an OU step of infinite length)
            step_days = 1.0 if d > 0 else np.inf
            for i in range(n):
                sd = P.pain_fluctuation_sd_frac[i]
                mu = unit_mean_log(sd)
                fluct[i] = mu + ou_step(
                    fluct[i] - mu, normals[d, i], sd, P.pain_fluctuation_tau_days[i], step_days
                )
        if d > 0:
            setback_day = d >= discharge
            for i in range(n):
                # model.advance with the one-day factors (the fast variables are gone)
                sp_rel = setpoint[i] - k_end[i]
                for j in range(3):
                    deficit[j, i] = relax(deficit[j, i], d_end[j, i], P.rom[i])
                sens[i] = k_end[i] + lagged(
                    sens[i] - k_end[i], sp_rel, 1.0, P.sensitization_lag[i], P.sensitization_drive[i]
                )
                setpoint[i] = relax(setpoint[i], k_end[i], P.pain[i])
                hyper[i] = lagged(
                    hyper[i], fitness[i], P.hypertrophy_ratio[i], P.hypertrophy_lag[i], P.hypertrophy_drive[i]
                )
                fitness[i] = fitness[i] * P.fitness[i]
                fatigue[i] = fatigue[i] * P.fatigue[i]
                motor[i] = motor[i] * P.motor[i]
                for j in range(3):
                    window[j, i] = 0.0
                relief[i] = 0.0
                eih[i] = 0.0
                lasting[i] = lasting[i] * P.lasting[i]
                base = P.setback_hazard_per_day[i]
                if setback_day and base > 0.0:
                    u = _uniform(keys_setback[i], d)
                    gained = strength_pct(strength0[i], fitness[i], hyper[i], fatigue[i]) - strength0[i]
                    x = setback_exponent(
                        gained, motor[i], P.setback_strength_coef_per_pct[i], P.setback_motor_coef[i]
                    )
                    # With x <= 0 the probability is at most the base day's, so a draw at or above
                    # it cannot hit: skip the exponentials of the general case (most days).
                    if x <= 0.0 and u >= P.setback_base_probability[i]:
                        continue
                    if u < setback_probability(base, x):
                        hit[i] = True
                        loss = P.setback_gain_loss_frac[i]
                        sens[i] = jump_toward_one(sens[i], P.setback_pain_jump_frac[i])
                        setpoint[i] = lose_gains(setpoint[i], setpoint0[i], loss)
                        for j in range(3):
                            deficit[j, i] = lose_gains(deficit[j, i], deficit0[j, i], loss)
        dose[:] = 0.0
        flared[:] = False
        if clinic[d]:
            for i in range(n):
                flare_u = _uniform(keys_flare[i], d) if random_flares else 0.0
                dose[i], flared[i] = _session(
                    i, S, P, deficit, sens, setpoint, window, relief, eih, lasting, fluct, manual_resp,
                    exercise_resp, flare_u, random_flares,
                )  # fmt: skip
        elif freq[d] > 0:
            for i in range(n):
                frequency = freq[d]
                if d >= discharge:  # adherence to the maintenance programme declines (v2; 0 = held)
                    frequency = frequency * adherence_after_discharge_factor(
                        float(d - discharge), adherence_decay[i]
                    )
                prob = home_probability(
                    _pain(i, sens, relief, eih, lasting, fluct),
                    adherence[i],
                    frequency,
                    P.tolerance_full_nprs[i],
                    P.adherence_pain_slope_per_nprs[i],
                )
                if _uniform(keys_home[i], d) < prob:
                    flare_u = _uniform(keys_flare[i], d) if random_flares else 0.0
                    dose[i], flared[i] = _exercise(
                        i, home_minutes, home_intensity, home_w[i], home_weih[i], P, deficit, sens, window,
                        relief, eih, lasting, fluct, exercise_resp, flare_u, random_flares,
                    )  # fmt: skip
        row = row_of_day[d]
        n_flared = 0
        n_hit = 0
        for i in range(n):
            if dose[i] != 0.0 or flared[i]:
                # model.adapt (at zero dose and no flare it leaves the patient exactly as they are)
                u = saturated_dose(dose[i], P.session_saturation_min[i])
                cap = P.fitness_cap_pct[i]
                fitness[i] = toward(fitness[i], cap, P.fitness_gain_pct_per_dose_min[i] * u / cap)
                fatigue[i] = toward(fatigue[i], 1.0, P.fatigue_gain_per_dose_min[i] * u)
                motor[i] = toward(motor[i], 1.0, P.motor_gain_per_dose_min[i] * u)
                setpoint[i] = setpoint_after_flare(
                    lowered_setpoint(setpoint[i], P.setpoint_drop_per_dose_min[i], graded_dose(u, flared[i])),
                    flared[i],
                    P.flare_setpoint_rise_frac[i],
                )
            # end of day: the fast variables are gone; outputs (as vectorised.DayStep.outputs)
            for j in range(3):
                window[j, i] = 0.0
            relief[i] = 0.0
            eih[i] = 0.0
            pain = expressed_pain_nprs(sens[i], 0.0, 0.0, lasting[i], fluctuation_factor(fluct[i]))
            durable = durable_rom_deg(rom_normal, deficit[0, i] + deficit[1, i] + deficit[2, i])
            rom = rom_deg(durable, pain, 0.0, P.guarding_frac_at_max_pain[i])
            strength = strength_pct(strength0[i], fitness[i], hyper[i], fatigue[i])
            outs[0, i] = rom
            outs[1, i] = pain
            outs[2, i] = strength
            outs[3, i] = function_score(
                pain,
                rom,
                strength,
                rom_normal,
                P.function_weight_pain[i],
                P.function_weight_rom[i],
                P.function_weight_strength[i],
            )
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


# The functions the kernel calls, by the names it calls them: the equations and streams' mixers, and
# this module's helpers. ``kernels`` binds them all in one namespace and compiles them together.
_EQUATIONS: dict[str, Any] = {
    name: f
    for module in (equations, mechanisms_v2)
    for name, f in vars(module).items()
    if isinstance(f, types.FunctionType) and f.__module__ == module.__name__
}
_HELPERS: dict[str, Any] = {
    "mix64": mix64,
    "unit_from_bits": unit_from_bits,
    "_pain": _pain,
    "_exercise": _exercise,
    "_session": _session,
    "_uniform": _uniform,
    "_kernel": _kernel,
}
_BUILT: dict[bool, types.SimpleNamespace] = {}


def source_key(functions) -> str:
    """sha256 of the contents of every source file that defines one of ``functions``: the key of the
    compiled kernel's disk cache, so that an edit to any file the kernel executes recompiles it."""
    files = sorted({inspect.getsourcefile(f) or f.__code__.co_filename for f in functions})
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


def _source_keyed_cache(dispatcher, key: str) -> None:
    """Give a numba dispatcher a disk cache whose index key also holds ``key`` (:func:`source_key`).

    numba's own cache (``cache=True``) is keyed on the file that defines the function (its time stamp)
    and on that function's bytecode, not on the functions it calls: a kernel whose file is unchanged
    would load its old compiled code, callees included, after an equation changed. Adding the contents
    of every file the kernel executes to the key makes any such change a cache miss (a recompile).
    """
    from numba.core.caching import FunctionCache

    if not hasattr(dispatcher, "py_func"):  # NUMBA_DISABLE_JIT=1: njit returned the plain function
        return

    class SourceKeyedCache(FunctionCache):
        def _index_key(self, sig, codegen):
            return (*super()._index_key(sig, codegen), key)

    dispatcher._cache = SourceKeyedCache(dispatcher.py_func)


def kernels(compiled: bool = True) -> types.SimpleNamespace:
    """The kernel and its helpers, compiled with numba (``compiled=True``) or as plain Python.

    Every function is rebound to a copy of its module's globals in which the names of the kernel's
    functions are the compiled (or plain) versions, so the compiled kernel calls the compiled
    equations. Compiled functions are cached on disk, keyed on the contents of every source file the
    kernel executes (:func:`source_key`): a new process loads them instead of compiling, and any edit
    to those files compiles again (see ``docs/performance.md``).
    """
    if compiled and not AVAILABLE:
        raise ValueError("engine='numba' needs the numba package: pip install numba (or engine='numpy')")
    if compiled not in _BUILT:
        functions = {**_EQUATIONS, **_HELPERS}
        key = source_key(functions.values())
        # one copy of each source module's globals, in which every kernel function's name is then
        # replaced by its compiled (or plain) version
        spaces = {f.__module__: dict(f.__globals__) for f in functions.values()}

        def jit(name, f):
            if not compiled:
                return f
            # The day's helpers take the parameter tables (namedtuples of ~60 arrays) by value:
            # inlined into the kernel, they cost nothing; called, each call would copy the tables.
            if name in ("_pain", "_exercise", "_session"):
                dispatcher = numba.njit(error_model="numpy", inline="always")(f)
            else:
                dispatcher = numba.njit(error_model="numpy")(f)
            _source_keyed_cache(dispatcher, key)
            return dispatcher

        built = {
            name: jit(
                name,
                types.FunctionType(f.__code__, spaces[f.__module__], name, f.__defaults__, f.__closure__),
            )
            for name, f in functions.items()
        }
        for space in spaces.values():
            space.update(built)
        _BUILT[compiled] = types.SimpleNamespace(**built)
    return _BUILT[compiled]


def _per_patient(value, n: int) -> np.ndarray:
    """``(n,)`` float array of a parameter: a per-patient array as it is, a scalar repeated."""
    a = np.asarray(value, dtype=float)
    return np.ascontiguousarray(np.broadcast_to(a, (n,)))


def kernel_params(cond, pts: model.Patients) -> Any:  # a KernelParams
    """The parameters the kernel reads, by name (see :class:`KernelParams`)."""
    p, nh, n = cond.parameters, cond.natural_history, pts.n
    f = vars(model.day_factors(pts, p, nh, 1.0))
    base = nh["setback_hazard_per_day"]
    values = {
        **p,
        "setback_hazard_per_day": base,
        "setback_base_probability": equations.setback_probability(base, 0.0),
        **f,
    }
    return KernelParams(**{k: _per_patient(values[k], n) for k in KernelParams._fields})


def session_table(session, p: dict, n: int) -> Any:  # a SessionTable
    """A resolved session's components as arrays, by name (see :class:`SessionTable`)."""
    comps = session.components
    k = len(comps)
    kind = np.zeros(k, np.int64)
    minutes, intensity = np.zeros(k), np.zeros(k)
    rom_f, relief_f = np.ones(k), np.ones(k)
    target = np.zeros((k, 3))
    tech = {f: np.zeros((k, n)) for f in _TECHNIQUE_FIELDS}
    w, w_eih = np.ones((k, n)), np.ones((k, n))
    for c, comp in enumerate(comps):
        minutes[c] = comp.minutes
        w[c] = equations.decay(comp.minutes, _per_patient(p["window_tau_min"], n))
        w_eih[c] = equations.decay(comp.minutes, _per_patient(p["eih_tau_min"], n))
        if comp.kind == "exercise":
            kind[c], intensity[c] = EXERCISE, comp.intensity
        elif comp.kind in ("education", "rest"):
            kind[c] = EDUCATION if comp.kind == "education" else REST
        elif comp.kind == "manual_therapy":
            raise ValueError("the compiled engine needs a resolved plan (Plan.resolve(condition))")
        else:
            grade = 1 if comp.intensity is None else int(comp.intensity)
            kind[c] = TECHNIQUE
            rom_f[c], relief_f[c] = GRADE_ROM_FACTOR[grade - 1], GRADE_RELIEF_FACTOR[grade - 1]
            target[c] = [TECHNIQUE_TARGETS[comp.kind][x] for x in TISSUES]
            for f in _TECHNIQUE_FIELDS:
                tech[f][c] = _per_patient(p[f"{comp.kind}_{f}"], n)
    return SessionTable(kind, minutes, intensity, rom_f, relief_f, target, w, w_eih, **tech)


def unsupported(cond, policy=None) -> str | None:
    """Why the kernel cannot run this case (None when it can): adaptive plans run on numpy only."""
    if policy is not None:
        return f"an adaptive plan: {POLICY_NOTE}"
    return None


def run(cond, plan, df, days: int, seed: int, policy=None, record_days=None, draws=None, compiled=True):
    """Same contract as :func:`ptsim.engine.vectorised.run`; ``compiled=False`` runs the kernel as plain
    Python. The kernel draws its uniforms from the patients' keys; of ``draws`` (the streams a
    comparison shares, :func:`ptsim.engine.vectorised.cohort_draws`) it takes the fluctuation normals.

    Raises
    ------
    ValueError
        If numba is not installed (with ``compiled=True``) or for an adaptive plan (``policy``);
        ``engine="numpy"`` runs those.
    """
    why = unsupported(cond, policy)
    if why is None and len(plan.sessions) > 1:  # the kernel holds one session table
        why = f"plan {plan.name!r} with {len(plan.sessions)} different sessions (its schedule's phases)"
    if why is not None:
        raise ValueError(f"engine='numba' cannot run {why}: use engine='numpy' (or 'auto')")
    k = kernels(compiled)
    pts = to_patients(df, cond)
    p = cond.parameters
    ids = df["patient_id"].to_numpy()
    clinic, freq = schedule(plan, days)
    n, t = pts.n, days + 1
    P = kernel_params(cond, pts)
    k_end, d_end = model.natural_targets(pts, cond.natural_history)
    home = plan.home
    home_minutes, home_intensity = (home.minutes, home.intensity) if home is not None else (0.0, 0.0)
    adherence_decay = p["home_adherence_decay_per_year"]
    if home is not None and home.after_discharge_adherence_decay_per_year is not None:
        adherence_decay = home.after_discharge_adherence_decay_per_year  # the plan's own setting
    # the model-v2 random streams, as the numpy engine switches them on (vectorised.run)
    fluctuating = bool(np.any(p["pain_fluctuation_sd_frac"] > 0))
    random_flares = bool(np.any(np.isfinite(p["flare_probability_per_nprs"])))
    normals = np.empty((0, n))
    if fluctuating:  # the fluctuation stream's normals of every day, shared by the plans of a comparison
        stream = draws["fluctuation"] if draws is not None else DailyDraws(seed, "fluctuation", ids, t)
        normals = stream.normal_table()
    home_w = equations.decay(float(home_minutes), P.window_tau_min)
    home_weih = equations.decay(float(home_minutes), P.eih_tau_min)
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
        np.zeros(n),
        np.zeros(n),
    ]
    # (uncompiled, the uint64 hash warns on its intended wrap-around; compiled it does not)
    with np.errstate(over="ignore"):
        k._kernel(
            pts.deficit0_deg, pts.setpoint0, pts.strength0_pct, pts.manual_resp, pts.exercise_resp,
            pts.adherence, float(pts.rom_normal_deg), _per_patient(k_end, n), np.ascontiguousarray(d_end),
            P, session_table(plan.session, p, n), clinic, freq, plan.discharge_day, float(home_minutes),
            float(home_intensity), home_w, home_weih, patient_keys(seed, "setback", ids),
            patient_keys(seed, "home_exercise", ids), _per_patient(adherence_decay, n),
            patient_keys(seed, "flare", ids), random_flares, normals, fluctuating, row_of_day, values,
            out_dose, out_setback, out_flare, setback_count, flare_count, daily_mean, daily_m2,
            daily_setbacks, daily_flares,
            *state,
        )  # fmt: skip
    names = list(model.State.__dataclass_fields__)
    final = model.State(**dict(zip(names, state, strict=True)))
    arrays = {name: values[j].T for j, name in enumerate(OUTCOMES)}
    sd = np.sqrt(daily_m2 / (n - 1)) if n > 1 else np.full((4, t), math.nan)
    extra: dict[str, Any] = {}
    if record_days is not None:
        daily = DailySummary(
            day=np.arange(t),
            n=n,
            mean={name: daily_mean[j] for j, name in enumerate(OUTCOMES)},
            sd={name: sd[j] for j, name in enumerate(OUTCOMES)},
            setbacks=daily_setbacks,
            flares=daily_flares,
        )
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
        engine="numba" if compiled else "python",
        **arrays,
        **extra,
    )
