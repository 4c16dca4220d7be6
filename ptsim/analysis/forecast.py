"""Forecast one real patient: measured visits in, each plan's predicted course out.

What it does
------------
A clinician has measured a patient at a few visits (pain on the NPRS, ROM with a goniometer,
strength with a dynamometer, the condition's questionnaire) while giving some care (``so_far``).
:func:`forecast` conditions the population the model stands for on those readings and predicts what
the instruments would read later under each candidate plan:

1. **Candidates.** Virtual patients are drawn exactly as a cohort is
   (:func:`ptsim.inputs.cohort.sample_cohort`: between-patient variability), each with one member of
   the condition's posterior ensemble (:func:`ptsim.inputs.ensembles.draw_members`: evidence
   uncertainty), as the trials draw them. Patient *i* is the same person in every plan (common random
   numbers), down to the day-to-day fluctuation and the setbacks the engine draws for them.
2. **Weights.** Every candidate is simulated under the care so far up to the last visit; its weight
   is the probability that the instruments read what was read, given its true values on the visit
   days (:func:`visit_log_likelihood`: each instrument's error model of
   :class:`ptsim.core.instruments.Instrument`, rounding and the scale's ends included). This is
   importance sampling with the population as the proposal. The effective sample size (Kish) says
   how many candidates the forecast really rests on; more candidates are drawn (doubling) while it is
   small, and visits the population cannot produce are refused (:class:`ImplausibleVisits`).
3. **Plans.** Candidates are resampled (systematic resampling, at most
   :data:`SIMULATED_CANDIDATES` draws) and each plan is simulated as a schedule: the care so far up
   to the last visit, then the plan (:func:`continued_plan`). Every plan's schedule is the same up to
   the last visit, so one set of weights serves every plan; the engine is not changed.
4. **Predictions of measured values.** Each candidate's true values on the forecast days are read by
   the instruments with their error (:func:`measured_course`), and the weighted quantiles give 50 %
   and 90 % predictive intervals of what the instruments will read, the probability of an
   improvement of at least the outcome's MCID from the first visit, and the probability of a setback.

Why importance sampling in plain numpy rather than a sequential Monte Carlo library
-------------------------------------------------------------------------------------
A candidate patient is a whole simulated person: a cohort row, an ensemble member and the random
numbers the engine draws for that id on every day. SMC would rejuvenate particles with moves in
that space after each visit, which needs the engine to restart from a state and a proposal over
random streams; neither exists, and the visits are few (1 to a handful). Weighting a large pool of
candidates once by all the visits, and drawing more when the effective sample size is small, is
exact in the limit, deterministic (counter-based random numbers), and reuses the cohort sampler, the
ensemble and the engine as they are. ``particles`` (Chopin) would add a dependency for a single
reweighting step. The price: a patient the population rarely produces needs many candidates, and one
it cannot produce is refused rather than forecast from a handful.

When a visit is measured
------------------------
A visit on day ``d`` measures the patient at its start, before that day's session: day 0 is the intake
assessment before the first session (the pre-treatment state,
:meth:`ptsim.engine.result.Result.baseline`), a visit on day ``d >= 1`` reads the state at the end of
day ``d - 1``. Forecast days are read the same way.

Validation
----------
``tests/test_forecast_validation.py`` draws synthetic patients from the same model with known
parameters, measures 1-4 noisy visits, and checks that the 50 % and 90 % intervals of their later
measured values cover within 5 points of nominal, and that the intervals narrow with more visits
and are narrower than the unconditioned population's (the numbers are in ``docs/forecast.md``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ptsim.analysis.outcomes import (
    MCID,
    _instruments,
    function_responders,
    measured_function,
    measured_questionnaire,
    pain_responders,
    questionnaire_responders,
)
from ptsim.core.instruments import Instrument
from ptsim.core.streams import standard_normals
from ptsim.core.vocabulary import OUTCOMES
from ptsim.engine.setup import check_days
from ptsim.engine.simulate import _condition, compare, run_cohort
from ptsim.inputs.cohort import _log_gauss_mass, check_count, check_seed, sample_cohort
from ptsim.inputs.conditions import Condition, list_conditions, load_condition
from ptsim.inputs.ensembles import (
    Ensemble,
    check_not_edited,
    choose_members,
    draw_members,
    load_ensemble,
    with_member_values,
)
from ptsim.inputs.plans import Phase, Plan, Schedule, Session, get_plan, standard_plans
from ptsim.inputs.toml_io import describe

if TYPE_CHECKING:  # pandas is imported where it is used, to keep `import ptsim` light
    import pandas as pd

FORECAST_NOTE = (
    "A model forecast for teaching and exploration, not clinical advice: it says what ptsim's "
    "virtual patients who read like this patient went on to read, not what this patient will do. "
    "How well the model reproduces published trials, including results held out of its calibration, "
    "is in docs/evidence_report.md (`ptsim bayes --report`)."
)
"""The framing every forecast output carries (table captions, figures, the CLI, the app, lesson 10)."""

LEVELS = (0.5, 0.9)
"""The central predictive intervals reported (50 % and 90 %)."""

START_CANDIDATES = 4000
"""Candidates drawn first; doubled while the effective sample size is below :data:`TARGET_ESS`."""

MAX_CANDIDATES = 64000
"""Most candidates drawn for one forecast."""

TARGET_ESS = 300.0
"""Effective sample size at which no more candidates are drawn."""

WARN_ESS = 100.0
"""Below this effective sample size the forecast carries a warning (intervals are rough)."""

MIN_ESS = 30.0
"""Below this effective sample size the forecast is refused (:class:`ImplausibleVisits`)."""

SIMULATED_CANDIDATES = 1000
"""Draws of the systematic resampling: the candidates simulated under every plan (distinct ones,
weighted by how often they were drawn)."""

MIN_TAIL_PROBABILITY = 1e-4
"""A reading whose probability under the population (either tail, given the visit day and the care so
far) is below this is refused as implausible, naming its row and column."""

FORECAST_STEP_DAYS = 7
"""Spacing of the forecast days after the last visit (the horizon's last day is always included)."""


class ImplausibleVisits(ValueError):
    """The visits lie outside what the model's population can represent: no forecast is made."""


# ----------------------------------------------------------------------------------------------
# The visits table
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitColumn:
    """A column a visits table may hold: what it measures and the reading's range.

    Attributes
    ----------
    column : str
        Column name (``rom_deg``, ``pain_nprs``, ``strength_pct_normal`` or the condition's
        questionnaire column, e.g. ``womac_0_100``).
    outcome : str
        The outcome read (``rom``, ``pain``, ``strength`` or the questionnaire's name).
    what : str
        The instrument, for messages (``"goniometer (deg)"``).
    low, high : float
        The readings the instrument can give.
    """

    column: str
    outcome: str
    what: str
    low: float
    high: float


def visit_columns(condition: Condition) -> dict[str, VisitColumn]:
    """The measurement columns a visits table of ``condition`` accepts, by column name."""
    out = {}
    for outcome, inst in _instruments(condition).items():
        col = OUTCOMES[outcome].column
        out[col] = VisitColumn(col, outcome, f"{inst.name} ({inst.unit})", inst.low, inst.high)
    q = condition.questionnaire
    if q is not None:
        out[q.column] = VisitColumn(q.column, q.name, q.title, q.scale_min, q.scale_max)
    return out


@dataclass(frozen=True)
class Visits:
    """A patient's measured visits, checked against a condition.

    Attributes
    ----------
    condition : str
        The condition's name.
    day : (k,) int array
        Visit days, strictly increasing, from day 0 (the first session of care).
    readings : dict of column -> (k,) float array
        What each instrument read; NaN where a visit did not measure it.
    """

    condition: str
    day: np.ndarray
    readings: dict[str, np.ndarray]

    @property
    def last_day(self) -> int:
        return int(self.day[-1])

    def to_frame(self):
        """The visits as a table (``day`` and one column per instrument measured)."""
        import pandas as pd

        return pd.DataFrame({"day": self.day, **self.readings})


def _visit_table(visits, source: str):
    """``visits`` as a DataFrame of strings or numbers, from a DataFrame, a CSV path, a dict or rows."""
    import pandas as pd

    if isinstance(visits, pd.DataFrame):
        return visits.reset_index(drop=True)
    if isinstance(visits, str | Path):
        path = Path(visits)
        if not path.is_file():
            raise FileNotFoundError(f"visits: no such file {str(path)!r} (a CSV with a 'day' column)")
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{source}: not UTF-8 text ({exc.reason}); save the file as UTF-8 CSV") from None
        except pd.errors.ParserError as exc:
            raise ValueError(f"{source}: not a readable CSV file ({exc})") from None
        except pd.errors.EmptyDataError:
            raise ValueError(f"{source}: the file is empty (a header with 'day' is needed)") from None
    if isinstance(visits, dict):
        return pd.DataFrame(visits)
    if isinstance(visits, list | tuple) and all(isinstance(r, dict) for r in visits):
        return pd.DataFrame(list(visits))
    raise ValueError(
        f"{source}: expected a table of visits (a pandas DataFrame, a CSV path, a dict of columns or a "
        f"list of row dicts), got {describe(visits)}"
    )


def _cell(value, source: str, row: int, col: str) -> float:
    """One cell as a float (NaN for an empty cell), or ValueError naming the row and column."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    if isinstance(value, bool):
        raise ValueError(f"{source}: row {row}, column {col!r}: expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            raise ValueError(f"{source}: row {row}, column {col!r}: not a number: {value!r}") from None
    else:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{source}: row {row}, column {col!r}: not a number: {value!r}") from None
    if math.isinf(x):
        raise ValueError(f"{source}: row {row}, column {col!r}: must be finite, got {value!r}")
    return x


def _other_instrument(col: str, condition: Condition) -> str | None:
    """Why ``col`` is refused when it names an outcome or another condition's questionnaire."""
    if col == OUTCOMES["function"].column:
        return (
            f"{col!r} is ptsim's composite of pain, ROM and strength, computed from the readings, not "
            "an instrument reading; give the readings instead"
        )
    for name in list_conditions():
        if name == condition.name:
            continue
        q = load_condition(name).questionnaire
        if q is not None and q.column == col:
            own = condition.questionnaire
            tail = (
                f"its questionnaire column is {own.column!r}"
                if own is not None
                else "it has no questionnaire"
            )
            return (
                f"{col!r} is {q.name.upper()}, which condition {condition.name!r} is not measured with "
                f"({tail})"
            )
    return None


def read_visits(visits, condition, source: str | None = None) -> Visits:
    """Check a patient's visits against a condition.

    Parameters
    ----------
    visits : pandas.DataFrame, str or Path, dict or list of dict
        One row a visit: ``day`` (whole days from the first session of care, day 0 = the intake
        assessment) and any of ``rom_deg`` (goniometer, the condition's movement), ``pain_nprs``
        (NPRS 0-10), ``strength_pct_normal`` (dynamometer, % of normal) and the condition's
        questionnaire column (e.g. ``womac_0_100``); an empty cell is a measurement not taken.
    condition : Condition or str
    source : str, optional
        How messages name the table (default ``"visits"`` or the file's path).

    Returns
    -------
    Visits

    Raises
    ------
    ValueError
        Naming the row (1 = the first visit, the header not counted) and the column: an unknown
        column, a missing or non-whole or negative day, days not strictly increasing, a value that is
        not a number or outside the instrument's range, a visit with no measurement, a column of an
        instrument the condition is not measured with, an empty table.
    FileNotFoundError
        A path that does not exist.
    """
    cond = load_condition(condition)
    if source is None:
        source = f"visits file {str(visits)!r}" if isinstance(visits, str | Path) else "visits"
    df = _visit_table(visits, source)
    columns = visit_columns(cond)
    names = [str(c).strip() for c in df.columns]
    accepted = "day, " + ", ".join(f"{c} ({v.what})" for c, v in columns.items())
    if "day" not in names:
        raise ValueError(f"{source}: no 'day' column; accepted columns: {accepted}")
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: a column appears twice: {names}")
    for name in names:
        if name != "day" and name not in columns:
            why = _other_instrument(name, cond)
            if why is not None:
                raise ValueError(f"{source}: column {name!r}: {why}")
            raise ValueError(f"{source}: unknown column {name!r}; accepted columns: {accepted}")
    if len(df) == 0:
        raise ValueError(f"{source}: no visits (at least one row is needed)")
    df.columns = names
    days: list[int] = []
    for i, value in enumerate(df["day"].tolist(), start=1):
        d = _cell(value, source, i, "day")
        if math.isnan(d):
            raise ValueError(f"{source}: row {i}, column 'day': missing; every visit needs its day")
        if d != int(d):
            raise ValueError(
                f"{source}: row {i}, column 'day': must be a whole number of days, got {value!r}"
            )
        if d < 0:
            raise ValueError(
                f"{source}: row {i}, column 'day': {int(d)} is before the first session of care (day 0, "
                "the intake assessment); count days from it"
            )
        if days and d <= days[-1]:
            raise ValueError(
                f"{source}: row {i}, column 'day': day {int(d)} is not after the previous visit's day "
                f"{days[-1]}; list the visits in order, one row per day"
            )
        days.append(int(d))
    readings: dict[str, np.ndarray] = {}
    for col, spec in columns.items():
        if col not in df.columns:
            continue
        values = np.array([_cell(v, source, i, col) for i, v in enumerate(df[col].tolist(), start=1)])
        for i, x in enumerate(values, start=1):
            if not math.isnan(x) and not spec.low <= x <= spec.high:
                raise ValueError(
                    f"{source}: row {i} (day {days[i - 1]}), column {col!r}: {x:g} is outside what the "
                    f"{spec.what} reads for {cond.name} ([{spec.low:g}, {spec.high:g}])"
                )
        if not np.isnan(values).all():
            readings[col] = values
    measured = np.zeros(len(days), dtype=bool)
    for values in readings.values():
        measured |= ~np.isnan(values)
    if not measured.all():
        i = int(np.flatnonzero(~measured)[0]) + 1
        raise ValueError(
            f"{source}: row {i} (day {days[i - 1]}) has no measurement; give at least one of "
            f"{', '.join(columns)}, or leave the row out"
        )
    return Visits(cond.name, np.asarray(days, dtype=np.int64), readings)


# ----------------------------------------------------------------------------------------------
# The measurement model: readings given true values, and their likelihood
# ----------------------------------------------------------------------------------------------


def reading_sd(inst: Instrument, true_values) -> np.ndarray:
    """The SD of an instrument's reading of ``true_values`` before rounding: ``sem + cv * |true|``
    (:meth:`Instrument.read` adds ``(cv * true + sem) * z``)."""
    return inst.sem + inst.cv * np.abs(np.asarray(true_values, float))


def _log_reading_probability(true_values, sd, reading: float, half: float, low: float, high: float):
    """Log probability of ``reading`` when the value read is normal around ``true_values`` with SD
    ``sd``, rounded to steps of ``2 * half`` (the reading stands for half a step either side) and
    bounded by ``[low, high]`` (a reading at an end stands for everything beyond it); with ``half = 0``
    inside the scale, the log density."""
    x = np.asarray(true_values, float)
    sd = np.maximum(np.asarray(sd, float), 1e-9)
    if half == 0 and low < reading < high:
        return -0.5 * ((reading - x) / sd) ** 2 - np.log(sd * math.sqrt(2 * math.pi))
    lo = -math.inf if reading <= low else reading - half
    hi = math.inf if reading >= high else reading + half
    a, b = (lo - x) / sd, (hi - x) / sd
    return _log_mass(a, b)


def _log_mass(a, b) -> np.ndarray:
    """``log(Phi(b) - Phi(a))``: directly where the mass is not tiny (fast), and in logs elsewhere
    (:func:`ptsim.inputs.cohort._log_gauss_mass`, accurate far in the tails)."""
    from scipy.special import ndtr

    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    right = a > 0  # mirror the right tail into the left, where ndtr is accurate
    mass = np.where(right, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    out = np.empty(a.shape)
    ok = mass > 1e-200
    out[ok] = np.log(mass[ok])
    if not ok.all():
        out[~ok] = _log_gauss_mass(a[~ok], b[~ok])
    return out


def reading_log_likelihood(inst: Instrument, true_values, reading: float) -> np.ndarray:
    """Log probability that ``inst`` reads ``reading`` from each of ``true_values``.

    The model of :meth:`Instrument.read`: a normal error of SD :func:`reading_sd`, rounded to the
    resolution and bounded by the scale (:func:`_log_reading_probability`).
    """
    x = np.asarray(true_values, float)
    return _log_reading_probability(x, reading_sd(inst, x), reading, inst.resolution / 2, inst.low, inst.high)


def questionnaire_sd(condition: Condition, pain, rom, strength) -> np.ndarray:
    """The SD of a questionnaire score measured from true ``pain``, ``rom`` and ``strength``.

    ptsim scores the questionnaire from the instruments' readings
    (:func:`ptsim.analysis.outcomes.measured_questionnaire`), so its error is theirs carried through
    the questionnaire's weights (first order): ``span * sqrt(sum (w_k * sd_k / scale_k)^2)`` with the
    scales 10 points, the normal range and 100 % of normal. The questionnaire's own test-retest error is
    not added (as in ptsim's measurement, an assumption).
    """
    q = condition.questionnaire
    assert q is not None
    inst = _instruments(condition)
    terms = (
        (q.weight_pain, reading_sd(inst["pain"], pain) / 10.0),
        (q.weight_rom, reading_sd(inst["rom"], rom) / condition.rom_normal_deg),
        (q.weight_strength, reading_sd(inst["strength"], strength) / 100.0),
    )
    span = q.scale_max - q.scale_min
    return span * np.sqrt(sum((w * s) ** 2 for w, s in terms))


def visit_true_values(result, days) -> dict[str, np.ndarray]:
    """True values at the start of each of ``days`` (before that day's session), by outcome.

    Day 0 is the pre-treatment state (:meth:`Result.baseline`); day ``d >= 1`` the end of day ``d - 1``.
    Returns ``rom``, ``pain``, ``strength``, ``function`` and the questionnaire (by its name, when the
    condition has one), each ``(n_patients, len(days))``.
    """
    days = [int(d) for d in days]
    later = result.columns([d - 1 for d in days if d > 0])
    out = {}
    for name in OUTCOMES:
        values = result.outcome(name)[:, later]
        if days and days[0] == 0:
            values = np.column_stack([result.baseline(name), values])
        out[name] = values
    q = result.condition.questionnaire
    if q is not None:
        out[q.name] = q.score(out["pain"], out["rom"], out["strength"], result.condition.rom_normal_deg)
    return out


def visit_log_likelihood(visits: Visits, true: dict[str, np.ndarray], condition: Condition) -> np.ndarray:
    """Log probability of all of ``visits``' readings for each candidate, ``(n,)``.

    ``true`` holds the candidates' true values on the visit days (:func:`visit_true_values`). Readings
    of different instruments and visits are independent given the true values (as ptsim measures).
    """
    instruments = _instruments(condition)
    columns = visit_columns(condition)
    total = np.zeros(next(iter(true.values())).shape[0])
    for col, values in visits.readings.items():
        outcome = columns[col].outcome
        for j, y in enumerate(values):
            if math.isnan(y):
                continue
            if outcome in instruments:
                total += reading_log_likelihood(instruments[outcome], true[outcome][:, j], float(y))
            else:
                sd = questionnaire_sd(
                    condition, true["pain"][:, j], true["rom"][:, j], true["strength"][:, j]
                )
                spec = columns[col]
                total += _log_reading_probability(true[outcome][:, j], sd, float(y), 0.0, spec.low, spec.high)
    return total


def tail_probabilities(visits: Visits, true: dict[str, np.ndarray], condition: Condition) -> dict:
    """Each reading's smaller tail probability under the unweighted candidates (the population):
    ``(column, row index) -> min(P(reading <= y), P(reading >= y))``."""
    instruments = _instruments(condition)
    columns = visit_columns(condition)
    out = {}
    for col, values in visits.readings.items():
        outcome = columns[col].outcome
        for j, y in enumerate(values):
            if math.isnan(y):
                continue
            x = true[outcome][:, j]
            if outcome in instruments:
                inst = instruments[outcome]
                sd = np.maximum(reading_sd(inst, x), 1e-9)
                half = inst.resolution / 2
            else:
                sd = questionnaire_sd(
                    condition, true["pain"][:, j], true["rom"][:, j], true["strength"][:, j]
                )
                half = 0.0
            below = np.exp(_log_mass(-np.inf, (y + half - x) / sd)).mean()
            above = np.exp(_log_mass((y - half - x) / sd, np.inf)).mean()
            out[(col, j)] = float(min(below, above))
    return out


def read_instruments(condition: Condition, true: dict[str, np.ndarray], ids, days, seed: int) -> dict:
    """What the instruments read from ``true`` values ``(n, len(days))`` on ``days``: rom, pain and
    strength with their errors (noise keyed by (seed, patient id, day, instrument) on the
    ``forecast_measurement`` stream), function and the questionnaire computed from the readings, as
    ptsim measures them (:func:`ptsim.analysis.outcomes.measure`)."""
    ids = np.asarray(ids)
    days = np.asarray(days, dtype=np.int64)
    out = {}
    for k, (outcome, inst) in enumerate(_instruments(condition).items()):
        z = standard_normals(seed, "forecast_measurement", ids[:, None], days[None, :] * 8 + k)
        out[outcome] = inst.read(true[outcome], z)
    out["function"] = measured_function(out["pain"], out["rom"], out["strength"], condition)
    q = condition.questionnaire
    if q is not None:
        out[q.name] = measured_questionnaire(out["pain"], out["rom"], out["strength"], condition)
    return out


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------


def normalised_weights(log_likelihood) -> np.ndarray:
    """Importance weights summing to 1 from log likelihoods (all equal when every one is -inf)."""
    ll = np.asarray(log_likelihood, float)
    top = np.max(ll)
    if not np.isfinite(top):
        return np.full(ll.shape, 1.0 / ll.size)
    w = np.exp(ll - top)
    return w / w.sum()


def effective_sample_size(weights) -> float:
    """Kish's effective sample size of normalised weights, ``1 / sum(w^2)``."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.sum(w**2))


def systematic_resample(weights, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Systematic resampling of ``draws`` from normalised ``weights``: the distinct indices drawn and
    how often each was drawn (deterministic given ``seed``)."""
    u0 = float(standard_normals(seed, "forecast_measurement", np.asarray([0]), -1)[0])
    offset = 0.5 * (1 + math.erf(u0 / math.sqrt(2)))  # a uniform from the seed
    points = (np.arange(draws) + offset) / draws
    cum = np.cumsum(weights)
    cum[-1] = 1.0
    picked = np.searchsorted(cum, points, side="left")
    index, counts = np.unique(picked, return_counts=True)
    return index, counts


def weighted_quantiles(values, weights, probabilities, order=None) -> np.ndarray:
    """Quantiles of weighted samples, column by column.

    Parameters
    ----------
    values : (n, m) array
    weights : (n,) array, non-negative
    probabilities : sequence of float in [0, 1]
    order : (n, m) int array, optional
        ``np.argsort(values, axis=0)``, when the same values are weighted many times.

    Returns
    -------
    (len(probabilities), m) array
        For each column the smallest value whose cumulative weight reaches each probability.
    """
    v = np.asarray(values, float)
    if v.ndim == 1:
        v = v[:, None]
    if order is None:
        order = np.argsort(v, axis=0, kind="stable")
    sorted_v = np.take_along_axis(v, order, axis=0)
    w = np.asarray(weights, float)[order]
    cum = np.cumsum(w, axis=0)
    cum /= cum[-1]
    p = np.asarray(probabilities, float)
    idx = (cum[None, :, :] < p[:, None, None] - 1e-12).sum(axis=1)
    idx = np.minimum(idx, v.shape[0] - 1)
    return np.take_along_axis(sorted_v, idx, axis=0)


def predictive_pit(values, weights, observed, u) -> np.ndarray:
    """The (randomised) probability integral transform of ``observed`` under weighted samples.

    ``F(y-) + u * (F(y) - F(y-))`` column by column, with ``F`` the weighted predictive CDF of
    ``values`` ``(n, m)``, ``observed`` ``(m,)`` and ``u`` ``(m,)`` uniforms. For a calibrated forecast
    it is uniform, so ``|pit - 0.5| <= level / 2`` for a share ``level`` of observations: for a
    continuous reading this is "the value lies in the central interval"; for a reading in whole points
    (the NPRS), where an interval of whole points holds more than its level, the randomisation makes the
    check exact (Czado, Gneiting & Held, Biometrics 2009: predictive model assessment for count data).
    """
    v = np.asarray(values, float)
    w = np.asarray(weights, float)
    y = np.asarray(observed, float)
    below = w @ (v < y)
    at_or_below = w @ (v <= y)
    return below + np.asarray(u, float) * (at_or_below - below)


def interval_probabilities(levels=LEVELS) -> list[float]:
    """The probabilities of the median and of the central intervals' ends: ``0.5, (1 -/+ level) / 2``."""
    out = [0.5]
    for level in levels:
        out += [(1 - level) / 2, (1 + level) / 2]
    return out


# ----------------------------------------------------------------------------------------------
# Plans continued from the care so far
# ----------------------------------------------------------------------------------------------


def switch_day(last_visit_day: int) -> int:
    """The day a new plan starts: the last visit's day, or the next whole week of care after it
    (a schedule's phases are whole weeks)."""
    return 7 * math.ceil(last_visit_day / 7)


def _home_days(phase: Phase, plan: Plan) -> float:
    if phase.home_days_per_week is not None:
        return phase.home_days_per_week
    return plan.home.days_per_week if plan.home is not None else 0.0


def _explicit(phase: Phase, plan: Plan) -> Phase:
    """A phase with its session and home days written out (they would otherwise come from ``plan``)."""
    return replace(phase, session=phase.session or plan.session, home_days_per_week=_home_days(phase, plan))


def _first_weeks(plan: Plan, weeks: int) -> list[Phase]:
    """The first ``weeks`` of ``plan``'s phases (explicit), padded with weeks without visits."""
    out: list[Phase] = []
    left = weeks
    for ph in plan.phases:
        if left <= 0:
            break
        ph = _explicit(ph, plan)
        if ph.weeks > left:
            if ph.visit_days is not None:
                ph = replace(ph, weeks=left, visit_days=tuple(d for d in ph.visit_days if d < 7 * left))
            else:
                ph = replace(ph, weeks=left)
        out.append(ph)
        left -= ph.weeks
    if left > 0:
        out.append(
            Phase(left, sessions_per_week=0, session=plan.session, home_days_per_week=0.0, label="no visits")
        )
    return out


def continued_plan(so_far: Plan, plan: Plan, start_day: int) -> Plan:
    """``so_far`` up to ``start_day`` (a whole number of weeks), then ``plan``: one schedule.

    The new plan's phases follow the first ``start_day / 7`` weeks of ``so_far`` (padded with weeks
    without visits when ``so_far`` ended earlier); its booster days move by ``start_day``. A plan has
    one home programme: its minutes and effort are those of ``so_far`` when it has one (so every
    continued plan is the same up to ``start_day``), the days a week of each part are its own, and the
    maintenance programme after discharge is ``plan``'s (none when ``plan`` has none).

    Returns
    -------
    Plan
        Named as ``plan``; discharge ``start_day + 7 * plan.weeks``.
    """
    if start_day % 7:
        raise ValueError(f"start_day must be a whole number of weeks, got {start_day!r}")
    phases = _first_weeks(so_far, start_day // 7) if start_day else []
    phases += [_explicit(ph, plan) for ph in plan.phases]
    if not phases:  # no care so far and a plan of no visits: one week without visits
        phases = [Phase(1, sessions_per_week=0, session=plan.session, home_days_per_week=0.0)]
    home = plan.home
    if so_far.home is not None and start_day:
        after = plan.home
        home = replace(
            so_far.home,
            after_discharge_days_per_week=after.after_discharge_days_per_week if after else 0.0,
            after_discharge_adherence_factor=after.after_discharge_adherence_factor if after else 0.0,
            after_discharge_adherence_decay_per_year=after.after_discharge_adherence_decay_per_year
            if after
            else None,
        )
    boosters: tuple[int, ...] = ()
    booster_session = None
    if plan.schedule is not None:
        boosters = tuple(d + start_day for d in plan.schedule.booster_days)
        booster_session = plan.schedule.booster_session
    description = f"{so_far.name} until day {start_day}, then {plan.name}" if start_day else plan.description
    return Plan(
        plan.name,
        # the first phase's session: a schedule whose phases hold one session runs on the compiled
        # kernel, which reads the plan's own session
        phases[0].session,  # type: ignore[arg-type]  # every phase is explicit
        home=home,
        description=description,
        schedule=Schedule(tuple(phases), boosters, booster_session),
    )


def care_so_far(so_far: Plan, start_day: int) -> Plan:
    """``so_far`` alone up to ``start_day``: what every continued plan (:func:`continued_plan`) gives
    before it starts, and what the candidates are weighted under."""
    return continued_plan(so_far, Plan("so_far", Session(()), sessions_per_week=0, weeks=0), start_day)


# ----------------------------------------------------------------------------------------------
# Candidates
# ----------------------------------------------------------------------------------------------


@dataclass
class Candidates:
    """Virtual patients as the population draws them: cohort rows and their ensemble members.

    Attributes
    ----------
    condition : Condition
        The condition with each row's member values as per-patient arrays (or its own values).
    cohort : pandas.DataFrame
    member : (n,) int array or None
        Each row's stored ensemble member (None without an ensemble).
    """

    condition: Condition
    cohort: pd.DataFrame
    member: np.ndarray | None

    def __len__(self) -> int:
        return len(self.cohort)

    def take(self, rows) -> Candidates:
        """The candidates of ``rows`` (their ids, and so their random numbers, kept)."""
        rows = np.asarray(rows, dtype=np.int64)
        base, ens = self._base
        cohort = self.cohort.iloc[rows].reset_index(drop=True)
        member = None if self.member is None else self.member[rows]
        return _candidates(base, ens, cohort, member)

    _base: tuple = field(default=(None, None), repr=False)


def _candidates(base: Condition, ens: Ensemble | None, cohort, member) -> Candidates:
    cond = base if ens is None else with_member_values(base, ens, member)
    return Candidates(cond, cohort, member, _base=(base, ens))


def draw_candidates(cond: Condition, n: int, seed: int, members, first_id: int = 0) -> Candidates:
    """``n`` candidates with ids ``first_id...``: cohort rows from :func:`sample_cohort` and, with an
    ensemble (``members``: the ensemble and the member indices to draw from), one member each from
    :func:`ptsim.inputs.ensembles.draw_members`, as the trials draw them."""
    cohort = sample_cohort(cond, n, seed, first_id=first_id)
    ens, chosen = members
    if ens is None:
        return _candidates(cond, None, cohort, None)
    member = np.asarray(chosen, dtype=np.int64)[
        draw_members(len(chosen), cohort["patient_id"].to_numpy(), seed)
    ]
    return _candidates(cond, ens, cohort, member)


def _concat(parts: list[Candidates]) -> Candidates:
    import pandas as pd

    base, ens = parts[0]._base
    cohort = pd.concat([p.cohort for p in parts], ignore_index=True)
    member = None if parts[0].member is None else np.concatenate([p.member for p in parts])
    return _candidates(base, ens, cohort, member)


def _members(ensemble, cond: Condition):
    """The ensemble and member indices the candidates draw from: True = every stored member, refused
    (as ``simulate(..., ensemble=True)`` refuses it) for a condition whose values of the ensemble's
    parameters are not the shipped condition's, which the stored members would silently replace."""
    if ensemble is not True:
        return choose_members(ensemble, cond)
    stored = load_ensemble(cond.name)
    members = choose_members(stored, cond)
    check_not_edited(cond, stored)
    return members


# ----------------------------------------------------------------------------------------------
# The forecast
# ----------------------------------------------------------------------------------------------


def _mcid_reached(condition: Condition, outcome: str, baseline, followup) -> np.ndarray | None:
    """Whether an improvement from ``baseline`` to ``followup`` reaches the outcome's MCID (None: the
    outcome has no MCID in ptsim's evidence tables)."""
    q = condition.questionnaire
    if outcome == "pain":
        return pain_responders(baseline, followup, rule="points")
    if outcome == "function":
        return function_responders(baseline, followup)
    if q is not None and outcome == q.name:
        return questionnaire_responders(condition, baseline, followup)
    return None


def mcid_text(condition: Condition, outcome: str) -> str:
    """The MCID an outcome's probability of improvement uses, in words ("" when none)."""
    q = condition.questionnaire
    if outcome == "pain":
        return f"{MCID['pain_points'][0]:g} points ({MCID['pain_points'][1]})"
    if outcome == "function":
        value, source = MCID["function_percent"]
        return f"{value:g} % of the first visit's disability ({source})"
    if q is not None and outcome == q.name:
        unit = "points" if q.mcid_kind == "points" else "% of baseline"
        source = next((v for k, v in q.sources.items() if k.startswith("mcid")), "the condition file")
        return f"{q.mcid:g} {unit} ({source})"
    return ""


@dataclass
class Forecast:
    """One patient's forecast under each plan (see :func:`forecast`).

    Attributes
    ----------
    condition : Condition
        The condition (its own parameter values; the candidates carried the ensemble's).
    visits : Visits
    so_far : Plan
        The care given up to the last visit.
    plans : dict of str -> Plan
        The plans forecast, each as simulated: ``so_far`` until :attr:`switch_day`, then the plan.
    switch_day : int
        The day the plans start (the last visit's day rounded up to a whole week).
    horizon_days : int
        Days forecast after the last visit.
    course : pandas.DataFrame
        Tidy: ``plan, day, outcome, unit, median, low_50, high_50, low_90, high_90, p_mcid, p_setback``:
        what the instruments would read on each forecast day (measured values, with their error),
        the probability that the reading has improved by at least the outcome's MCID from the first
        visit (NaN for an outcome without an MCID), and the probability of at least one setback from
        the last visit to that day.
    ess : float
        Effective sample size of the candidates' weights (Kish).
    n_candidates : int
        Candidates weighted.
    n_simulated : int
        Distinct candidates simulated under the plans (after resampling).
    seed : int
    warnings : list of str
        Cautions about this forecast (a small effective sample size).
    population : pandas.DataFrame or None
        With ``population=True``: the same table for unweighted candidates (the population, without
        the visits), for comparison.
    note : str
        :data:`FORECAST_NOTE`.
    """

    condition: Condition
    visits: Visits
    so_far: Plan
    plans: dict[str, Plan]
    switch_day: int
    horizon_days: int
    course: pd.DataFrame
    ess: float
    n_candidates: int
    n_simulated: int
    seed: int
    warnings: list[str] = field(default_factory=list)
    population: pd.DataFrame | None = None
    note: str = FORECAST_NOTE

    @property
    def outcomes(self) -> list[str]:
        return list(dict.fromkeys(self.course["outcome"]))

    def summary(self, days=None):
        """The course on a few days: the horizon's end, and the days given (default: 6 weeks, 3 and 6
        months after the last visit when within the horizon).

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`course` on those days (``days_after_last_visit`` added).
        """
        last = self.visits.last_day
        if days is None:
            after = [a for a in (42, 91, 182) if a < self.horizon_days] + [self.horizon_days]
            days = [last + a for a in after]
        have = set(self.course["day"].tolist())
        days = [min(have, key=lambda x: abs(x - d)) for d in days]
        out = self.course[self.course["day"].isin(days)].copy()
        out.insert(2, "days_after_last_visit", out["day"] - last)
        return out.reset_index(drop=True)

    def to_frame(self):
        """The tidy table (:attr:`course`)."""
        return self.course.copy()

    def header(self) -> str:
        """Who and what, with the effective sample size, in one paragraph."""
        v = self.visits
        lines = [
            f"Forecast for one {self.condition.title} patient ({self.condition.name}): {len(v.day)} visit(s) "
            f"on day(s) {', '.join(map(str, v.day.tolist()))}; care so far: {self.so_far.name}.",
            f"Each plan starts on day {self.switch_day} and is forecast to day "
            f"{v.last_day + self.horizon_days}.",
            f"Conditioned on the visits by importance sampling: effective sample size {self.ess:.0f} of "
            f"{self.n_candidates} candidate patients ({self.n_simulated} distinct ones simulated).",
            "Intervals are of what the instruments would read (measurement error included).",
        ]
        lines += [f"Caution: {w}" for w in self.warnings]
        lines.append(self.note)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Forecast({self.condition.name}, visits={len(self.visits.day)}, plans={list(self.plans)}, "
            f"ess={self.ess:.0f})"
        )


def _plans_of(plans) -> dict[str, Plan]:
    from collections.abc import Mapping

    from ptsim.inputs.plans import check_plan_name

    if plans is None:
        return standard_plans()
    if isinstance(plans, str | Plan):
        plans = [plans]
    if isinstance(plans, Mapping):
        items = {check_plan_name(str(k)): get_plan(v) for k, v in plans.items()}
    elif isinstance(plans, list | tuple):
        items = {}
        for given in plans:
            p = get_plan(given)
            if p.name in items:
                raise ValueError(f"plans: {p.name!r} is given twice; give each plan once")
            items[p.name] = p
    else:
        raise ValueError(
            "plans must be a plan, a plan name, a list of them or a dict of name -> plan, got "
            f"{describe(plans)}"
        )
    if not items:
        raise ValueError("plans is empty; give at least one plan")
    return items


def _so_far(so_far) -> Plan:
    if isinstance(so_far, Schedule):
        return Plan("so_far", None, schedule=so_far)  # type: ignore[arg-type]  # phases name sessions
    return get_plan(so_far)


def _course_table(cond, visits, results, weights, switch, horizon, seed, ids) -> pd.DataFrame:
    """The tidy course of every plan from its result and the candidates' weights."""
    import pandas as pd

    last = visits.last_day
    steps = list(range(0, horizon + 1, FORECAST_STEP_DAYS))
    if steps[-1] != horizon:
        steps.append(horizon)
    days = np.asarray([last + s for s in steps], dtype=np.int64)
    first = int(visits.day[0])
    probabilities = interval_probabilities()
    total = weights.sum()  # weights are whole counts of draws: probabilities are exact shares
    frames = []
    for name, res in results.items():
        true = visit_true_values(res, days)
        read = read_instruments(cond, true, ids, days, seed)
        start = read_instruments(cond, visit_true_values(res, [first]), ids, [first], seed)
        _observed_first(cond, visits, start)
        q = np.asarray(probabilities)
        events = res.setback_events
        # setbacks on the days from the last visit to the day before each forecast day
        by_day = np.cumsum(events[:, last:].astype(np.int64), axis=1)
        hit = np.column_stack(
            [
                (by_day[:, max(int(d) - 1 - last, 0)] > 0) if d > last else np.zeros(len(ids), bool)
                for d in days
            ]
        )
        p_setback = (weights @ hit) / total
        for outcome, values in read.items():
            qs = weighted_quantiles(values, weights, q)
            reached = _mcid_reached(cond, outcome, np.repeat(start[outcome], len(days), axis=1), values)
            p_mcid = (weights @ reached) / total if reached is not None else np.full(len(days), np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "plan": name,
                        "day": days,
                        "outcome": outcome,
                        "unit": _unit(cond, outcome),
                        "median": qs[0],
                        "low_50": qs[1],
                        "high_50": qs[2],
                        "low_90": qs[3],
                        "high_90": qs[4],
                        "p_mcid": p_mcid,
                        "p_setback": p_setback,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _unit(cond: Condition, outcome: str) -> str:
    from ptsim.engine.result import outcome_unit

    return outcome_unit(cond, outcome)


def _observed_first(cond: Condition, visits: Visits, start: dict) -> None:
    """Put the first visit's actual readings in place of the candidates' simulated ones (``start``,
    ``(n, 1)`` arrays): the baseline of the MCID is what was read; function and the questionnaire are
    recomputed from the readings unless the questionnaire was read itself."""
    columns = visit_columns(cond)
    q = cond.questionnaire
    for col, values in visits.readings.items():
        y = values[0]
        if not math.isnan(y):
            start[columns[col].outcome] = np.full_like(start[columns[col].outcome], y)
    start["function"] = measured_function(start["pain"], start["rom"], start["strength"], cond)
    if q is not None and not (q.column in visits.readings and not math.isnan(visits.readings[q.column][0])):
        start[q.name] = measured_questionnaire(start["pain"], start["rom"], start["strength"], cond)


def condition_on_visits(
    cond: Condition, visits: Visits, so_far: Plan, seed: int, members, n_candidates: int | None, engine: str
) -> tuple[Candidates, np.ndarray, list[str]]:
    """Weight candidates by the visits: draw, simulate the care so far to the last visit, weigh.

    More candidates are drawn (doubling, up to :data:`MAX_CANDIDATES`) while the effective sample size
    is below :data:`TARGET_ESS`, unless ``n_candidates`` fixes their number.

    Returns
    -------
    (Candidates, weights, warnings)

    Raises
    ------
    ImplausibleVisits
        A reading the population (nearly) never gives, or an effective sample size below
        :data:`MIN_ESS` with the most candidates.
    """
    last = visits.last_day
    prefix = care_so_far(so_far, switch_day(last))
    parts: list[Candidates] = []
    logs: list[np.ndarray] = []
    n = n_candidates or START_CANDIDATES
    limit = n_candidates or MAX_CANDIDATES
    drawn = 0
    while True:
        part = draw_candidates(cond, n - drawn, seed, members, first_id=drawn)
        # the cohort sampler's own rows: run without validating them again (ptsim.engine's entry point
        # for analyses that build their cohorts)
        res = run_cohort(
            part.condition, prefix.resolve(part.condition), part.cohort, max(last - 1, 0), seed, engine=engine
        )
        true = visit_true_values(res, visits.day)
        if not parts:
            _check_tails(visits, true, part.condition, so_far)
        parts.append(part)
        logs.append(visit_log_likelihood(visits, true, part.condition))
        drawn = n
        weights = normalised_weights(np.concatenate(logs))
        ess = effective_sample_size(weights)
        if ess >= TARGET_ESS or n >= limit:
            break
        n = min(2 * n, limit)
    candidates = _concat(parts) if len(parts) > 1 else parts[0]
    notes = []
    if ess < MIN_ESS and n_candidates is not None and n_candidates < MAX_CANDIDATES:
        raise ValueError(
            f"n_candidates={n_candidates}: the visits leave an effective sample size of {ess:.0f}, below "
            f"{MIN_ESS:g}; give more candidates (up to {MAX_CANDIDATES}) or leave n_candidates out"
        )
    if ess < MIN_ESS:
        raise ImplausibleVisits(
            f"visits: the readings are implausible for {cond.name} under the care so far ({so_far.name}): "
            f"only {ess:.0f} of {len(candidates)} virtual patients (effective sample size) read like them, "
            f"fewer than {MIN_ESS:g}. The model cannot represent this patient well enough to forecast; check "
            "the values, the condition, the days and the care so far"
        )
    if ess < WARN_ESS:
        notes.append(
            f"the forecast rests on an effective sample size of {ess:.0f} virtual patients (of "
            f"{len(candidates)}): the visits are unusual for {cond.name}, and the intervals are rough"
        )
    return candidates, weights, notes


def _check_tails(visits: Visits, true, cond: Condition, so_far: Plan) -> None:
    tails = tail_probabilities(visits, true, cond)
    for (col, j), p in tails.items():
        if p < MIN_TAIL_PROBABILITY:
            y = visits.readings[col][j]
            raise ImplausibleVisits(
                f"visits: row {j + 1} (day {int(visits.day[j])}), column {col!r}: a reading of {y:g} is "
                f"implausible for {cond.name} under the care so far ({so_far.name}): the population reads "
                f"that far out with probability {p:.1g} (below {MIN_TAIL_PROBABILITY:g}). Check the value "
                "and its column, the condition and the care so far"
            )


def forecast(
    condition,
    visits,
    plans=None,
    horizon_days: int = 365,
    so_far="usual_care",
    *,
    seed: int = 0,
    ensemble: bool | int | Ensemble = True,
    n_candidates: int | None = None,
    population: bool = False,
    scenario: str | None = None,
    engine: str = "auto",
) -> Forecast:
    """Forecast one patient's measured outcomes under each plan, from their measured visits.

    Parameters
    ----------
    condition : Condition or str
        The patient's condition (a shipped name or a condition file).
    visits : pandas.DataFrame, str or Path, dict or list of dict
        The measured visits (:func:`read_visits`): ``day`` (day 0 = the intake assessment, before
        the first session) and any of ``rom_deg``, ``pain_nprs``, ``strength_pct_normal`` and the
        condition's questionnaire column. Visits are measured at their start, before that day's
        session.
    plans : plan, name, list or dict of plans, optional
        The plans to forecast (default the six standard plans). Each starts at :func:`switch_day` of the
        last visit (the last visit's day when it is a whole number of weeks).
    horizon_days : int
        Days forecast after the last visit (>= 1; default 365).
    so_far : Plan, str or Schedule
        The care given from day 0 up to the last visit (default ``"usual_care"``: none). It continues
        until the plans start.
    seed : int
        Seed of the candidates, the engine and the measurement noise (>= 0): same seed, same numbers.
    ensemble : bool, int or Ensemble
        The evidence uncertainty the candidates carry: True (default) draws each candidate's parameters
        from every member of the condition's stored posterior ensemble; an int ``m``: ``m`` evenly
        spaced members; an Ensemble: its members; False: the condition's own values (no evidence
        uncertainty: intervals too narrow).
    n_candidates : int, optional
        Fix the number of candidates (default: :data:`START_CANDIDATES`, doubled while the effective
        sample size is below :data:`TARGET_ESS`, at most :data:`MAX_CANDIDATES`).
    population : bool
        Also forecast the unweighted population (the same plans without the visits) into
        :attr:`Forecast.population`, for comparison.
    scenario : {"evidence", "premise"}, optional
        As for :func:`ptsim.simulate` (the premise has no ensemble: give ``ensemble=False``).
    engine : {"auto", "numba", "numpy"}
        As for :func:`ptsim.simulate`.

    Returns
    -------
    Forecast
        Per plan, outcome and forecast day: the median and the 50 % and 90 % predictive intervals of
        what the instruments would read, the probability of an improvement of at least the MCID from the
        first visit and of a setback (:attr:`Forecast.course`); the effective sample size; warnings.

    Raises
    ------
    ValueError
        Bad visits (naming the row and column), plans, horizon or seed.
    ImplausibleVisits
        Visits the population cannot produce (a ValueError).

    Examples
    --------
    >>> import ptsim
    >>> visits = {"day": [0, 14], "pain_nprs": [7, 6], "rom_deg": [95, 100]}
    >>> fc = ptsim.forecast("knee_oa", visits, plans=["exercise_only"], horizon_days=28,
    ...                     so_far="manual_only", n_candidates=500)
    >>> sorted(fc.course.columns)[:3]
    ['day', 'high_50', 'high_90']
    """
    cond = _condition(condition, scenario)
    v = read_visits(visits, cond)
    chosen = _plans_of(plans)
    base = _so_far(so_far).resolve(cond)
    horizon = check_days(horizon_days)
    if horizon < 1:
        raise ValueError(f"horizon_days must be a whole number >= 1, got {horizon_days!r}")
    seed = check_seed(seed)
    if n_candidates is not None:
        n_candidates = check_count(n_candidates, "n_candidates", 10)
    members = _members(ensemble, cond)
    start = switch_day(v.last_day)
    candidates, weights, notes = condition_on_visits(cond, v, base, seed, members, n_candidates, engine)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    rows, counts = systematic_resample(weights, SIMULATED_CANDIDATES, seed)
    chosen_rows = candidates.take(rows)
    w = counts
    continued = {name: continued_plan(base, p.resolve(cond), start) for name, p in chosen.items()}
    days = v.last_day + horizon - 1
    course = _run_course(cond, v, chosen_rows, continued, w, start, horizon, seed, days, engine)
    pop = None
    if population:
        prior = candidates.take(np.arange(min(SIMULATED_CANDIDATES, len(candidates))))
        flat = np.ones(len(prior), dtype=np.int64)
        pop = _run_course(cond, v, prior, continued, flat, start, horizon, seed, days, engine)
    return Forecast(
        condition=cond,
        visits=v,
        so_far=base,
        plans=continued,
        switch_day=start,
        horizon_days=horizon,
        course=course,
        ess=effective_sample_size(weights),
        n_candidates=len(candidates),
        n_simulated=len(chosen_rows),
        seed=seed,
        warnings=notes,
        population=pop,
    )


def _run_course(cond, v, cands: Candidates, continued, weights, start, horizon, seed, days, engine):
    comp = compare(
        cands.condition, continued, cohort=cands.cohort, days=max(days, 0), seed=seed, engine=engine
    )
    results = {name: comp[name] for name in continued}
    ids = cands.cohort["patient_id"].to_numpy()
    return _course_table(cond, v, results, weights, start, horizon, seed, ids)
