"""The numpy engine: the day loop over a cohort, vectorised over patients (:func:`run`), and its helpers.

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
from dataclasses import replace
from typing import Any

import numpy as np

from ptsim.core import equations as eq
from ptsim.core import mechanisms_v2 as v2
from ptsim.core import model
from ptsim.core.streams import patient_keys, uniforms_from_keys
from ptsim.engine.result import DailySummary, Result, merge_summaries
from ptsim.engine.setup import day_plan
from ptsim.inputs.cohort import to_patients
from ptsim.inputs.conditions import Condition
from ptsim.inputs.plans import Plan, Session

__all__ = ["DailySummary", "merge_summaries"]  # re-exported: they lived here before result.py
from ptsim.core.vocabulary import OUTCOME_NAMES

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
    """One day of :func:`model.advance_days` with its factors computed once per run.

    ``advance(s)`` equals ``model.advance_days(s, pts, p, natural_history, 1.0)`` (the same
    :func:`model.advance` with the same factors, so the same bits); ``end_of_day(s)`` equals
    ``model.pass_minutes(s, inf, p)`` for the finite, non-negative fast variables the model produces.
    Parameters may be per-patient arrays (as :mod:`ptsim.analysis.sensitivity` runs batches of
    parameter sets as one cohort): the factors are then arrays of one value per patient.
    """

    def __init__(self, pts: model.Patients, p: dict, natural_history: dict):
        self.pts, self.p = pts, p
        f = model.day_factors(pts, p, natural_history, 1.0)
        # Scalars (float() of the 0-d arrays model.decay returns: the same numbers), or one factor
        # per patient when a parameter is a per-patient array (sensitivity batches).
        self.factors = model.DayFactors(
            **{k: v if k.endswith("_end") or k.endswith("_deg") else _factor(v) for k, v in vars(f).items()}
        )
        self.zeros = _zeros(pts.n)
        self.zeros3 = _zeros(pts.deficit0_deg.shape)

    def advance(self, s: model.State) -> model.State:
        """The state a day later, without treatment (see :func:`model.advance_days`)."""
        return model.advance(s, self.factors, self.zeros3, self.zeros, self.zeros)

    def end_of_day(self, s: model.State) -> model.State:
        """The minute-scale effects are gone: window, relief and hypoalgesia are zero."""
        return replace(s, window=self.zeros3, relief=self.zeros, eih=self.zeros)

    def outputs(self, s: model.State):
        """``rom, pain, strength, function`` of an end-of-day state (window, relief, eih zero).

        The model's output equations with the fast variables at zero (``released = 0``).
        """
        pts, p = self.pts, self.p
        pain = v2.expressed_pain_nprs(
            s.sensitization, 0.0, 0.0, s.lasting, v2.fluctuation_factor(s.fluctuation)
        )
        durable = eq.durable_rom_deg(pts.rom_normal_deg, s.deficit_deg.sum(axis=0))
        rom = eq.rom_deg(durable, pain, 0.0, p["guarding_frac_at_max_pain"])
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
        self._normals: np.ndarray | None = None

    def on(self, day: int) -> np.ndarray:
        if self.keys.shape[0] * self.n_days <= self.TABLE_LIMIT:
            if self._table is None:
                self._table = uniforms_from_keys(self.keys, np.arange(self.n_days)[:, None])
            return self._table[day]
        return uniforms_from_keys(self.keys, day)

    def normal_on(self, day: int) -> np.ndarray:
        """Standard normals of ``day``: the inverse normal CDF of :meth:`on`."""
        from scipy.special import ndtri

        return ndtri(self.on(day))

    def normal_table(self) -> np.ndarray:
        """Standard normals of every day, ``(n_days, n)``: row ``d`` is :meth:`normal_on` ``(d)``,
        made once (the compiled engine reads the whole table; the plans of a comparison share it)."""
        if self._normals is None:
            from scipy.special import ndtri

            self._normals = ndtri(uniforms_from_keys(self.keys, np.arange(self.n_days)[:, None]))
        return self._normals


def cohort_draws(seed: int, ids, n_days: int) -> dict[str, DailyDraws]:
    """The engine's daily random streams for a cohort; share one between the plans of a comparison."""
    names = ("setback", "home_exercise", "fluctuation", "flare")
    return {name: DailyDraws(seed, name, ids, n_days) for name in names}


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


def run_session(state, pts, p, session: Session, on_component=None, flare_u=None):
    """Run a session's components in order for all patients.

    Returns the state after the session, the effective exercise minutes and whether any
    exercise flared. ``on_component(component, state_before, state_after)`` is called after each
    component (used to trace a session). ``flare_u``: the day's flare uniforms (see
    :func:`model.exercise`).
    """
    dose = np.zeros(pts.n)
    flared = np.zeros(pts.n, dtype=bool)
    for comp in session.components:
        before = state
        if comp.kind == "exercise":
            assert comp.intensity is not None  # Component sets an exercise's effort (default 0.7)
            state, d, f = model.exercise(state, pts, p, comp.minutes, comp.intensity, flare_u)
            dose += d
            flared |= f
        elif comp.kind == "education":
            state = model.education(state, p, comp.minutes)
        elif comp.kind == "rest":
            state = model.pass_minutes(state, comp.minutes, p)
        elif comp.kind == "manual_therapy":
            raise ValueError("run_session needs a resolved plan (Plan.resolve(condition))")
        else:
            grade = 1 if comp.intensity is None else int(comp.intensity)
            state = model.technique(state, pts, p, comp.kind, comp.minutes, grade)
        if on_component is not None:
            on_component(comp, before, state)
    return state, dose, flared


def run(
    cond: Condition,
    plan: Plan,
    df,
    days: int,
    seed: int,
    record_days=None,
    draws=None,
    make_policy_runner=None,
) -> Result:
    """The numpy engine: one loop over days, vectorised over the patients of ``df``.

    The day's dynamics are ``model``'s functions (which apply :mod:`ptsim.core.equations` to arrays);
    this module holds the precomputed one-day step, the random draws (shared between the plans of a
    comparison) and the recorders.

    ``make_policy_runner(pts)``, given by :mod:`ptsim.engine.adaptive`, returns the object that decides
    each day's sessions and home exercise per patient for an adaptive plan (its ``discharge`` array
    holds each patient's discharge day, updated in place); None for a fixed plan.
    """
    pts = to_patients(df, cond)
    p, nh = cond.parameters, cond.natural_history
    ids = df["patient_id"].to_numpy()
    clinic, freq, visit = day_plan(plan, days)
    sessions = plan.sessions
    home = plan.home
    n, t = pts.n, days + 1
    rec = Trajectories(n, t) if record_days is None else Recorded(n, t, record_days)
    draws = draws or cohort_draws(seed, ids, t)
    step = DayStep(pts, p, nh)
    base_hazard = nh["setback_hazard_per_day"]
    no_dose, no_flare = step.zeros, _zeros(n, bool)

    runner = None if make_policy_runner is None else make_policy_runner(pts)
    discharge: int | np.ndarray = plan.discharge_day if runner is None else runner.discharge  # per patient
    fluctuating = bool(np.any(p["pain_fluctuation_sd_frac"] > 0))
    random_flares = bool(np.any(np.isfinite(p["flare_probability_per_nprs"])))
    adherence_decay = p["home_adherence_decay_per_year"]
    if home is not None and home.after_discharge_adherence_decay_per_year is not None:
        adherence_decay = home.after_discharge_adherence_decay_per_year  # the plan's own setting
    state = model.initial_state(pts)
    for d in range(t):
        hit = None
        if fluctuating:  # day 0: a draw from the stationary law (an OU step of infinite length)
            state = model.fluctuate(state, p, draws["fluctuation"].normal_on(d), 1.0 if d else math.inf)
        flare_u = draws["flare"].on(d) if random_flares else None
        if d > 0:
            state = step.advance(state)  # == model.advance_days(state, pts, p, nh, 1.0)
            at_risk = d >= discharge  # a bool, or one per patient with a policy
            if np.any(base_hazard > 0) and np.any(at_risk):
                prob = model.setback_probability(state, pts, p, base_hazard)
                hit = (draws["setback"].on(d) < prob) & at_risk
                if hit.any():
                    state = model.setback(state, pts, p, hit)
        dose, flared = no_dose, no_flare
        if runner is not None:
            state, dose, flared = runner.day(d, state, bool(clinic[d]), freq[d], flare_u, adherence_decay)
        elif clinic[d]:
            state, dose, flared = run_session(state, pts, p, sessions[visit[d]], flare_u=flare_u)
        elif home is not None and freq[d] > 0:
            frequency = freq[d]
            if d >= discharge:  # adherence to the maintenance programme declines (v2; 0 = held)
                frequency = frequency * v2.adherence_after_discharge_factor(d - discharge, adherence_decay)
            prob = model.home_probability(state, pts, p, frequency)
            does = draws["home_exercise"].on(d) < prob
            if does.any():
                minutes = np.where(does, home.minutes, 0.0)
                state, dose, flared = model.exercise(state, pts, p, minutes, home.intensity, flare_u)
        if dose.any() or flared.any():
            # (a patient with no dose and no flare is left exactly as they are: patients are independent)
            state = model.adapt(state, p, dose, flared)
        # End of day: the minute-scale effects are gone.
        state = step.end_of_day(state)  # == model.pass_minutes(state, math.inf, p)
        rec.record(d, step.outputs(state), dose, flared, hit)

    return Result(
        condition=cond,
        plan=plan,
        cohort=df,
        seed=seed,
        final_state=state,
        policy_log=None if runner is None else runner.log(),
        **rec.arrays(),
    )
