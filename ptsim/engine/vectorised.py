"""Helpers that make the daily loop of ``simulate._run`` fast without changing its numbers.

Each helper is a rearrangement of functions in ``model.py`` and ``_random.py`` for the one case the
engine runs over and over -- one whole day -- and ``tests/test_performance.py`` checks it against
the general function. What they save (measured in ``benchmarks/``):

- :class:`DayStep` computes the decay factors of a one-day step and the natural-history end levels
  once per run instead of once per day, and gives the end-of-day outputs, when the minute-scale
  variables are exactly zero, without the terms that are then zero.
- :class:`DailyDraws` hashes each patient's id once per run (the patient half of the counter-based
  random numbers) and, for a small cohort, makes the whole ``(days + 1, n)`` table of a stream in
  one vectorised call that every plan of a comparison shares (same patients, same draws).
- :class:`Trajectories` records into ``(days + 1, n)`` buffers, so each day writes contiguous rows;
  the result's ``(n, days + 1)`` arrays are their transposed views (no copy).
- :class:`Recorded` keeps only chosen days plus daily means and spreads, for cohorts too big for
  full trajectories.

Nothing here changes the model: ``model.py`` stays the readable definition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ptsim.core import model
from ptsim.core.streams import patient_keys, uniforms_from_keys
from ptsim.core.vocabulary import OUTCOME_NAMES, OUTCOMES

OUTPUTS = OUTCOME_NAMES  # the order step() returns them in


def _zeros(shape, dtype=float) -> np.ndarray:
    """A read-only array of zeros: safe to share between states, which never change in place."""
    z = np.zeros(shape, dtype=dtype)
    z.flags.writeable = False
    return z


def _factor(x):
    """A one-day factor: a float when it is one number, else the per-patient array as it is."""
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


class DayStep:
    """One day of :func:`model.advance_days` with its constants computed once.

    ``advance(s)`` equals ``model.advance_days(s, pts, p, natural_history, 1.0)`` (same operations in
    the same order, so the same bits); ``end_of_day(s)`` equals ``model.pass_minutes(s, inf, p)``
    for the finite, non-negative fast variables the model produces. Parameters may be per-patient
    arrays (as :mod:`ptsim.analysis.sensitivity` runs batches of parameter sets as one cohort): the factors
    are then arrays of one value per patient, computed by the same model functions.
    """

    def __init__(self, pts: model.Patients, p: dict, natural_history: dict):
        self.pts, self.p = pts, p
        nh = natural_history
        self.k_end, self.d_end = model.natural_targets(pts, nh)
        # Scalars (float() of the 0-d arrays model.decay returns: the same numbers), or one factor
        # per patient when a parameter is a per-patient array (sensitivity batches).
        self.f_pain = _factor(model.decay(1.0, nh["pain_tau_days"]))
        self.f_rom = _factor(model.decay(1.0, nh["rom_tau_days"]))
        self.sens_lag = tuple(
            map(_factor, model.lagged_factors(nh["pain_tau_days"], p["sensitization_tau_days"], 1.0))
        )
        self.hyper_lag = tuple(
            map(_factor, model.lagged_factors(p["fitness_tau_days"], p["hypertrophy_tau_days"], 1.0))
        )
        self.hyper_ratio = p["hypertrophy_ratio"]
        self.f_fitness = _factor(model.decay(1.0, p["fitness_tau_days"]))
        self.f_fatigue = _factor(model.decay(1.0, p["fatigue_tau_days"]))
        self.f_motor = _factor(model.decay(1.0, p["motor_tau_days"]))
        self.zeros = _zeros(pts.n)
        self.zeros3 = _zeros(pts.deficit0_deg.shape)
        self.weights = tuple(p[f"function_weight_{k}"] for k in ("pain", "rom", "strength"))

    def advance(self, s: model.State) -> model.State:
        """The state a day later, without treatment (see :func:`model.advance_days`)."""
        k_end, d_end = self.k_end, self.d_end
        setpoint_rel = s.setpoint - k_end
        fl, drive = self.sens_lag
        hfl, hdrive = self.hyper_lag
        return model.State(
            deficit_deg=d_end + (s.deficit_deg - d_end) * self.f_rom,
            # (model.lagged multiplies by its ratio, 1.0 here: exact, so left out)
            sensitization=k_end + ((s.sensitization - k_end) * fl + setpoint_rel * drive),
            setpoint=k_end + setpoint_rel * self.f_pain,
            fitness_pct=s.fitness_pct * self.f_fitness,
            fatigue_frac=s.fatigue_frac * self.f_fatigue,
            hypertrophy_pct=s.hypertrophy_pct * hfl + self.hyper_ratio * s.fitness_pct * hdrive,
            motor=s.motor * self.f_motor,
            window=self.zeros3,
            relief=self.zeros,
            eih=self.zeros,
        )

    def end_of_day(self, s: model.State) -> model.State:
        """The minute-scale effects are gone: window, relief and hypoalgesia are zero."""
        return model.State(
            deficit_deg=s.deficit_deg,
            sensitization=s.sensitization,
            setpoint=s.setpoint,
            fitness_pct=s.fitness_pct,
            fatigue_frac=s.fatigue_frac,
            hypertrophy_pct=s.hypertrophy_pct,
            motor=s.motor,
            window=self.zeros3,
            relief=self.zeros,
            eih=self.zeros,
        )

    def outputs(self, s: model.State):
        """``rom, pain, strength, function`` of an end-of-day state (window, relief, eih zero).

        The same formulas as ``model.rom_deg`` etc. with the zero terms left out: pain is ``10 K``
        and ROM has no window release.
        """
        pts, p = self.pts, self.p
        pain = 10.0 * s.sensitization
        durable = pts.rom_normal_deg - s.deficit_deg.sum(axis=0)
        rom = durable * (1.0 - p["guarding_frac_at_max_pain"] * pain / 10.0)
        strength = model.strength_pct(s, pts)
        function = model.function_score(pain, rom, strength, pts.rom_normal_deg, p)
        return rom, pain, strength, function


class DailyDraws:
    """The uniforms of one random stream for a cohort, day by day.

    ``draws.on(d)`` equals ``_random.uniforms(seed, stream, ids, d)`` bit for bit. Up to
    ``TABLE_LIMIT`` numbers (n x days) the whole table is made at once, on first use.
    """

    TABLE_LIMIT = 2_000_000
    """Largest table made in one go (numbers; 16 MB of float64)."""

    def __init__(self, seed: int, stream: str, ids, n_days: int):
        self.keys = patient_keys(seed, stream, ids)
        self.n_days = n_days
        self._table: np.ndarray | None = None

    def on(self, day: int) -> np.ndarray:
        if self.keys.shape[0] * self.n_days <= self.TABLE_LIMIT:
            if self._table is None:
                self._table = uniforms_from_keys(self.keys, np.arange(self.n_days)[:, None])
            return self._table[day]
        return uniforms_from_keys(self.keys, day)


def cohort_draws(seed: int, ids, n_days: int) -> dict[str, DailyDraws]:
    """The engine's daily random streams for a cohort; share one between the plans of a comparison."""
    return {name: DailyDraws(seed, name, ids, n_days) for name in ("setback", "home_exercise")}


class Trajectories:
    """Full trajectories: every output on every day, in ``(days + 1, n)`` buffers.

    ``arrays()`` gives ``(n, days + 1)`` transposed views: the public shape, without a copy.
    """

    def __init__(self, n: int, t: int):
        self.day = np.arange(t)
        self.values = {k: np.empty((t, n)) for k in OUTPUTS}
        self.dose = np.zeros((t, n))
        self.setbacks = np.zeros((t, n), dtype=bool)
        self.flares = np.zeros((t, n), dtype=bool)

    def record(self, d: int, outputs, dose, flared, hit) -> None:
        for k, v in zip(OUTPUTS, outputs, strict=True):
            self.values[k][d] = v
        self.dose[d] = dose
        self.flares[d] = flared
        if hit is not None:
            self.setbacks[d] = hit

    def arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {k: v.T for k, v in self.values.items()}
        out.update(
            day=self.day,
            exercise_dose=self.dose.T,
            setback_events=self.setbacks.T,
            flare_events=self.flares.T,
        )
        return out


@dataclass
class DailySummary:
    """Cohort summaries for every simulated day, without keeping each patient's trajectory.

    Attributes
    ----------
    day : (days + 1,) int array
    n : int
        Patients summarised.
    mean, sd : dict of outcome name -> (days + 1,) float array
        Mean and standard deviation (ddof=1; NaN for one patient) across patients, in the outcome's
        unit (see ``ptsim.core.vocabulary.OUTCOMES``).
    setbacks, flares : (days + 1,) int arrays
        Patients with a setback / an exercise flare on each day.
    """

    day: np.ndarray
    n: int
    mean: dict
    sd: dict
    setbacks: np.ndarray
    flares: np.ndarray

    @classmethod
    def from_arrays(cls, day, n, values: dict, setback_events, flare_events) -> DailySummary:
        """From ``(n, days + 1)`` arrays of a full run."""
        ddof_sd = {
            k: v.std(axis=0, ddof=1) if n > 1 else np.full(v.shape[1], math.nan) for k, v in values.items()
        }
        return cls(
            day=np.asarray(day),
            n=n,
            mean={k: v.mean(axis=0) for k, v in values.items()},
            sd=ddof_sd,
            setbacks=setback_events.sum(axis=0),
            flares=flare_events.sum(axis=0),
        )

    def to_frame(self):
        """Tidy DataFrame: one row per day and outcome (``day, outcome, unit, mean, sd, n``)."""
        import pandas as pd

        frames = [
            pd.DataFrame(
                {
                    "day": self.day,
                    "outcome": k,
                    "unit": OUTCOMES[k].unit,
                    "mean": self.mean[k],
                    "sd": self.sd[k],
                    "n": self.n,
                }
            )
            for k in self.mean
        ]
        return pd.concat(frames, ignore_index=True)


def merge_summaries(parts: list[DailySummary]) -> DailySummary:
    """Pool the daily summaries of disjoint groups of patients (exact; Chan et al. 1979)."""
    if len(parts) == 1:
        return parts[0]
    n = sum(s.n for s in parts)
    mean, sd = {}, {}
    for k in parts[0].mean:
        mu = sum(s.n * s.mean[k] for s in parts) / n
        m2 = sum((s.n - 1) * np.nan_to_num(s.sd[k]) ** 2 + s.n * (s.mean[k] - mu) ** 2 for s in parts)
        mean[k] = mu
        sd[k] = np.sqrt(m2 / (n - 1))
    return DailySummary(
        day=parts[0].day,
        n=n,
        mean=mean,
        sd=sd,
        setbacks=np.sum([s.setbacks for s in parts], axis=0),
        flares=np.sum([s.flares for s in parts], axis=0),
    )


class Recorded:
    """Only chosen days, plus every day's cohort mean and spread (:class:`DailySummary`).

    Memory is ``n x len(record_days)`` per output instead of ``n x (days + 1)``.
    """

    def __init__(self, n: int, t: int, record_days):
        self.n, self.t = n, t
        self.day = np.asarray(record_days, dtype=int)
        self.column = {int(d): j for j, d in enumerate(self.day)}
        k = len(self.day)
        self.values = {name: np.empty((k, n)) for name in OUTPUTS}
        self.dose = np.zeros((k, n))
        self.setbacks = np.zeros((k, n), dtype=bool)
        self.flares = np.zeros((k, n), dtype=bool)
        self.setback_count = np.zeros(n, dtype=np.int64)
        self.flare_count = np.zeros(n, dtype=np.int64)
        self.mean = {name: np.empty(t) for name in OUTPUTS}
        self.sd = {name: np.full(t, math.nan) for name in OUTPUTS}
        self.setbacks_per_day = np.zeros(t, dtype=np.int64)
        self.flares_per_day = np.zeros(t, dtype=np.int64)

    def record(self, d: int, outputs, dose, flared, hit) -> None:
        # the four outputs at once: (4, n); no BLAS (np.dot would start threads for so little)
        values = np.array(outputs)
        means = values.mean(axis=1)
        for name, m in zip(OUTPUTS, means, strict=True):
            self.mean[name][d] = m
        if self.n > 1:
            values -= means[:, None]
            sds = np.sqrt(np.square(values, out=values).sum(axis=1) / (self.n - 1))
            for name, sd in zip(OUTPUTS, sds, strict=True):
                self.sd[name][d] = sd
        if flared.any():
            self.flare_count += flared
            self.flares_per_day[d] = np.count_nonzero(flared)
        if hit is not None and hit.any():
            self.setback_count += hit
            self.setbacks_per_day[d] = np.count_nonzero(hit)
        j = self.column.get(d)
        if j is not None:
            for name, v in zip(OUTPUTS, outputs, strict=True):
                self.values[name][j] = v
            self.dose[j] = dose
            self.flares[j] = flared
            if hit is not None:
                self.setbacks[j] = hit

    def arrays(self) -> dict[str, Any]:  # Result's fields: arrays and the DailySummary
        out: dict[str, Any] = {k: v.T for k, v in self.values.items()}
        out.update(
            day=self.day,
            exercise_dose=self.dose.T,
            setback_events=self.setbacks.T,
            flare_events=self.flares.T,
            setback_count=self.setback_count,
            flare_count=self.flare_count,
            daily=DailySummary(
                day=np.arange(self.t),
                n=self.n,
                mean=self.mean,
                sd=self.sd,
                setbacks=self.setbacks_per_day,
                flares=self.flares_per_day,
            ),
        )
        return out
