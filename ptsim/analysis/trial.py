"""Virtual randomised trials: parallel groups or 2x2 factorial, measured with noise, with drop-out.

A virtual trial does what a real one does. Patients are sampled from a condition, randomised to the
arms with the seed, treated, and assessed on the assessment days through the instruments of
:mod:`ptsim.analysis.outcomes` (goniometer, NPRS, dynamometer: measurement error and reading resolution).
Some drop out before the final visit. The analysis is what a trial statistician would do:

- :meth:`Trial.effects`: each arm against the reference arm by ANCOVA (outcome on arm and measured
  baseline, ordinary least squares with statsmodels), estimate with a 95 % CI and a p-value;
- :meth:`Trial.interaction`: in a 2x2 factorial (manual therapy yes/no x exercise yes/no), the
  interaction ``(both - exercise) - (manual - neither)`` by ANCOVA, with a warning when the cells'
  doses differ (:meth:`Trial.dose_imbalance`; :func:`factorial_arms` gives balanced cells);
- :meth:`Trial.responders`: responder rates by MCID, risk difference with a Newcombe CI and the
  number needed to treat;
- :func:`power`: power by simulation over sample sizes.

Patients in different arms are different people: each trial patient has its own id, so their random
numbers are independent draws (unlike :func:`ptsim.compare`, which gives every plan the same
patients). The same seed gives the same trial.

Drop-out is missing completely at random with a constant hazard, set so that the share ``dropout``
of the patients is lost by the final assessment day (default 10 %: assumption, no row of
EVIDENCE.md). A patient who drops out misses every assessment from then on; the analysis uses the
patients assessed on the day (complete cases), which is unbiased under this assumption.

Examples
--------
>>> import ptsim
>>> trial = ptsim.run_trial("knee_oa", ["exercise_only", "combined"], n_per_arm=30, seed=1)
>>> trial.effects()[["arm", "reference", "estimate", "ci_low", "ci_high", "p_value"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ptsim.core.streams import uniforms
from ptsim.core.vocabulary import OUTCOMES, get_outcome
from ptsim.inputs.cohort import check_count, check_seed, sample_cohort
from ptsim.inputs.conditions import Condition, load_condition
from ptsim.inputs.ensembles import Ensemble, choose_members, draw_members, with_member_values
from ptsim.inputs.plans import HANDS_ON, Component, HomeProgramme, Plan, Session, check_plan_name, get_plan

if TYPE_CHECKING:  # pandas is imported where it is used, to keep `import ptsim` light
    import pandas as pd

    from ptsim.engine.adaptive import Policy

DEFAULT_DROPOUT = 0.10
"""Share of patients lost to follow-up by the final assessment (assumption)."""

OUTCOME_COLUMNS = {name: o.column for name, o in OUTCOMES.items()}
"""Trial outcomes: short name -> column of the patient-level data (units in the name)."""

BYTES_PER_ASSESSMENT = 600
"""Memory of a trial's patient-level data per patient and assessment day (bytes): one row of about
twenty columns, held while the arms' rows are joined and sorted. Measured about 480 (knee OA, two
arms of 100,000 patients, one and eight assessment days: peak RSS over the start-up footprint)."""


def trial_memory_bytes(n_patients: int, days: int, n_assessments: int) -> int:
    """Estimated peak memory of simulating a trial (bytes).

    Parameters
    ----------
    n_patients : int
        Patients of every arm (and trial) together.
    days : int
        Last simulated day.
    n_assessments : int
        Assessment days (rows of the patient-level data per patient).

    Returns
    -------
    int
        The run's memory as :func:`ptsim.engine.setup.run_memory_bytes` counts it for one plan over all
        the patients (arms run one after the other on their own patients), plus
        :data:`BYTES_PER_ASSESSMENT` per patient and assessment day.
    """
    from ptsim.engine.setup import run_memory_bytes

    return run_memory_bytes(n_patients, days, None, 1) + n_patients * n_assessments * BYTES_PER_ASSESSMENT


def _check_trial_memory(n_per_arm: int, n_arms: int, n_trials: int, days: int, n_assessments: int) -> None:
    """Refuse, before the cohort is sampled, a trial whose memory (:func:`trial_memory_bytes`)
    exceeds what the system can give (the message names ``n_per_arm`` and ``n_trials``)."""
    from ptsim.inputs.memory import check_memory

    n = n_per_arm * n_arms * n_trials
    trials = f" x {n_trials} trials" if n_trials > 1 else ""
    check_memory(
        trial_memory_bytes(n, days, n_assessments),
        f"n_per_arm={n_per_arm}" + (f", n_trials={n_trials}" if n_trials > 1 else ""),
        f"{n:,} patients ({n_arms} arms{trials}) x {days + 1} days, and {BYTES_PER_ASSESSMENT} bytes per "
        f"patient and assessment day x {n_assessments}",
        advice="use fewer patients per arm, trials, days or assessment days",
    )


FACTORIAL_CELLS = {"neither": (0, 0), "manual": (1, 0), "exercise": (0, 1), "both": (1, 1)}
"""The cells of a 2x2 factorial design: cell -> (manual therapy, exercise), 1 = given."""

FACTORIAL_ARMS = {
    "control": (0, 0),
    "manual": (1, 0),
    "exercise": (0, 1),
    "manual_exercise": (1, 1),
}
"""The arms of :func:`factorial_arms`: name -> (manual therapy, exercise), 1 = given."""

FACTORIAL_DESIGNS = {
    "factorial_arms()": dict(FACTORIAL_ARMS),
    "standard_plans()": {
        "usual_care": (0, 0),
        "manual_only": (1, 0),
        "exercise_only": (0, 1),
        "combined": (1, 1),
    },
}
"""Arm names read as a 2x2 factorial without ``factors=``: where they come from -> arm -> (manual
therapy, exercise), 1 = given. The standard plans share one time budget, so their cells' doses differ
(:meth:`Trial.dose_imbalance`)."""

MANUAL_KINDS = HANDS_ON
"""Component kinds that count as the manual-therapy factor (the hands-on techniques)."""
EXERCISE_KINDS = ("exercise", "home exercise")
"""What counts as the exercise factor: supervised exercise and the home programme during care."""


def factorial_arms(
    manual_minutes: float = 15.0,
    exercise_minutes: float = 25.0,
    sessions_per_week: int = 2,
    weeks: int = 6,
    session_minutes: float = 45.0,
    home: HomeProgramme | None = None,
) -> dict[str, Plan]:
    """The four arms of a 2x2 factorial trial: manual therapy yes/no x exercise yes/no.

    Every arm has the same visits and 5 minutes of education (an attention control). The manual
    factor adds ``manual_minutes`` of the condition's indicated techniques; the exercise factor adds
    ``exercise_minutes`` of supervised exercise (after the manual therapy when both are given) and the
    home programme. Unlike the standard plans, the doses do not share a time budget: each factor is
    the same treatment whether or not the other is given, as a factorial design needs.

    Parameters
    ----------
    manual_minutes, exercise_minutes : float
        Minutes of each factor's component in a session (> 0).
    sessions_per_week, weeks : int
        Clinic visits a week and weeks of care.
    session_minutes : float
        Length of a session; must hold 5 + manual + exercise minutes.
    home : HomeProgramme, optional
        Home programme of the exercise arms (default ``HomeProgramme()``).

    Returns
    -------
    dict of str to Plan
        ``control``, ``manual``, ``exercise``, ``manual_exercise`` (the names of ``FACTORIAL_ARMS``).

    Examples
    --------
    >>> arms = factorial_arms()
    >>> sorted(arms)
    ['control', 'exercise', 'manual', 'manual_exercise']
    >>> str(arms["manual_exercise"].session)
    'education 5 min -> manual therapy 15 min grade III -> exercise 25 min at 70% effort'
    """
    home = HomeProgramme() if home is None else home
    edu = Component("education", 5)
    manual = Component("manual_therapy", manual_minutes)
    ex = Component("exercise", exercise_minutes)
    desc = {
        "control": "education only (attention control)",
        "manual": "education and manual therapy",
        "exercise": "education, exercise and a home programme",
        "manual_exercise": "education, manual therapy then exercise, and a home programme",
    }
    arms = {}
    for name, (m, e) in FACTORIAL_ARMS.items():
        comps = (edu, *((manual,) if m else ()), *((ex,) if e else ()))
        arms[name] = Plan(
            name,
            Session(comps, session_minutes),
            sessions_per_week,
            weeks,
            home if e else None,
            desc[name],
        )
    return arms


def _outcome_columns(condition=None) -> dict[str, str]:
    """Outcome name -> column: ``OUTCOME_COLUMNS`` and the condition's questionnaire (by its name and as
    ``"questionnaire"``), e.g. ``"womac" -> "womac_0_100"``."""
    q = None if condition is None else condition.questionnaire
    if q is None:
        return dict(OUTCOME_COLUMNS)
    return {**OUTCOME_COLUMNS, q.name: q.column, "questionnaire": q.column}


def course_minutes(plan: Plan | Policy) -> dict[str, float]:
    """Minutes of each treatment component over a plan's course of care (clinic and home).

    Supervised components count ``minutes x visits`` (``sessions_per_week x weeks``, or the visits of
    a schedule's phases and boosters); the home programme counts as ``"home exercise"``,
    ``minutes x days_per_week x weeks`` (during care, per phase for a schedule; the maintenance
    programme after discharge is not part of the trial's treatment). An adaptive plan (a policy)
    counts its starting plan.

    Examples
    --------
    >>> import ptsim
    >>> course_minutes(ptsim.standard_plans()["combined"])
    {'education': 60.0, 'manual_therapy': 180.0, 'exercise': 300.0, 'home exercise': 600.0}
    """
    plan = plan if isinstance(plan, Plan) else plan.plan
    out: dict[str, float] = {}
    if plan.schedule is None:
        visits = {plan.session: (plan.sessions_per_week or 0) * plan.weeks}
    else:
        last = max((plan.discharge_day, *plan.schedule.booster_days))
        ds = plan.day_schedule(last)
        visits = {s: int((ds.session_index == i).sum()) for i, s in enumerate(ds.sessions)}
    for session, n in visits.items():
        for c in session.components:
            out[c.kind] = out.get(c.kind, 0.0) + float(c.minutes) * n
    if plan.home is not None:
        home_weeks = sum(
            ph.weeks * (plan.home.days_per_week if ph.home_days_per_week is None else ph.home_days_per_week)
            for ph in plan.phases
        )
        out["home exercise"] = float(plan.home.minutes * home_weeks)
    return out


def _cell_name(levels) -> str:
    return next(c for c, v in FACTORIAL_CELLS.items() if v == tuple(levels))


def _outcome_column(outcome: str, condition=None) -> str:
    """The data column of an outcome: ``OUTCOMES`` (by name or column) or the condition's questionnaire."""
    q = None if condition is None else condition.questionnaire
    if q is not None and outcome in (q.name, "questionnaire", q.column):
        return q.column
    try:
        return get_outcome(outcome).column
    except ValueError as exc:
        if q is None:
            raise
        raise ValueError(f"{exc}; or the condition's questionnaire {q.name!r} ('questionnaire')") from None


def _arms(arms) -> dict[str, Plan | Policy]:
    if isinstance(arms, Mapping):
        items = list(arms.items())
    elif isinstance(arms, Sequence) and not isinstance(arms, str):
        items = [(a if isinstance(a, str) else getattr(a, "name", type(a).__name__), a) for a in arms]
    else:
        raise ValueError(
            f"arms must be a dict of arm name -> Plan (or plan name) or a list of plans / plan names, "
            f"got {arms!r}"
        )
    out: dict[str, Plan | Policy] = {}
    for name, plan in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"arms: an arm name must be a non-empty string, got {name!r}")
        if name in out:
            raise ValueError(f"arms: {name!r} is given twice; give each arm once")
        if not (isinstance(arms, Sequence) and name.endswith(".toml")):
            try:
                check_plan_name(name)  # arm names go into output files
            except ValueError as exc:
                raise ValueError(f"arms: arm {exc}") from None
        if callable(getattr(plan, "next_session", None)):
            from ptsim.engine.adaptive import check_policy

            out[name] = check_policy(plan)  # an adaptive plan
            continue
        try:
            out[name] = get_plan(plan)
        except ValueError as exc:
            raise ValueError(f"arms: unknown arm {name!r}: {exc}") from None
    if len(out) != len(items):
        raise ValueError("arms: arm names must be unique")
    if len(out) < 2:
        raise ValueError(f"arms: a trial needs at least 2 arms, got {len(out)}")
    return out


def _assess_days(assess_days, days):
    if isinstance(assess_days, int | np.integer) and not isinstance(assess_days, bool):
        assess_days = [assess_days]
    try:
        values = list(assess_days)
    except TypeError:
        raise ValueError(f"assess_days must be a list of whole days >= 0, got {assess_days!r}") from None
    if not values:
        raise ValueError("assess_days is empty: give at least one assessment day")
    for d in values:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 0:
            raise ValueError(f"assess_days must hold whole days >= 0, got {d!r}")
    values = sorted({int(d) for d in values})
    if days is None:
        days = values[-1]
    days = check_count(days, "days", 0)
    beyond = [d for d in values if d > days]
    if beyond:
        raise ValueError(
            f"assess_days {beyond} lie beyond the simulated horizon days={days}; "
            f"give assessment days in [0, {days}] or a longer horizon"
        )
    return values, days


def _check_dropout(dropout) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise ValueError(
            f"dropout must be the share of patients lost by the final assessment, in [0, 1), got {dropout!r}"
        )
    return float(dropout)


def _allocate(seed: int, n_trials: int, n_arms: int, n_per_arm: int) -> np.ndarray:
    """Arm index of every patient: trial ``t`` holds ids ``t*N .. (t+1)*N - 1`` (``N = arms x n``),
    allocated in equal numbers by a random permutation keyed by (seed, "trial", id)."""
    total = n_arms * n_per_arm
    ids = np.arange(n_trials * total, dtype=np.int64)
    u = uniforms(seed, "trial", ids).reshape(n_trials, total)
    rank = np.argsort(np.argsort(u, axis=1, kind="stable"), axis=1, kind="stable")
    return (rank // n_per_arm).ravel()


def _check_progress(progress) -> None:
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable progress(done, total, arm) or None, got {progress!r}")


def _counted_on(progress, before: int, total: int, label: str):
    """A progress callback for one part of a longer run: ``progress(before + done, total, "<arm>,
    <label>")`` (power's sample sizes, counted as one run)."""

    def heard(done: int, _part_total: int, arm: str) -> None:
        progress(before + done, total, f"{arm}, {label}")

    return heard


def _simulate_trials(
    cond: Condition,
    plans: dict[str, Plan],
    n_per_arm: int,
    seed: int,
    n_trials: int,
    assess_days: list[int],
    days: int,
    dropout: float,
    min_pain_nprs: float | None = None,
    engine: str = "auto",
    members: tuple[Ensemble | None, list[int]] = (None, []),
    progress=None,
):
    """Patient-level data of ``n_trials`` independent trials (a ``trial`` column tells them apart).

    Every arm is simulated once for the patients of all trials (vectorised over patients). With
    ``min_pain_nprs``, candidates are screened in id order and the first eligible ones enrolled. With
    an ensemble (``members``: the ensemble and the member indices to draw from), each patient runs
    under one member (:func:`_patients_condition`); the ``ensemble_member`` column says which. With a
    ``progress`` callback, each arm of more than ``PROGRESS_CHUNK_SIZE`` patients runs in chunks of
    that many and the callback hears ``progress(done, total, arm)`` after each (the same numbers: the
    random draws and the measurements are keyed by patient).
    """
    import pandas as pd

    from ptsim.analysis.outcomes import measure
    from ptsim.engine.simulate import PROGRESS_CHUNK_SIZE, run_cohort

    names = list(plans)
    total = len(names) * n_per_arm
    _check_trial_memory(n_per_arm, len(names), n_trials, days, len(assess_days))
    # the outcomes (and the questionnaire once, by its name), in the order of their columns
    columns = {k: v for k, v in _outcome_columns(cond).items() if k != "questionnaire"}
    cohort, base = _enrol(cond, n_trials * total, seed, min_pain_nprs, members)
    trial_of = dict(zip(cohort["patient_id"].to_numpy(), np.arange(len(cohort)) // total, strict=True))
    arm_idx = _allocate(seed, n_trials, len(names), n_per_arm)
    ids = cohort["patient_id"].to_numpy()
    if dropout > 0 and assess_days[-1] > 0:
        rate = -math.log1p(-dropout) / assess_days[-1]
        drop_day = -np.log(uniforms(seed, "dropout", ids)) / rate
    elif dropout > 0:  # the only assessment is on day 0: lose the share at once
        drop_day = np.where(uniforms(seed, "dropout", ids) < dropout, 0.0, np.inf)
    else:
        drop_day = np.full(ids.shape, np.inf)
    arm_cohorts = [cohort[arm_idx == a].reset_index(drop=True) for a in range(len(names))]
    size = PROGRESS_CHUNK_SIZE if progress is not None else max(1, len(cohort))
    chunks = [
        [(lo, min(lo + size, len(c))) for lo in range(0, len(c), size)] or [(0, 0)] for c in arm_cohorts
    ]
    total, done = sum(len(c) for c in chunks), 0
    frames = []
    for name, arm_cohort, bounds in zip(names, arm_cohorts, chunks, strict=True):
        arm = plans[name]
        for lo, hi in bounds:
            sub = arm_cohort.iloc[lo:hi].reset_index(drop=True)
            run_cond = _patients_condition(cond, sub, seed, members)
            if isinstance(arm, Plan):
                res = run_cohort(run_cond, arm.resolve(cond), sub, days, seed, engine=engine)
            else:  # an adaptive plan (policy; numpy engine), see ptsim.engine.adaptive
                res = run_cohort(run_cond, arm.plan.resolve(cond), sub, days, seed, policy=arm, engine=engine)
            m = measure(res, assess_days, seed)
            d_idx = m["day"].to_numpy()
            pos = np.tile(np.arange(len(sub)), len(assess_days))
            m.insert(0, "arm", name)
            m.insert(0, "trial", [trial_of[i] for i in m["patient_id"].to_numpy()])
            for out, col in columns.items():
                m[f"true_{col}"] = res.outcome(out)[pos, d_idx]
            if members[0] is not None:
                m["ensemble_member"] = _member_of(sub, seed, members)[pos]
            frames.append(m)
            done += 1
            if progress is not None:
                progress(done, total, name)
    df = pd.concat(frames, ignore_index=True)
    b = base.loc[df["patient_id"]]
    for col in columns.values():
        df.insert(df.columns.get_loc("day"), f"baseline_{col}", b[col].to_numpy())
    df["dropout_day"] = pd.Series(drop_day, index=ids).loc[df["patient_id"].to_numpy()].to_numpy()
    df["observed"] = df["dropout_day"] > df["day"]
    for col in columns.values():
        df.loc[~df["observed"], col] = np.nan
    return df.sort_values(["trial", "day", "patient_id"], ignore_index=True)


def _ols(y, X, level):
    import statsmodels.api as sm

    fit = sm.OLS(y, X).fit()
    ci = fit.conf_int(alpha=1 - level)
    return fit.params, ci[:, 0], ci[:, 1], fit.pvalues


def _check_level(level) -> float:
    if not (isinstance(level, float) and 0 < level < 1):
        raise ValueError(f"level must be a probability between 0 and 1, e.g. 0.95, got {level!r}")
    return level


class FactorialBalanceWarning(UserWarning):
    """A 2x2 factorial analysis of cells whose doses differ (see :meth:`Trial.dose_imbalance`)."""


@dataclass
class Trial:
    """A simulated randomised trial: its design, patient-level data and analyses.

    Attributes
    ----------
    condition : Condition
    arms : dict of str to Plan or adaptive plan (a policy of :mod:`ptsim.engine.adaptive`)
    n_per_arm : int
        Patients randomised to each arm.
    seed : int
    assess_days : list of int
        Assessment days (day 0 = first session; baseline is measured at intake, before it).
    days : int
        Simulated horizon (days).
    dropout : float
        Share of patients lost by the final assessment (missing completely at random).
    reference : str
        The arm the others are compared with.
    factors : dict of str to (int, int) or None
        For a 2x2 factorial trial, arm -> (manual therapy, exercise) with 1 = given.
    data : pandas.DataFrame
        Patient-level data (see :meth:`to_frame`).
    min_pain_nprs : float or None
        The entry criterion on pain measured at screening (None: everyone sampled is enrolled).
    """

    condition: Condition
    arms: dict[str, Plan | Policy]
    n_per_arm: int
    seed: int
    assess_days: list[int]
    days: int
    dropout: float
    reference: str
    factors: dict[str, tuple[int, int]] | None
    data: pd.DataFrame
    min_pain_nprs: float | None = None

    def __repr__(self) -> str:
        design = "2x2 factorial" if self.factors else "parallel-group"
        return (
            f"Trial({self.condition.name}, {design}, arms={list(self.arms)}, n_per_arm={self.n_per_arm}, "
            f"assess_days={self.assess_days}, dropout={self.dropout:g}, seed={self.seed})"
        )

    def to_frame(self):
        """Patient-level data: one row per patient and assessment day.

        Columns: ``arm, patient_id, baseline_<outcome>`` (intake readings), ``day``, the measured
        ``rom_deg, pain_nprs, strength_pct_normal, function_0_100`` (NaN once the patient has dropped
        out), ``true_<outcome>`` (the model's true values, which a real trial never sees),
        ``dropout_day`` (inf: never) and ``observed``; for a factorial trial also
        ``manual_therapy`` and ``exercise`` (1 = given); with an ensemble, ``ensemble_member`` (the
        stored member each patient was drawn).
        """
        df = self.data.drop(columns="trial").copy()
        if self.factors:
            df["manual_therapy"] = df["arm"].map({a: m for a, (m, _) in self.factors.items()})
            df["exercise"] = df["arm"].map({a: e for a, (_, e) in self.factors.items()})
        return df

    def _day(self, day) -> int:
        if day is None:
            return self.assess_days[-1]
        if day not in self.assess_days:
            raise ValueError(f"day {day!r} is not an assessment day; assessment days: {self.assess_days}")
        return int(day)

    def _complete(self, col, day):
        df = self.data[self.data["day"] == day]
        return df[df[col].notna()]

    def effects(
        self, outcome: str = "pain", day: int | None = None, level: float = 0.95, adjust: bool = True
    ):
        """Each arm against the reference arm: difference in mean outcome by ANCOVA.

        The outcome on ``day`` is regressed (ordinary least squares, statsmodels) on indicators of the
        arms and on the patient's measured baseline of the same outcome; the coefficient of an arm is
        its adjusted difference from the reference arm. Patients assessed on the day are analysed
        (complete cases).

        Parameters
        ----------
        outcome : str
            ``"pain"``, ``"rom"``, ``"strength"`` or ``"function"``, or the condition's questionnaire by
            its name (e.g. ``"womac"``, on its own scale) or as ``"questionnaire"`` (or the column name).
        day : int, optional
            An assessment day (default the last).
        level : float
            Confidence level (default 0.95).
        adjust : bool
            Adjust for baseline (ANCOVA, default); False gives the unadjusted difference in means.

        Returns
        -------
        pandas.DataFrame
            One row per non-reference arm: ``arm, reference, outcome, day, n_arm, n_reference,
            mean_arm, mean_reference, estimate, ci_low, ci_high, p_value, method``. The estimate is in
            the outcome's unit (arm minus reference: for pain, negative favours the arm).
        """
        import pandas as pd

        col, day, level = _outcome_column(outcome, self.condition), self._day(day), _check_level(level)
        df = self._complete(col, day)
        others = [a for a in self.arms if a != self.reference]
        arm = df["arm"].to_numpy()
        counts = {a: int((arm == a).sum()) for a in self.arms}
        if min(counts.values()) < 2:
            raise ValueError(f"too few patients assessed on day {day} to compare arms: {counts}")
        cols = [np.ones(len(df))]
        if adjust:
            cols.append(df[f"baseline_{col}"].to_numpy())
        cols += [(arm == a).astype(float) for a in others]
        est, lo, hi, p = _ols(df[col].to_numpy(), np.column_stack(cols), level)
        first = len(cols) - len(others)
        means = df.groupby("arm")[col].mean()
        rows = []
        for j, a in enumerate(others):
            k = first + j
            rows.append(
                (
                    *(a, self.reference, col, day, counts[a], counts[self.reference]),
                    *(means[a], means[self.reference], est[k], lo[k], hi[k], p[k]),
                    "ANCOVA on baseline (OLS)" if adjust else "difference in means (OLS)",
                )
            )
        return pd.DataFrame(
            rows,
            columns=[
                "arm",
                "reference",
                "outcome",
                "day",
                "n_arm",
                "n_reference",
                "mean_arm",
                "mean_reference",
                "estimate",
                "ci_low",
                "ci_high",
                "p_value",
                "method",
            ],
        )

    def _factorial(self) -> dict[str, tuple[int, int]]:
        if not self.factors:
            designs = "; ".join(f"{', '.join(arms)} ({where})" for where, arms in FACTORIAL_DESIGNS.items())
            raise ValueError(
                f"a 2x2 factorial analysis needs four arms that form the cells neither/manual/exercise/both; "
                f"this trial's arms are {', '.join(self.arms)}. Accepted: the arms {designs}, or your own "
                "four arms with run_trial(..., factors={arm: (manual, exercise)}) giving each arm's cell "
                "(1 = given). For equal doses in every cell use ptsim.analysis.trial.factorial_arms()."
            )
        return self.factors

    def cells(self) -> dict[str, str]:
        """Which arm plays which cell of the 2x2 design: cell (``neither``, ``manual``, ``exercise``,
        ``both``) -> arm name.

        Raises
        ------
        ValueError
            If the trial is not a 2x2 factorial (the message lists the accepted arms).
        """
        by_cell = {_cell_name(v): a for a, v in self._factorial().items()}
        return {c: by_cell[c] for c in FACTORIAL_CELLS}

    def factorial_design(self):
        """The 2x2 design: each cell's arm and its doses over the course of care.

        Returns
        -------
        pandas.DataFrame
            One row per cell (``neither, manual, exercise, both``): ``cell, arm, manual_therapy,
            exercise`` (1 = given), then minutes over the course of care (:func:`course_minutes`) of the
            hands-on techniques (``manual_therapy_min``), supervised exercise (``exercise_min``) and
            the home programme during care (``home_exercise_min``).
        """
        import pandas as pd

        rows = []
        for cell, arm in self.cells().items():
            minutes = course_minutes(self.arms[arm])
            rows.append(
                (
                    cell,
                    arm,
                    *FACTORIAL_CELLS[cell],
                    sum(minutes.get(k, 0.0) for k in MANUAL_KINDS),
                    minutes.get("exercise", 0.0),
                    minutes.get("home exercise", 0.0),
                )
            )
        columns = ["cell", "arm", "manual_therapy", "exercise"]
        return pd.DataFrame(
            rows, columns=[*columns, "manual_therapy_min", "exercise_min", "home_exercise_min"]
        )

    def dose_imbalance(self) -> str | None:
        """Why the cells' doses are not balanced, or None when they are.

        A 2x2 factorial isolates the interaction only if each factor is the same treatment in both
        cells that give it and absent from the others: the same minutes of every component of the
        factor (hands-on techniques for manual therapy; supervised and home exercise for exercise)
        over the course of care. The standard plans share one time budget (``combined`` gives 15
        minutes of manual therapy where ``manual_only`` gives 40), so their interaction mixes the
        dose difference with any synergy.
        """
        cells = self.cells()
        minutes = {c: course_minutes(self.arms[a]) for c, a in cells.items()}
        problems = []
        for j, (factor, kinds) in enumerate((("manual therapy", MANUAL_KINDS), ("exercise", EXERCISE_KINDS))):
            given = [c for c in cells if FACTORIAL_CELLS[c][j]]
            for kind in kinds:
                got = {c: minutes[c].get(kind, 0.0) for c in cells}
                where = ", ".join(f"{got[c]:g} min in {cells[c]} ({c})" for c in cells if got[c])
                if any(got[c] for c in cells if c not in given):
                    problems.append(f"{kind} ({factor}) is given in a cell without {factor}: {where}")
                elif len({got[c] for c in given}) > 1:
                    problems.append(f"{kind} differs between the {factor} cells: {where}")
        if not problems:
            return None
        return (
            "the 2x2 cells' doses are not balanced: "
            + "; ".join(problems)
            + ". The interaction then mixes the dose difference with any synergy; for a balanced "
            "design (each factor the same treatment with or without the other) use "
            "ptsim.analysis.trial.factorial_arms()."
        )

    def interaction(self, outcome: str = "pain", day: int | None = None, level: float = 0.95):
        """The manual x exercise interaction of a 2x2 factorial trial, by ANCOVA.

        Model: outcome = b0 + b1 baseline + b2 manual + b3 exercise + b4 manual x exercise. ``b4`` is
        the interaction ``(both - exercise) - (manual - neither)``: how much more (or less) manual
        therapy adds when exercise is given. For ROM a synergy is positive; for pain, negative. With
        the interaction in the model, ``b2`` and ``b3`` are the simple effects of one factor without
        the other.

        The arms of :func:`factorial_arms` and the standard plans ``usual_care, manual_only,
        exercise_only, combined`` are read as the cells ``neither, manual, exercise, both``; other
        arms need ``factors=`` in :func:`run_trial`. When the cells' doses are not balanced
        (:meth:`dose_imbalance`: the standard plans give 40 minutes of manual therapy alone but 15
        inside ``combined``) the result carries the reason and a :class:`FactorialBalanceWarning`
        is issued.

        Returns
        -------
        pandas.DataFrame
            Rows ``manual (without exercise)``, ``exercise (without manual)``,
            ``manual x exercise``; columns ``term, contrast`` (the arms it compares), ``outcome, day,
            estimate, ci_low, ci_high, p_value, n``. ``attrs["cells"]`` maps each cell to its arm
            (:meth:`cells`); ``attrs["dose_imbalance"]`` is :meth:`dose_imbalance` (None when
            balanced).

        Raises
        ------
        ValueError
            If the trial is not a 2x2 factorial (the message lists the accepted arms).
        """
        import pandas as pd

        factors = self._factorial()
        cells = self.cells()
        col, day, level = _outcome_column(outcome), self._day(day), _check_level(level)
        df = self._complete(col, day)
        m = df["arm"].map({a: v[0] for a, v in factors.items()}).to_numpy(float)
        e = df["arm"].map({a: v[1] for a, v in factors.items()}).to_numpy(float)
        X = np.column_stack([np.ones(len(df)), df[f"baseline_{col}"].to_numpy(), m, e, m * e])
        est, lo, hi, p = _ols(df[col].to_numpy(), X, level)
        terms = {
            "manual (without exercise)": f"{cells['manual']} - {cells['neither']}",
            "exercise (without manual)": f"{cells['exercise']} - {cells['neither']}",
            "manual x exercise": (
                f"({cells['both']} - {cells['exercise']}) - ({cells['manual']} - {cells['neither']})"
            ),
        }
        rows = [
            (t, c, col, day, est[k], lo[k], hi[k], p[k], len(df))
            for (t, c), k in zip(terms.items(), (2, 3, 4), strict=True)
        ]
        out = pd.DataFrame(
            rows,
            columns=["term", "contrast", "outcome", "day", "estimate", "ci_low", "ci_high", "p_value", "n"],
        )
        imbalance = self.dose_imbalance()
        out.attrs["cells"] = cells
        out.attrs["dose_imbalance"] = imbalance
        if imbalance is not None:
            warnings.warn(imbalance, FactorialBalanceWarning, stacklevel=2)
        return out

    def responders(
        self, outcome: str = "pain", day: int | None = None, rule: str = "percent", level: float = 0.95
    ):
        """Responder rates by MCID, risk differences against the reference arm, and the NNT.

        A pain responder improved by the MCID from the intake reading (``rule``: ``"percent"``, a
        30 % drop; ``"points"``, 2 points; ``"either"``; see :func:`ptsim.analysis.outcomes.pain_responders`);
        a function responder's disability (``100 - function``) fell by 20 % of baseline
        (:func:`ptsim.analysis.outcomes.function_responders`); a questionnaire responder (``outcome``
        the condition's questionnaire, e.g. ``"womac"``) improved by the questionnaire's MCID, in points
        or in % of baseline (:func:`ptsim.analysis.outcomes.questionnaire_responders`). The risk
        difference (arm minus reference) has a
        Newcombe hybrid-score CI and a score-test p-value (statsmodels). The number needed to treat
        is ``1 / risk difference`` (negative: needed to harm); its CI is given only when the risk
        difference's CI excludes 0 (otherwise it is unbounded: Altman 1998) and is NaN then.

        Returns
        -------
        pandas.DataFrame
            One row per arm: ``arm, outcome, day, rule, n, responders, rate``, and for the arms other
            than the reference ``risk_difference, rd_ci_low, rd_ci_high, p_value, nnt, nnt_ci_low,
            nnt_ci_high`` (NaN for the reference).
        """
        import pandas as pd
        from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

        from ptsim.analysis.outcomes import function_responders, pain_responders, questionnaire_responders

        q = self.condition.questionnaire
        q_names = () if q is None else (q.name, "questionnaire", q.column)
        if outcome not in ("pain", "function", "pain_nprs", "function_0_100", *q_names):
            also = f", or the condition's questionnaire {q.name!r} ('questionnaire')" if q is not None else ""
            raise ValueError(
                f"responders are defined for outcome 'pain' or 'function' (MCIDs){also}, got {outcome!r}"
            )
        col, day, level = _outcome_column(outcome, self.condition), self._day(day), _check_level(level)
        df = self._complete(col, day)
        if col == "pain_nprs":
            hit = pain_responders(df["baseline_pain_nprs"].to_numpy(), df[col].to_numpy(), rule)
        elif col == "function_0_100":
            if rule != "percent":
                raise ValueError(f"function responders use the percent rule only, got rule={rule!r}")
            hit = function_responders(df["baseline_function_0_100"].to_numpy(), df[col].to_numpy())
        else:
            assert q is not None  # the column is the questionnaire's
            if rule != "percent":
                raise ValueError(
                    f"{q.name} responders use its MCID ({q}); leave rule at its default, got rule={rule!r}"
                )
            hit = questionnaire_responders(
                self.condition, df[f"baseline_{col}"].to_numpy(), df[col].to_numpy()
            )
        arm = df["arm"].to_numpy()
        counts = {a: (int(hit[arm == a].sum()), int((arm == a).sum())) for a in self.arms}
        r_ref, n_ref = counts[self.reference]
        rows = []
        for a, (r, n) in counts.items():
            row = {"arm": a, "outcome": col, "day": day, "rule": rule, "n": n, "responders": r}
            row["rate"] = r / n if n else math.nan
            extra = dict.fromkeys(
                ["risk_difference", "rd_ci_low", "rd_ci_high", "p_value", "nnt", "nnt_ci_low", "nnt_ci_high"],
                math.nan,
            )
            if a != self.reference and n and n_ref:
                rd = r / n - r_ref / n_ref
                # statsmodels also computes an odds ratio, which divides by zero when a rate is 0 or 1;
                # the difference and its CI are still defined, so keep its warnings out of the lessons
                with np.errstate(divide="ignore", invalid="ignore"):
                    lo, hi = confint_proportions_2indep(
                        r, n, r_ref, n_ref, method="newcomb", compare="diff", alpha=1 - level
                    )
                    p = test_proportions_2indep(r, n, r_ref, n_ref, method="score", compare="diff").pvalue
                extra.update(risk_difference=rd, rd_ci_low=lo, rd_ci_high=hi, p_value=float(p))
                extra["nnt"] = 1.0 / rd if rd != 0 else math.inf
                if lo > 0 or hi < 0:
                    extra["nnt_ci_low"], extra["nnt_ci_high"] = sorted((1.0 / lo, 1.0 / hi))
            row.update(extra)
            rows.append(row)
        return pd.DataFrame(rows)


MAX_SCREENED_PER_ENROLLED = 50
"""Candidates screened per enrolled patient at most; an entry criterion that few meet is refused."""


def _check_min_pain(min_pain_nprs):
    if min_pain_nprs is None:
        return None
    ok = isinstance(min_pain_nprs, int | float) and not isinstance(min_pain_nprs, bool)
    if not ok or not 0 <= min_pain_nprs <= 10:
        raise ValueError(
            f"min_pain_nprs must be None or the least pain (NPRS 0-10) to enrol, got {min_pain_nprs!r}"
        )
    return float(min_pain_nprs)


def _member_of(cohort, seed: int, members) -> np.ndarray:
    """Each patient's ensemble member (a stored index), drawn with
    :func:`ptsim.inputs.ensembles.draw_members` from ``members`` (the ensemble and the indices chosen)."""
    chosen = np.asarray(members[1], dtype=np.int64)
    return chosen[draw_members(len(chosen), cohort["patient_id"].to_numpy(), seed)]


def _patients_condition(cond: Condition, cohort, seed: int, members) -> Condition:
    """The condition of ``cohort``'s rows: the condition, or with an ensemble (``members``) each
    patient's member's values as per-patient arrays."""
    ens = members[0]
    if ens is None:
        return cond
    return with_member_values(cond, ens, _member_of(cohort, seed, members))


def _enrol(cond, n: int, seed: int, min_pain_nprs, members=(None, [])):
    """The first ``n`` candidates (by id) whose pain measured at screening is at least ``min_pain_nprs``.

    Screening is the intake measurement (NPRS, with the day's symptom fluctuation): patients enrol on
    a bad day, and regression to the mean follows. Returns the cohort and its intake measurements.
    """
    from ptsim.analysis.outcomes import measure_baseline

    if min_pain_nprs is None:
        cohort = sample_cohort(cond, n, seed)
        at_intake = _patients_condition(cond, cohort, seed, members)
        return cohort, measure_baseline(cohort, at_intake, seed).set_index("patient_id")
    chosen: list[pd.DataFrame] = []
    bases: list[pd.DataFrame] = []
    screened, batch, found = 0, max(2 * n, 64), 0
    while found < n:
        if screened >= MAX_SCREENED_PER_ENROLLED * n:
            raise ValueError(
                f"min_pain_nprs={min_pain_nprs:g}: only {found} of {screened} screened patients qualify, "
                f"{n} are needed; lower min_pain_nprs (this condition's baseline pain is "
                f"{cond.baseline['pain_nprs'].mean:g} +/- {cond.baseline['pain_nprs'].sd:g})"
            )
        cand = sample_cohort(cond, batch, seed, first_id=screened)
        base = measure_baseline(cand, _patients_condition(cond, cand, seed, members), seed)
        ok = (base["pain_nprs"] >= min_pain_nprs).to_numpy()
        chosen.append(cand[ok])
        bases.append(base[ok])
        screened += batch
        found += int(ok.sum())
    cohort = _concat(chosen).iloc[:n].reset_index(drop=True)
    base = _concat(bases).iloc[:n].set_index("patient_id")
    return cohort, base


def _concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def _factors(names, factors) -> dict[str, tuple[int, int]] | None:
    """The arms' cells (arm -> (manual, exercise)): from ``factors=`` or known arm names, else None."""
    if factors is None:
        for design in FACTORIAL_DESIGNS.values():
            if set(names) == set(design):
                return {a: design[a] for a in names}
        return None
    accepted = (
        f"factors must map each of the four arms ({', '.join(names)}) to its cell (manual, exercise), "
        "1 = given, the cells (0, 0), (1, 0), (0, 1), (1, 1) once each"
    )
    if len(names) != 4:
        raise ValueError(f"{accepted}; a 2x2 factorial trial has exactly four arms, got {len(names)}")
    if not isinstance(factors, Mapping) or set(factors) != set(names):
        got = sorted(factors) if isinstance(factors, Mapping) else factors
        raise ValueError(f"{accepted}; got {got!r}")
    out = {}
    for a in names:
        v = factors[a]
        if not (
            isinstance(v, Sequence)
            and len(v) == 2
            and all(x in (0, 1) and not isinstance(x, float) for x in v)
        ):
            raise ValueError(f"{accepted}; arm {a!r} got {v!r}")
        out[a] = (int(v[0]), int(v[1]))
    if set(out.values()) != set(FACTORIAL_CELLS.values()):
        raise ValueError(f"{accepted}; got {out!r}")
    return out


def _setup(condition, arms, n_per_arm, seed, assess_days, dropout, days, reference):
    cond = load_condition(condition)
    plans = _arms(arms)
    n_per_arm = check_count(n_per_arm, "n_per_arm", 2)
    seed = check_seed(seed)
    assess, days = _assess_days(assess_days, days)
    dropout = _check_dropout(dropout)
    reference = next(iter(plans)) if reference is None else reference
    if reference not in plans:
        raise ValueError(f"reference {reference!r} is not an arm; arms: {', '.join(plans)}")
    return cond, plans, n_per_arm, seed, assess, days, dropout, reference


def _trial_members(ensemble, cond: Condition):
    """The ensemble and the members a trial's patients draw from: as for ``compare`` except that
    ``True`` means every stored member (a trial draws one member per patient, so more cost nothing)."""
    ens, chosen = choose_members(ensemble, cond)
    if ensemble is True and ens is not None:
        chosen = list(range(ens.n_members))
    return ens, chosen


def run_trial(
    condition,
    arms,
    n_per_arm: int,
    seed: int = 0,
    assess_days: Sequence[int] = (42,),
    dropout: float = DEFAULT_DROPOUT,
    days: int | None = None,
    reference: str | None = None,
    factors: Mapping[str, tuple[int, int]] | None = None,
    min_pain_nprs: float | None = None,
    engine: str = "auto",
    ensemble: bool | int | Ensemble = False,
    progress=None,
) -> Trial:
    """Simulate a randomised trial.

    Parameters
    ----------
    condition : Condition or str
        The condition (or a shipped condition's name, or a TOML path).
    arms : dict of str to Plan or plan name, or list of Plans / plan names
        The arms, in order (any number >= 2). The four arms of :func:`factorial_arms` make a 2x2
        factorial trial, and so do the standard plans ``usual_care, manual_only, exercise_only,
        combined`` (with unequal doses: see :meth:`Trial.dose_imbalance`). An arm may also be an
        adaptive plan (a policy of :mod:`ptsim.engine.adaptive`).
    n_per_arm : int
        Patients randomised to each arm (>= 2).
    seed : int
        Seed of everything: the patients, the allocation, treatment randomness, measurement noise and
        drop-out.
    assess_days : list of int
        Assessment days (day 0 = the first session; default the end of 6 weeks of care, day 42).
        Baseline is measured at intake, before the first session.
    dropout : float
        Share of patients lost by the final assessment, in [0, 1) (default 0.10, assumption; missing
        completely at random, constant hazard).
    days : int, optional
        Simulated horizon (default the last assessment day).
    reference : str, optional
        The arm the others are compared with (default the first).
    factors : dict, optional
        For your own 2x2 factorial arms: each of the four arms -> its cell (manual therapy,
        exercise) with 1 = given, e.g. ``{"rest": (0, 0), "mt": (1, 0), "ex": (0, 1), "mt_ex": (1, 1)}``.
    min_pain_nprs : float, optional
        Entry criterion: enrol only candidates whose pain measured at screening (intake, NPRS) is at
        least this (0-10). Candidates are screened in id order; with day-to-day symptom fluctuation
        (``pain_fluctuation_sd_frac``) patients then enrol on bad days and improve on average in
        every arm, usual care included: regression to the mean.
    engine : {"auto", "numba", "numpy"}
        As for :func:`ptsim.simulate` (adaptive arms run on the numpy engine).
    ensemble : bool, int or Ensemble
        Sample the trial's patients from the population the evidence allows: each patient draws one
        member of the condition's posterior ensemble (:func:`ptsim.inputs.ensembles.draw_members`,
        keyed by seed and patient id, so a patient keeps their member in every arm) and runs with its
        parameters. False (default): the condition's values. True: any stored member; an int ``m``:
        one of ``m`` evenly spaced members; an Ensemble: any of its members. The ``ensemble_member``
        column of the data says which. Unlike ``compare(..., ensemble=...)``, which runs every patient
        under every member and reports the spread of the members' means (what the evidence allows the
        true effect to be), a trial mixes the members in one sample: its effect estimates and
        confidence intervals are those one trial of such patients would report, and vary from trial to
        trial with both patient sampling and the members drawn. Not with the premise scenario.
    progress : callable, optional
        ``progress(done, total, arm)``, called after each chunk of patients of each arm (arms of more
        than :data:`ptsim.engine.simulate.PROGRESS_CHUNK_SIZE` patients run in chunks of that many,
        with the same numbers), e.g. to move a progress bar; ``total`` is the number of chunks of
        all arms. None (default): no calls.

    Returns
    -------
    Trial

    Raises
    ------
    ValueError
        An unknown arm, fewer than two arms, ``n_per_arm < 2``, an assessment day beyond ``days``, a
        drop-out share outside [0, 1), an unknown reference arm.

    Examples
    --------
    >>> import ptsim
    >>> from ptsim.analysis.trial import factorial_arms
    >>> t = ptsim.run_trial("knee_oa", factorial_arms(), n_per_arm=20, seed=3, assess_days=[42, 91])
    >>> t.interaction("rom").term.tolist()
    ['manual (without exercise)', 'exercise (without manual)', 'manual x exercise']
    >>> t.effects("pain", day=91).arm.tolist()
    ['manual', 'exercise', 'manual_exercise']
    """
    cond, plans, n, seed, assess, days, dropout, reference = _setup(
        condition, arms, n_per_arm, seed, assess_days, dropout, days, reference
    )
    min_pain = _check_min_pain(min_pain_nprs)
    members = _trial_members(ensemble, cond)
    _check_progress(progress)
    data = _simulate_trials(
        cond, plans, n, seed, 1, assess, days, dropout, min_pain, engine, members, progress
    )
    fac = _factors(list(plans), factors)
    return Trial(cond, plans, n, seed, assess, days, dropout, reference, fac, data, min_pain)


def repeat_trials(
    condition,
    arms,
    n_per_arm: int,
    n_trials: int,
    seed: int = 0,
    assess_days: Sequence[int] = (42,),
    dropout: float = DEFAULT_DROPOUT,
    days: int | None = None,
    reference: str | None = None,
    factors: Mapping[str, tuple[int, int]] | None = None,
    min_pain_nprs: float | None = None,
    engine: str = "auto",
    ensemble: bool | int | Ensemble = False,
    progress=None,
) -> list[Trial]:
    """Many independent replications of a trial, simulated together (fast).

    All trials' patients run through the engine at once (one run per arm), so 200 small trials cost
    about as much as one trial of 200 times the size. Trial ``t`` holds patient ids
    ``t*N ... (t+1)*N - 1`` (``N`` = arms x ``n_per_arm``): the first is exactly
    ``run_trial(..., seed=seed)``, and the others are different patients with their own allocation.
    Use it to see how estimates and CIs vary from trial to trial.

    Parameters
    ----------
    n_trials : int
        Number of trials (>= 1).
    condition, arms, n_per_arm, seed, assess_days, dropout, days, reference, factors, min_pain_nprs
        As for :func:`run_trial` (with an entry criterion, trial ``t`` holds the enrolled patients
        ``t*N ... (t+1)*N - 1`` in screening order instead of those ids).
    engine, ensemble, progress
        As for :func:`run_trial` (``progress`` hears every chunk of the patients of all trials).

    Returns
    -------
    list of Trial

    Examples
    --------
    >>> import ptsim
    >>> trials = repeat_trials("knee_oa", ["exercise_only", "combined"], n_per_arm=10, n_trials=5)
    >>> [round(t.effects().estimate.iloc[0], 2) for t in trials]  # doctest: +SKIP
    """
    cond, plans, n, seed, assess, days, dropout, reference = _setup(
        condition, arms, n_per_arm, seed, assess_days, dropout, days, reference
    )
    n_trials = check_count(n_trials, "n_trials", 1)
    fac = _factors(list(plans), factors)
    min_pain = _check_min_pain(min_pain_nprs)
    members = _trial_members(ensemble, cond)
    _check_progress(progress)
    data = _simulate_trials(
        cond, plans, n, seed, n_trials, assess, days, dropout, min_pain, engine, members, progress
    )
    return [
        Trial(
            cond, plans, n, seed, assess, days, dropout, reference, fac, df.reset_index(drop=True), min_pain
        )
        for _, df in data.groupby("trial")
    ]


def power(
    condition,
    arms,
    n_per_arm: int | Sequence[int] = (10, 20, 40, 80),
    n_trials: int = 200,
    seed: int = 0,
    outcome: str = "pain",
    day: int | None = None,
    alpha: float = 0.05,
    assess_days: Sequence[int] = (42,),
    dropout: float = DEFAULT_DROPOUT,
    reference: str | None = None,
    min_pain_nprs: float | None = None,
    engine: str = "auto",
    progress=None,
):
    """Power by simulation: the share of simulated trials whose ANCOVA p-value is below ``alpha``.

    For each sample size, ``n_trials`` independent trials are simulated (all of them in one
    vectorised run per arm) and analysed as :meth:`Trial.effects` does. Trial ``t`` of a sample size
    uses patient ids ``t*N ... (t+1)*N - 1``, so the first trial is ``run_trial(..., seed=seed)``.

    Parameters
    ----------
    condition, arms, assess_days, dropout, reference, min_pain_nprs, engine
        As for :func:`run_trial`.
    n_per_arm : list of int
        Sample sizes per arm to evaluate (each >= 2).
    n_trials : int
        Simulated trials per sample size (>= 10; the Monte-Carlo SE is about
        ``sqrt(power (1 - power) / n_trials)``).
    seed : int
    outcome : str
        ``"pain"``, ``"rom"``, ``"strength"``, ``"function"`` or the condition's questionnaire (e.g.
        ``"womac"``).
    day : int, optional
        Assessment day of the primary outcome (default the last of ``assess_days``).
    alpha : float
        Two-sided significance level.
    progress : callable, optional
        ``progress(done, total, "<arm>, n_per_arm=<n>")`` after each chunk of patients of each arm
        and sample size (:func:`run_trial`'s ``progress``, counted over all the sizes). None
        (default): no calls.

    Returns
    -------
    pandas.DataFrame
        One row per sample size and non-reference arm: ``n_per_arm, arm, reference, power, mc_se,
        n_trials, mean_estimate``; ready to plot power against ``n_per_arm``.

    Examples
    --------
    >>> import ptsim
    >>> table = ptsim.power("knee_oa", ["usual_care", "combined"], n_per_arm=[5, 20], n_trials=20)
    >>> list(table.columns[:5])
    ['n_per_arm', 'arm', 'reference', 'power', 'mc_se']
    """
    import pandas as pd

    asked = [n_per_arm] if isinstance(n_per_arm, int | np.integer) else list(n_per_arm)
    sizes = [check_count(n, "n_per_arm", 2) for n in asked]
    if not sizes:
        raise ValueError("n_per_arm is empty: give at least one sample size")
    n_trials = check_count(n_trials, "n_trials", 10)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a probability between 0 and 1, e.g. 0.05, got {alpha!r}")
    cond, plans, _, seed, assess, days, dropout, reference = _setup(
        condition, arms, sizes[0], seed, assess_days, dropout, None, reference
    )
    col = _outcome_column(outcome, cond)
    min_pain = _check_min_pain(min_pain_nprs)
    if day is None:
        day = assess[-1]
    if day not in assess:
        raise ValueError(f"day {day!r} is not an assessment day; assessment days: {assess}")
    _check_progress(progress)
    from ptsim.engine.simulate import PROGRESS_CHUNK_SIZE

    chunks = {n: len(plans) * -(-n_trials * n // PROGRESS_CHUNK_SIZE) for n in sizes}  # as run with progress
    total, before = sum(chunks.values()), 0
    rows = []
    for n in sizes:
        heard = None if progress is None else _counted_on(progress, before, total, f"n_per_arm={n}")
        data = _simulate_trials(
            cond, plans, n, seed, n_trials, assess, days, dropout, min_pain, engine, progress=heard
        )
        before += chunks[n]
        estimates: dict[str, list[float]] = {a: [] for a in plans if a != reference}
        significant = {a: 0 for a in estimates}
        for _, trial_df in data.groupby("trial"):
            t = Trial(cond, plans, n, seed, assess, days, dropout, reference, None, trial_df, min_pain)
            try:
                eff = t.effects(col, day, level=1 - alpha)
            except ValueError:  # too few patients left after drop-out: the trial fails to show anything
                continue
            for r in eff.itertuples():
                estimates[r.arm].append(r.estimate)
                significant[r.arm] += r.p_value < alpha
        for a in estimates:
            pw = significant[a] / n_trials
            rows.append(
                (
                    n,
                    a,
                    reference,
                    pw,
                    math.sqrt(pw * (1 - pw) / n_trials),
                    n_trials,
                    float(np.mean(estimates[a])),
                )
            )
    cols = ["n_per_arm", "arm", "reference", "power", "mc_se", "n_trials", "mean_estimate"]
    return pd.DataFrame(rows, columns=cols)
