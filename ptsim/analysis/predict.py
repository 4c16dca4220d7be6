"""Simulating published results (``data/evidence/published.csv``) on the scale each source reports.

One row of ``published.csv`` compares a quantity (a difference between arms, a change, a level, a
share of patients, a risk ratio, a median time) on an instrument (NPRS, a 0-100 pain or function
scale, degrees, a questionnaire, a standardised mean difference, %, a risk ratio, days). This module
turns one parameter set into the model's value of every row:

1. :func:`row_model` reads a row and says how the model expresses it (:class:`RowModel`): which
   outcome or event, the conversion to the row's instrument, whether it is read through the
   instruments, or why the model cannot express it (``not_modelled``).
2. :func:`simulate_rows` simulates every arm of one condition once, on one cohort and one seed
   (common random numbers: the arms of a comparison are the same patients), for as many days as
   the rows need, and applies the quantity's arithmetic (:func:`mean_difference`,
   :func:`standardized_mean_difference`, :func:`proportion_difference`, :func:`risk_ratio`, ...).

Measured or true values
-----------------------
Trials report what their instruments read, so a row on a day of follow-up uses the values measured
with the instruments' errors (:func:`ptsim.analysis.outcomes.measure`; the baseline visit:
:func:`~ptsim.analysis.outcomes.measure_baseline`), with the measurement noise keyed by the
simulation's seed. Its spread therefore includes measurement error, as a trial's SD does (this
matters for an SMD). Two kinds of row use true values instead: a row on day 0 ("immediately after one
session": the state right after the first clinic session, taken from the session itself, before any
visit is measured), and setbacks (a recurrence is an event of the model, not an instrument reading).

Events
------
A share of patients counts one of these events (:data:`EVENT_RULES` reads which from the row):

- ``success`` (a patient's global rating "much better", "recovered", "success"): measured pain on the
  row's day at least 30 % below the measured baseline (Farrar et al. 2001: a 30 % reduction
  corresponds to "much improved" on the patient's global impression of change);
- ``recurrence``: at least one setback within ``day`` days after the arm's discharge (a
  ``time_to_event`` row: the median day of the first one, undefined when fewer than half have one);
- ``near_normal`` ("normal or near-normal shoulder", "Constant-Murley >= 80"): the condition's
  questionnaire converted to the Constant-Murley score reads >= 80 on the row's day;
- ``surgery`` (knee replacement, arthroplasty, choosing surgery): ``not_modelled``, ptsim does not
  model surgery.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ptsim.analysis.evidence import INSTRUMENTS, QUANTITIES
from ptsim.analysis.outcomes import MCID, pain_responders
from ptsim.core.vocabulary import OUTCOMES
from ptsim.inputs.conditions import Condition

NOT_MODELLED = "not_modelled"

SUCCESS_PAIN_DROP_PCT = MCID["pain_percent"][0]
"""A patient counts as a success when measured pain fell by at least this share of baseline, in %
(``ptsim.analysis.outcomes.pain_responders``; Farrar et al. 2001: a 30 % reduction of pain intensity
corresponds to "much improved" on the patient's global impression of change)."""

NEAR_NORMAL_CONSTANT = 80.0
"""Constant-Murley score at or above which a shoulder counts as normal or near normal (Diercks &
Stevens 2004, the row's own definition)."""

CONTINUOUS = {
    # instrument: (model outcome, factor, offset, what the conversion is)
    "NPRS": ("pain", 1.0, 0.0, "the model's pain (NPRS 0-10)"),
    "pain_0_100": (
        "pain",
        10.0,
        0.0,
        "10 x the model's NPRS (assumption: a 100-mm VAS or a review's 0-100 pain reads as ten NPRS points)",
    ),
    "function_0_100": (
        "function",
        -1.0,
        100.0,
        "100 - the model's function score (ptsim.analysis.outcomes.disability_pct: a composite of pain, "
        "ROM and strength, not an item-by-item questionnaire)",
    ),
    "degrees": ("rom", 1.0, 0.0, "the model's range of motion"),
}
"""Instruments read from the model's own outcomes: value = offset + factor x outcome."""

QUESTIONNAIRE_SCALES = {
    # instrument: (condition questionnaire name, its range, factor, offset, what the conversion is)
    "WOMAC_0_100": ("womac", (0.0, 100.0), 1.0, 0.0, "the condition's WOMAC 0-100"),
    "WOMAC_0_240": (
        "womac",
        (0.0, 100.0),
        2.4,
        0.0,
        "2.4 x the condition's WOMAC 0-100 (the VAS version 0-240 normalised as x 100/240, "
        "data/evidence/instruments.csv)",
    ),
    "KOOS4_0_100": (
        "womac",
        (0.0, 100.0),
        -1.0,
        100.0,
        "100 - the condition's WOMAC 0-100 (assumption: KOOS contains the WOMAC items and scores 0-100 "
        "with 100 best; its four subscales are taken to move as the WOMAC total)",
    ),
    "NDI_0_50": ("ndi", (0.0, 50.0), 1.0, 0.0, "the condition's NDI 0-50"),
    "RMDQ_0_24": ("rmdq", (0.0, 24.0), 1.0, 0.0, "the condition's RMDQ 0-24"),
    "SPADI_0_100": ("spadi", (0.0, 100.0), 1.0, 0.0, "the condition's SPADI 0-100"),
    "Constant_0_100": (
        "spadi",
        (0.0, 100.0),
        -1.0,
        100.0,
        "100 - the condition's SPADI 0-100 (assumption: both are 0-100 shoulder pain-and-function totals, "
        "in opposite directions; no published conversion is used)",
    ),
}
"""Questionnaire instruments, read from the condition's questionnaire (``Condition.questionnaire``,
its mapping from the model's state in ``ptsim.core.questionnaires``): value = offset + factor x score."""

EVENT_RULES = (
    ("surgery", r"arthroplasty|knee replacement|\btkr\b|surgery"),
    ("recurrence", r"recurrence|setback"),
    ("near_normal", r"near-normal|constant(?:-murley)?(?: score)? >= ?80"),
    ("success", r"success|responder|much better|recovered"),
)
"""Which event a share of patients counts, by the first pattern found in the row's id and notes (or,
when neither names one, in its ``checked`` text)."""

MOVEMENTS = ("abduction", "flexion", "extension", "external_rotation", "internal_rotation", "rotation")
"""Movements a degrees row may name in its id; it must be the condition's ``rom_measure``."""

EVENT_INSTRUMENTS = {"proportion": "percent", "proportion_difference": "percent", "ratio": "risk_ratio"}


@dataclass(frozen=True)
class RowModel:
    """How the model expresses one published row.

    Attributes
    ----------
    id, quantity, instrument : str
        As in the row.
    outcome : str or None
        ``pain``, ``rom``, ``function`` or ``questionnaire`` for a continuous row; None for an event.
    event : str or None
        ``success``, ``recurrence`` or ``near_normal`` for a share, ratio or time; None otherwise.
    factor, offset : float
        Instrument value = offset + factor x model value (a difference or change uses factor only).
    measured : bool
        Read through the instruments (True) or true values (day 0, setbacks).
    not_modelled : str
        Why the model cannot express the row ("" when it can).
    description : str
        The mapping in words (for the report).
    """

    id: str
    quantity: str
    instrument: str
    outcome: str | None = None
    event: str | None = None
    factor: float = 1.0
    offset: float = 0.0
    measured: bool = True
    not_modelled: str = ""
    description: str = ""


def _row(row) -> dict:
    return dict(row) if not hasattr(row, "to_dict") else row.to_dict()


def event_of(row) -> str:
    """The event a share, ratio or time row counts (see :data:`EVENT_RULES`).

    Raises
    ------
    ValueError
        When neither the id and notes nor the checked text names an event the rules know.
    """
    r = _row(row)
    for text in (f"{r['id']} {r.get('notes', '')}", str(r.get("checked", ""))):
        text = text.lower()
        for kind, pattern in EVENT_RULES:
            if re.search(pattern, text):
                return kind
    raise ValueError(
        f"published row {r['id']!r}: cannot tell which event its {r['quantity']} counts; its id, notes or "
        f"checked text must name one of: {', '.join(k for k, _ in EVENT_RULES)} "
        "(ptsim.analysis.predict.EVENT_RULES)"
    )


def _smd_outcome(r: dict) -> str:
    # An SMD or a share of baseline is of pain unless the row says disability or function.
    return "questionnaire" if re.search(r"disabilit|function", r["id"].lower()) else "pain"


def _questionnaire(cond, rid: str, instrument: str, name: str = ""):
    """The condition's questionnaire, or a ValueError naming the row and the instrument."""
    q = getattr(cond, "questionnaire", None)
    if q is None:
        wanted = f" ({name})" if name else ""
        raise ValueError(
            f"published row {rid!r}: instrument {instrument} needs the condition's questionnaire{wanted}, "
            f"and condition {cond.name!r} names none (model v2's [questionnaire] table)"
        )
    return q


def _questionnaire_scale(instrument: str, cond, rid: str):
    name, (lo, hi), factor, offset, text = QUESTIONNAIRE_SCALES[instrument]
    q = _questionnaire(cond, rid, instrument, name)
    if q.name != name or (float(q.scale_min), float(q.scale_max)) != (lo, hi):
        raise ValueError(
            f"published row {rid!r}: instrument {instrument} is read from a {name} {lo:g}-{hi:g} "
            f"questionnaire; condition {cond.name!r} has {q.name} {q.scale_min:g}-{q.scale_max:g}"
        )
    return factor, offset, text


def row_model(row, condition) -> RowModel:
    """How the model expresses one row of ``published.csv`` (see the module notes).

    Parameters
    ----------
    row : mapping or pandas.Series
        A row of :func:`ptsim.analysis.evidence.published_targets`.
    condition : Condition
        The row's condition (its questionnaire and range of motion are read).

    Raises
    ------
    ValueError
        A quantity the instrument cannot carry, an event no rule names, a questionnaire instrument for
        a condition without that questionnaire: the message names the row and the instrument.
    """
    r = _row(row)
    rid, quantity, instrument, day = r["id"], r["quantity"], r["instrument"], int(r["day"])
    if quantity not in QUANTITIES:
        raise ValueError(
            f"published row {rid!r}: unknown quantity {quantity!r}; accepted: {', '.join(QUANTITIES)}"
        )
    if instrument not in INSTRUMENTS:
        raise ValueError(
            f"published row {rid!r}: unknown instrument {instrument!r}; accepted: {', '.join(INSTRUMENTS)}"
        )
    base = {"id": rid, "quantity": quantity, "instrument": instrument}
    if quantity in EVENT_INSTRUMENTS or quantity == "time_to_event":
        wanted = EVENT_INSTRUMENTS.get(quantity, "days")
        if instrument != wanted:
            raise ValueError(f"published row {rid!r}: a {quantity} is read on {wanted}, not on {instrument}")
        event = event_of(r)
        if event == "surgery":
            return RowModel(
                **base,
                not_modelled="ptsim does not model surgery (a joint replacement or choosing surgery)",
            )
        if quantity == "time_to_event" and event != "recurrence":
            raise ValueError(
                f"published row {rid!r}: a time_to_event is read for recurrences only, not {event}"
            )
        if event == "near_normal":
            factor, offset, _ = _questionnaire_scale("Constant_0_100", condition, rid)
            text = f"% with Constant-Murley >= {NEAR_NORMAL_CONSTANT:g} (Constant = 100 - SPADI) on day {day}"
            return RowModel(**base, event=event, factor=factor, offset=offset, description=text)
        if event == "recurrence":
            what = "median day of the first setback" if quantity == "time_to_event" else "% with a setback"
            text = f"{what} within {day} days after the arm's discharge (true events)"
            return RowModel(**base, event=event, measured=False, description=text)
        drop = f"{SUCCESS_PAIN_DROP_PCT:g} %"
        text = f"% whose measured pain on day {day} is >= {drop} below baseline (Farrar 2001)"
        return RowModel(**base, event=event, description=text)
    if quantity == "percent_of_baseline":
        if instrument != "percent":
            raise ValueError(
                f"published row {rid!r}: a percent_of_baseline is read on percent, not {instrument}"
            )
        outcome = _smd_outcome(r)
        if outcome == "questionnaire":
            _questionnaire(condition, rid, instrument)
        text = f"100 x mean measured {outcome} on day {day} / mean at the baseline visit"
        return RowModel(**base, outcome=outcome, description=text)
    if instrument == "SMD":
        if quantity not in ("between_arm_difference", "within_arm_change"):
            raise ValueError(f"published row {rid!r}: an SMD is a difference or a change, not a {quantity}")
        outcome = _smd_outcome(r)
        if outcome == "questionnaire":
            _questionnaire(condition, rid, instrument)
        what = "difference of means" if quantity == "between_arm_difference" else "mean change from baseline"
        return RowModel(
            **base,
            outcome=outcome,
            measured=day > 0,
            description=f"{what} of {outcome} on day {day} / pooled SD of the two groups of values",
        )
    if quantity not in ("between_arm_difference", "within_arm_change", "within_arm_level"):
        raise ValueError(f"published row {rid!r}: a {quantity} is not read on {instrument}")
    if instrument in CONTINUOUS:
        outcome, factor, offset, text = CONTINUOUS[instrument]
        if outcome == "rom":
            named = [m for m in MOVEMENTS if m in rid.lower()]
            measure = str(getattr(condition, "rom_measure", "")).lower()
            if named and named[0].replace("_", " ") not in measure:
                return RowModel(
                    **base,
                    not_modelled=f"ptsim models one range of motion for {condition.name} ({measure}); "
                    f"this row reports {named[0].replace('_', ' ')}",
                )
            text = f"the model's {measure or 'range of motion'} in degrees"
    elif instrument in QUESTIONNAIRE_SCALES:
        outcome = "questionnaire"
        factor, offset, text = _questionnaire_scale(instrument, condition, rid)
    else:
        raise ValueError(
            f"published row {rid!r}: instrument {instrument} has no model counterpart; accepted: "
            f"{', '.join([*CONTINUOUS, *QUESTIONNAIRE_SCALES, 'SMD', 'percent', 'risk_ratio', 'days'])}"
        )
    when = "immediately after the first session (true values)" if day == 0 else f"measured on day {day}"
    return RowModel(
        **base,
        outcome=outcome,
        factor=factor,
        offset=offset,
        measured=day > 0,
        description=f"{quantity} of {text}, {when}",
    )


# ---------------------------------------------------------------------------------------------------
# the arithmetic of each quantity: per-patient values in (along the last axis), one number out per
# leading index (a 1-d input gives a float; a (replicates, patients) input one value per replicate)


def _out(x):
    a = np.asarray(x, dtype=float)
    return float(a) if a.ndim == 0 else a


def pooled_sd(a, b):
    """Pooled standard deviation of two groups: sqrt(((na-1) var_a + (nb-1) var_b) / (na + nb - 2))."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = a.shape[-1], b.shape[-1]
    if na + nb < 3:
        return _out(np.full(np.broadcast_shapes(a.shape[:-1], b.shape[:-1]), math.nan))
    var_a = a.var(axis=-1, ddof=1 if na > 1 else 0)
    var_b = b.var(axis=-1, ddof=1 if nb > 1 else 0)
    return _out(np.sqrt(((na - 1) * var_a + (nb - 1) * var_b) / (na + nb - 2)))


def mean_difference(a, b):
    """mean(a) - mean(b), in the values' unit."""
    return _out(np.mean(np.asarray(a, float), axis=-1) - np.mean(np.asarray(b, float), axis=-1))


def _ratio(top, bottom, scale: float = 1.0):
    """scale x top / bottom where bottom != 0, else NaN."""
    top, bottom = np.asarray(top, float), np.asarray(bottom, float)
    ok = bottom != 0
    return _out(np.where(ok, scale * top / np.where(ok, bottom, 1.0), math.nan))


def standardized_mean_difference(a, b):
    """(mean(a) - mean(b)) / pooled SD (Cohen's d); NaN when the pooled SD is 0."""
    return _ratio(mean_difference(a, b), pooled_sd(a, b))


def percent(events):
    """Share of patients with the event, in %."""
    return _out(100.0 * np.mean(np.asarray(events, bool), axis=-1))


def proportion_difference(events_a, events_b):
    """Share with the event in a minus share in b, in percentage points."""
    return _out(np.asarray(percent(events_a)) - np.asarray(percent(events_b)))


def risk_ratio(events_a, events_b):
    """Share with the event in a divided by the share in b; NaN when b has none."""
    return _ratio(percent(events_a), percent(events_b))


def percent_of_baseline(level, baseline):
    """100 x mean(level) / mean(baseline); NaN when the baseline mean is 0."""
    return _ratio(
        np.mean(np.asarray(level, float), axis=-1), np.mean(np.asarray(baseline, float), axis=-1), 100.0
    )


def median_time_to_event(first_day):
    """Median of each patient's first event day (``inf`` for none within follow-up): the lower middle
    value, as a number of days; NaN when fewer than half had the event."""
    x = np.sort(np.asarray(first_day, float), axis=-1)
    if x.shape[-1] == 0:
        return _out(np.full(x.shape[:-1], math.nan))
    m = x[..., (x.shape[-1] - 1) // 2]
    return _out(np.where(np.isfinite(m), m, math.nan))


# ---------------------------------------------------------------------------------------------------
# simulating the rows of one condition


def _horizon(rm: RowModel, day: int, discharge_day: int) -> int:
    return discharge_day + day if rm.event == "recurrence" else day


def _session_states(cond, plan, cohort) -> dict[str, dict[str, np.ndarray]]:
    """True pain and ROM of each patient before (``"start"``) and right after (``"after"``) the plan's
    first clinic session, its day-0 visit; after = before when the plan has no visit on day 0."""
    from ptsim.core import model
    from ptsim.engine.setup import schedule
    from ptsim.engine.simulate import run_session
    from ptsim.inputs.cohort import to_patients

    pts, p = to_patients(cohort, cond), cond.parameters
    before = model.initial_state(pts)
    after = before
    clinic, _ = schedule(plan, 0)
    if bool(clinic[0]):
        after, _, _ = run_session(before, pts, p, plan.resolve(cond).session)
    return {
        day: {"pain": model.pain_nprs(s), "rom": model.rom_deg(s, pts, p)}
        for day, s in (("start", before), ("after", after))
    }


class _Arm:
    """One arm of one parameter set: its patients' values on the days its rows read.

    ``measured`` maps a follow-up day to the measured columns (one value per patient); ``setbacks``
    is the ``(patients, days + 1)`` setback-event array of the run.
    """

    def __init__(self, cond, plan, cohort, measured: dict, setbacks, baseline):
        self.cond, self.plan, self.cohort, self.baseline = cond, plan, cohort, baseline
        self.measured, self.setbacks = measured, setbacks
        self._immediate: dict[str, dict[str, np.ndarray]] | None = None

    def values(self, outcome: str, day, measured: bool) -> np.ndarray:
        """Per-patient values of an outcome on a day: measured on a follow-up day or at the baseline
        visit (``day="baseline"``); true values before (``day="start"``) and right after (``day=0``)
        the day-0 session."""
        if not measured:
            if outcome not in ("pain", "rom"):
                raise ValueError(f"immediately after a session only pain and ROM are read, not {outcome}")
            if self._immediate is None:
                self._immediate = _session_states(self.cond, self.plan, self.cohort)
            return self._immediate["start" if day == "start" else "after"][outcome]
        if day == "baseline":
            return _outcome_of_frame(self.baseline, outcome, self.cond)
        return _outcome_of_frame(self.measured[day], outcome, self.cond)

    def first_setback_after_discharge(self, window_days: int) -> np.ndarray:
        """Day (1 = the discharge day) of each patient's first setback in the window; inf if none."""
        start = self.plan.discharge_day
        w = self.setbacks[:, start : start + window_days]
        hit = w.any(axis=1)
        return np.where(hit, w.argmax(axis=1) + 1.0, np.inf)


_READ_COLUMNS = tuple(o.column for o in OUTCOMES.values())
"""Columns of a measured visit (``ptsim.analysis.outcomes.measure``) the rows read."""


def _outcome_of_frame(frame, outcome: str, cond) -> np.ndarray:
    """Per-patient values of an outcome from a measured visit (a DataFrame or a dict of columns)."""
    if outcome == "questionnaire":
        from ptsim.analysis import outcomes

        pain, rom, strength = (
            np.asarray(frame[OUTCOMES[k].column], float) for k in ("pain", "rom", "strength")
        )
        return outcomes.measured_questionnaire(pain, rom, strength, cond)
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; accepted: questionnaire, {', '.join(OUTCOMES)}")
    return np.asarray(frame[OUTCOMES[outcome].column], float)


def _value(rm: RowModel, r: dict, runs: dict, idx=None):
    """The row's value from its arms' per-patient values; with ``idx`` (``(replicates, patients)``
    patient indices, the same in every arm: the arms share their patients) one value per replicate."""

    def take(a):
        return a if idx is None else np.asarray(a)[idx]

    day = int(r["day"])
    arm, comp = runs[r["arm"]], runs.get(r["comparator"]) if r["comparator"] else None
    if QUANTITIES[rm.quantity] and comp is None:
        raise ValueError(f"published row {r['id']!r}: a {rm.quantity} needs a comparator arm")
    if rm.event is not None:
        if rm.event == "recurrence":
            first = take(arm.first_setback_after_discharge(day))
            if rm.quantity == "time_to_event":
                return median_time_to_event(first)
            events = np.isfinite(first)
            other = np.isfinite(take(comp.first_setback_after_discharge(day))) if comp else None
        else:

            def events_of(run):
                if rm.event == "success":
                    base, now = run.values("pain", "baseline", True), run.values("pain", day, True)
                    return take(pain_responders(base, now, "percent"))
                constant = rm.offset + rm.factor * run.values("questionnaire", day, True)
                return take(constant >= NEAR_NORMAL_CONSTANT)

            events = events_of(arm)
            other = events_of(comp) if comp else None
        if rm.quantity == "proportion":
            return percent(events)
        if rm.quantity == "proportion_difference":
            return proportion_difference(events, other)
        return risk_ratio(events, other)
    at = take(arm.values(rm.outcome, day, rm.measured))
    if rm.quantity == "percent_of_baseline":
        return percent_of_baseline(at, take(arm.values(rm.outcome, "baseline", True)))
    if rm.quantity == "within_arm_level":
        return _out(rm.offset + rm.factor * np.mean(at, axis=-1))
    if rm.quantity == "within_arm_change":
        before = take(arm.values(rm.outcome, "baseline" if rm.measured else "start", rm.measured))
        if rm.instrument == "SMD":
            return standardized_mean_difference(at, before)
        return _out(rm.factor * np.asarray(mean_difference(at, before)))
    assert comp is not None  # a between-arm difference has one (checked above)
    other = take(comp.values(rm.outcome, day, rm.measured))
    if rm.instrument == "SMD":
        return standardized_mean_difference(at, other)
    return _out(rm.factor * np.asarray(mean_difference(at, other)))


BOOTSTRAP_STREAM = 0xB007
"""Second word of the seed of the patient resamples (:func:`prepare_rows`), so they differ from the
simulation's own draws."""


@dataclass(frozen=True, eq=False)
class RowPlan:
    """What simulating one condition's rows needs that no parameter value changes: made once by
    :func:`prepare_rows`, used by every :func:`simulate_sets` call.

    Attributes
    ----------
    cond : Condition
        The condition the parameter sets modify.
    rows : list of dict
    models : list of RowModel
    plans : dict of str -> Plan
        The arms the modelled rows need.
    horizons : dict of str -> int
        Days each arm is simulated: as far as its rows read, no further.
    read : dict of str -> list of int
        Follow-up days (> 0) each arm's rows measure.
    n_patients, seed : int
    cohort : pandas.DataFrame
        The virtual patients, shared by every arm and parameter set.
    baseline : pandas.DataFrame or None
        The intake visit at ``cond``'s values (:func:`ptsim.analysis.outcomes.measure_baseline`).
    baseline_fixed : bool
        Whether the intake visit is the same for every parameter set (checked at the free parameters'
        bounds when given); otherwise it is measured again for each set.
    resamples : numpy.ndarray
        ``(1 + replicates, n_patients)`` patient indices: row 0 the cohort itself, then bootstrap
        resamples of the patients (the same in every arm), whose spread estimates the Monte-Carlo
        error of each row's value.
    """

    cond: Condition
    rows: list
    models: list
    plans: dict
    horizons: dict
    read: dict
    n_patients: int
    seed: int
    cohort: object
    baseline: object
    baseline_fixed: bool
    resamples: np.ndarray


def _baseline_frame(cohort, cond, seed: int):
    from ptsim.analysis.outcomes import measure_baseline

    return measure_baseline(cohort, cond, seed)


def prepare_rows(
    condition,
    rows,
    n_patients: int = 100,
    seed: int = 0,
    arms=None,
    models: list[RowModel] | None = None,
    replicates: int = 0,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> RowPlan:
    """The work of simulating a condition's published rows that no parameter value changes.

    Parameters
    ----------
    condition : Condition or str
    rows : pandas.DataFrame or list of mappings
        Rows of :func:`ptsim.analysis.evidence.published_targets`, all of this condition.
    n_patients, seed : int
        Virtual patients (one cohort shared by every arm) and the seed of the cohort, the model's
        draws and the measurement noise.
    arms : dict of name -> Plan, optional
        Default :func:`ptsim.analysis.calibrate.load_arms`.
    models : list of RowModel, optional
        :func:`row_model` of each row, when already made.
    replicates : int
        Bootstrap resamples of the patients kept for the Monte-Carlo error of each row (0: none).
    bounds : dict of name -> (low, high), optional
        The free parameters of the sets :func:`simulate_sets` will run: the intake visit is measured
        once when it is the same at their lower and upper bounds as at the condition's values.

    Raises
    ------
    ValueError
        A row of another condition, an unknown arm, or a row :func:`row_model` refuses.
    """
    from ptsim.analysis.calibrate import load_arms, with_values
    from ptsim.inputs.cohort import check_count, sample_cohort
    from ptsim.inputs.conditions import load_condition

    cond = load_condition(condition)
    arms = load_arms() if arms is None else arms
    rows = [_row(r) for _, r in rows.iterrows()] if hasattr(rows, "iterrows") else [_row(r) for r in rows]
    for r in rows:
        if r["condition"] != cond.name:
            raise ValueError(f"published row {r['id']!r} belongs to {r['condition']!r}, not to {cond.name!r}")
        for col in ("arm", "comparator"):
            if r[col] and r[col] not in arms:
                raise ValueError(
                    f"published row {r['id']!r}: {col} {r[col]!r} is not an arm; accepted: {', '.join(arms)}"
                )
    models = [row_model(r, cond) for r in rows] if models is None else list(models)
    n_patients = check_count(n_patients, "n_patients")
    if not (isinstance(replicates, int) and replicates >= 0):
        raise ValueError(f"replicates must be a whole number >= 0, got {replicates!r}")
    cohort = sample_cohort(cond, n_patients, seed)
    horizons: dict[str, int] = {}
    read: dict[str, set] = {}
    for rm, r in zip(models, rows, strict=True):
        if rm.not_modelled:
            continue
        for name in (r["arm"], r["comparator"]):
            if name:
                day = int(r["day"])
                horizons[name] = max(horizons.get(name, 0), _horizon(rm, day, arms[name].discharge_day))
                read.setdefault(name, set()).add(day)
    baseline = _baseline_frame(cohort, cond, seed) if horizons else None
    fixed = False
    if baseline is not None and bounds:
        fixed = all(
            _baseline_frame(cohort, with_values(cond, {k: b[i] for k, b in bounds.items()}), seed).equals(
                baseline
            )
            for i in (0, 1)
        )
    rng = np.random.default_rng([seed, BOOTSTRAP_STREAM])
    resamples = np.vstack(
        [np.arange(n_patients), rng.integers(0, n_patients, size=(replicates, n_patients))]
    ).astype(np.int64)
    return RowPlan(
        cond=cond,
        rows=rows,
        models=models,
        plans={k: arms[k] for k in horizons},
        horizons=horizons,
        read={k: sorted(d for d in v if d > 0) for k, v in read.items()},
        n_patients=n_patients,
        seed=seed,
        cohort=cohort,
        baseline=baseline,
        baseline_fixed=fixed,
        resamples=resamples,
    )


def _split_measured(res, read: list[int], seed: int, members: int, n: int) -> list[dict]:
    """Each member's measured columns on the read days, from one run of ``members`` blocks of ``n``
    patients (member-major, as an ensemble run orders its rows)."""
    from ptsim.analysis.outcomes import measure

    out: list[dict] = [{} for _ in range(members)]
    if not read:
        return out
    frame = measure(res, read, seed)
    day = frame["day"].to_numpy()
    columns = {c: frame[c].to_numpy(float) for c in _READ_COLUMNS}
    for d in read:
        at = day == d
        for c, v in columns.items():
            per_day = v[at]
            for k in range(members):
                out[k].setdefault(d, {})[c] = per_day[k * n : (k + 1) * n]
    return out


def simulate_sets(
    prep: RowPlan, sets: list[dict[str, float]], engine: str = "auto", replicates: bool = False
):
    """The model's value of each prepared row under each parameter set, simulated as one batch.

    Every set runs on the same patients and seed (common random numbers), in one
    :func:`ptsim.engine.simulate.compare` per distinct arm horizon with the sets as an ensemble (one
    cohort of ``len(sets) x n_patients`` rows); each arm only as far as its rows read.

    Parameters
    ----------
    prep : RowPlan
        From :func:`prepare_rows`.
    sets : list of dict
        Parameter values (names as in ``calibration.toml``); every set names the same parameters. A
        single empty set runs the prepared condition as it is.
    engine : {"auto", "numpy", "numba"}
    replicates : bool
        Also return each row's value on the prepared bootstrap resamples of the patients.

    Returns
    -------
    numpy.ndarray
        ``(len(sets), n_rows)`` values on each row's instrument (NaN for a ``not_modelled`` row and
        an undefined quantity); with ``replicates``, ``(len(sets), 1 + replicates, n_rows)`` whose
        index 0 along the middle axis is the cohort itself.
    """
    from ptsim.analysis.calibrate import with_values
    from ptsim.engine.simulate import compare
    from ptsim.inputs.ensembles import Ensemble

    if not sets:
        raise ValueError("sets is empty: give at least one parameter set")
    names = list(sets[0])
    for s in sets:
        if list(s) != names:
            raise ValueError(
                f"every parameter set must name the same parameters ({', '.join(names)}), got {list(s)}"
            )
    k_sets, n = len(sets), prep.n_patients
    conds = [with_values(prep.cond, s) for s in sets] if names else [prep.cond]
    measured: list[dict] = [{} for _ in range(k_sets)]
    setbacks: list[dict] = [{} for _ in range(k_sets)]
    by_horizon: dict[int, list[str]] = {}
    for arm, h in prep.horizons.items():
        by_horizon.setdefault(h, []).append(arm)
    for horizon, arm_names in sorted(by_horizon.items()):
        plans = {a: prep.plans[a] for a in arm_names}
        ens = None
        if names:
            # compare() refuses a one-member ensemble (its evidence interval would be a point); a lone
            # set runs as two identical members and only the first is read.
            run_sets = sets if k_sets > 1 else [sets[0], sets[0]]
            ens = Ensemble(prep.cond.name, {k: np.array([float(s[k]) for s in run_sets]) for k in names})
        comp = compare(
            prep.cond,
            plans,
            days=horizon,
            seed=prep.seed,
            cohort=prep.cohort,
            engine=engine,
            ensemble=ens or False,
        )
        for a in arm_names:
            res = comp[a]
            parts = _split_measured(res, prep.read[a], prep.seed, len(res.setback_events) // n, n)
            for k, part in enumerate(parts[:k_sets]):
                measured[k][a] = part
                setbacks[k][a] = res.setback_events[k * n : (k + 1) * n]
    idx = prep.resamples if replicates else None
    out = np.full((k_sets, len(prep.resamples) if replicates else 1, len(prep.rows)), math.nan)
    for k in range(k_sets):
        if prep.baseline is None or prep.baseline_fixed or not names:
            baseline = prep.baseline
        else:
            baseline = _baseline_frame(prep.cohort, conds[k], prep.seed)
        runs = {
            a: _Arm(conds[k], prep.plans[a], prep.cohort, measured[k][a], setbacks[k][a], baseline)
            for a in prep.plans
        }
        for j, (rm, r) in enumerate(zip(prep.models, prep.rows, strict=True)):
            if not rm.not_modelled:
                out[k, :, j] = _value(rm, r, runs, idx)
    return out if replicates else out[:, 0, :]


def simulate_rows(
    condition,
    rows,
    n_patients: int = 100,
    seed: int = 0,
    arms=None,
    engine: str = "auto",
    models: list[RowModel] | None = None,
) -> np.ndarray:
    """The model's value of each published row of one condition, on the row's instrument.

    Every arm is simulated on one cohort with one seed (common random numbers), each only as far as
    its rows read (a recurrence window ends ``day`` days after the arm's discharge):
    :func:`prepare_rows` then :func:`simulate_sets` with the condition as it is.

    Parameters
    ----------
    condition : Condition or str
    rows : pandas.DataFrame or list of mappings
        Rows of :func:`ptsim.analysis.evidence.published_targets`, all of this condition.
    n_patients : int
        Virtual patients (one cohort shared by every arm).
    seed : int
        Seed of the cohort, the model's draws and the measurement noise.
    arms : dict of name -> Plan, optional
        Default :func:`ptsim.analysis.calibrate.load_arms` (standard plans and ``arms.toml``).
    engine : {"auto", "numpy", "numba"}
    models : list of RowModel, optional
        :func:`row_model` of each row, when already made.

    Returns
    -------
    numpy.ndarray
        One value per row on its instrument; NaN for a ``not_modelled`` row and where the quantity is
        undefined (a median no half reached, a ratio over no events).

    Raises
    ------
    ValueError
        A row of another condition, an unknown arm, or a row :func:`row_model` refuses.
    """
    prep = prepare_rows(condition, rows, n_patients, seed, arms, models)
    return simulate_sets(prep, [{}], engine)[0]
