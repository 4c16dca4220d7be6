"""Model-v2 mechanisms (issue 12), each a small pure function of scalars or arrays.

Every function here is plain arithmetic and numpy ufuncs (``np.exp``, ``np.expm1``, ``np.sqrt``,
``np.minimum``, ``np.maximum``): no branches on values and no ``np.where``, so the same source runs
on one patient's floats (the scalar reference, a numba kernel) and on a cohort's arrays (the numpy
engine). Parameters are passed by name, units in the names. The equations and sources are in
``docs/model.md`` ("Model v2 mechanisms").

Each mechanism has a setting that leaves the v1 model's numbers exactly as they were: a lasting
manual effect of 0 (a rate or a ceiling of 0), a fluctuation SD of 0, an after-discharge adherence
decay rate of 0, and a flare ceiling ``flare_rise_allowed_nprs = -10`` with
``flare_probability_per_nprs = inf``.
"""

from __future__ import annotations

import numpy as np

# --- 1. the lasting manual-therapy pathway ---------------------------------------------------------


def lasting_after_technique(lasting_frac, drop_frac, relief_factor, responsiveness, dose_frac, ceiling_frac):
    """Lasting share of sensitization held down after one technique (0 to the course's ceiling).

    ``L <- L + (C - L) min(rate x f_relief(grade) x r_man x dose, 1)`` (model v3): each session
    closes a share of the gap between ``L`` and the ceiling ``C`` a course of care can reach
    (``manual_lasting_ceiling_frac``), so the dose response saturates with sessions and ``L`` never
    exceeds ``C`` (for ``0 <= L <= C``). After ``n`` identical sessions without decay,
    ``L = C (1 - (1 - step)^n)``. ``rate = 0`` or ``C = 0`` leaves ``L = 0`` exactly (transient effect
    only). Model v2 used ``C = 1``: a per-session share compounding toward all of the sensitization.

    Parameters
    ----------
    lasting_frac : float or array
        ``L`` before the technique (0 to ``ceiling_frac``).
    drop_frac : float
        The technique's ``<technique>_lasting_drop_frac``: share of the gap to the ceiling closed by
        one full session.
    relief_factor : float
        Grade factor of the technique's relief (``GRADE_RELIEF_FACTOR``).
    responsiveness : float or array
        The patient's manual responsiveness (multiplier, 1 = typical).
    dose_frac : float
        Saturating dose of the minutes given, ``1 - exp(-minutes / technique_saturation_min)``.
    ceiling_frac : float or array
        ``manual_lasting_ceiling_frac``: the most of the sensitization a course of care can hold down
        (0-1).
    """
    step = np.minimum(drop_frac * relief_factor * responsiveness * dose_frac, 1.0)
    return lasting_frac + (ceiling_frac - lasting_frac) * step


def lasting_decay(lasting_frac, days, lasting_tau_days):
    """``L`` after ``days`` without a technique: exact decay ``L exp(-days / tau_L)``."""
    return lasting_frac * np.exp(-days / lasting_tau_days)


# --- 2. day-to-day symptom fluctuation (Ornstein-Uhlenbeck) ----------------------------------------


def ou_step(x, z, sd, tau_days, days):
    """Exact Ornstein-Uhlenbeck step of a log pain factor over ``days``.

    ``x(t + dt) = x(t) e^(-dt/tau) + sd sqrt(1 - e^(-2 dt/tau)) z`` with ``z`` a standard normal: the
    exact transition of ``dx = -x/tau dt + sd sqrt(2/tau) dW``, whose stationary law is ``N(0, sd^2)``
    whatever ``dt``. ``sd = 0`` keeps ``x`` at 0.

    Parameters
    ----------
    x : float or array
        Log pain factor now.
    z : float or array
        Standard normal draw(s) for this step.
    sd : float
        Stationary SD of the log factor (``pain_fluctuation_sd_frac``).
    tau_days : float
        Mean-reversion time constant (``pain_fluctuation_tau_days``, > 0).
    days : float
        Step length (days).
    """
    f = np.exp(-days / tau_days)
    return x * f + sd * np.sqrt(-np.expm1(-2.0 * days / tau_days)) * z


def unit_mean_log(sd):
    """Mean of a normal log factor with SD ``sd`` whose exponential has mean 1: ``-sd^2 / 2``.

    The fluctuation process reverts to this level, so a cohort's mean pain is not raised by it.
    """
    return -0.5 * sd * sd


def fluctuation_factor(x):
    """Multiplier of expressed pain on a day: ``exp(x)`` (1 when ``x = 0``)."""
    return np.exp(x)


def expressed_pain_nprs(sensitization, relief, eih, lasting_frac, fluct_factor):
    """Pain (NPRS 0-10): ``min(10 K (1 - R)(1 - E)(1 - L) exp(x), 10)``.

    With ``L = 0`` and ``exp(x) = 1`` this is the v1 ``10 K (1 - R)(1 - E)`` bit for bit (multiplying by
    1.0 is exact and that value never exceeds 10).
    """
    return np.minimum(
        10.0 * sensitization * (1.0 - relief) * (1.0 - eih) * (1.0 - lasting_frac) * fluct_factor, 10.0
    )


# --- 3. adherence after discharge --------------------------------------------------------------------


def adherence_after_discharge_factor(days_since_discharge, decay_per_year):
    """Share of after-discharge home adherence left ``days_since_discharge`` days after discharge.

    ``exp(-rate x max(t, 0) / 365)``: 1 at discharge, then an exact exponential decline; a rate of 0
    keeps exactly 1 (the v1 model: the maintenance programme goes on at the same adherence forever).
    """
    return np.exp(-decay_per_year * np.maximum(days_since_discharge, 0.0) / 365.0)


# --- 4. flares as the pain-monitoring model says ----------------------------------------------------


def flare_excess_nprs(pain_now, effort, provocation_nprs, threshold_nprs, rise_allowed_nprs):
    """How far pain during exercise goes above what the pain-monitoring model accepts (NPRS points).

    Pain during exercise is ``p + provocation x effort``. It is acceptable up to
    ``max(threshold, p + rise_allowed)``: up to 5/10 (Silbernagel), or, for a patient already near or
    above that at rest, a rise of no more than ``rise_allowed`` points. ``rise_allowed = -10`` gives the
    v1 rule (the absolute threshold only, since ``p <= 10``).
    """
    ceiling = np.maximum(threshold_nprs, pain_now + rise_allowed_nprs)
    return np.maximum(pain_now + provocation_nprs * effort - ceiling, 0.0)


FLARE_EXPONENT_CAP = 1000.0
"""Largest ``rate x excess`` :func:`flare_probability` forms (dimensionless): ``1 - exp(-x)`` is exactly
1.0 in double precision from ``x = 38``, so no probability changes, and ``rate x excess`` no longer
overflows for a rate near the largest float (the range of ``flare_probability_per_nprs`` is
``[0, inf]``) nor makes ``inf x 0 = nan`` without excess."""

SMALLEST_FLARE_EXCESS_NPRS = 1e-305
"""Excess (NPRS points) below which :func:`flare_probability` caps the rate at
``FLARE_EXPONENT_CAP / SMALLEST_FLARE_EXCESS_NPRS = 1e308`` (a finite quotient: no division by 0)."""


def flare_probability(excess_nprs, probability_per_nprs):
    """Probability that an exercise bout with this excess flares: ``1 - exp(-rate x excess)``.

    0 without excess, rising with it; a large rate approaches the v1 rule (every excess flares).

    The rate is capped at ``FLARE_EXPONENT_CAP / excess`` before it multiplies the excess, so the
    product never overflows (a rate of 1e308 warned "overflow encountered in multiply" in the numpy
    engine) and an infinite rate without excess gives 0, not ``nan``. Where the cap acts, the exact
    product is above ``FLARE_EXPONENT_CAP`` and the probability is 1.0 with or without it, so the
    numbers are unchanged: bit for bit wherever ``rate x excess <= FLARE_EXPONENT_CAP``, and 1.0
    beyond, except for rates above 1e308 per NPRS point with an excess below 1e-305 points.

    Parameters
    ----------
    excess_nprs : float or array
        Excess pain during the bout above the acceptable ceiling (NPRS points, >= 0).
    probability_per_nprs : float or array
        ``flare_probability_per_nprs``: rate per NPRS point of excess (per NPRS point, 0 to inf).

    Returns
    -------
    float or array
        Probability of a flare (0-1).
    """
    most = FLARE_EXPONENT_CAP / np.maximum(excess_nprs, SMALLEST_FLARE_EXCESS_NPRS)
    return -np.expm1(-np.minimum(probability_per_nprs, most) * excess_nprs)


def flared_bout(excess_nprs, u, probability_per_nprs, random_flares):
    """Whether an exercise bout with this excess flares: any excess (``random_flares`` False, the v1
    rule), or with probability :func:`flare_probability` (the bout's uniform ``u`` below it)."""
    flared = excess_nprs > 0.0
    if random_flares:
        flared = flared & (u < flare_probability(excess_nprs, probability_per_nprs))
    return flared


def setpoint_after_flare(setpoint, flared, rise_frac):
    """The durable cost of a flare: the set point rises by ``rise_frac`` of its gap to 1.

    ``flared`` is 0/1 (or bool); ``rise_frac = 0`` leaves the set point exactly as it was.
    """
    return setpoint + (rise_frac * flared) * (1.0 - setpoint)
