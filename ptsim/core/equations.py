"""The model's equations, written once: small pure functions of scalars or arrays.

Both engines execute these functions. The vectorised engine (:mod:`ptsim.core.model`,
:mod:`ptsim.engine.vectorised`) calls them with arrays of all patients; the compiled engine
(:mod:`ptsim.engine.compiled`) compiles them with ``numba.njit`` and calls them with one patient's
numbers inside its loop. To make that possible every function here

- takes plain numbers or arrays and returns plain numbers or arrays (no State, no dicts);
- uses only arithmetic, comparisons and numpy ufuncs (``np.exp``, ``np.expm1``, ``np.minimum``,
  ``np.maximum``) -- no ``np.where``, ``np.asarray``, attribute access or Python branches on values;
- treats a boolean as 0/1 (``x * flag``), never as a branch.

Tissue-resolved quantities (``(3, n)`` arrays in the vectorised engine) are computed by functions of
one tissue; numpy broadcasts the per-patient arguments over the tissue axis, and the compiled engine
calls them once per tissue. Units are those of the names in ``ptsim.core.parameters``; see
``docs/model.md`` for the equations and ``docs/architecture.md`` for how to add one.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------------------------------
# decays and saturations


def decay(dt, tau):
    """Exact decay factor ``exp(-dt / tau)`` over ``dt`` (same unit as ``tau``); ``tau = inf`` gives 1."""
    return np.exp(-dt / tau)


def approach(x, target, rate, minutes, tau):
    """Exact solution of ``dx/dt = rate (target - x) - x / tau`` after ``minutes``."""
    lam = rate + 1.0 / tau
    x_inf = rate * target / lam
    return x_inf + (x - x_inf) * np.exp(-lam * minutes)


def relax(x, end, factor):
    """``x`` relaxed toward ``end`` by a decay ``factor`` (exact exponential relaxation)."""
    return end + (x - end) * factor


def lagged(x0, y0, ratio, lag_factor, drive_factor):
    """``x`` lagging ``ratio * y`` after a step, from the factors of ``model.lagged_factors``."""
    return x0 * lag_factor + ratio * y0 * drive_factor


def relaxed_sensitization(sens, setpoint, setpoint_end, lag_factor, drive_factor):
    """Sensitization a day later, relaxing toward its set point while the set point itself relaxes
    toward its untreated end ``setpoint_end``: :func:`lagged` with ratio 1, relative to the end."""
    return setpoint_end + lagged(sens - setpoint_end, setpoint - setpoint_end, 1.0, lag_factor, drive_factor)


def toward(x, ceiling, amount):
    """``x + (ceiling - x)(1 - e^-amount)``, written with expm1 so that ``amount = 0`` keeps ``x``
    exactly (a patient with no dose is untouched, whatever the others did that day)."""
    return x - (ceiling - x) * np.expm1(-amount)


# ---------------------------------------------------------------------------------------------------
# outputs


def durable_rom_deg(rom_normal_deg, deficit_total_deg):
    """Range of motion left by the tissues' durable restrictions (degrees, never below 0).

    The deficits are each at most the normal range in total, but their sum can round one step above
    it (-3e-14 deg found by the property test): the bound keeps ROM physical, not a clip of inputs.
    """
    return np.maximum(rom_normal_deg - deficit_total_deg, 0.0)


def rom_deg(durable_deg, pain, released_deg, guarding_frac_at_max_pain):
    """Range of motion (degrees): durable range less guarding, plus the transient window release."""
    return durable_deg * (1.0 - guarding_frac_at_max_pain * pain / 10.0) + released_deg


def strength_pct(strength0_pct, fitness_pct, hypertrophy_pct, fatigue_frac):
    """Strength (% of normal): baseline plus neural and structural gains, less fatigue."""
    return (strength0_pct + fitness_pct + hypertrophy_pct) * (1.0 - fatigue_frac)


def function_score(pain, rom, strength, rom_normal_deg, w_pain, w_rom, w_strength):
    """Function 0-100: weighted mean of pain relief, share of normal ROM and of normal strength.

    Strength above normal counts as normal: function does not reward being stronger than healthy.
    """
    score = (
        w_pain * (1.0 - pain / 10.0)
        + w_rom * rom / rom_normal_deg
        + w_strength * np.minimum(strength / 100.0, 1.0)
    )
    # A weighted mean of values <= 1 is <= 1, but (w x) / w can round one ulp above x (function
    # 100.00000000000001 with a single positive weight): the bound keeps the invariant exact.
    return np.minimum(100.0 * score / (w_pain + w_rom + w_strength), 100.0)


# ---------------------------------------------------------------------------------------------------
# inside a session (minutes)


def technique_window(window, window_max_frac, rom_factor, target_share, resp, rise_per_min, minutes, tau):
    """One tissue's window after a technique: it opens toward its maximum (scaled by grade and
    responsiveness, at most 1) at a rate proportional to the tissue's share of the technique."""
    w_target = np.minimum(window_max_frac * rom_factor * resp, 1.0)
    return approach(window, w_target, rise_per_min * target_share, minutes, tau)


def technique_relief(relief, relief_max_frac, relief_factor, resp, rise_per_min, minutes, tau):
    """Acute relief after a technique: rises toward its maximum while the technique runs."""
    r_target = np.minimum(relief_max_frac * relief_factor * resp, 1.0)
    return approach(relief, r_target, rise_per_min, minutes, tau)


def technique_dose_frac(minutes, saturation_min):
    """Saturating dose of a technique's minutes (0-1): ``1 - exp(-minutes / saturation_min)``."""
    return 1.0 - np.exp(-minutes / saturation_min)


def technique_sensitization(sens, pain_drop_frac, relief_factor, resp, minutes, saturation_min):
    """Sensitization after a technique: a share is removed, saturating in the technique's minutes."""
    dose = technique_dose_frac(minutes, saturation_min)
    drop = np.minimum(pain_drop_frac * relief_factor * resp * dose, 1.0)
    return sens * (1.0 - drop)


def technique_deficit(deficit, remodel_per_min, rom_factor, target_share, resp, minutes):
    """One tissue's durable deficit after a technique: remodelled a little, in proportion to its share."""
    return deficit * np.exp(-remodel_per_min * rom_factor * target_share * resp * minutes)


def lowered_setpoint(setpoint, drop_per_unit, amount):
    """The pain set point lowered durably by ``amount`` of a treatment (minutes of education, or a
    day's graded exercise dose) at ``drop_per_unit`` (share removed per unit, exponentially)."""
    return setpoint * np.exp(-drop_per_unit * amount)


def tolerance(pain, full_nprs, floor_frac):
    """Share of the prescribed exercise dose completed at ``pain`` (DESIGN M4).

    1 up to ``full_nprs``, falling linearly to ``floor_frac`` at 10/10.
    """
    slope = (1.0 - floor_frac) / np.maximum(10.0 - full_nprs, 1e-9)
    return np.minimum(np.maximum(1.0 - slope * (pain - full_nprs), floor_frac), 1.0)


def home_probability(pain, adherence, frequency, full_nprs, slope_per_nprs):
    """Probability of doing a scheduled home session today: adherence, gated by pain above
    ``full_nprs``, times the day's share of the week's home sessions."""
    excess = np.maximum(pain - full_nprs, 0.0)
    gate = np.minimum(np.maximum(1.0 - slope_per_nprs * excess, 0.0), 1.0)
    return adherence * gate * frequency


def exercise_effort(intensity, tolerance_frac, exercise_resp):
    """Effort actually given: prescribed intensity x pain tolerance x responsiveness."""
    return intensity * tolerance_frac * exercise_resp


def exercised_deficit(deficit, window, effort, dose_min, w, tau, consolidation, stretch):
    """One tissue's deficit after exercise: exercise through an open window consolidates part of the
    released range (``exp(-c * effort * integral of W dt)``, the integral being
    ``W0 tau (1 - w)`` with ``w`` the window's decay over the exercise), and any exercise stretches a
    little per effective minute. ``consolidation = 0`` turns the window hypothesis off."""
    window_integral = window * tau * (1.0 - w)
    consolidate = consolidation * effort * window_integral
    return deficit * np.exp(-consolidate - stretch * dose_min)


def exercised_eih(eih, eih_decay, dose_min, eih_max_frac, saturation_min):
    """Exercise-induced hypoalgesia after exercise: what is left plus a saturating new effect."""
    eih_left = eih * eih_decay
    eih_new = (eih_max_frac - eih_left) * (1.0 - np.exp(-dose_min / saturation_min))
    return eih_left + np.maximum(eih_new, 0.0)


def flared_sensitization(sens, excess, flared, gain_per_nprs):
    """Sensitization after exercise: a flare (``flared`` = 1) adds a share of the gap to 1."""
    return jump_toward_one(sens, np.minimum(gain_per_nprs * excess, 1.0) * flared)


# ---------------------------------------------------------------------------------------------------
# end of a day with exercise; setbacks


def saturated_dose(dose_min, saturation_min):
    """A day's effective exercise minutes with diminishing returns (at most ``saturation_min``)."""
    return saturation_min * (1.0 - np.exp(-dose_min / saturation_min))


def graded_dose(u, flared):
    """The dose that lowers the pain set point: a day that flared counts half."""
    return u * (1.0 - 0.5 * flared)


def setback_exponent(gained_pct, motor, strength_coef_per_pct, motor_coef):
    """Log of the setback hazard relative to the base: falls with strength gained and motor control."""
    return -strength_coef_per_pct * gained_pct - motor_coef * motor


def setback_hazard(base_per_day, exponent):
    """Daily setback hazard from the base hazard and :func:`setback_exponent` (per day)."""
    return base_per_day * np.exp(exponent)


def setback_probability(base_per_day, exponent):
    """Probability of a setback today: ``1 - exp(-hazard)``."""
    return -np.expm1(-setback_hazard(base_per_day, exponent))


def jump_toward_one(x, share):
    """``x`` raised by ``share`` of its gap to 1 (a setback's or a flare's sensitization)."""
    return x + share * (1.0 - x)


def lose_gains(x, baseline, share):
    """A share of the durable gain ``baseline - x`` lost again (never beyond the baseline)."""
    return x + share * np.maximum(baseline - x, 0.0)
