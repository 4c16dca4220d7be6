"""What a clinician sees: instruments with measurement error at assessment visits, and responders.

The simulation's outcomes are true values. Clinicians measure them with a goniometer, the NPRS and a
hand-held dynamometer, each with a known error and a reading resolution, and judge "responders"
against minimal clinically important differences (MCIDs). Measurement noise is keyed by (seed,
patient, day, instrument), so the same patient measured on the same day reads the same in every plan.

Function score and WOMAC/NDI-like percentages
---------------------------------------------
The model's function score (0-100, 100 = normal) is a weighted mean of pain relief
(``1 - pain/10``), the share of normal ROM and the share of normal strength (weights
``function_weight_*`` in ``ptsim.core.parameters``). Questionnaires such as the WOMAC function subscale or
the Neck Disability Index report *disability* as a percentage of the worst possible score (0 % = no
disability). :func:`disability_pct` gives the model's counterpart, ``100 - function``. It is a
composite of the three modelled outcomes, not an item-by-item WOMAC or NDI: it moves in the same
direction and on the same 0-100 % scale, so percentage rules such as "a 20 % improvement of the
baseline disability" (Angst et al. 2002, ``MCID["function_percent"]``) can be applied to it, but its
absolute values are not WOMAC or NDI scores (assumption). The measured function score of a visit is
the same composite computed from the instrument readings (:func:`measured_function`).

Questionnaires
--------------
Each shipped condition names the questionnaire its trials report (WOMAC, NDI, RMDQ, SPADI:
``Condition.questionnaire``, see :mod:`ptsim.core.questionnaires`). Its score at a visit is the
questionnaire's mapping applied to the visit's instrument readings (:func:`measured_questionnaire`), so
it carries the readings' error; the questionnaire's own test-retest error is not added (assumption).
Responders on it use its MCID (:func:`questionnaire_responders`).
"""

from __future__ import annotations

import numpy as np

from ptsim.core.instruments import GONIOMETER_SEM_DEG, INSTRUMENTS, Instrument, goniometer
from ptsim.core.intervals import MCID
from ptsim.core.streams import standard_normals
from ptsim.core.vocabulary import OUTCOMES

__all__ = ["GONIOMETER_SEM_DEG", "INSTRUMENTS", "MCID", "Instrument", "goniometer"]


_INSTRUMENT_INDEX = {"rom": 0, "pain": 1, "strength": 2}
_COLUMNS = {name: o.column for name, o in OUTCOMES.items()}


def _instruments(condition) -> dict[str, Instrument]:
    """The instrument that reads each measured outcome (function is computed from the readings)."""
    return {"rom": goniometer(condition), "pain": INSTRUMENTS["nprs"], "strength": INSTRUMENTS["dynamometer"]}


def measure(result, days, seed: int = 0):
    """Measure a result's patients on assessment ``days`` with the instruments' errors.

    Parameters
    ----------
    result : Result
    days : list of int
        Assessment days (within the simulated horizon).
    seed : int
        Seed of the measurement noise (>= 0).

    Returns
    -------
    pandas.DataFrame
        ``patient_id, day, rom_deg, pain_nprs, strength_pct_normal`` as read by the instruments,
        ``function_0_100`` computed from the readings, and the condition's questionnaire score computed
        from them (a column named by :attr:`Questionnaire.column`, e.g. ``womac_0_100``) when the
        condition has one.
    """
    import pandas as pd

    last = result.days
    days = list(days)
    if not days:
        raise ValueError("days is empty: give at least one assessment day")
    for d in days:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 0 <= d <= last:
            raise ValueError(f"assessment days must be whole numbers in [0, {last}], got {d!r}")
    ids = result.cohort["patient_id"].to_numpy()
    instruments = _instruments(result.condition)
    frames = []
    for d in days:
        row = {"patient_id": ids, "day": np.full(ids.shape, d)}
        for outcome, inst in instruments.items():
            z = standard_normals(seed, "measurement", ids, d * 8 + _INSTRUMENT_INDEX[outcome])
            row[outcome] = inst.read(result.outcome(outcome)[:, result.columns([d])[0]], z)
        row["function"] = measured_function(row["pain"], row["rom"], row["strength"], result.condition)
        _add_questionnaire(row, result.condition)
        frames.append(pd.DataFrame(row))
    return pd.concat(frames, ignore_index=True).rename(columns=_COLUMNS)


def measure_baseline(cohort, condition, seed: int = 0, sim_seed: int | None = None):
    """Measure a cohort at intake (before the first session) with the instruments' errors.

    The true values are the model's pre-treatment values for the simulation seed ``sim_seed``
    (default ``seed``; :func:`ptsim.engine.simulate.pretreatment`): pain is the baseline pain times the
    day-0 symptom fluctuation (model v2; 1 with ``pain_fluctuation_sd_frac = 0``) and ROM is the
    tissue range less the guarding of that pain, as on every later visit. The noise is keyed as a
    visit on day -1, so it differs from every later visit and is the same for a patient in every plan.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Patients (``ptsim.inputs.cohort.COLUMNS``).
    condition : Condition
    seed : int
        Seed of the measurement noise.

    Returns
    -------
    pandas.DataFrame
        ``patient_id, rom_deg, pain_nprs, strength_pct_normal, function_0_100`` as read at intake.

    Examples
    --------
    >>> import ptsim
    >>> from ptsim.inputs.cohort import sample_cohort
    >>> cond = ptsim.load_condition("knee_oa")
    >>> base = measure_baseline(sample_cohort(cond, 5, seed=1), cond, seed=1)
    >>> bool(base["pain_nprs"].between(0, 10).all())
    True
    """
    import pandas as pd

    from ptsim.engine.simulate import pretreatment

    ids = cohort["patient_id"].to_numpy()
    # the model's pre-treatment state: intake pain (with the day's fluctuation), ROM with its guarding
    true = pretreatment(condition, cohort, seed if sim_seed is None else sim_seed)
    row = {"patient_id": ids}
    for outcome, inst in _instruments(condition).items():
        z = standard_normals(seed, "measurement", ids, -8 + _INSTRUMENT_INDEX[outcome])
        row[outcome] = inst.read(true[outcome], z)
    row["function"] = measured_function(row["pain"], row["rom"], row["strength"], condition)
    _add_questionnaire(row, condition)
    return pd.DataFrame(row).rename(columns=_COLUMNS)


def _add_questionnaire(row: dict, condition) -> None:
    if condition.questionnaire is not None:
        row[condition.questionnaire.column] = measured_questionnaire(
            row["pain"], row["rom"], row["strength"], condition
        )


def measured_questionnaire(pain_nprs, rom_deg, strength_pct_normal, condition) -> np.ndarray:
    """The condition's questionnaire score computed from instrument readings.

    A goniometer can read a little above the normal range (its error); the mapping takes the share of
    normal range, so a reading above normal counts as full range (a reading, not an input, is bounded,
    as the instruments bound their own readings).

    Raises
    ------
    ValueError
        If the condition names no questionnaire.
    """
    q = condition.questionnaire
    if q is None:
        raise ValueError(f"condition {condition.name!r} names no questionnaire (no [questionnaire] table)")
    rom = np.minimum(np.asarray(rom_deg, float), condition.rom_normal_deg)
    return q.score(
        np.asarray(pain_nprs, float), rom, np.asarray(strength_pct_normal, float), condition.rom_normal_deg
    )


def questionnaire_responders(condition, baseline, followup) -> np.ndarray:
    """Whether each patient's questionnaire score improved by its MCID (points or % of baseline).

    Examples
    --------
    >>> import ptsim
    >>> cond = ptsim.load_condition("chronic_neck_pain")  # NDI, MCID 9.5 points
    >>> questionnaire_responders(cond, [30.0, 30.0], [20.0, 25.0]).tolist()
    [True, False]
    """
    q = condition.questionnaire
    if q is None:
        raise ValueError(f"condition {condition.name!r} names no questionnaire (no [questionnaire] table)")
    return q.responders(baseline, followup)


def measured_function(pain_nprs, rom_deg, strength_pct_normal, condition) -> np.ndarray:
    """The function score (0-100) computed from instrument readings (the model's own composite).

    See the module notes for its relation to WOMAC/NDI-like disability percentages.
    """
    from ptsim.core.model import function_score

    return function_score(
        np.asarray(pain_nprs, float),
        np.asarray(rom_deg, float),
        np.asarray(strength_pct_normal, float),
        condition.rom_normal_deg,
        condition.parameters,
    )


def disability_pct(function_0_100) -> np.ndarray:
    """Disability as a percentage of the worst score (0 % = none), like a WOMAC-function or NDI %.

    ``100 - function``: the model's function score on the scale questionnaires report (see the module
    notes: a composite of pain, ROM and strength, not an item-by-item questionnaire).

    Examples
    --------
    >>> float(disability_pct(70.0))
    30.0
    """
    return 100.0 - np.asarray(function_0_100, float)


def function_responders(baseline_function, followup_function) -> np.ndarray:
    """Whether each patient's disability (``100 - function``) fell by >= 20 % of its baseline value.

    The percent rule of ``MCID["function_percent"]`` (Angst et al. 2002, WOMAC MCID 17-22 % of
    baseline). A patient with no baseline disability cannot improve and is not a responder.

    Examples
    --------
    >>> function_responders([50.0, 50.0], [65.0, 55.0]).tolist()
    [True, False]
    """
    before = disability_pct(baseline_function)
    after = disability_pct(followup_function)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(before > 0, 100.0 * (before - after) / before, 0.0)
    return pct >= MCID["function_percent"][0]


def pain_responders(baseline_nprs, followup_nprs, rule: str = "percent") -> np.ndarray:
    """Whether each patient's pain improved by at least the MCID.

    ``rule="percent"``: a drop of >= 30 % of baseline; ``"points"``: >= 2 points; ``"either"``.
    """
    drop = np.asarray(baseline_nprs, float) - np.asarray(followup_nprs, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(baseline_nprs > 0, 100.0 * drop / baseline_nprs, 0.0)
    by_points = drop >= MCID["pain_points"][0]
    by_pct = pct >= MCID["pain_percent"][0]
    rules = {"percent": by_pct, "points": by_points, "either": by_pct | by_points}
    if rule not in rules:
        raise ValueError(f"rule must be one of {', '.join(rules)}, got {rule!r}")
    return rules[rule]


def responder_rate(result, day: int, rule: str = "percent", seed: int = 0) -> float:
    """Share of patients whose measured pain on ``day`` improved by the MCID from the baseline visit.

    Baseline is the measured pain at the first visit (day 0, before the first session: the
    cohort's baseline pain read through the NPRS).
    """
    measured = measure(result, [day], seed)
    baseline = measure_baseline(result.cohort, result.condition, seed, result.seed)["pain_nprs"].to_numpy()
    return float(pain_responders(baseline, measured["pain_nprs"].to_numpy(), rule).mean())
