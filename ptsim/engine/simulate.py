"""The engine: days x patients for one plan, and comparisons of plans on the same patients.

One loop over days (never over patients). On a clinic day the session's components run in order
(minutes), other days may hold a home session, and after discharge setbacks arrive at random. All
randomness is keyed by (seed, patient id, day), so the same seed gives the same numbers everywhere
and patient *i* is the same person in every plan and in any cohort size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ptsim.core import model
from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine import vectorised as _engine
from ptsim.inputs.cohort import check_count, sample_cohort, to_patients, validate_cohort
from ptsim.inputs.conditions import Condition, load_condition
from ptsim.inputs.plans import Plan, Session, get_plan

if TYPE_CHECKING:  # pandas is imported where it is used, to keep `import ptsim` light
    import pandas as pd


@dataclass
class Result:
    """The outcome of one plan for a cohort: true end-of-day values (no measurement error).

    Attributes
    ----------
    condition : Condition
    plan : Plan
        The plan as simulated (manual therapy resolved to the condition's techniques).
    cohort : pandas.DataFrame
        The patients, one row each.
    seed : int
    day : (days + 1,) int array
        Day 0 is the first session.
    rom, pain, strength, function : (n_patients, days + 1) float arrays
        ROM (degrees), pain (NPRS 0-10), strength (% of normal), function (0-100).
    exercise_dose : (n_patients, days + 1) float array
        Effective exercise minutes done each day (after pain gating and responsiveness).
    setback_events : (n_patients, days + 1) bool array
        Days with a setback.
    flare_events : (n_patients, days + 1) bool array
        Days on which exercise pain exceeded the flare threshold.
    setback_count, flare_count : (n_patients,) int arrays, optional
        Events over the whole period; set when only some days were recorded (``record_days``).
    final_state : State
        The model state at the end of the last day (None when the cohort ran in chunks).
    daily : DailySummary, optional
        Every day's cohort mean and SD; set when only some days were recorded (``record_days``),
        otherwise computed from the trajectories by :meth:`daily_summary`.

    Notes
    -----
    With ``record_days`` (see :func:`simulate`), ``day`` lists the recorded days and the
    per-patient arrays have one column per recorded day: ``(n_patients, len(record_days))``.
    The ``(n_patients, days + 1)`` arrays may be transposed views of ``(days + 1, n_patients)`` buffers
    (the engine writes one day at a time); use ``np.ascontiguousarray`` if you need C order.
    """

    condition: Condition
    plan: Plan
    cohort: pd.DataFrame
    seed: int
    day: np.ndarray
    rom: np.ndarray
    pain: np.ndarray
    strength: np.ndarray
    function: np.ndarray
    exercise_dose: np.ndarray
    setback_events: np.ndarray
    flare_events: np.ndarray
    final_state: model.State | None = field(repr=False, default=None)
    setback_count: np.ndarray | None = field(repr=False, default=None)
    flare_count: np.ndarray | None = field(repr=False, default=None)
    daily: _engine.DailySummary | None = field(repr=False, default=None)
    policy_log: object = field(repr=False, default=None)
    """For an adaptive plan, a :class:`ptsim.engine.adaptive.PolicyLog` (per-patient discharge days and the
    sessions given); None for a fixed plan."""

    @property
    def n_patients(self) -> int:
        return self.rom.shape[0]

    @property
    def discharge_day(self) -> int:
        return self.plan.discharge_day

    @property
    def setbacks(self) -> np.ndarray:
        """Setbacks of each patient in the simulated period, (n_patients,) int."""
        if self.setback_count is not None:
            return self.setback_count
        return self.setback_events.sum(axis=1)

    @property
    def flares(self) -> np.ndarray:
        """Exercise flares of each patient in the simulated period, (n_patients,) int."""
        if self.flare_count is not None:
            return self.flare_count
        return self.flare_events.sum(axis=1)

    @property
    def days(self) -> int:
        """Days simulated after the first session (the last day of the period)."""
        return int(self.daily.day[-1]) if self.daily is not None else int(self.day[-1])

    def columns(self, days) -> list[int]:
        """Column indices of ``days`` in the per-patient arrays (ValueError if not recorded)."""
        where = {int(d): j for j, d in enumerate(self.day)}
        missing = [d for d in days if int(d) not in where]
        if missing:
            raise ValueError(
                f"day(s) {missing} were not recorded; recorded days: {[int(d) for d in self.day]}"
            )
        return [where[int(d)] for d in days]

    def daily_summary(self) -> _engine.DailySummary:
        """Every simulated day's cohort mean and SD of each outcome, and events per day.

        Kept during the run when only some days were recorded (``record_days``); computed from
        the trajectories otherwise.
        """
        if self.daily is not None:
            return self.daily
        values = {k: getattr(self, k) for k in OUTCOMES}
        return _engine.DailySummary.from_arrays(
            self.day, self.n_patients, values, self.setback_events, self.flare_events
        )

    def outcome(self, name: str) -> np.ndarray:
        """An outcome array by name (``rom``, ``pain``, ``strength`` or ``function``)."""
        if name not in OUTCOMES:
            raise ValueError(f"unknown outcome {name!r}; accepted: {', '.join(OUTCOMES)}")
        return getattr(self, name)

    def to_frame(self):
        """Tidy DataFrame: one row per patient-day, units in the column names."""
        import pandas as pd

        n, t = self.rom.shape
        return pd.DataFrame(
            {
                "plan": self.plan.name,
                "patient_id": np.repeat(self.cohort["patient_id"].to_numpy(), t),
                "day": np.tile(self.day, n),
                **{o.column: self.outcome(k).ravel() for k, o in OUTCOMES.items()},
                "exercise_dose_min": self.exercise_dose.ravel(),
                "setback": self.setback_events.ravel(),
                "flare": self.flare_events.ravel(),
            }
        )

    def __repr__(self) -> str:
        return (
            f"Result({self.condition.name}, plan={self.plan.name!r}, n_patients={self.n_patients}, "
            f"days={self.days}, seed={self.seed})"
        )


def _check_days(days) -> int:
    return check_count(days, "days", 0)


DEFAULT_PATIENTS = 200


def _cohort_for(cond: Condition, n_patients, seed, cohort):
    if cohort is None:
        n = DEFAULT_PATIENTS if n_patients is None else n_patients
        return sample_cohort(cond, check_count(n, "n_patients"), seed)
    df = validate_cohort(cohort, cond, "cohort")
    if n_patients is not None and n_patients != len(df):
        raise ValueError(
            f"n_patients={n_patients!r} disagrees with the cohort's {len(df)} rows; "
            "leave n_patients out when you give a cohort"
        )
    return df


def run_session(state, pts, p, session: Session, on_component=None):
    """Run a session's components in order for all patients.

    Returns the state after the session, the effective exercise minutes and whether any
    exercise flared. ``on_component(component, state_before, state_after)`` is called after each
    component (used to trace a session).
    """
    dose = np.zeros(pts.n)
    flared = np.zeros(pts.n, dtype=bool)
    for comp in session.components:
        before = state
        if comp.kind == "exercise":
            assert comp.intensity is not None  # Component sets an exercise's effort (default 0.7)
            state, d, f = model.exercise(state, pts, p, comp.minutes, comp.intensity)
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


def _schedule(plan: Plan, days: int):
    """Per-day clinic flags and home-session frequencies for a plan."""
    d = np.arange(days + 1)
    in_care = d < plan.discharge_day
    clinic = in_care & np.isin(d % 7, plan.visit_weekdays)
    freq = np.zeros(days + 1)
    if plan.home is not None:
        free_days = 7 - plan.sessions_per_week
        if free_days > 0:
            freq[in_care & ~clinic] = plan.home.days_per_week / free_days
        freq[~in_care] = (
            plan.home.after_discharge_days_per_week / 7 * plan.home.after_discharge_adherence_factor
        )
    return clinic, freq


def _check_record_days(record_days, days: int):
    """``None`` (every day) or a sorted list of distinct whole days in ``[0, days]``."""
    if record_days is None:
        return None
    if isinstance(record_days, str) or not hasattr(record_days, "__iter__"):
        raise ValueError(f"record_days must be a list of days in [0, {days}] or None, got {record_days!r}")
    out = []
    for d in record_days:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 0 <= d <= days:
            raise ValueError(f"record_days must hold whole days in [0, {days}], got {d!r}")
        out.append(int(d))
    if not out:
        raise ValueError("record_days is empty; give at least one day, or None for every day")
    return sorted(set(out))


def _check_chunk_size(chunk_size):
    return None if chunk_size is None else check_count(chunk_size, "chunk_size")


DEFAULT_CHUNK_SIZE = 20_000
"""Patients simulated at a time when only some days are recorded (``record_days``)."""


def simulate(
    condition,
    plan,
    n_patients: int | None = None,
    days: int = 365,
    seed: int = 0,
    cohort=None,
    record_days=None,
    chunk_size: int | None = None,
    engine: str = "numpy",
) -> Result:
    """Simulate one plan for a cohort.

    Parameters
    ----------
    condition : Condition or str
        A condition, a shipped condition's name, or a path to a condition TOML file.
    plan : Plan or str
        A plan, a standard plan's name, or a path to a plan TOML file.
    n_patients : int, optional
        Number of patients sampled from the condition (>= 1; default 200). With a ``cohort``, leave
        it out (or give the cohort's size).
    days : int
        Days to simulate after the first session (>= 0); the result has ``days + 1`` columns.
    seed : int
        Random seed (>= 0).
    cohort : pandas.DataFrame, optional
        Your own patients (see ``ptsim.inputs.cohort.COLUMNS``) instead of a sampled cohort.
    record_days : list of int, optional
        Keep each patient's values only on these days (default: every day). For big cohorts:
        memory is ``n_patients x len(record_days)`` per outcome instead of ``n_patients x (days +
        1)``; every day's cohort mean and SD are still kept (``Result.daily_summary()``).
    chunk_size : int, optional
        With ``record_days``, simulate this many patients at a time (default
        ``DEFAULT_CHUNK_SIZE``) to bound the working memory. The numbers do not depend on it
        (random numbers are keyed by patient and day), see ``docs/performance.md``.
    engine : {"numpy", "numba", "auto"}
        ``"numba"`` runs the optional compiled kernel (``pip install numba``): 1.5-8x faster, the
        same numbers to ~1e-15 relative (see ``docs/performance.md``); it refuses a condition whose
        parameters are per-patient arrays (``ptsim.analysis.sensitivity`` batches). ``"auto"``: numba when it
        is installed and runs the case, numpy otherwise (for interactive apps). Adaptive plans
        (``ptsim.engine.adaptive.simulate_policy``) always run on the numpy engine.

    Returns
    -------
    Result
    """
    cond = load_condition(condition)
    plan = get_plan(plan).resolve(cond)
    days = _check_days(days)
    seed = check_count(seed, "seed", 0)
    record_days = _check_record_days(record_days, days)
    chunk_size = _check_chunk_size(chunk_size)
    runner = _runner(engine, cond)
    df = _cohort_for(cond, n_patients, seed, cohort)
    return _run_plans(cond, {plan.name: plan}, df, days, seed, record_days, chunk_size, runner)[plan.name]


def _chunks(n: int, record_days, chunk_size):
    """Row ranges to simulate at a time: all rows for full trajectories."""
    if record_days is None and chunk_size is None:
        return [(0, n)]
    size = chunk_size or DEFAULT_CHUNK_SIZE
    return [(i, min(i + size, n)) for i in range(0, n, size)]


ENGINES = ("numpy", "numba", "auto")


def _runner(engine: str, cond: Condition | None = None):
    """The function that runs one plan for one chunk of patients: ``_run`` or the numba kernel.

    ``"auto"`` takes the numba kernel when numba is installed and the kernel runs ``cond`` (one value
    per model parameter), the numpy engine otherwise; ``"numba"`` refuses what the kernel cannot run.
    """
    if engine == "numpy":
        return _run
    if engine in ("numba", "auto"):
        from ptsim.engine import compiled as _numba

        if engine == "auto" and (
            not _numba.AVAILABLE or (cond is not None and _numba.unsupported(cond) is not None)
        ):
            return _run
        if not _numba.AVAILABLE:
            raise ValueError("engine='numba' needs the numba package: pip install numba (or engine='numpy')")
        if cond is not None and (why := _numba.unsupported(cond)) is not None:
            raise ValueError(f"engine='numba' cannot run {why}: use engine='numpy' (or 'auto')")
        return _numba.run
    raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")


Progress = Callable[[int, int, str], object]
"""A progress callback: ``progress(done, total, plan_name)`` after each plan run (see :func:`compare`)."""


def _run_plans(
    cond, plans: dict, df, days, seed, record_days, chunk_size, runner=None, progress: Progress | None = None
) -> dict[str, Result]:
    """Run resolved plans on the same patients, chunk by chunk, sharing the random draws."""
    runner = runner or _run
    chunks = _chunks(len(df), record_days, chunk_size)
    total, done = len(chunks) * len(plans), 0

    def run(name, plan, sub, draws):
        nonlocal done
        res = runner(cond, plan, sub, days, seed, record_days=record_days, draws=draws)
        done += 1
        if progress is not None:
            progress(done, total, name)
        return res

    if len(chunks) == 1:
        draws = _engine.cohort_draws(seed, df["patient_id"].to_numpy(), days + 1)
        return {name: run(name, plan, df, draws) for name, plan in plans.items()}
    merged = {name: _Assembled(len(df)) for name in plans}
    for lo, hi in chunks:
        sub = df.iloc[lo:hi]
        draws = _engine.cohort_draws(seed, sub["patient_id"].to_numpy(), days + 1)
        for name, plan in plans.items():
            merged[name].add(lo, hi, run(name, plan, sub, draws))
    return {name: m.result(df) for name, m in merged.items()}


class _Assembled:
    """One result from the results of consecutive chunks of patients, copied into place as they come
    (memory holds the final arrays plus one chunk, not all chunks and then their concatenation)."""

    PER_PATIENT = ("rom", "pain", "strength", "function", "exercise_dose", "setback_events", "flare_events")
    COUNTS = ("setback_count", "flare_count")

    def __init__(self, n: int):
        self.n = n
        self.arrays: dict[str, np.ndarray] = {}
        self.dailies: list[_engine.DailySummary] = []
        self.first: Result | None = None

    def add(self, lo: int, hi: int, res: Result) -> None:
        if self.first is None:
            self.first = res
            for k in self.PER_PATIENT + self.COUNTS:
                a = getattr(res, k)
                if a is not None:
                    self.arrays[k] = np.empty((self.n, *a.shape[1:]), dtype=a.dtype)
        for k, out in self.arrays.items():
            out[lo:hi] = getattr(res, k)
        if res.daily is not None:
            self.dailies.append(res.daily)

    def result(self, df) -> Result:
        first = self.first
        if first is None:
            raise ValueError("no chunk of patients was simulated")
        arrays: dict[str, Any] = {k: self.arrays.get(k) for k in self.PER_PATIENT + self.COUNTS}
        return Result(
            condition=first.condition,
            plan=first.plan,
            cohort=df,
            seed=first.seed,
            day=first.day,
            final_state=None,
            daily=_engine.merge_summaries(self.dailies) if self.dailies else None,
            **arrays,
        )


def _run(
    cond: Condition, plan: Plan, df, days: int, seed: int, policy=None, record_days=None, draws=None
) -> Result:
    """The engine: one loop over days, vectorised over the patients of ``df``.

    The day's dynamics are ``model``'s functions; ``_engine`` holds the precomputed one-day step,
    the random draws (shared between the plans of a comparison) and the recorders.

    With a ``policy`` (see :mod:`ptsim.engine.adaptive`) the policy's runner decides each day's sessions
    and home exercise per patient, and each patient is discharged on their own day.
    """
    pts = to_patients(df, cond)
    p, nh = cond.parameters, cond.natural_history
    ids = df["patient_id"].to_numpy()
    clinic, freq = _schedule(plan, days)
    home = plan.home
    n, t = pts.n, days + 1
    rec = _engine.Trajectories(n, t) if record_days is None else _engine.Recorded(n, t, record_days)
    draws = draws or _engine.cohort_draws(seed, ids, t)
    step = _engine.DayStep(pts, p, nh)
    base_hazard = nh["setback_hazard_per_day"]
    no_dose, no_flare = step.zeros, _engine._zeros(n, bool)

    runner = None
    discharge: int | np.ndarray = plan.discharge_day
    if policy is not None:
        from ptsim.engine.adaptive import _Runner

        runner = _Runner(policy, cond, plan, pts, p, ids, seed, days)
        discharge = runner.discharge  # per patient, updated in place by the policy
    state = model.initial_state(pts)
    for d in range(t):
        hit = None
        if d > 0:
            state = step.advance(state)  # == model.advance_days(state, pts, p, nh, 1.0)
            at_risk = d >= discharge  # a bool, or one per patient with a policy
            if base_hazard > 0 and np.any(at_risk):
                hazard = model.setback_hazard(state, pts, p, base_hazard)
                hit = (draws["setback"].on(d) < -np.expm1(-hazard)) & at_risk
                if hit.any():
                    state = model.setback(state, pts, p, hit)
        dose, flared = no_dose, no_flare
        if runner is not None:
            state, dose, flared = runner.day(d, state, bool(clinic[d]), freq[d])
        elif clinic[d]:
            state, dose, flared = run_session(state, pts, p, plan.session)
        elif home is not None and freq[d] > 0:
            prob = model.home_probability(state, pts, p, freq[d])
            does = draws["home_exercise"].on(d) < prob
            if does.any():
                minutes = np.where(does, home.minutes, 0.0)
                state, dose, flared = model.exercise(state, pts, p, minutes, home.intensity)
        if dose.any():
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


class Comparison(Mapping):
    """Results of several plans on the same patients: a mapping of plan name to :class:`Result`."""

    def __init__(self, results: dict[str, Result]):
        self._results = dict(results)

    def __getitem__(self, name: str) -> Result:
        if name not in self._results:
            raise KeyError(f"no plan {name!r} in this comparison; plans: {', '.join(self._results)}")
        return self._results[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def __repr__(self) -> str:
        first = next(iter(self._results.values()))
        return (
            f"Comparison({first.condition.name}, plans={list(self._results)}, "
            f"n_patients={first.n_patients}, days={first.days})"
        )

    def default_days(self) -> list[int]:
        """Key days: 2 weeks, discharge, 3 and 6 months and a year (those within the horizon).

        With ``record_days``, the key days that were recorded (all recorded days if none was).
        """
        first = next(iter(self._results.values()))
        last = first.days
        key = [0, 14, first.discharge_day, 91, 182, 365]
        days = sorted({d for d in key if d <= last})
        recorded = {int(d) for d in first.day}
        return [d for d in days if d in recorded] or sorted(recorded)

    def summary(self, days=None, outcomes=None, level: float = 0.95):
        """Per plan, outcomes at key days: mean with a confidence interval of the mean.

        Parameters
        ----------
        days : list of int, optional
            Days to report (default :meth:`default_days`).
        outcomes : list of str, optional
            Outcome names (default all of ``OUTCOMES``).
        level : float
            Confidence level of the interval (default 0.95; t-distribution).

        Returns
        -------
        pandas.DataFrame
            Columns ``plan, day, outcome, unit, mean, sd, ci_low, ci_high, n``; one row per plan,
            day and outcome.
        """
        import pandas as pd
        from scipy import stats

        days = self.default_days() if days is None else list(days)
        outcomes = list(OUTCOMES) if outcomes is None else list(outcomes)
        if not (isinstance(level, float) and 0 < level < 1):
            raise ValueError(f"level must be a probability between 0 and 1, got {level!r}")
        first = next(iter(self._results.values()))
        last = first.days
        for d in days:
            if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 0 <= d <= last:
                raise ValueError(f"summary days must be whole numbers in [0, {last}], got {d!r}")
        rows = []
        for name, res in self._results.items():
            n = res.n_patients
            tcrit = stats.t.ppf(0.5 + level / 2, n - 1) if n > 1 else math.nan
            for outcome in outcomes:
                values = res.outcome(outcome)[:, res.columns(days)]
                mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1) if n > 1 else 0 * values[0]
                half = tcrit * sd / math.sqrt(n)
                for j, d in enumerate(days):
                    rows.append(
                        (
                            name,
                            d,
                            outcome,
                            OUTCOMES[outcome].unit,
                            mean[j],
                            sd[j],
                            mean[j] - half[j],
                            mean[j] + half[j],
                            n,
                        )
                    )
        cols = ["plan", "day", "outcome", "unit", "mean", "sd", "ci_low", "ci_high", "n"]
        return pd.DataFrame(rows, columns=cols)

    def setbacks_summary(self):
        """Per plan: mean setbacks per patient and the share of patients with at least one."""
        import pandas as pd

        return pd.DataFrame(
            {
                "plan": list(self._results),
                "setbacks_per_patient": [r.setbacks.mean() for r in self._results.values()],
                "share_with_setback": [(r.setbacks > 0).mean() for r in self._results.values()],
            }
        )


def compare(
    condition,
    plans=None,
    n_patients: int | None = None,
    days: int = 365,
    seed: int = 0,
    cohort=None,
    record_days=None,
    chunk_size: int | None = None,
    engine: str = "numpy",
    progress: Progress | None = None,
) -> Comparison:
    """Simulate several plans on the same patients (common random numbers).

    Parameters
    ----------
    condition : Condition or str
    plans : mapping of name to Plan, or a list of plans / names; default all standard plans
    n_patients, days, seed, cohort, record_days, chunk_size, engine
        As for :func:`simulate`.
    progress : callable, optional
        Called as ``progress(done, total, plan_name)`` each time a plan has run: ``done`` runs of
        ``total`` are finished, the last for ``plan_name``. ``total`` is the number of plans, times the
        number of chunks of patients when the cohort runs in chunks (``record_days`` or
        ``chunk_size``). Its return value is ignored; an exception it raises stops the comparison.
        For a progress bar, e.g. ``tqdm``: ``progress=lambda done, total, name: bar.update(1)``.

    Returns
    -------
    Comparison
        A mapping of plan name to :class:`Result`, with ``summary()``.

    Examples
    --------
    >>> import ptsim
    >>> seen = []
    >>> comp = ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=5, days=7,
    ...                      progress=lambda done, total, name: seen.append((done, total, name)))
    >>> seen
    [(1, 2, 'usual_care'), (2, 2, 'combined')]
    """
    from ptsim.inputs.plans import standard_plans

    cond = load_condition(condition)
    if plans is None:
        plans = standard_plans()
    if isinstance(plans, Mapping):
        items = [(str(k), get_plan(v)) for k, v in plans.items()]
    elif isinstance(plans, list | tuple):
        items = [(get_plan(v).name, get_plan(v)) for v in plans]
    else:
        raise ValueError("plans must be a dict of name -> Plan, or a list of plans or plan names")
    if not items:
        raise ValueError("plans is empty; give at least one plan")
    days = _check_days(days)
    seed = check_count(seed, "seed", 0)
    record_days = _check_record_days(record_days, days)
    chunk_size = _check_chunk_size(chunk_size)
    if progress is not None and not callable(progress):
        raise ValueError(
            f"progress must be a callable progress(done, total, plan_name) or None, got {progress!r}"
        )
    runner = _runner(engine, cond)
    df = _cohort_for(cond, n_patients, seed, cohort)
    resolved = {name: plan.resolve(cond) for name, plan in items}
    return Comparison(_run_plans(cond, resolved, df, days, seed, record_days, chunk_size, runner, progress))


def trace_session(
    condition,
    session,
    n_patients: int | None = 1,
    seed: int = 0,
    minutes_after: float = 60.0,
    step_min: float = 1.0,
    cohort=None,
):
    """One session minute by minute, from the patients' baseline state.

    Parameters
    ----------
    condition : Condition or str
    session : Session, Plan or str
        The session to trace (a plan or plan name means its clinic session).
    n_patients, seed, cohort
        Which patients (the mean over them is reported).
    minutes_after : float
        Minutes of rest traced after the session ends.
    step_min : float
        Resolution (minutes).

    Returns
    -------
    pandas.DataFrame
        ``minute, component, rom_deg, pain_nprs, transient_rom_deg, durable_rom_deg`` (means over
        patients); ``durable_rom_deg`` is the range left once the window has closed.
    """
    import pandas as pd

    from ptsim.inputs.plans import Component

    cond = load_condition(condition)
    if isinstance(session, Session):
        plan = Plan("traced", session)
    else:
        plan = get_plan(session)
    session = plan.resolve(cond).session
    if minutes_after < 0 or not math.isfinite(minutes_after):
        raise ValueError(f"minutes_after must be a finite number >= 0, got {minutes_after!r}")
    if not (step_min > 0 and math.isfinite(step_min)):
        raise ValueError(f"step_min must be a positive number of minutes, got {step_min!r}")
    df = _cohort_for(cond, None if cohort is not None else n_patients, seed, cohort)
    pts = to_patients(df, cond)
    p = cond.parameters
    comps = list(session.components)
    if minutes_after > 0:
        comps.append(Component("rest", minutes_after))
    rows = []

    def row(minute, label, s):
        rom = model.rom_deg(s, pts, p)
        transient = (s.window * s.deficit_deg).sum(axis=0)
        durable = pts.rom_normal_deg - s.deficit_deg.sum(axis=0)
        rows.append((minute, label, rom.mean(), model.pain_nprs(s).mean(), transient.mean(), durable.mean()))

    state = model.initial_state(pts)
    start = 0.0
    row(0.0, "start", state)
    for comp in comps:
        one = Session((comp,), comp.minutes)
        for m in np.arange(step_min, comp.minutes + 1e-9, step_min):
            partial = Session((Component(comp.kind, float(m), comp.intensity),), comp.minutes)
            s_m, _, _ = run_session(state, pts, p, partial)
            row(start + float(m), comp.kind, s_m)
        state, _, _ = run_session(state, pts, p, one)
        start += comp.minutes
        if rows[-1][0] != start:
            row(start, comp.kind, state)
    cols = ["minute", "component", "rom_deg", "pain_nprs", "transient_rom_deg", "durable_rom_deg"]
    return pd.DataFrame(rows, columns=cols)
