"""What both executions of the day loop share: the run's tables, the recording buffers, the random
draws, and the :class:`~ptsim.engine.result.Result` they make.

A run is the state matrix of :mod:`ptsim.core.day` plus four namedtuples of arrays the day's steps read
by name: ``P`` (:class:`~ptsim.core.day.DayParams`), ``C`` (:class:`~ptsim.core.day.DayCohort`), ``S``
(:class:`~ptsim.core.day.Sessions`) and ``R`` (:data:`Run`: the calendar, each patient's session code
per day and discharge day, the home programme, the random streams), and ``Rec`` (:data:`Recording`).
:func:`prepare` makes them for a plan (or, with ``codes`` and ``discharge``, for a policy, which
fills them in as it decides); the compiled kernel (:mod:`ptsim.engine.compiled`) or the numpy engine
(:mod:`ptsim.engine.vectorised`) runs the days; :func:`finish` makes the result.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numpy as np

from ptsim.core import day, equations, model
from ptsim.core.streams import patient_keys, uniforms_from_keys
from ptsim.engine.result import OUTCOMES, DailySummary, Result
from ptsim.engine.setup import day_plan
from ptsim.inputs.cohort import to_patients

_namedtuple: Any = namedtuple
Run = _namedtuple(
    "Run",
    [
        "codes",
        "discharge",
        "freq",
        "freq_after",
        "home_minutes",
        "home_intensity",
        "home_w",
        "home_weih",
        "keys_setback",
        "keys_home",
        "keys_flare",
        "normals",
        "normal_col",
        "fluctuating",
        "random_flares",
    ],
)
"""The run's calendar and streams: ``codes`` ``(days + 1, n)`` int16 (each patient's clinic session of the
day, an index into the run's sessions; -1 none), ``discharge`` ``(n,)`` (each patient's discharge day),
``freq`` ``(days + 1,)`` (the plan's in-care home-session frequency), ``freq_after`` (the maintenance
programme's), the home session's ``home_minutes``, ``home_intensity`` and decays ``home_w``,
``home_weih`` ``(n,)``, the patients' keys of the setback, home-exercise and flare streams, the
fluctuation stream's standard normals ``(days + 1, m)`` of the ``m`` distinct patients and each row's
column in them ``normal_col`` ``(n,)``, and the switches of the model-v2 streams."""

Recording = _namedtuple(
    "Recording",
    [
        "row_of_day",
        "values",
        "dose",
        "setbacks",
        "flares",
        "setback_count",
        "flare_count",
        "daily_mean",
        "daily_m2",
        "daily_setbacks",
        "daily_flares",
        "outs",
    ],
)
"""Where a run writes its outputs: ``row_of_day`` (row of each recorded day, -1 not recorded), the
recorded ``values`` ``(4, r, n)`` (``OUTCOMES`` order), ``dose``, ``setbacks``, ``flares`` ``(r, n)``,
per-patient event counts, each day's mean and sum of squared deviations ``(4, days + 1)`` and event
counts, and ``outs`` ``(4, n)`` (the day's outputs)."""


class DailyDraws:
    """The uniforms of one random stream for a cohort, day by day.

    ``draws.on(d)`` equals ``streams.uniforms(seed, stream, ids, d)`` bit for bit. Up to
    ``TABLE_LIMIT`` numbers (n x days) the whole table is made at once, on first use.
    """

    TABLE_LIMIT = 2_000_000
    """Largest table made in one go (numbers; 16 MB of float64)."""

    def __init__(self, seed: int, stream: str, ids, n_days: int):
        self.ids = np.asarray(ids)
        self.keys = patient_keys(seed, stream, ids)
        self.n_days = n_days
        self._table: np.ndarray | None = None
        self._normals: np.ndarray | None = None

    def on(self, d: int) -> np.ndarray:
        if self.keys.shape[0] * self.n_days <= self.TABLE_LIMIT:
            if self._table is None:
                self._table = uniforms_from_keys(self.keys, np.arange(self.n_days)[:, None])
            return self._table[d]
        return uniforms_from_keys(self.keys, d)

    def normal_on(self, d: int) -> np.ndarray:
        """Standard normals of day ``d``: the inverse normal CDF of :meth:`on`."""
        from scipy.special import ndtri

        return ndtri(self.on(d))

    def normal_table(self) -> np.ndarray:
        """Standard normals of every day, ``(n_days, n)``: row ``d`` is :meth:`normal_on` ``(d)``, made
        once (the loops read the whole table; the plans of a comparison share it)."""
        if self._normals is None:
            from scipy.special import ndtri

            self._normals = ndtri(uniforms_from_keys(self.keys, np.arange(self.n_days)[:, None]))
        return self._normals


def cohort_draws(seed: int, ids, n_days: int) -> dict[str, DailyDraws]:
    """The engine's daily random streams for a cohort; share one between the plans of a comparison.
    ``ids`` are the distinct patients (an ensemble run's rows repeat them: draws are per patient)."""
    names = ("setback", "home_exercise", "fluctuation", "flare")
    return {name: DailyDraws(seed, name, ids, n_days) for name in names}


def columns_of(draws: DailyDraws, ids) -> np.ndarray:
    """Each of ``ids``' column in ``draws``' tables (the rows of an ensemble run share their patient's)."""
    import pandas as pd

    ids = np.asarray(ids)
    if draws.ids.shape == ids.shape and np.array_equal(draws.ids, ids):
        return np.arange(len(ids))
    index = pd.Index(draws.ids)
    col = index.get_indexer(ids) if index.is_unique else np.full(len(ids), -1)
    if (col < 0).any():
        raise ValueError("the shared draws must be made for the distinct patients of the run (cohort_draws)")
    return col


@dataclass
class Prepared:
    """A run ready for its day loop: the state matrix ``x``, the tables, the recording, the patients."""

    x: np.ndarray
    P: Any
    C: Any
    S: Any
    R: Any
    Rec: Any
    hit: np.ndarray
    pts: model.Patients
    days: np.ndarray
    full: bool


def prepare(cond, plan, df, days: int, seed: int, record_days=None, draws=None, policy: bool = False):
    """The tables of a run of ``plan`` (resolved) for the validated cohort ``df``.

    With ``policy``, no patient has a session yet (``R.codes`` all -1) and ``R.discharge`` is the plan's
    end of care: the policy fills in both as it decides (``ptsim.engine.adaptive``).
    """
    pts = to_patients(df, cond)
    p, nh = cond.parameters, cond.natural_history
    ids = df["patient_id"].to_numpy()
    n, t = pts.n, days + 1
    clinic, freq, visit = day_plan(plan, days)
    home = plan.home
    adherence_decay = p["home_adherence_decay_per_year"]
    if home is not None and home.after_discharge_adherence_decay_per_year is not None:
        adherence_decay = home.after_discharge_adherence_decay_per_year  # the plan's own setting
    # the plan's own adherence decay sets engagement's decline too (a one-day factor of P)
    P = day.day_params({**p, "home_adherence_decay_per_year": adherence_decay}, nh, pts)
    C = day.day_cohort(pts, nh, adherence_decay)
    codes = np.full((t, n), -1, np.int16)
    if not policy:
        codes[:] = np.where(clinic, visit, -1)[:, None]
    home_minutes, home_intensity = (home.minutes, home.intensity) if home is not None else (0.0, 0.0)
    freq_after = (
        home.after_discharge_days_per_week / 7 * home.after_discharge_adherence_factor if home else 0.0
    )
    fluctuating = bool(np.any(p["pain_fluctuation_sd_frac"] > 0))
    normals, normal_col = np.empty((0, n)), np.arange(n)
    if fluctuating:  # the fluctuation stream's normals of every day, shared by the plans of a comparison
        if draws is not None:
            stream = draws["fluctuation"]
        else:
            import pandas as pd

            stream = DailyDraws(seed, "fluctuation", pd.unique(ids), t)
        normals = stream.normal_table()
        normal_col = columns_of(stream, ids)
    R = Run(
        codes=codes,
        discharge=np.full(n, plan.discharge_day, np.int64),
        freq=np.asarray(freq, float),
        freq_after=float(freq_after),
        home_minutes=float(home_minutes),
        home_intensity=float(home_intensity),
        home_w=equations.decay(float(home_minutes), P.window_tau_min),
        home_weih=equations.decay(float(home_minutes), P.eih_tau_min),
        keys_setback=patient_keys(seed, "setback", ids),
        keys_home=patient_keys(seed, "home_exercise", ids),
        keys_flare=patient_keys(seed, "flare", ids),
        normals=normals,
        normal_col=normal_col,
        fluctuating=fluctuating,
        random_flares=bool(np.any(np.isfinite(p["flare_probability_per_nprs"]))),
    )
    rec_days = np.arange(t) if record_days is None else np.asarray(record_days, int)
    row_of_day = np.full(t, -1, np.int64)
    row_of_day[rec_days] = np.arange(len(rec_days))
    r = len(rec_days)
    # buffers (r, n), so each day writes contiguous rows: the result's arrays are their transposes
    Rec = Recording(
        row_of_day=row_of_day,
        values=np.empty((4, r, n)),
        dose=np.zeros((r, n)),
        setbacks=np.zeros((r, n), bool),
        flares=np.zeros((r, n), bool),
        setback_count=np.zeros(n, np.int64),
        flare_count=np.zeros(n, np.int64),
        daily_mean=np.empty((4, t)),
        daily_m2=np.empty((4, t)),
        daily_setbacks=np.zeros(t, np.int64),
        daily_flares=np.zeros(t, np.int64),
        outs=np.empty((4, n)),
    )
    x = day.state_matrix(model.initial_state(pts))
    S = day.sessions_table(plan.sessions, p, n)
    return Prepared(x, P, C, S, R, Rec, np.zeros(n, bool), pts, rec_days, record_days is None)


def finish(cond, plan, df, seed: int, run: Prepared, engine: str, policy_log=None) -> Result:
    """The :class:`Result` of a run whose days have been simulated."""
    Rec, n = run.Rec, run.pts.n
    t = Rec.daily_mean.shape[1]
    arrays = {name: Rec.values[j].T for j, name in enumerate(OUTCOMES)}
    extra: dict[str, Any] = {}
    if not run.full:
        sd = np.sqrt(Rec.daily_m2 / (n - 1)) if n > 1 else np.full((4, t), math.nan)
        daily = DailySummary(
            day=np.arange(t),
            n=n,
            mean={name: Rec.daily_mean[j] for j, name in enumerate(OUTCOMES)},
            sd={name: sd[j] for j, name in enumerate(OUTCOMES)},
            setbacks=Rec.daily_setbacks,
            flares=Rec.daily_flares,
        )
        extra = {"setback_count": Rec.setback_count, "flare_count": Rec.flare_count, "daily": daily}
    return Result(
        condition=cond,
        plan=plan,
        cohort=df,
        seed=seed,
        day=run.days,
        exercise_dose=Rec.dose.T,
        setback_events=Rec.setbacks.T,
        flare_events=Rec.flares.T,
        final_state=day.state_of(run.x),
        engine=engine,
        policy_log=policy_log,
        **arrays,
        **extra,
    )
