"""Adaptive plans: a policy decides each clinic session from what the clinician has measured.

A fixed plan gives the same session at every visit. A *policy* plays the clinician: at every clinic
visit it sees the measured outcomes so far (NPRS and goniometer readings at the start of each visit,
with the instruments' errors; never the model's true values) and decides the session, as
simglucose lets users plug a controller into its simulator. A policy is any object with

- ``plan``: a :class:`~ptsim.inputs.plans.Plan` giving the schedule (visits a week, the most weeks of care,
  the home programme); and
- ``next_session(day, history) -> decision``, where ``history`` is a :class:`History` and the decision
  is one of

  * a :class:`~ptsim.inputs.plans.Session`: every patient still in care gets it today;
  * ``None``: every patient is discharged today;
  * ``(variants, choice)``: a short list of sessions (or ``None`` = discharge) and an integer array
    with one entry per patient saying which variant each patient gets.

How it scales: the engine stays vectorised over patients. A decision with ``v`` variants costs ``v``
session runs over the whole cohort, then each patient keeps the result of its own variant, so a
policy should map patients to a small number of variants (a few intensity levels, with or without
manual therapy), not build one session per patient. Discharge is per patient: a discharged patient
gets no more visits, switches to the after-discharge home programme, and is at risk of setbacks from
that day (see :mod:`ptsim.analysis.followup`).

Shipped policies
----------------
:class:`FixedPolicy`
    The plan's session at every visit (same numbers as simulating the plan).
:class:`ProgressiveExercise`
    Progress exercise intensity by a step at each visit with measured pain <= 3/10 and step back when
    it is > 5/10 (the pain-monitoring model: Silbernagel et al.), between a start and a top
    intensity.
:class:`ManualWhenStalled`
    Exercise only, until the measured ROM has gained less than a threshold over the last visits;
    from then on the patient gets the condition's manual therapy before the exercise.
:class:`DischargeAtGoals`
    Wraps another policy: discharges a patient at the first visit (after a minimum number) where
    measured pain and ROM meet the goals.

Examples
--------
>>> import ptsim
>>> from ptsim.engine.adaptive import DischargeAtGoals, ProgressiveExercise, simulate_policy
>>> policy = DischargeAtGoals(ProgressiveExercise())
>>> res = simulate_policy("knee_oa", policy, n_patients=50, days=120, seed=0)
>>> res.policy_log.discharge_day.shape
(50,)
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ptsim.core import day
from ptsim.core.instruments import INSTRUMENTS, goniometer
from ptsim.core.streams import standard_normals
from ptsim.engine import vectorised
from ptsim.engine.choice import choose_engine
from ptsim.engine.loop import finish, prepare
from ptsim.engine.result import Result
from ptsim.engine.setup import check_days, cohort_for, day_plan
from ptsim.engine.vectorised import ALL
from ptsim.inputs.cohort import check_seed
from ptsim.inputs.conditions import load_condition
from ptsim.inputs.plans import Component, Plan, Session, standard_plans

_VISIT_INDEX = {"rom": 0, "pain": 1}


class Policy(Protocol):
    """What :func:`check_policy` accepts: a ``plan`` (the schedule) and ``next_session(day, history)``
    returning a Session, None (no session) or ``(variants, choice)`` (one session per patient)."""

    @property
    def plan(self) -> Plan: ...

    def next_session(self, day: int, history: History) -> Any: ...


@dataclass(frozen=True)
class History:
    """What the clinician has measured at the visits so far (today's visit included).

    Attributes
    ----------
    day : (k,) int array
        Visit days so far (day 0 = the first session); the last is today.
    pain_nprs : (n_patients, k) float array
        NPRS readings (whole numbers 0-10) at the start of each visit; NaN once a patient has been
        discharged (they are not seen).
    rom_deg : (n_patients, k) float array
        Goniometer readings (degrees) at the start of each visit; NaN once discharged.
    rom_normal_deg : float
        Normal range of the condition's movement (degrees).
    in_care : (n_patients,) bool array
        Patients not yet discharged (decisions for the others are ignored).
    """

    day: np.ndarray
    pain_nprs: np.ndarray
    rom_deg: np.ndarray
    rom_normal_deg: float
    in_care: np.ndarray

    @property
    def n_patients(self) -> int:
        return self.pain_nprs.shape[0]

    @property
    def n_visits(self) -> int:
        return self.pain_nprs.shape[1]


@dataclass
class PolicyLog:
    """What a policy decided, per patient.

    Attributes
    ----------
    discharge_day : (n_patients,) int array
        Day each patient was discharged (the plan's end of care if the policy never discharged them).
    session_code : (n_patients, days + 1) int array
        Index into ``sessions`` of the session each patient had on each day; -1 = no clinic session.
    sessions : list of Session
        The distinct sessions given (resolved to the condition's techniques).
    history : History
        The measured visit outcomes, as the policy saw them at the last visit.
    """

    discharge_day: np.ndarray
    session_code: np.ndarray
    sessions: list = field(default_factory=list)
    history: History | None = None

    def visits(self) -> np.ndarray:
        """Clinic sessions each patient attended, (n_patients,) int."""
        return (self.session_code >= 0).sum(axis=1)


class _Runner:
    """Plays the clinician at each visit of :func:`run_policy`: measures the patients in care, asks the
    policy, and writes its decisions into the run's tables (each patient's session code of the day,
    their discharge day) before the day goes on."""

    def __init__(self, policy, cond, run, ids, seed):
        self.policy, self.cond, self.run = policy, cond, run
        self.ids, self.seed = ids, seed
        self.sessions: list[Session] = []
        self._codes: dict[Session, int] = {}
        self._resolved: dict[Session, Session] = {}
        self.visit_days: list[int] = []
        self.pain_cols: list[np.ndarray] = []
        self.rom_cols: list[np.ndarray] = []
        self.nprs, self.gonio = INSTRUMENTS["nprs"], goniometer(cond)
        self.history: History | None = None

    def _resolve(self, session: Session) -> Session:
        if session not in self._resolved:
            self._resolved[session] = Plan("policy", session).resolve(self.cond).session
        return self._resolved[session]

    def _decision(self, d, history):
        name = type(self.policy).__name__
        got = self.policy.next_session(d, history)
        n = self.run.pts.n
        if got is None or isinstance(got, Session):
            return [got], np.zeros(n, dtype=int)
        expected = (
            "expected a Session, None (discharge), or (variants, choice): a list of Session/None and an "
            f"integer array of {n} variant indices"
        )
        if not (isinstance(got, tuple) and len(got) == 2):
            raise ValueError(f"policy {name}.next_session(day={d}) returned {got!r}; {expected}")
        variants, choice = got
        if not isinstance(variants, Sequence) or not variants:
            raise ValueError(
                f"policy {name}.next_session(day={d}): variants must be a non-empty list; {expected}"
            )
        for v in variants:
            if v is not None and not isinstance(v, Session):
                raise ValueError(
                    f"policy {name}.next_session(day={d}): variant {v!r} is not a Session or None"
                )
        choice = np.asarray(choice)
        if choice.shape != (n,) or not np.issubdtype(choice.dtype, np.integer):
            raise ValueError(
                f"policy {name}.next_session(day={d}): choice must be an integer array of shape ({n},), "
                f"got shape {choice.shape} and dtype {choice.dtype}"
            )
        if choice.min() < 0 or choice.max() >= len(variants):
            raise ValueError(
                f"policy {name}.next_session(day={d}): choice holds indices outside 0..{len(variants) - 1}"
            )
        return list(variants), choice

    def _measure(self, d) -> History:
        """The visit's readings (NPRS and goniometer, with their errors) of the patients in care."""
        run, idx = self.run, _VISIT_INDEX
        z_rom = standard_normals(self.seed, "visit_measurement", self.ids, d * 8 + idx["rom"])
        z_pain = standard_normals(self.seed, "visit_measurement", self.ids, d * 8 + idx["pain"])
        in_care = d < run.R.discharge
        self.visit_days.append(d)
        pain_now = day.pain(run.x, ALL)
        rom = self.gonio.read(day.rom(run.x, ALL, run.P, run.C, pain_now), z_rom)
        pain = self.nprs.read(pain_now, z_pain)
        self.rom_cols.append(np.where(in_care, rom, np.nan))  # discharged patients are not seen
        self.pain_cols.append(np.where(in_care, pain, np.nan))
        self.history = History(
            day=np.array(self.visit_days),
            pain_nprs=np.column_stack(self.pain_cols),
            rom_deg=np.column_stack(self.rom_cols),
            rom_normal_deg=self.cond.rom_normal_deg,
            in_care=in_care,
        )
        return self.history

    def visit(self, d: int) -> None:
        """Visit day ``d`` (after the day's start): the policy decides each patient in care's session,
        or discharges them (from today: no more visits, the maintenance programme, at risk of
        setbacks)."""
        run = self.run
        in_care = d < run.R.discharge
        variants, choice = self._decision(d, self._measure(d))
        for j, session in enumerate(variants):
            mask = in_care & (choice == j)
            if not mask.any():
                continue
            if session is None:
                run.R.discharge[mask] = d
                continue
            resolved = self._resolve(session)
            code = self._codes.setdefault(resolved, len(self.sessions))
            if code == len(self.sessions):
                self.sessions.append(resolved)
                run.S = day.sessions_table(self.sessions, self.cond.parameters, run.pts.n)
            run.R.codes[d, mask] = code

    def log(self) -> PolicyLog:
        R = self.run.R
        return PolicyLog(R.discharge.copy(), R.codes.T.astype(int), self.sessions, self.history)


def run_policy(cond, plan: Plan, df, days: int, seed: int, policy, engine: str = "numba") -> Result:
    """An adaptive plan for a validated cohort ``df``; ``plan`` is ``policy.plan`` resolved to the
    condition. The day loop is the fixed plan's (:func:`ptsim.engine.compiled._days` with
    ``engine="numba"`` (``"python"``: uncompiled), :func:`ptsim.engine.vectorised.run_days` with
    ``"numpy"``), run between visits; on a visit day the policy decides after the day's start."""
    check_policy(policy)
    if engine == "numpy":
        loop = types.SimpleNamespace(
            days=vectorised.run_days, start=vectorised.start_day, rest=vectorised.rest_of_day
        )
    else:
        from ptsim.engine import compiled

        k = compiled.kernels(engine == "numba")
        loop = types.SimpleNamespace(days=k._days, start=k._start_day, rest=k._rest_of_day)
    run = prepare(cond, plan, df, days, seed, policy=True)
    runner = _Runner(policy, cond, run, df["patient_id"].to_numpy(), seed)
    clinic = day_plan(plan, days)[0]
    d0 = 0
    with np.errstate(over="ignore"):  # (uncompiled, the uint64 hash warns on its intended wrap-around)
        for v in np.flatnonzero(clinic):
            if not (v < run.R.discharge).any():
                break  # everyone discharged: no more visits
            loop.days(run.x, d0, v, run.P, run.C, run.S, run.R, run.hit, run.Rec)
            loop.start(run.x, v, run.P, run.C, run.R, run.hit)
            runner.visit(int(v))
            loop.rest(run.x, v, run.P, run.C, run.S, run.R, run.hit, run.Rec)
            d0 = v + 1
        loop.days(run.x, d0, days + 1, run.P, run.C, run.S, run.R, run.hit, run.Rec)
    return finish(cond, plan, df, seed, run, engine, policy_log=runner.log())


def simulate_policy(
    condition,
    policy,
    n_patients: int | None = None,
    days: int = 365,
    seed: int = 0,
    cohort=None,
    engine: str = "auto",
):
    """Simulate an adaptive plan (a policy) for a cohort.

    The policy decides each visit in Python; the days between run on the same day loop as a fixed plan
    (the compiled kernel by default).

    Parameters
    ----------
    condition : Condition or str
    policy : object with ``plan`` and ``next_session(day, history)``
        See the module notes and the shipped policies.
    n_patients, days, seed, cohort, engine
        As for :func:`ptsim.simulate` (``n_patients`` defaults to 200 without a cohort).

    Returns
    -------
    Result
        As for a fixed plan, with ``policy_log`` (a :class:`PolicyLog`: per-patient discharge days and
        the session given at each visit).

    Raises
    ------
    ValueError
        If ``policy`` lacks ``plan`` or ``next_session``, or a decision is not valid (the message
        names the policy and the day).

    Examples
    --------
    >>> import ptsim
    >>> from ptsim.engine.adaptive import FixedPolicy, simulate_policy
    >>> plan = ptsim.standard_plans()["combined"]
    >>> a = simulate_policy("knee_oa", FixedPolicy(plan), n_patients=20, days=60, seed=2)
    >>> b = ptsim.simulate("knee_oa", plan, n_patients=20, days=60, seed=2)
    >>> bool((a.pain == b.pain).all())
    True
    """
    check_policy(policy)
    choice = choose_engine(engine, policy)
    cond = load_condition(condition)
    days = check_days(days)
    seed = check_seed(seed)
    df = cohort_for(cond, n_patients, seed, cohort)
    res = run_policy(cond, policy.plan.resolve(cond), df, days, seed, policy, engine=choice.name)
    res.engine_note = choice.note
    return res


def check_policy(policy) -> Policy:
    """Raise ``ValueError`` unless ``policy`` has a ``plan`` (a Plan) and a ``next_session`` method."""
    if not callable(getattr(policy, "next_session", None)) or not isinstance(
        getattr(policy, "plan", None), Plan
    ):
        raise ValueError(
            f"policy must have a 'plan' attribute (a Plan: the schedule) and a method "
            f"next_session(day, history); got {policy!r}"
        )
    if policy.plan.schedule is not None:
        raise ValueError(
            f"policy plan {policy.plan.name!r} has a schedule (phases/boosters); adaptive policies take a "
            "plan with sessions_per_week and weeks"
        )
    return policy


def _with_exercise_intensity(session: Session, intensity: float) -> Session:
    comps = tuple(
        Component(c.kind, c.minutes, intensity) if c.kind == "exercise" else c for c in session.components
    )
    return Session(comps, session.minutes)


@dataclass
class FixedPolicy:
    """The plan's own session at every visit: a fixed plan written as a policy.

    Examples
    --------
    >>> import ptsim
    >>> FixedPolicy(ptsim.standard_plans()["exercise_only"]).plan.name
    'exercise_only'
    """

    plan: Plan

    def next_session(self, day: int, history: History) -> Session:
        return self.plan.session


@dataclass
class ProgressiveExercise:
    """Progress exercise intensity while pain allows it (pain-monitoring model).

    The exercise components of ``plan``'s session run at a level that starts at
    ``start_intensity`` on the first visit. At each later visit the level moves by ``step``
    according to the pain measured at the start of the visit (the response to the sessions so far):
    up when pain <= ``progress_max_nprs`` (3/10), down when pain > ``regress_above_nprs`` (5/10),
    held otherwise; it stays within ``[start_intensity, max_intensity]`` (Silbernagel et al.
    pain-monitoring model: <= 3/10 safe, > 5/10 not acceptable; the step and the limits are
    assumptions).

    There are at most ``(max - start) / step + 1`` session variants.

    Parameters
    ----------
    plan : Plan, optional
        Schedule and session (default the standard ``exercise_only`` plan).
    start_intensity, step, max_intensity : float
        Exercise effort (share of maximal) at the first visit, per progression, and the top level.
    progress_max_nprs, regress_above_nprs : float
        Measured pain up to which intensity progresses, and above which it steps back.

    Examples
    --------
    >>> import numpy as np
    >>> pol = ProgressiveExercise()
    >>> h = History(np.array([0, 3]), np.array([[2.0, 1.0], [7.0, 6.0]]), np.zeros((2, 2)), 135.0,
    ...             np.array([True, True]))
    >>> pol.levels(h).tolist()  # patient 0 progressed at the second visit, patient 1 held
    [0.6, 0.5]
    """

    plan: Plan = field(default_factory=lambda: standard_plans()["exercise_only"])
    start_intensity: float = 0.5
    step: float = 0.1
    max_intensity: float = 0.9
    progress_max_nprs: float = 3.0
    regress_above_nprs: float = 5.0

    def __post_init__(self):
        if not 0 < self.start_intensity <= self.max_intensity <= 1:
            raise ValueError(
                "ProgressiveExercise: need 0 < start_intensity <= max_intensity <= 1, got "
                f"start_intensity={self.start_intensity!r}, max_intensity={self.max_intensity!r}"
            )
        if not self.step > 0:
            raise ValueError(f"ProgressiveExercise: step must be > 0, got {self.step!r}")
        if self.plan.session.exercise_minutes == 0:
            raise ValueError(f"ProgressiveExercise: plan {self.plan.name!r} has no exercise to progress")
        n_levels = int(np.floor((self.max_intensity - self.start_intensity) / self.step + 1e-9)) + 1
        self._levels = [round(self.start_intensity + k * self.step, 10) for k in range(n_levels)]
        self._variants = [_with_exercise_intensity(self.plan.session, x) for x in self._levels]

    def _steps(self, history: History) -> np.ndarray:
        top = len(self._variants) - 1
        k = np.zeros(history.n_patients, dtype=int)
        for j in range(1, history.n_visits):  # the first visit's reading is the intake, before any session
            pain = history.pain_nprs[:, j]
            k = np.clip(k + (pain <= self.progress_max_nprs) - (pain > self.regress_above_nprs), 0, top)
        return k

    def levels(self, history: History) -> np.ndarray:
        """Exercise intensity each patient gets at the current visit."""
        return np.array(self._levels)[self._steps(history)]

    def next_session(self, day: int, history: History):
        return self._variants, self._steps(history)


@dataclass
class ManualWhenStalled:
    """Exercise only until ROM stalls; then add manual therapy before the exercise.

    At each visit the measured ROM is compared with the reading ``lookback_visits`` visits earlier;
    if it has gained less than ``stall_deg`` the patient is judged to have stalled, and from that visit
    on gets ``manual_minutes`` of the condition's manual therapy before the exercise, in the same
    session time (the exercise is shortened: DESIGN M8). With a noisy goniometer a "stall" is judged on
    readings, as in clinic: shoulder goniometry has an SEM of about 11 degrees.

    Two session variants: ``plan``'s session and the one with manual therapy.

    Parameters
    ----------
    plan : Plan, optional
        Schedule and session without manual therapy (default the standard ``exercise_only`` plan).
    stall_deg : float
        Least measured gain over the look-back that counts as progress (degrees; default 5,
        assumption).
    lookback_visits : int
        Visits to look back (>= 1; default 2, about a week at 2 visits a week).
    manual_minutes : float
        Manual therapy minutes added (taken from the exercise).

    Examples
    --------
    >>> import numpy as np
    >>> pol = ManualWhenStalled()
    >>> rom = np.array([[90.0, 95.0, 104.0], [90.0, 92.0, 93.0]])
    >>> h = History(np.array([0, 3, 7]), np.zeros((2, 3)), rom, 135.0, np.array([True, True]))
    >>> pol.stalled(h).tolist()  # patient 1 gained 3 deg over two visits
    [False, True]
    """

    plan: Plan = field(default_factory=lambda: standard_plans()["exercise_only"])
    stall_deg: float = 5.0
    lookback_visits: int = 2
    manual_minutes: float = 15.0

    def __post_init__(self):
        if not (isinstance(self.lookback_visits, int) and self.lookback_visits >= 1):
            raise ValueError(
                "ManualWhenStalled: lookback_visits must be a whole number >= 1, "
                f"got {self.lookback_visits!r}"
            )
        ex = self.plan.session.exercise_minutes
        if not 0 < self.manual_minutes < ex:
            raise ValueError(
                f"ManualWhenStalled: manual_minutes must be > 0 and less than the session's {ex:g} exercise "
                f"minutes, got {self.manual_minutes!r}"
            )
        comps, taken = [], False
        for c in self.plan.session.components:
            if c.kind == "exercise" and not taken:
                comps.append(Component("manual_therapy", self.manual_minutes))
                comps.append(Component("exercise", c.minutes - self.manual_minutes, c.intensity))
                taken = True
            else:
                comps.append(c)
        self._variants = [self.plan.session, Session(tuple(comps), self.plan.session.minutes)]

    def stalled(self, history: History) -> np.ndarray:
        """Whether each patient has stalled at this or an earlier visit, (n_patients,) bool."""
        rom, lag = history.rom_deg, self.lookback_visits
        if history.n_visits <= lag:
            return np.zeros(history.n_patients, dtype=bool)
        gain = rom[:, lag:] - rom[:, :-lag]
        return (gain < self.stall_deg).any(axis=1)

    def next_session(self, day: int, history: History):
        return self._variants, self.stalled(history).astype(int)


@dataclass
class DischargeAtGoals:
    """Discharge patients who meet their goals; the others get what ``inner`` decides.

    A patient is discharged (no more visits; after-discharge home programme; at risk of setbacks) at
    the first visit, from visit ``min_visits + 1`` on, at which measured pain <= ``pain_goal_nprs``
    and measured ROM >= ``rom_goal_pct`` of normal. Goals are assumptions, set per use.

    Parameters
    ----------
    inner : policy
        Decides the session of patients who stay.
    pain_goal_nprs : float
        Pain goal (default 2/10).
    rom_goal_pct : float
        ROM goal as % of the normal range (default 90 %).
    min_visits : int
        Visits before discharge is considered (default 4).

    Examples
    --------
    >>> import numpy as np
    >>> import ptsim
    >>> pol = DischargeAtGoals(FixedPolicy(ptsim.standard_plans()["combined"]), min_visits=1)
    >>> h = History(np.array([0, 3]), np.array([[3.0, 1.0], [3.0, 4.0]]), np.array([[100.0, 130.0]] * 2),
    ...             135.0, np.array([True, True]))
    >>> pol.goals_met(h).tolist()
    [True, False]
    """

    inner: Policy
    pain_goal_nprs: float = 2.0
    rom_goal_pct: float = 90.0
    min_visits: int = 4

    def __post_init__(self):
        check_policy(self.inner)
        if not (isinstance(self.min_visits, int) and self.min_visits >= 0):
            raise ValueError(
                f"DischargeAtGoals: min_visits must be a whole number >= 0, got {self.min_visits!r}"
            )

    @property
    def plan(self) -> Plan:
        return self.inner.plan

    def goals_met(self, history: History) -> np.ndarray:
        """Whether each patient meets both goals at the current visit, (n_patients,) bool."""
        if history.n_visits <= self.min_visits:
            return np.zeros(history.n_patients, dtype=bool)
        pain_ok = history.pain_nprs[:, -1] <= self.pain_goal_nprs
        rom_ok = history.rom_deg[:, -1] >= self.rom_goal_pct / 100 * history.rom_normal_deg
        return pain_ok & rom_ok

    def next_session(self, day: int, history: History):
        inner = self.inner.next_session(day, history)
        n = history.n_patients
        if inner is None or isinstance(inner, Session):
            variants, choice = [inner], np.zeros(n, dtype=int)
        else:
            variants, choice = inner
            variants, choice = list(variants), np.asarray(choice)
        done = self.goals_met(history)
        return [*variants, None], np.where(done, len(variants), choice)
