"""The engine: days x patients for one plan, and comparisons of plans on the same patients.

One loop over days (never over patients). On a clinic day the session's components run in order
(minutes), other days may hold a home session, and after discharge setbacks arrive at random. All
randomness is keyed by (seed, patient id, day), so the same seed gives the same numbers everywhere
and patient *i* is the same person in every plan and in any cohort size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ptsim.core import intervals, model
from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine import vectorised
from ptsim.engine.choice import EngineChoice, choose_engine
from ptsim.engine.result import (
    BASELINE,
    DailySummary,
    Result,
    interval_label,
    merge_summaries,
    next_trial_label,
    outcome_names,
    outcome_unit,
    pretreatment,
)
from ptsim.engine.setup import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_PATIENTS,
    check_chunk_size,
    check_days,
    check_record_days,
    check_run_memory,
    cohort_for,
)
from ptsim.engine.vectorised import run_session
from ptsim.inputs.cohort import check_seed, to_patients
from ptsim.inputs.conditions import Condition, load_condition
from ptsim.inputs.ensembles import Ensemble, choose_members, with_member_values
from ptsim.inputs.plans import Plan, Session, check_plan_name, get_plan

__all__ = [  # names other modules import from here (moved to result, setup and vectorised)
    "BASELINE",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_PATIENTS",
    "OUTCOMES",
    "DailySummary",
    "Result",
    "merge_summaries",
    "outcome_names",
    "outcome_unit",
    "pretreatment",
    "run_session",
]


def simulate(
    condition,
    plan,
    n_patients: int | None = None,
    days: int = 365,
    seed: int = 0,
    cohort=None,
    record_days=None,
    chunk_size: int | None = None,
    engine: str = "auto",
    scenario: str | None = None,
    ensemble: bool | int | Ensemble = False,
    progress: Progress | None = None,
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
    engine : {"auto", "numba", "numpy"}
        ``"numba"`` runs the compiled kernel (about 10x faster; the same numbers to ~1e-15 relative,
        see ``docs/performance.md``); ``"numpy"`` the vectorised engine. ``"auto"`` (default) runs
        numba when it is installed, numpy otherwise, and says why in ``Result.engine_note``.
        ``Result.engine`` names the engine that ran.
    scenario : {"evidence", "premise"}, optional
        The parameter scenario of a condition given by name (see :func:`ptsim.load_condition`;
        default ``"evidence"``).
    ensemble : bool, int or Ensemble
        Draw the patients' parameters from the condition's posterior ensemble (evidence uncertainty).
        False (default): the condition's values. True: ``DEFAULT_ENSEMBLE_MEMBERS`` (20) members of
        its stored ensemble (``data/ensembles/<condition>.csv``), evenly spaced; an int ``m``: ``m``
        members, evenly spaced (1 to the stored count); an :class:`ptsim.inputs.ensembles.Ensemble`:
        all its members. Every patient is simulated under every chosen member: the result has
        ``n_patients x m`` rows, member-major (the same patient ids and random draws in each block:
        common random numbers), and ``Result.ensemble_member`` gives each row's stored member index.
        Costs ``m`` times a run without. Not with ``scenario="premise"`` (one parameter set).
    progress : callable, optional
        Called as ``progress(done, total, plan_name)`` after each chunk of patients (as for
        :func:`compare`; opt-in).

    Returns
    -------
    Result

    Raises
    ------
    FileNotFoundError
        With ``ensemble`` True or a count, when the condition has no stored ensemble (the message
        names the command that makes one).
    """
    cond = _condition(condition, scenario)
    plan = get_plan(plan).resolve(cond)
    days = check_days(days)
    seed = check_seed(seed)
    record_days = check_record_days(record_days, days)
    chunk_size = check_chunk_size(chunk_size)
    choice = choose_engine(engine, None, cond, plans=[plan])
    members = choose_members(ensemble, cond)
    _check_members(members)
    check_run_memory(n_patients, cohort, days, record_days, 1, max(1, len(members[1])), chunk_size)
    df = cohort_for(cond, n_patients, seed, cohort)
    _check_progress(progress)
    runs = _run_plans(
        cond, {plan.name: plan}, df, days, seed, record_days, chunk_size, choice, progress, members
    )
    return runs[plan.name]


def _condition(condition, scenario):
    """A condition in a scenario; a Condition object carries its own and must agree."""
    if scenario is None:
        return load_condition(condition)
    if isinstance(condition, Condition):
        if condition.scenario != scenario:
            raise ValueError(
                f"scenario={scenario!r} but the condition given was loaded in scenario "
                f"{condition.scenario!r}; pass its name, or load_condition(name, scenario={scenario!r})"
            )
        return condition
    return load_condition(condition, scenario=scenario)


PROGRESS_CHUNK_SIZE = 5_000
"""Rows simulated at a time when a ``progress`` callback is given (full trajectories, no
``chunk_size``): the callback then reports every chunk of patients, not only every plan."""


def _chunks(n: int, record_days, chunk_size, progress=None):
    """Row ranges to simulate at a time: all rows for full trajectories, unless a ``progress`` callback
    wants to hear about chunks of :data:`PROGRESS_CHUNK_SIZE` rows (the numbers are the same: random
    draws are keyed by patient and day)."""
    if record_days is None and chunk_size is None:
        if progress is None or n <= PROGRESS_CHUNK_SIZE:
            return [(0, n)]
        chunk_size = PROGRESS_CHUNK_SIZE
    size = chunk_size or DEFAULT_CHUNK_SIZE
    return [(i, min(i + size, n)) for i in range(0, n, size)]


Progress = Callable[[int, int, str], object]
"""A progress callback: ``progress(done, total, plan_name)`` after each chunk of patients of each plan
(see :func:`compare`)."""


def _check_progress(progress) -> None:
    if progress is not None and not callable(progress):
        raise ValueError(
            f"progress must be a callable progress(done, total, plan_name) or None, got {progress!r}"
        )


def _labelled(res: Result, choice: EngineChoice) -> Result:
    res.engine_note = choice.note
    return res


def _run_plans(
    cond,
    plans: dict,
    df,
    days,
    seed,
    record_days,
    chunk_size,
    choice: EngineChoice,
    progress: Progress | None = None,
    members: tuple[Ensemble | None, list[int]] = (None, []),
) -> dict[str, Result]:
    """Run resolved plans on the same patients, chunk by chunk, sharing the random draws.

    With an ensemble (``members``: the ensemble and the member indices chosen), the cohort is
    repeated once per member (member-major) and each block runs with that member's parameters.
    """
    ens, chosen = members
    member_of_row = None
    if ens is not None:
        import pandas as pd

        member_of_row = np.repeat(np.asarray(chosen, dtype=np.int64), len(df))
        cond = with_member_values(cond, ens, member_of_row)
        df = pd.concat([df] * len(chosen), ignore_index=True)
    runner = choice.runner()
    chunks = _chunks(len(df), record_days, chunk_size, progress)
    total, done = len(chunks) * len(plans), 0

    def run(name, plan, rows, sub, draws):
        nonlocal done
        part = cond if rows is None else _rows_of(cond, rows[0], rows[1], len(df))
        res = runner(part, plan, sub, days, seed, record_days=record_days, draws=draws)
        done += 1
        if progress is not None:
            progress(done, total, name)
        return res

    def finished(res: Result) -> Result:
        res.condition, res.ensemble_member = cond, member_of_row
        return _labelled(res, choice)

    def shared_draws(rows):  # per patient, not per ensemble row (the rows of a patient share them)
        import pandas as pd

        return vectorised.cohort_draws(seed, pd.unique(rows["patient_id"].to_numpy()), days + 1)

    if len(chunks) == 1:
        draws = shared_draws(df)
        return {name: finished(run(name, plan, None, df, draws)) for name, plan in plans.items()}
    merged = {name: _Assembled(len(df)) for name in plans}
    for lo, hi in chunks:
        sub = df.iloc[lo:hi]
        draws = shared_draws(sub)
        for name, plan in plans.items():
            merged[name].add(lo, hi, run(name, plan, (lo, hi), sub, draws))
    return {name: finished(m.result(df)) for name, m in merged.items()}


def _rows_of(cond: Condition, lo: int, hi: int, n_rows: int) -> Condition:
    """The condition of rows ``lo:hi`` of a run: per-row parameter arrays (an ensemble's) sliced."""

    def part(values: dict) -> dict:
        return {k: v[lo:hi] if np.ndim(v) == 1 and len(v) == n_rows else v for k, v in values.items()}

    return replace(cond, parameters=part(cond.parameters), natural_history=part(cond.natural_history))


def run_cohort(
    cond: Condition, plan: Plan, df, days: int, seed: int, policy=None, engine: str = "auto"
) -> Result:
    """One resolved plan (or an adaptive plan: ``policy``) for a validated cohort ``df``: the entry
    point for analyses that build their own cohorts (trials, sensitivity batches, whose parameters
    may be per-patient arrays). ``engine`` as for :func:`simulate`."""
    choice = choose_engine(engine, policy, cond, plans=[plan])
    if policy is not None:
        from ptsim.engine.adaptive import run_policy

        return _labelled(run_policy(cond, plan, df, days, seed, policy, engine=choice.name), choice)
    return _labelled(choice.runner()(cond, plan, df, days, seed), choice)


class _Assembled:
    """One result from the results of consecutive chunks of patients, copied into place as they come
    (memory holds the final arrays plus one chunk, not all chunks and then their concatenation)."""

    PER_PATIENT = ("rom", "pain", "strength", "function", "exercise_dose", "setback_events", "flare_events")
    COUNTS = ("setback_count", "flare_count")

    def __init__(self, n: int):
        self.n = n
        self.arrays: dict[str, np.ndarray] = {}
        self.dailies: list[DailySummary] = []
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
            daily=merge_summaries(self.dailies) if self.dailies else None,
            engine=first.engine,
            **arrays,
        )


def _values(res: Result, outcome: str, day) -> np.ndarray:
    """Per-row values of ``outcome`` on ``day`` (``"baseline"``: before the first session)."""
    if day == BASELINE:
        return res.baseline(outcome)
    return res.outcome(outcome)[:, res.columns([day])[0]]


def _interval(res: Result, values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The interval of the mean of each column of per-row ``values`` (see :func:`interval_label`):
    the t interval without an ensemble, the percentiles of the members' means with one."""
    from scipy import stats

    if res.ensemble_member is not None:
        tail = 100 * (1 - level) / 2
        low, high = np.percentile(res.member_means(values), [tail, 100 - tail], axis=0)
        return low, high
    n = len(values)
    if n < 2:
        return np.full(values.shape[1], math.nan), np.full(values.shape[1], math.nan)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(axis=0, ddof=1) / math.sqrt(n)
    mean = values.mean(axis=0)
    return mean - half, mean + half


def _mc_error(res: Result, values: np.ndarray, level: float) -> np.ndarray:
    """Monte-Carlo error of an evidence interval's ends from fewer than
    :data:`~ptsim.core.intervals.MEMBERS_WITHOUT_MC_ERROR` members (NaN otherwise: a t interval, or
    enough members)."""
    members = res.members
    if members is None or len(members) >= intervals.MEMBERS_WITHOUT_MC_ERROR:
        return np.full(values.shape[1], math.nan)
    return intervals.quantile_mc_error(res.member_means(values), level)


def _evidence_variance(res: Result, values: np.ndarray) -> np.ndarray:
    """Variance of the population mean of each column: over members' means with an ensemble, the
    squared standard error of the cohort's mean without one (patient sampling only)."""
    if res.ensemble_member is not None:
        return res.member_means(values).var(axis=0, ddof=1)
    return values.var(axis=0, ddof=1) / len(values)


def _patient_sd(res: Result, values: np.ndarray) -> np.ndarray:
    """Between-patient SD of each column: within members (pooled) with an ensemble."""
    if res.ensemble_member is None:
        return values.std(axis=0, ddof=1)
    means, members = res.member_means(values), res.members
    assert members is not None  # an ensemble run
    index = {int(m): j for j, m in enumerate(members)}
    rows = np.array([index[int(m)] for m in res.ensemble_member])
    within = values - means[rows]
    return np.sqrt((within**2).sum(axis=0) / (len(values) - len(means)))


def _check_members(members: tuple) -> None:
    """One ensemble member has no spread: its "evidence interval" is a point that always separates."""
    if len(members[1]) == 1:
        raise ValueError(
            "ensemble: 1 member gives no evidence interval (a single point, which would separate any two "
            "plans); give at least 2 members (ensemble=True takes 20), or ensemble=False for the "
            "calibrated values with patient-sampling intervals"
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

    @property
    def reference(self) -> str:
        """The default reference plan of :meth:`differences`: ``usual_care`` if compared, else the first."""
        return "usual_care" if "usual_care" in self._results else next(iter(self._results))

    def _table_args(self, days, outcomes, level, default_days):
        """Checked ``days`` (whole days or ``"baseline"``), ``outcomes`` and ``level`` of a table."""
        first = next(iter(self._results.values()))
        days = list(default_days) if days is None else list(days)
        if isinstance(outcomes, str):
            outcomes = [outcomes]
        outcomes = list(OUTCOMES) if outcomes is None else list(outcomes)
        if not outcomes:
            raise ValueError(
                f"outcomes is empty; give at least one of {', '.join(outcome_names(first.condition))} "
                "(or None for all)"
            )
        if not days:
            raise ValueError("days is empty; give at least one day (or None for the key days)")
        twice = [o for i, o in enumerate(outcomes) if o in outcomes[:i]]
        if twice:  # the table's dict of outcomes would keep one of them silently
            raise ValueError(f"outcomes: {twice[0]!r} is given twice; give each once")
        units = {o: outcome_unit(first.condition, o) for o in outcomes}
        if not (isinstance(level, float) and 0 < level < 1):
            raise ValueError(f"level must be a probability between 0 and 1, got {level!r}")
        last = first.days
        for d in days:
            if d == BASELINE:
                continue
            if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 0 <= d <= last:
                raise ValueError(
                    f"summary days must be whole numbers in [0, {last}] or {BASELINE!r}, got {d!r}"
                )
        return days, units

    def summary(self, days=None, outcomes=None, level: float = 0.95):
        """Per plan, outcomes before care and at key days: the mean with an interval.

        Without an ensemble the interval is the t confidence interval of the mean (patient sampling).
        With one (``compare(..., ensemble=...)``) the mean is over all rows (every patient under every
        member) and the interval is the evidence interval of the population mean: the ``(1 - level) /
        2`` and ``(1 + level) / 2`` percentiles over members of each member's mean, with the
        Monte-Carlo error of its ends (``mc_error``) when it comes from fewer than 200 members. The
        ``interval`` column says which (:func:`ptsim.engine.result.interval_label`);
        ``fixed_by_design`` is True where the interval has no width because nothing the run varies
        acts on the value (the baseline under an ensemble: the members' parameters act only from the
        first session).

        Parameters
        ----------
        days : list, optional
            Days to report: whole days, and ``"baseline"`` for the pre-treatment values (before the
            first session; the same patients, so the same in every plan). Default: ``"baseline"`` then
            :meth:`default_days`.
        outcomes : list of str, optional
            Outcome names (default all of ``OUTCOMES``); the condition's questionnaire by its name
            (e.g. ``"womac"``) or as ``"questionnaire"`` reports on the questionnaire's own scale.
        level : float
            Level of the interval (default 0.95).

        Returns
        -------
        pandas.DataFrame
            Columns ``plan, day, outcome, unit, mean, sd, ci_low, ci_high, n, interval, mc_error,
            fixed_by_design``; one row per plan, day and outcome (``day`` is ``"baseline"`` on the
            pre-treatment rows). ``mean``, ``sd`` (across all rows: patients, and members with an ensemble),
            ``ci_low``, ``ci_high`` and ``mc_error`` are in ``unit``; ``n`` counts the patients
            (distinct patients with an ensemble); ``fixed_by_design`` is a bool.
        """
        import pandas as pd

        days, units = self._table_args(days, outcomes, level, [BASELINE, *self.default_days()])
        rows, extra = [], []
        for name, res in self._results.items():
            n = res.n_patients
            for outcome, unit in units.items():
                values = np.column_stack([_values(res, outcome, d) for d in days])
                mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1) if n > 1 else 0 * values[0]
                low, high = _interval(res, values, level)
                mc_error = _mc_error(res, values, level)
                label = interval_label(level, res)
                for j, d in enumerate(days):
                    fixed = bool(high[j] - low[j] <= intervals.FIXED_TOLERANCE * max(1.0, abs(mean[j])))
                    rows.append(
                        (name, d, outcome, unit, mean[j], sd[j], low[j], high[j], res.n_cohort, label)
                    )
                    extra.append((mc_error[j], fixed))
        cols = ["plan", "day", "outcome", "unit", "mean", "sd", "ci_low", "ci_high", "n", "interval"]
        table = pd.DataFrame(rows, columns=cols)
        table[["mc_error", "fixed_by_design"]] = pd.DataFrame(extra, columns=["mc_error", "fixed_by_design"])
        return table

    def differences(
        self, reference=None, days=None, outcomes=None, level: float = 0.95, n_per_arm: int | None = None
    ):
        """Each plan against a reference plan: the mean paired difference (the same patients) with its
        interval, judged against 0 and against the instrument's MCID.

        Without an ensemble the interval is the t interval of the mean of the patients' paired
        differences (patient sampling: more patients narrow it). With one, it is the evidence interval
        of the population difference: the ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles over
        members of each member's mean difference (what the evidence allows; more patients do not
        narrow it), with the Monte-Carlo error of its ends when it comes from fewer than 200 members.

        The verdict weighs the interval against 0 and against the outcome's MCID in its own unit
        (:func:`ptsim.core.intervals.mcid_points`: NPRS 2 points, the condition's questionnaire MCID);
        an outcome without one (ROM, strength, function) against what its instrument can read. A
        separated difference inside +-MCID is "smaller than the MCID", not a winner. An interval of no
        width (every patient's difference the same, e.g. a plan that changes nothing the outcome
        measures) is "fixed by design".

        Parameters
        ----------
        reference : str, optional
            The plan the others are compared with (default ``usual_care`` if compared, else the first).
        days : list, optional
            Whole days (or ``"baseline"``; zero by construction). Default :meth:`default_days`.
        outcomes : list of str, optional
            As for :meth:`summary`.
        level : float
            Level of the intervals (default 0.95).
        n_per_arm : int, optional
            Add the next-trial interval: what a new two-arm trial with this many patients per arm would
            estimate (:func:`ptsim.core.intervals.next_trial_interval`: the evidence interval widened
            by the between-trial heterogeneity tau of the outcome's family and the trial's sampling
            error). Without an ensemble it leaves the evidence's uncertainty out, and says so.

        Returns
        -------
        pandas.DataFrame
            Columns ``plan, reference, day, outcome, unit, mean_difference, ci_low, ci_high, interval,
            n, separated, mcid, judgement, verdict, mc_error``, and with ``n_per_arm`` also
            ``next_trial_low, next_trial_high, next_trial_interval, tau``: one row per other plan, day
            and outcome. ``mean_difference`` (plan minus reference), ``ci_low``, ``ci_high``,
            ``mc_error``, ``mcid`` (NaN where the outcome has none), ``next_trial_*`` and ``tau`` are
            in ``unit``; ``separated`` is True when the interval excludes 0; ``judgement`` is one of
            :data:`ptsim.core.intervals.JUDGEMENTS` and ``verdict`` says it in words, e.g. "the
            evidence cannot separate combined from exercise_only".
        """
        import pandas as pd

        if reference is None:
            reference = self.reference
        if reference not in self._results:
            raise ValueError(
                f"reference must be one of the compared plans ({', '.join(self._results)}), got {reference!r}"
            )
        days, units = self._table_args(days, outcomes, level, self.default_days())
        ref = self._results[reference]
        cond = ref.condition
        rows = []
        for name, res in self._results.items():
            if name == reference:
                continue
            label = interval_label(level, res)
            who = "the evidence" if res.ensemble_member is not None else "these patients"
            for outcome, unit in units.items():
                plan_values = np.column_stack([_values(res, outcome, d) for d in days])
                ref_values = np.column_stack([_values(ref, outcome, d) for d in days])
                diff = plan_values - ref_values
                mean = diff.mean(axis=0)
                low, high = _interval(res, diff, level)
                mc_error = _mc_error(res, diff, level)
                mcid = intervals.mcid_points(cond, outcome)
                resolution = intervals.RESOLUTION.get(outcome)
                trial = (
                    self._next_trial(res, ref, outcome, plan_values, ref_values, diff, n_per_arm, level)
                    if n_per_arm is not None
                    else None
                )
                for j, d in enumerate(days):
                    judged = intervals.judge(
                        name, reference, mean[j], low[j], high[j], unit, mcid, resolution, who
                    )
                    row = {
                        "plan": name,
                        "reference": reference,
                        "day": d,
                        "outcome": outcome,
                        "unit": unit,
                        "mean_difference": mean[j],
                        "ci_low": low[j],
                        "ci_high": high[j],
                        "interval": label,
                        "n": res.n_cohort,
                        "separated": bool(low[j] > 0 or high[j] < 0),
                        "mcid": math.nan if mcid is None else mcid[0],
                        "judgement": judged.kind,
                        "verdict": judged.words,
                        "mc_error": mc_error[j],
                    }
                    if trial is not None:
                        row.update({k: v[j] if isinstance(v, np.ndarray) else v for k, v in trial.items()})
                    rows.append(row)
        cols = [
            "plan",
            "reference",
            "day",
            "outcome",
            "unit",
            "mean_difference",
            "ci_low",
            "ci_high",
            "interval",
            "n",
            "separated",
            "mcid",
            "judgement",
            "verdict",
            "mc_error",
        ]
        if n_per_arm is not None:
            cols += ["next_trial_low", "next_trial_high", "next_trial_interval", "tau"]
        return pd.DataFrame(rows, columns=cols)

    @staticmethod
    def _next_trial(res, ref, outcome, plan_values, ref_values, diff, n_per_arm, level) -> dict:
        """The next-trial interval's columns for one plan and outcome (arrays over days)."""
        tau_smd, _ = intervals.HETEROGENEITY_TAU_SMD[intervals.heterogeneity_family(res.condition, outcome)]
        sd_plan, sd_ref = _patient_sd(res, plan_values), _patient_sd(ref, ref_values)
        tau = tau_smd * np.sqrt((sd_plan**2 + sd_ref**2) / 2)  # SMD units -> the outcome's unit
        low, high = intervals.next_trial_interval(
            diff.mean(axis=0), _evidence_variance(res, diff), sd_plan, sd_ref, tau, n_per_arm, level
        )
        return {
            "next_trial_low": low,
            "next_trial_high": high,
            "next_trial_interval": next_trial_label(level, n_per_arm, tau_smd, res),
            "tau": tau,
        }

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
    engine: str = "auto",
    progress: Progress | None = None,
    scenario: str | None = None,
    ensemble: bool | int | Ensemble = False,
) -> Comparison:
    """Simulate several plans on the same patients (common random numbers).

    Parameters
    ----------
    condition : Condition or str
    plans : mapping of name to Plan, or a list of plans / names; default all standard plans
    n_patients, days, seed, cohort, record_days, chunk_size, engine, scenario, ensemble
        As for :func:`simulate`. With an ``ensemble``, every plan runs on the same patients under the
        same members, so :meth:`Comparison.summary` and :meth:`Comparison.differences` report
        evidence intervals (the spread of the members' means).
    progress : callable, optional
        Called as ``progress(done, total, plan_name)`` each time a chunk of patients of a plan has run:
        ``done`` runs of ``total`` are finished, the last for ``plan_name``. ``total`` is the number of
        plans times the number of chunks: with a ``progress`` callback a cohort of more than
        :data:`PROGRESS_CHUNK_SIZE` rows runs in chunks of that many (the same numbers; as for
        ``record_days``, results then keep no ``final_state``), and ``record_days`` or
        ``chunk_size`` set their own chunks. Its return value is ignored; an exception it raises stops
        the comparison.
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

    cond = _condition(condition, scenario)
    if plans is None:
        plans = standard_plans()
    if isinstance(plans, Mapping):
        items = [(check_plan_name(str(k)), get_plan(v)) for k, v in plans.items()]  # keys reach tables
    elif isinstance(plans, list | tuple):
        items = []
        for given in plans:
            plan = get_plan(given)
            for earlier, (name, _) in zip(plans, items, strict=False):
                if name == plan.name and given == earlier:
                    raise ValueError(f"plans: {given!r} is given twice; give each plan once")
                if name == plan.name:
                    raise ValueError(
                        f"plans: {given!r} and {earlier!r} are both named {name!r}; a list of plans "
                        "needs distinct names (rename the plan, e.g. the 'name' key of a plan file, or "
                        "pass a dict of name -> plan)"
                    )
            items.append((plan.name, plan))
    else:
        raise ValueError("plans must be a dict of name -> Plan, or a list of plans or plan names")
    if not items:
        raise ValueError("plans is empty; give at least one plan")
    days = check_days(days)
    seed = check_seed(seed)
    record_days = check_record_days(record_days, days)
    chunk_size = check_chunk_size(chunk_size)
    _check_progress(progress)
    resolved = {name: plan.resolve(cond) for name, plan in items}
    choice = choose_engine(engine, None, cond, plans=list(resolved.values()))
    members = choose_members(ensemble, cond)
    _check_members(members)
    check_run_memory(n_patients, cohort, days, record_days, len(items), max(1, len(members[1])), chunk_size)
    df = cohort_for(cond, n_patients, seed, cohort)
    return Comparison(
        _run_plans(cond, resolved, df, days, seed, record_days, chunk_size, choice, progress, members)
    )


MAX_TRACE_POINTS = 10_000
"""Most steps :func:`trace_session` traces (a 45-minute session and an hour after it at 0.01 min)."""


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
    total = session.component_minutes + minutes_after
    if total / step_min > MAX_TRACE_POINTS:
        raise ValueError(
            f"step_min={step_min!r} traces {total:g} minutes in {math.ceil(total / step_min):,} steps; "
            f"at most {MAX_TRACE_POINTS:,} are traced: use step_min >= {total / MAX_TRACE_POINTS:.2g}"
        )
    df = cohort_for(cond, None if cohort is not None else n_patients, seed, cohort)
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
