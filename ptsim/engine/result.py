"""What a run of the engine returns: per-patient trajectories (:class:`Result`) and daily cohort
summaries (:class:`DailySummary`). Every engine builds these; nothing here runs the model."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ptsim.core import model
from ptsim.core.intervals import MEMBERS_WITHOUT_MC_ERROR
from ptsim.core.vocabulary import OUTCOMES
from ptsim.inputs.cohort import to_patients
from ptsim.inputs.conditions import Condition
from ptsim.inputs.plans import Plan

if TYPE_CHECKING:  # pandas is imported where it is used, to keep `import ptsim` light
    import pandas as pd


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


BASELINE = "baseline"
"""The label of the pre-treatment values in summaries (the ``day`` of a summary's baseline rows)."""


def pretreatment(condition, cohort, seed: int) -> dict[str, np.ndarray]:
    """The true pre-treatment values of a cohort: the state before the first session, by outcome.

    The same in every plan (the same patients): ``rom`` (deg, with the guarding of the intake pain),
    ``pain`` (NPRS), ``strength`` (% of normal) and ``function`` (0-100), each ``(n_patients,)``.
    Model v2: intake pain is the cohort's baseline pain times the day-0 symptom fluctuation the engine
    draws for the simulation ``seed`` (:func:`ptsim.core.model.intake_state`; 1 with
    ``pain_fluctuation_sd_frac = 0``), so a patient screened on a bad day improves on average later.
    """
    pts = to_patients(cohort, condition)
    p = condition.parameters
    state = model.intake_state(pts, p, seed, cohort["patient_id"].to_numpy())
    rom, pain, strength = model.rom_deg(state, pts, p), model.pain_nprs(state), model.strength_pct(state, pts)
    function = model.function_score(pain, rom, strength, pts.rom_normal_deg, p)
    return {"rom": rom, "pain": pain, "strength": strength, "function": function}


def interval_label(level: float, result=None) -> str:
    """How an interval of a mean was made, in the words every table, figure and app uses.

    ``"t 95 % CI of the mean"``: the t confidence interval (patient sampling); for a ``result`` of an
    ensemble run ``"95 % evidence interval of the population mean (20 members; Monte-Carlo error in
    mc_error)"``: the percentiles over members of each member's mean, whose ends carry Monte-Carlo error
    when the members are fewer than :data:`ptsim.core.intervals.MEMBERS_WITHOUT_MC_ERROR`.
    """
    pct = f"{100 * level:g} %"
    members = None if result is None else result.members
    if members is None:
        return f"t {pct} CI of the mean"
    mc = "; Monte-Carlo error in mc_error" if len(members) < MEMBERS_WITHOUT_MC_ERROR else ""
    return f"{pct} evidence interval of the population mean ({len(members)} members{mc})"


def next_trial_label(level: float, n_per_arm: int, tau_smd: float, result=None) -> str:
    """How a next-trial interval was made (:meth:`ptsim.Comparison.differences` with ``n_per_arm``)."""
    pct = f"{100 * level:g} %"
    evidence = (
        "the evidence's uncertainty left out (ensemble=False)"
        if result is None or result.members is None
        else f"{len(result.members)} members"
    )
    return (
        f"{pct} next-trial interval: a new trial of {n_per_arm} per arm, between-trial tau {tau_smd:g} "
        f"patient SD, {evidence}"
    )


def outcome_names(condition) -> list[str]:
    """Outcomes a result of ``condition`` reports: ``OUTCOMES`` and its questionnaire (with its alias)."""
    q = condition.questionnaire
    return list(OUTCOMES) + ([q.name, "questionnaire"] if q is not None else [])


def outcome_unit(condition, name: str) -> str:
    """The unit of an outcome of ``condition`` (a questionnaire's unit names its scale)."""
    if name in OUTCOMES:
        return OUTCOMES[name].unit
    q = condition.questionnaire
    if q is not None and name in (q.name, "questionnaire"):
        return q.unit
    raise ValueError(f"unknown outcome {name!r}; accepted: {', '.join(outcome_names(condition))}")


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
        Day 0 is the first session (its values are at the end of that day, after the session); the
        pre-treatment values are :meth:`baseline`.
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
    daily: DailySummary | None = field(repr=False, default=None)
    policy_log: object = field(repr=False, default=None)
    """For an adaptive plan, a :class:`ptsim.engine.adaptive.PolicyLog` (per-patient discharge days and the
    sessions given); None for a fixed plan."""
    engine: str = "numpy"
    """The engine that ran: ``"numba"`` (compiled), ``"numpy"`` (vectorised) or ``"python"`` (the
    compiled kernel run uncompiled)."""
    engine_note: str | None = None
    """Why ``engine="auto"`` ran the numpy engine (numba missing, an adaptive plan); None otherwise."""
    ensemble_member: np.ndarray | None = field(repr=False, default=None)
    """With an ensemble (``simulate(..., ensemble=...)``), the stored member index of each row,
    ``(n_patients,)`` int: the cohort repeated once per member, member-major. None without one."""
    _baseline: dict | None = field(repr=False, default=None, compare=False)

    @property
    def n_patients(self) -> int:
        return self.rom.shape[0]

    @property
    def members(self) -> np.ndarray | None:
        """The ensemble members simulated (stored indices, in run order), or None without an ensemble."""
        if self.ensemble_member is None:
            return None
        return np.asarray(list(dict.fromkeys(self.ensemble_member.tolist())), dtype=np.int64)

    @property
    def n_cohort(self) -> int:
        """Distinct patients: ``n_patients`` without an ensemble, the rows per member with one."""
        members = self.members
        return self.n_patients if members is None else self.n_patients // len(members)

    def member_means(self, values: np.ndarray) -> np.ndarray:
        """Each ensemble member's mean of per-row ``values`` (``(n_patients, ...)``), ``(m, ...)`` in
        the order of :attr:`members` (ValueError without an ensemble)."""
        members = self.members
        if self.ensemble_member is None or members is None:
            raise ValueError("member_means needs a result of an ensemble run (ensemble=...)")
        return np.stack([values[self.ensemble_member == j].mean(axis=0) for j in members])

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

    def daily_summary(self) -> DailySummary:
        """Every simulated day's cohort mean and SD of each outcome, and events per day.

        Kept during the run when only some days were recorded (``record_days``); computed from
        the trajectories otherwise.
        """
        if self.daily is not None:
            return self.daily
        values = {k: getattr(self, k) for k in OUTCOMES}
        return DailySummary.from_arrays(
            self.day, self.n_patients, values, self.setback_events, self.flare_events
        )

    @property
    def questionnaire(self):
        """The condition's patient-reported questionnaire (:class:`ptsim.core.questionnaires.Questionnaire`),
        or None if its file names none."""
        return self.condition.questionnaire

    def outcome(self, name: str) -> np.ndarray:
        """An outcome array by name: ``rom``, ``pain``, ``strength``, ``function``, or the condition's
        questionnaire by its name (e.g. ``"womac"``) or as ``"questionnaire"``: its score on its own
        scale, mapped from each day's pain, ROM and strength (see ``docs/model.md``)."""
        if name in OUTCOMES:
            return getattr(self, name)
        q = self.questionnaire
        if q is not None and name in (q.name, "questionnaire"):
            return q.score(self.pain, self.rom, self.strength, self.condition.rom_normal_deg)
        raise ValueError(f"unknown outcome {name!r}; accepted: {', '.join(outcome_names(self.condition))}")

    def baseline(self, name: str) -> np.ndarray:
        """An outcome's true pre-treatment value for each patient, ``(n_patients,)``: the state before
        the first session (day 0 is after it), the same in every plan of a comparison.

        ``name`` as for :meth:`outcome` (a questionnaire's score is mapped from the baseline state).
        """
        if self._baseline is None:
            self._baseline = pretreatment(self.condition, self.cohort, self.seed)
        base = self._baseline
        if name in OUTCOMES:
            return base[name]
        q = self.questionnaire
        if q is not None and name in (q.name, "questionnaire"):
            return q.score(base["pain"], base["rom"], base["strength"], self.condition.rom_normal_deg)
        raise ValueError(f"unknown outcome {name!r}; accepted: {', '.join(outcome_names(self.condition))}")

    def to_frame(self):
        """Tidy DataFrame: one row per patient-day, units in the column names (and, for an ensemble
        run, the ``ensemble_member`` of each row)."""
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
                **(
                    {"ensemble_member": np.repeat(self.ensemble_member, t)}
                    if self.ensemble_member is not None
                    else {}
                ),
            }
        )

    def __repr__(self) -> str:
        return (
            f"Result({self.condition.name}, plan={self.plan.name!r}, n_patients={self.n_patients}, "
            f"days={self.days}, seed={self.seed})"
        )
