"""State and dynamics of the ptsim model: pure numpy, vectorised over patients.

Two clocks run here. Inside a clinic session, components (techniques, exercise, education, rest) run
in order for their minutes, and the fast variables -- the technique window ``W``, acute relief ``R``
and exercise-induced hypoalgesia ``E`` -- rise and decay over minutes. Between sessions the slow
variables evolve day by day. Every decay is applied exactly (factor ``exp(-dt/tau)``); the only
non-exponential updates are saturating impulses at the end of a day with exercise. The equations are
written out in ``docs/model.md``; this module imports no plotting or widget code.

Shapes: ``n`` patients; tissue-resolved arrays are ``(3, n)`` in the order of
``ptsim.core.parameters.TISSUES``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ptsim.core import equations as eq
from ptsim.core import mechanisms_v2 as v2
from ptsim.core.streams import standard_normals
from ptsim.core.techniques import TECHNIQUE_TARGETS, TISSUES, grade_factors


@dataclass(frozen=True)
class State:
    """The model state of ``n`` patients at one moment.

    Attributes
    ----------
    deficit_deg : (3, n) array
        Durable ROM restriction of each tissue (degrees); durable ROM = normal range - total.
    sensitization, setpoint : (n,) arrays
        Nociceptive sensitization ``K`` (0-1; pain = 10 K before acute relief) and the set point
        ``K*`` it relaxes to over days.
    fitness_pct, hypertrophy_pct : (n,) arrays
        Neural (impulse-response fitness) and structural strength gains, % of normal strength.
    fatigue_frac : (n,) array
        Share of capacity held back by training fatigue (0-1).
    motor : (n,) array
        Motor control / stability learned through exercise (0-1).
    window : (3, n) array
        Transient release of each tissue's deficit after a technique (0-1; minutes).
    relief, eih : (n,) arrays
        Acute pain relief after a technique and exercise-induced hypoalgesia (0-1; minutes).
    lasting : (n,) array
        Share of sensitization held down by the lasting manual-therapy pathway (0-1; days; v2).
    fluctuation : (n,) array
        Log factor of the day's symptom fluctuation (Ornstein-Uhlenbeck; 0 = none; v2).
    engagement : (n,) array
        Behaviour state (v3): the share of the patient's home adherence still engaged (0-1; 1 at
        intake). It decays between supervised visits and after discharge and each visit restores part
        of it (``ptsim.core.day.visit`` and ``advance``).
    """

    deficit_deg: np.ndarray
    sensitization: np.ndarray
    setpoint: np.ndarray
    fitness_pct: np.ndarray
    fatigue_frac: np.ndarray
    hypertrophy_pct: np.ndarray
    motor: np.ndarray
    window: np.ndarray
    relief: np.ndarray
    eih: np.ndarray
    lasting: np.ndarray
    fluctuation: np.ndarray
    engagement: np.ndarray


@dataclass(frozen=True)
class Patients:
    """Per-patient constants of a cohort, as arrays the dynamics use.

    Attributes
    ----------
    deficit0_deg : (3, n) array
        Baseline restriction of each tissue (degrees).
    setpoint0 : (n,) array
        Baseline sensitization (baseline pain / 10).
    strength0_pct : (n,) array
        Baseline strength (% of normal).
    manual_resp, exercise_resp : (n,) arrays
        Multipliers of the response to manual therapy and to exercise (1 = typical).
    adherence : (n,) array
        Probability of doing a scheduled home session when pain does not hold the patient back.
    rom_normal_deg : float
        Normal range of the modelled movement (degrees).
    pain_course_factor, rom_course_factor : (n,) arrays, optional
        Multipliers of the condition's untreated end shares of the pain set point and the ROM
        deficit for each patient (v2: patients differ in their natural course; None = 1).
    """

    deficit0_deg: np.ndarray
    setpoint0: np.ndarray
    strength0_pct: np.ndarray
    manual_resp: np.ndarray
    exercise_resp: np.ndarray
    adherence: np.ndarray
    rom_normal_deg: float
    pain_course_factor: np.ndarray | None = None
    rom_course_factor: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.setpoint0.shape[0]


def decay(dt, tau):
    """Exact decay factor ``exp(-dt / tau)``; ``tau = inf`` gives 1."""
    return eq.decay(np.asarray(dt, dtype=float), tau)


def initial_state(pts: Patients) -> State:
    """The state at the start of care: baseline restrictions and sensitization, no training."""
    zeros = np.zeros(pts.n)
    return State(
        deficit_deg=pts.deficit0_deg.copy(),
        sensitization=pts.setpoint0.copy(),
        setpoint=pts.setpoint0.copy(),
        fitness_pct=zeros,
        fatigue_frac=zeros,
        hypertrophy_pct=zeros,
        motor=zeros,
        window=np.zeros_like(pts.deficit0_deg),
        relief=zeros,
        eih=zeros,
        lasting=zeros,
        fluctuation=zeros,
        engagement=np.ones(pts.n),
    )


# ---------------------------------------------------------------------------------------------------
# outputs (the equations are in ptsim.core.equations; these apply them to a State)


def pain_nprs(s: State) -> np.ndarray:
    """Pain on the 0-10 scale: ``min(10 K (1 - R)(1 - E)(1 - L) exp(x), 10)``.

    ``L`` is the lasting manual pathway and ``exp(x)`` the day's fluctuation (both v2); with ``L = 0``
    and ``x = 0`` this is ``10 K (1 - R)(1 - E)`` exactly.
    """
    return v2.expressed_pain_nprs(
        s.sensitization, s.relief, s.eih, s.lasting, v2.fluctuation_factor(s.fluctuation)
    )


def rom_deg(s: State, pts: Patients, p: dict) -> np.ndarray:
    """Range of motion (degrees): durable range less guarding, plus the transient window release."""
    durable = eq.durable_rom_deg(pts.rom_normal_deg, s.deficit_deg.sum(axis=0))
    released = (s.window * s.deficit_deg).sum(axis=0)
    return eq.rom_deg(durable, pain_nprs(s), released, p["guarding_frac_at_max_pain"])


def strength_pct(s: State, pts: Patients) -> np.ndarray:
    """Strength (% of normal): baseline plus neural and structural gains, less fatigue."""
    return eq.strength_pct(pts.strength0_pct, s.fitness_pct, s.hypertrophy_pct, s.fatigue_frac)


def function_score(pain, rom, strength, rom_normal_deg: float, p: dict) -> np.ndarray:
    """Function 0-100: weighted mean of pain relief, share of normal ROM and of normal strength.

    Strength above normal counts as normal: function does not reward being stronger than healthy.
    """
    w_pain, w_rom, w_str = (p[f"function_weight_{k}"] for k in ("pain", "rom", "strength"))
    return eq.function_score(pain, rom, strength, rom_normal_deg, w_pain, w_rom, w_str)


# ---------------------------------------------------------------------------------------------------
# inside a session (minutes)


def pass_minutes(s: State, minutes: float, p: dict) -> State:
    """Rest, education or any time without a technique: the fast variables decay."""
    w = decay(minutes, p["window_tau_min"])
    return replace(s, window=s.window * w, relief=s.relief * w, eih=s.eih * decay(minutes, p["eih_tau_min"]))


def technique(s: State, pts: Patients, p: dict, name: str, minutes: float, grade: int | None) -> State:
    """Apply ``minutes`` of a hands-on technique at a Maitland ``grade`` (1-4; None for a technique the
    techniques table marks ungraded).

    The technique opens a window on the tissues it targets (a transient release of their
    remaining deficit), gives acute relief, removes part of the sensitization for days, and remodels
    its targets a little. General massage targets no tissue: relief only.
    """
    targets = np.array([TECHNIQUE_TARGETS[name][t] for t in TISSUES])[:, None]
    rom_f, relief_f = grade_factors(name, grade)
    resp = pts.manual_resp
    rise, tau = p["window_rise_per_min"], p["window_tau_min"]
    return replace(
        s,
        window=eq.technique_window(
            s.window, p[f"{name}_window_max_frac"], rom_f, targets, resp, rise, minutes, tau
        ),
        relief=eq.technique_relief(
            s.relief, p[f"{name}_relief_max_frac"], relief_f, resp, rise, minutes, tau
        ),
        eih=s.eih * decay(minutes, p["eih_tau_min"]),
        sensitization=eq.technique_sensitization(
            s.sensitization,
            p[f"{name}_pain_drop_frac"],
            relief_f,
            resp,
            minutes,
            p["technique_saturation_min"],
        ),
        deficit_deg=eq.technique_deficit(
            s.deficit_deg, p[f"{name}_remodel_per_min"], rom_f, targets, resp, minutes
        ),
        lasting=v2.lasting_after_technique(
            s.lasting,
            p[f"{name}_lasting_drop_frac"],
            relief_f,
            resp,
            eq.technique_dose_frac(minutes, p["technique_saturation_min"]),
            p["manual_lasting_ceiling_frac"],
        ),
    )


def tolerance(pain, p: dict) -> np.ndarray:
    """Share of the prescribed exercise dose completed at the current pain (DESIGN M4).

    1 up to ``tolerance_full_nprs``, falling linearly to ``tolerance_floor_frac`` at 10/10.
    """
    return eq.tolerance(pain, p["tolerance_full_nprs"], p["tolerance_floor_frac"])


def home_probability(s: State, pts: Patients, p: dict, frequency) -> np.ndarray:
    """Probability of doing a scheduled home session today: adherence, gated by pain."""
    return eq.home_probability(
        pain_nprs(s), pts.adherence, frequency, p["tolerance_full_nprs"], p["adherence_pain_slope_per_nprs"]
    )


def exercise(s: State, pts: Patients, p: dict, minutes, intensity: float, flare_u=None):
    """Apply exercise of ``minutes`` (scalar or per patient) at ``intensity`` (0-1 effort).

    ``flare_u`` (per patient, uniforms in (0, 1)) decides which bouts with an excess flare, with
    probability ``1 - exp(-flare_probability_per_nprs x excess)``; None: every excess flares (v1).

    Returns
    -------
    state : State
        After the exercise.
    dose_min : (n,) array
        Effective exercise minutes: minutes x intensity x tolerance x responsiveness.
    flared : (n,) bool array
        Whether pain during the exercise exceeded the flare threshold.

    Notes
    -----
    Exercise through an open window consolidates part of the released range (see
    :func:`ptsim.core.equations.exercised_deficit`). Only exercise that is done can flare: a patient
    with 0 minutes (e.g. skipping a home session while others do theirs) is untouched, so patients
    never depend on one another.
    """
    minutes = np.broadcast_to(np.asarray(minutes, dtype=float), (pts.n,))
    done = minutes > 0
    pain_now = pain_nprs(s)
    effort = eq.exercise_effort(intensity, tolerance(pain_now, p), pts.exercise_resp)
    dose = minutes * effort

    tau = p["window_tau_min"]
    w = decay(minutes, tau)
    deficit = eq.exercised_deficit(
        s.deficit_deg,
        s.window,
        effort,
        dose,
        w,
        tau,
        p["consolidation_per_window_min"],
        p["stretch_per_dose_min"],
    )
    eih = eq.exercised_eih(
        s.eih, decay(minutes, p["eih_tau_min"]), dose, p["eih_max_frac"], p["session_saturation_min"]
    )
    excess = v2.flare_excess_nprs(
        pain_now,
        effort * done,
        p["exercise_provocation_nprs"],
        p["flare_threshold_nprs"],
        p["flare_rise_allowed_nprs"],
    )
    flared = v2.flared_bout(excess, flare_u, p["flare_probability_per_nprs"], flare_u is not None) & done
    sens = eq.flared_sensitization(s.sensitization, excess, flared, p["flare_gain_per_nprs"])
    state = replace(
        s, deficit_deg=deficit, window=s.window * w, relief=s.relief * w, eih=eih, sensitization=sens
    )
    return state, dose, flared


def education(s: State, p: dict, minutes: float) -> State:
    """Pain education lowers the pain set point a little, durably; time passes for the window."""
    s = pass_minutes(s, minutes, p)
    return replace(s, setpoint=eq.lowered_setpoint(s.setpoint, p["education_setpoint_drop_per_min"], minutes))


# ---------------------------------------------------------------------------------------------------
# between sessions (days)


def adapt(s: State, p: dict, dose_min, flared) -> State:
    """Training adaptations to one day's effective exercise dose (saturating within the day).

    Fitness saturates toward ``fitness_cap_pct``; fatigue and motor control toward 1. The pain set
    point falls with graded exercise; a day that flared lowers it half as much.
    """
    u = eq.saturated_dose(np.asarray(dose_min), p["session_saturation_min"])
    cap = p["fitness_cap_pct"]
    return replace(
        s,
        fitness_pct=eq.toward(s.fitness_pct, cap, p["fitness_gain_pct_per_dose_min"] * u / cap),
        fatigue_frac=eq.toward(s.fatigue_frac, 1.0, p["fatigue_gain_per_dose_min"] * u),
        motor=eq.toward(s.motor, 1.0, p["motor_gain_per_dose_min"] * u),
        setpoint=v2.setpoint_after_flare(
            eq.lowered_setpoint(s.setpoint, p["setpoint_drop_per_dose_min"], eq.graded_dose(u, flared)),
            flared,
            p["flare_setpoint_rise_frac"],
        ),
    )


def natural_targets(pts: Patients, natural_history: dict):
    """End levels of the untreated course: pain set point and tissue deficits.

    With per-patient course multipliers (v2) each patient's end share is the condition's times their
    multiplier; the pain set point's end is at most 1 (maximal sensitization) and a deficit's end at
    most the whole normal range.
    """
    k_end = pts.setpoint0 * natural_history["pain_end_frac"]
    d_end = pts.deficit0_deg * natural_history["rom_deficit_end_frac"]
    if pts.pain_course_factor is not None:
        k_end = np.minimum(k_end * pts.pain_course_factor, 1.0)
    if pts.rom_course_factor is not None:
        d_end = d_end * pts.rom_course_factor
        total = d_end.sum(axis=0)
        d_end = d_end * np.minimum(pts.rom_normal_deg / np.maximum(total, 1e-300), 1.0)
    return k_end, d_end


def lagged_factors(tau_drive: float | np.ndarray, tau_lag: float | np.ndarray, days: float):
    """The two factors of :func:`lagged`: ``x(days) = x0 * fl + ratio * y0 * drive``."""
    fl = decay(days, tau_lag)
    if np.ndim(tau_drive) or np.ndim(tau_lag):  # per-patient time constants (sensitivity batches)
        tau_drive, tau_lag = np.broadcast_arrays(np.asarray(tau_drive, float), np.asarray(tau_lag, float))
        inf = np.isinf(tau_drive)
        close = ~inf & (np.abs(tau_drive - tau_lag) <= 1e-9 * tau_lag)
        with np.errstate(divide="ignore", invalid="ignore"):
            general = (decay(days, tau_drive) - fl) * tau_drive / (tau_drive - tau_lag)
        drive = np.where(inf, 1.0 - fl, np.where(close, days / tau_lag * fl, general))
        return fl, drive
    if np.isinf(tau_drive):
        drive = 1.0 - fl
    elif abs(tau_drive - tau_lag) > 1e-9 * tau_lag:
        drive = (decay(days, tau_drive) - fl) * tau_drive / (tau_drive - tau_lag)
    else:
        drive = days / tau_lag * fl
    return fl, drive


def lagged(x0, y0, ratio: float, tau_drive: float, tau_lag: float, days: float):
    """Exact ``x(days)`` for ``dx/dt = (ratio * y - x) / tau_lag`` while ``y`` decays as
    ``y0 exp(-t / tau_drive)`` (``tau_drive`` may be inf: a constant drive)."""
    return eq.lagged(x0, y0, ratio, *lagged_factors(tau_drive, tau_lag, days))


@dataclass(frozen=True)
class DayFactors:
    """The decay factors of a step of ``days`` without treatment, and the untreated end levels.

    Computed once per run by the engines (:func:`day_factors`); every entry is a float or, when a
    parameter is a per-patient array (sensitivity batches), one value per patient.
    """

    setpoint_end: np.ndarray
    deficit_end_deg: np.ndarray
    pain: object
    rom: object
    sensitization_lag: object
    sensitization_drive: object
    hypertrophy_lag: object
    hypertrophy_drive: object
    hypertrophy_ratio: object
    fitness: object
    fatigue: object
    motor: object
    lasting: object
    engagement: object


def day_factors(pts: Patients, p: dict, natural_history: dict, days: float = 1.0) -> DayFactors:
    """The factors of :func:`advance` over ``days`` (see :class:`DayFactors`)."""
    nh = natural_history
    k_end, d_end = natural_targets(pts, nh)
    s_fl, s_drive = lagged_factors(nh["pain_tau_days"], p["sensitization_tau_days"], days)
    h_fl, h_drive = lagged_factors(p["fitness_tau_days"], p["hypertrophy_tau_days"], days)
    return DayFactors(
        setpoint_end=k_end,
        deficit_end_deg=d_end,
        pain=decay(days, nh["pain_tau_days"]),
        rom=decay(days, nh["rom_tau_days"]),
        sensitization_lag=s_fl,
        sensitization_drive=s_drive,
        hypertrophy_lag=h_fl,
        hypertrophy_drive=h_drive,
        hypertrophy_ratio=p["hypertrophy_ratio"],
        fitness=decay(days, p["fitness_tau_days"]),
        fatigue=decay(days, p["fatigue_tau_days"]),
        motor=decay(days, p["motor_tau_days"]),
        lasting=decay(days, p["manual_lasting_tau_days"]),
        # engagement's decline between visits (model v3's behaviour state)
        engagement=v2.adherence_after_discharge_factor(days, p["home_adherence_decay_per_year"]),
    )


def advance(s: State, f: DayFactors, window, relief, eih) -> State:
    """The slow variables after the step of ``f``; the fast ones are set to ``window, relief, eih``
    (zero: the minute-scale variables are gone by the next day)."""
    k_end = f.setpoint_end
    return State(
        deficit_deg=eq.relax(s.deficit_deg, f.deficit_end_deg, f.rom),
        sensitization=eq.relaxed_sensitization(
            s.sensitization, s.setpoint, k_end, f.sensitization_lag, f.sensitization_drive
        ),
        setpoint=eq.relax(s.setpoint, k_end, f.pain),
        fitness_pct=s.fitness_pct * f.fitness,
        fatigue_frac=s.fatigue_frac * f.fatigue,
        hypertrophy_pct=eq.lagged(
            s.hypertrophy_pct, s.fitness_pct, f.hypertrophy_ratio, f.hypertrophy_lag, f.hypertrophy_drive
        ),
        motor=s.motor * f.motor,
        window=window,
        relief=relief,
        eih=eih,
        lasting=s.lasting * f.lasting,
        # the day's fluctuation is drawn by the engine (fluctuate); unchanged here
        fluctuation=s.fluctuation,
        engagement=s.engagement * f.engagement,
    )


def fluctuate(s: State, p: dict, z, days: float = 1.0) -> State:
    """The symptom fluctuation ``days`` later, given standard normal draws ``z`` (exact OU step).

    The log factor reverts to ``-sd^2/2``, so the pain factor ``exp(x)`` has mean 1.
    """
    sd = p["pain_fluctuation_sd_frac"]
    mu = v2.unit_mean_log(sd)
    x = mu + v2.ou_step(s.fluctuation - mu, z, sd, p["pain_fluctuation_tau_days"], days)
    return replace(s, fluctuation=x)


def intake_state(pts: Patients, p: dict, seed: int, patient_ids) -> State:
    """The state before the first session: the initial state with the day-0 symptom fluctuation.

    Day 0's log factor is a draw from the stationary law (an OU step of infinite length) with each
    patient's normal of the ``fluctuation`` stream on day 0, as the engine draws it for ``seed``; with
    ``pain_fluctuation_sd_frac = 0`` this is :func:`initial_state`.
    """
    state = initial_state(pts)
    if not np.any(p["pain_fluctuation_sd_frac"] > 0):
        return state
    return fluctuate(state, p, standard_normals(seed, "fluctuation", patient_ids, 0), math.inf)


def advance_days(s: State, pts: Patients, p: dict, natural_history: dict, days: float = 1.0) -> State:
    """Evolve the slow variables over ``days`` without treatment (exact exponentials).

    Sensitization relaxes to its set point (``sensitization_tau_days``); the set point and the
    deficits follow the condition's natural history; fitness, fatigue and motor control decay;
    structural gains follow the decaying fitness with a lag (closed form of
    ``dH/dt = (r F - H) / tau_H``). The minute-scale variables are gone by the next day.
    """
    zeros = np.zeros_like(s.relief)
    return advance(s, day_factors(pts, p, natural_history, days), np.zeros_like(s.window), zeros, zeros)


def _setback_exponent(s: State, pts: Patients, p: dict):
    gained = strength_pct(s, pts) - pts.strength0_pct
    return eq.setback_exponent(gained, s.motor, p["setback_strength_coef_per_pct"], p["setback_motor_coef"])


def setback_hazard(s: State, pts: Patients, p: dict, base_per_day: float) -> np.ndarray:
    """Daily setback hazard: falls with strength gained over baseline and with motor control."""
    return eq.setback_hazard(base_per_day, _setback_exponent(s, pts, p))


def setback_probability(s: State, pts: Patients, p: dict, base_per_day: float) -> np.ndarray:
    """Probability of a setback today (``1 - exp(-hazard)``, see :func:`setback_hazard`)."""
    return eq.setback_probability(base_per_day, _setback_exponent(s, pts, p))


def setback(s: State, pts: Patients, p: dict, hit) -> State:
    """Apply a setback to the patients where ``hit`` is true.

    Sensitization jumps toward 1, and a share of the durable gains in pain set point and tissue
    deficits is lost (never beyond the baseline).
    """
    jump = p["setback_pain_jump_frac"] * hit
    loss = p["setback_gain_loss_frac"] * hit
    return replace(
        s,
        sensitization=eq.jump_toward_one(s.sensitization, jump),
        setpoint=eq.lose_gains(s.setpoint, pts.setpoint0, loss),
        deficit_deg=eq.lose_gains(s.deficit_deg, pts.deficit0_deg, loss),
    )
