"""A straightforward per-patient Python implementation of the ptsim model (the benchmark's baseline).

Scalar ``math`` arithmetic on one patient at a time, written from ``docs/model.md`` and
``ptsim/core/model.py`` without numpy in the dynamics: it is what the model costs without
vectorisation, and an independent check of the engine (``tests/test_performance.py`` shows the two
agree to 1e-9 on a small cohort). The random numbers are the engine's counter-based SplitMix64 draws,
recomputed here with Python integers.

Loops run day by day and, inside a day, patient by patient (the patients are independent: in the
model a patient who does not exercise is left exactly as they were, whatever the others do).
"""

from __future__ import annotations

import math
import statistics

from ptsim.core.parameters import GRADE_RELIEF_FACTOR, GRADE_ROM_FACTOR, TECHNIQUE_TARGETS, TISSUES
from ptsim.core.streams import STREAMS
from ptsim.inputs.cohort import to_patients
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import get_plan

_MASK = (1 << 64) - 1
_GOLDEN, _M1, _M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _splitmix64(x: int) -> int:
    z = (x + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def uniform(seed: int, stream: str, patient_id: int, day: int) -> float:
    """The engine's uniform for (seed, stream, patient, day), in pure Python."""
    key = _splitmix64((seed * 1_000_003 + STREAMS[stream]) & _MASK)
    h = _splitmix64(patient_id ^ key)
    h = _splitmix64(h ^ ((day * _M1) & _MASK))
    return ((h >> 11) + 0.5) * (1.0 / 9007199254740992.0)


def std_normal(seed: int, stream: str, patient_id: int, day: int) -> float:
    """The engine's standard normal: the inverse normal CDF of :func:`uniform` (standard library)."""
    return _NORMAL.inv_cdf(uniform(seed, stream, patient_id, day))


_NORMAL = statistics.NormalDist()


class Patient:
    """One patient's constants and state (scalars; tissue lists in the order of ``TISSUES``)."""

    def __init__(
        self, pid, deficit0, setpoint0, strength0, manual_resp, exercise_resp, adherence, courses=(1.0, 1.0)
    ):
        self.pid = pid
        self.deficit0, self.setpoint0, self.strength0 = list(deficit0), setpoint0, strength0
        self.manual_resp, self.exercise_resp, self.adherence = manual_resp, exercise_resp, adherence
        self.pain_course, self.rom_course = courses
        self.deficit = list(deficit0)
        self.sens = self.setpoint = setpoint0
        self.fitness = self.fatigue = self.hyper = self.motor = 0.0
        self.window = [0.0, 0.0, 0.0]
        self.relief = self.eih = 0.0
        self.lasting = self.fluct = 0.0  # model v2: lasting manual effect, log pain fluctuation
        self.engagement = 1.0  # model v3: share of home adherence still engaged

    # outputs ---------------------------------------------------------------------------------------
    def pain(self):
        raw = 10.0 * self.sens * (1.0 - self.relief) * (1.0 - self.eih) * (1.0 - self.lasting)
        return min(raw * math.exp(self.fluct), 10.0)

    def rom(self, p, normal):
        durable = normal - sum(self.deficit)
        guarding = p["guarding_frac_at_max_pain"] * self.pain() / 10.0
        return durable * (1.0 - guarding) + sum(w * x for w, x in zip(self.window, self.deficit, strict=True))

    def strength(self):
        return (self.strength0 + self.fitness + self.hyper) * (1.0 - self.fatigue)


def function_score(pain, rom, strength, normal, p):
    w_pain, w_rom, w_str = (p[f"function_weight_{k}"] for k in ("pain", "rom", "strength"))
    score = w_pain * (1.0 - pain / 10.0) + w_rom * rom / normal + w_str * min(strength / 100.0, 1.0)
    return 100.0 * score / (w_pain + w_rom + w_str)


# inside a session ----------------------------------------------------------------------------------
def _approach(x, target, rate, minutes, tau):
    lam = rate + 1.0 / tau
    x_inf = rate * target / lam
    return x_inf + (x - x_inf) * math.exp(-lam * minutes)


def pass_minutes(pt, minutes, p):
    w = math.exp(-minutes / p["window_tau_min"])
    pt.window = [x * w for x in pt.window]
    pt.relief *= w
    pt.eih *= math.exp(-minutes / p["eih_tau_min"])


def technique(pt, p, name, minutes, grade):
    targets = [TECHNIQUE_TARGETS[name][t] for t in TISSUES]
    rom_f, relief_f = GRADE_ROM_FACTOR[grade - 1], GRADE_RELIEF_FACTOR[grade - 1]
    resp, rise, tau = pt.manual_resp, p["window_rise_per_min"], p["window_tau_min"]
    w_target = min(p[f"{name}_window_max_frac"] * rom_f * resp, 1.0)
    pt.window = [
        _approach(w, w_target, rise * g, minutes, tau) for w, g in zip(pt.window, targets, strict=True)
    ]
    r_target = min(p[f"{name}_relief_max_frac"] * relief_f * resp, 1.0)
    pt.relief = _approach(pt.relief, r_target, rise, minutes, tau)
    dose = 1.0 - math.exp(-minutes / p["technique_saturation_min"])
    drop = min(p[f"{name}_pain_drop_frac"] * relief_f * resp * dose, 1.0)
    pt.eih *= math.exp(-minutes / p["eih_tau_min"])
    pt.sens *= 1.0 - drop
    step = min(p[f"{name}_lasting_drop_frac"] * relief_f * resp * dose, 1.0)
    pt.lasting = pt.lasting + (p["manual_lasting_ceiling_frac"] - pt.lasting) * step
    remodel = p[f"{name}_remodel_per_min"]
    pt.deficit = [
        x * math.exp(-remodel * rom_f * g * resp * minutes) for x, g in zip(pt.deficit, targets, strict=True)
    ]


def exercise(pt, p, minutes, intensity, flare_u=None):
    """Returns (effective dose in minutes, flared). Zero minutes change nothing (no flare either).

    ``flare_u``: the day's flare uniform (random flares), None when every excess flares."""
    pain_now = pt.pain()
    full, floor = p["tolerance_full_nprs"], p["tolerance_floor_frac"]
    slope = (1.0 - floor) / max(10.0 - full, 1e-9)
    tol = min(max(1.0 - slope * (pain_now - full), floor), 1.0)
    effort = intensity * tol * pt.exercise_resp
    dose = minutes * effort
    tau = p["window_tau_min"]
    w = math.exp(-minutes / tau)
    shrink = []
    for win in pt.window:
        consolidate = p["consolidation_per_window_min"] * effort * (win * tau * (1.0 - w))
        shrink.append(math.exp(-consolidate - p["stretch_per_dose_min"] * dose))
    pt.deficit = [x * f for x, f in zip(pt.deficit, shrink, strict=True)]
    eih_left = pt.eih * math.exp(-minutes / p["eih_tau_min"])
    eih_new = (p["eih_max_frac"] - eih_left) * (1.0 - math.exp(-dose / p["session_saturation_min"]))
    pt.eih = eih_left + max(eih_new, 0.0)
    exercise_pain = pain_now + p["exercise_provocation_nprs"] * effort * (1.0 if minutes > 0 else 0.0)
    ceiling = max(p["flare_threshold_nprs"], pain_now + p["flare_rise_allowed_nprs"])
    excess = max(exercise_pain - ceiling, 0.0)
    flared = excess > 0 and minutes > 0  # only exercise that is done can flare
    if flared and flare_u is not None:
        flared = flare_u < -math.expm1(-p["flare_probability_per_nprs"] * excess)
    jump = min(p["flare_gain_per_nprs"] * excess, 1.0) if flared else 0.0
    pt.sens = pt.sens + jump * (1.0 - pt.sens)
    pt.window = [x * w for x in pt.window]
    pt.relief *= w
    return dose, flared


def run_session(pt, p, session, flare_u=None):
    dose, flared = 0.0, False
    for c in session.components:
        if c.kind == "exercise":
            d, f = exercise(pt, p, c.minutes, c.intensity, flare_u)
            dose += d
            flared = flared or f
        elif c.kind == "education":
            pass_minutes(pt, c.minutes, p)
            pt.setpoint *= math.exp(-p["education_setpoint_drop_per_min"] * c.minutes)
        elif c.kind == "rest":
            pass_minutes(pt, c.minutes, p)
        else:
            technique(pt, p, c.kind, c.minutes, 1 if c.intensity is None else int(c.intensity))
    return dose, flared


# between sessions ----------------------------------------------------------------------------------
def adapt(pt, p, dose, flared):
    sat = p["session_saturation_min"]
    u = sat * (1.0 - math.exp(-dose / sat))
    cap = p["fitness_cap_pct"]
    # x + (ceiling - x)(1 - e^-a), with expm1 as in the model (no dose: x exactly)
    pt.fitness = pt.fitness - (cap - pt.fitness) * math.expm1(-p["fitness_gain_pct_per_dose_min"] * u / cap)
    pt.fatigue = pt.fatigue - (1.0 - pt.fatigue) * math.expm1(-p["fatigue_gain_per_dose_min"] * u)
    pt.motor = pt.motor - (1.0 - pt.motor) * math.expm1(-p["motor_gain_per_dose_min"] * u)
    graded = 0.5 * u if flared else u
    pt.setpoint *= math.exp(-p["setpoint_drop_per_dose_min"] * graded)
    if flared:
        pt.setpoint = pt.setpoint + p["flare_setpoint_rise_frac"] * (1.0 - pt.setpoint)


def _lagged(x0, y0, ratio, tau_drive, tau_lag):
    fl = math.exp(-1.0 / tau_lag)
    if math.isinf(tau_drive):
        drive = 1.0 - fl
    elif abs(tau_drive - tau_lag) > 1e-9 * tau_lag:
        drive = (math.exp(-1.0 / tau_drive) - fl) * tau_drive / (tau_drive - tau_lag)
    else:
        drive = 1.0 / tau_lag * fl
    return x0 * fl + ratio * y0 * drive


def advance_day(pt, p, nh, normal_deg):
    k_end = min(pt.setpoint0 * nh["pain_end_frac"] * pt.pain_course, 1.0)
    tau_pain = nh["pain_tau_days"]
    f_rom = math.exp(-1.0 / nh["rom_tau_days"])
    d_end = [d0 * nh["rom_deficit_end_frac"] * pt.rom_course for d0 in pt.deficit0]
    scale = min(normal_deg / max(sum(d_end), 1e-300), 1.0)  # never more deficit than the whole range
    d_end = [x * scale for x in d_end]
    pt.deficit = [e + (x - e) * f_rom for x, e in zip(pt.deficit, d_end, strict=True)]
    sens = k_end + _lagged(pt.sens - k_end, pt.setpoint - k_end, 1.0, tau_pain, p["sensitization_tau_days"])
    pt.setpoint = k_end + (pt.setpoint - k_end) * math.exp(-1.0 / tau_pain)
    pt.sens = sens
    tau_f = p["fitness_tau_days"]
    pt.hyper = _lagged(pt.hyper, pt.fitness, p["hypertrophy_ratio"], tau_f, p["hypertrophy_tau_days"])
    pt.fitness *= math.exp(-1.0 / tau_f)
    pt.fatigue *= math.exp(-1.0 / p["fatigue_tau_days"])
    pt.motor *= math.exp(-1.0 / p["motor_tau_days"])
    pt.lasting *= math.exp(-1.0 / p["manual_lasting_tau_days"])
    pt.engagement *= math.exp(-p["home_adherence_decay_per_year"] / 365.0)
    pt.window = [0.0, 0.0, 0.0]
    pt.relief = pt.eih = 0.0


def setback(pt, p):
    jump, loss = p["setback_pain_jump_frac"], p["setback_gain_loss_frac"]
    pt.sens = pt.sens + jump * (1.0 - pt.sens)
    pt.setpoint = pt.setpoint + loss * max(pt.setpoint0 - pt.setpoint, 0.0)
    pt.deficit = [x + loss * max(d0 - x, 0.0) for x, d0 in zip(pt.deficit, pt.deficit0, strict=True)]


def home_probability(pt, p, frequency):
    excess = max(pt.pain() - p["tolerance_full_nprs"], 0.0)
    gate = min(max(1.0 - p["adherence_pain_slope_per_nprs"] * excess, 0.0), 1.0)
    return pt.adherence * pt.engagement * gate * frequency


def home_day(patients, p, home, frequency, seed, day, random_flares=False):
    """A day with a scheduled home session: returns each patient's (dose, flared).

    Each patient exercises if their draw falls below their probability; the others are untouched.
    """
    out = []
    for pt in patients:
        if uniform(seed, "home_exercise", pt.pid, day) < home_probability(pt, p, frequency):
            u = uniform(seed, "flare", pt.pid, day) if random_flares else None
            out.append(exercise(pt, p, home.minutes, home.intensity, u))
        else:
            out.append((0.0, False))
    return out


# the loop ------------------------------------------------------------------------------------------
def simulate_reference(condition, plan, cohort, days: int, seed: int) -> dict:
    """Simulate ``plan`` for ``cohort`` (a cohort DataFrame); lists of per-patient trajectories.

    Returns
    -------
    dict
        ``rom, pain, strength, function, exercise_dose``: lists (one per patient) of ``days + 1``
        floats; ``setbacks``, ``flares``: lists of counts per patient.
    """
    cond = load_condition(condition)
    plan = get_plan(plan).resolve(cond)
    p, nh = cond.parameters, cond.natural_history
    arrays = to_patients(cohort, cond)
    normal = cond.rom_normal_deg
    patients = [
        Patient(
            int(pid),
            arrays.deficit0_deg[:, i].tolist(),
            float(arrays.setpoint0[i]),
            float(arrays.strength0_pct[i]),
            float(arrays.manual_resp[i]),
            float(arrays.exercise_resp[i]),
            float(arrays.adherence[i]),
            tuple(
                1.0 if f is None else float(f[i])
                for f in (arrays.pain_course_factor, arrays.rom_course_factor)
            ),
        )
        for i, pid in enumerate(cohort["patient_id"])
    ]
    sd_fluct, tau_fluct = p["pain_fluctuation_sd_frac"], p["pain_fluctuation_tau_days"]
    random_flares = math.isfinite(p["flare_probability_per_nprs"])
    decay = p["home_adherence_decay_per_year"]
    if plan.home is not None and plan.home.after_discharge_adherence_decay_per_year is not None:
        decay = plan.home.after_discharge_adherence_decay_per_year
    p = {**p, "home_adherence_decay_per_year": decay}  # engagement declines at the plan's own rate
    n = len(patients)
    out = {k: [[] for _ in range(n)] for k in ("rom", "pain", "strength", "function", "exercise_dose")}
    setbacks, flares = [0] * n, [0] * n
    discharge, home = plan.discharge_day, plan.home
    weekdays = set(plan.visit_weekdays)
    free_days = 7 - plan.sessions_per_week
    for d in range(days + 1):
        in_care = d < discharge
        clinic = in_care and d % 7 in weekdays
        freq = 0.0
        if home is not None and not clinic:
            if in_care and free_days > 0:
                freq = home.days_per_week / free_days
            elif not in_care:
                freq = home.after_discharge_days_per_week / 7 * home.after_discharge_adherence_factor
        if sd_fluct > 0:  # exact OU step; day 0 is a draw from the stationary law
            for pt in patients:
                f = math.exp(-1.0 / tau_fluct) if d > 0 else 0.0
                z = std_normal(seed, "fluctuation", pt.pid, d)
                mu = -0.5 * sd_fluct**2  # the mean log factor whose exponential has mean 1
                pt.fluct = mu + (pt.fluct - mu) * f + sd_fluct * math.sqrt(1.0 - f * f) * z
        if d > 0:
            for i, pt in enumerate(patients):
                advance_day(pt, p, nh, normal)
                if d >= discharge and nh["setback_hazard_per_day"] > 0:
                    gained = pt.strength() - pt.strength0
                    hazard = nh["setback_hazard_per_day"] * math.exp(
                        -p["setback_strength_coef_per_pct"] * gained - p["setback_motor_coef"] * pt.motor
                    )
                    if uniform(seed, "setback", pt.pid, d) < -math.expm1(-hazard):
                        setback(pt, p)
                        setbacks[i] += 1
        if clinic:
            for pt in patients:  # a visit re-engages (model v3's behaviour state)
                pt.engagement += p["visit_engagement_restore_frac"] * (1.0 - pt.engagement)
            day = [
                run_session(pt, p, plan.session, uniform(seed, "flare", pt.pid, d) if random_flares else None)
                for pt in patients
            ]
        elif freq > 0:
            day = home_day(patients, p, home, freq, seed, d, random_flares)
        else:
            day = [(0.0, False)] * n
        for i, (pt, (dose, flared)) in enumerate(zip(patients, day, strict=True)):
            if dose > 0 or flared:  # a flare costs its set-point rise even at zero effective dose
                adapt(pt, p, dose, flared)
            flares[i] += flared
            pass_minutes(pt, math.inf, p)
            pain, rom, strength = pt.pain(), pt.rom(p, normal), pt.strength()
            out["pain"][i].append(pain)
            out["rom"][i].append(rom)
            out["strength"][i].append(strength)
            out["function"][i].append(function_score(pain, rom, strength, normal, p))
            out["exercise_dose"][i].append(dose)
    out["setbacks"], out["flares"] = setbacks, flares
    return out
