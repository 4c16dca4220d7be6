"""Evidence targets, calibration against published results, and the evidence report.

The published numbers the model is compared with are data: ``data/evidence/targets*.csv``, one row a
target (condition, trial arm, outcome, time point, published value with its interval, sample size,
citation, what was checked against the abstract, and how a model quantity maps onto it). The trial
arms are ptsim plans in ``data/evidence/arms.toml``; the parameters that calibration may move, with
their bounds, are in ``data/evidence/calibration.toml``.

:func:`report` simulates every target afresh from the current parameters (never cached, never typed
in) and says whether it falls within the published interval. :func:`calibrate` fits a condition's
free parameters to its targets with ``scipy.optimize.least_squares`` on standardised residuals,
using common random numbers and a fixed seed (so a fit is deterministic), and writes the fitted
values to the calibrated layer ``data/calibrated/<condition>.toml`` that
:func:`ptsim.load_condition` applies on top of the condition file.

A target whose ``use`` is ``known_gap`` is reported but not fitted: it is a published number the
model's structure cannot reproduce together with the others, kept in view on purpose.

Run ``python -m ptsim.analysis.calibrate --report`` for the report, ``python -m
ptsim.analysis.calibrate knee_oa`` to re-calibrate a condition.

This is calibration v1 (one best point on ``targets.csv``). The shipped layers come from v2,
:mod:`ptsim.analysis.bayes` (a posterior ensemble on ``published.csv``, whose member of highest
posterior is written as the layer); re-running v1 on a condition replaces that layer with its own fit.
"""

from __future__ import annotations

import csv
import datetime
import math
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ptsim.core import model
from ptsim.core.parameters import PARAMETERS
from ptsim.core.vocabulary import OUTCOME_NAMES
from ptsim.inputs.conditions import (
    NATURAL_HISTORY_KEYS,
    NATURAL_HISTORY_RANGES,
    Condition,
    list_conditions,
    load_condition,
)
from ptsim.inputs.paths import data_dir
from ptsim.inputs.plans import PLAN_NAMES, Plan, plan_from_dict, standard_plans
from ptsim.inputs.toml_io import check_keys, read_toml

TARGET_OUTCOMES = (*OUTCOME_NAMES, "disability")
"""Outcomes a target can name; ``disability`` is ``100 - function`` (read like a WOMAC or NDI)."""

# statistic -> (accepted outcomes or None for no outcome, needs day, needs minute, comparator allowed)
STATISTICS: dict[str, tuple[tuple[str, ...] | None, bool, bool, bool, str]] = {
    "immediate_change": (
        ("pain", "rom"),
        False,
        True,
        False,
        "mean outcome `minute` minutes after one session of the arm minus before it (minute trace)",
    ),
    "immediate_pct_change": (
        ("pain", "rom"),
        False,
        True,
        False,
        "the same as a % of the mean before the session",
    ),
    "transient_remaining_pct": (
        ("rom",),
        False,
        True,
        False,
        "transient (window) ROM `minute` minutes after the session as a % of its value at the end",
    ),
    "mean": (TARGET_OUTCOMES, True, False, True, "mean outcome on `day` (arm minus comparator)"),
    "change": (
        TARGET_OUTCOMES,
        True,
        False,
        True,
        "mean change from the pre-treatment baseline to `day` (arm minus comparator)",
    ),
    "pct_change": (
        TARGET_OUTCOMES,
        True,
        False,
        True,
        "% change of the mean from baseline to `day` (arm minus comparator, percentage points)",
    ),
    "pct_of_baseline": (TARGET_OUTCOMES, True, False, False, "mean on `day` as a % of the baseline mean"),
    "pct_change_after_discharge": (
        TARGET_OUTCOMES,
        True,
        False,
        False,
        "% change of the mean from the last day of care to `day` days later",
    ),
    "responder_pct": (
        None,
        True,
        False,
        True,
        "% of patients whose pain on `day` is >= 30 % below baseline (arm minus comparator, points)",
    ),
    "setback_pct": (None, True, False, False, "% of patients with a setback within `day` days of discharge"),
    "median_setback_day": (
        None,
        True,
        False,
        False,
        "median days from discharge to the first setback, followed `day` days",
    ),
    "home_missed_pct": (None, False, False, False, "% of scheduled home sessions not done during care"),
    "structural_dominant_day": (
        ("strength",),
        False,
        False,
        False,
        "first day on which the mean structural strength gain exceeds the mean neural gain",
    ),
}
"""Model quantities a target can map to: accepted outcomes, whether it needs a day, a minute, and
whether a comparator arm is allowed; then a description."""

USES = ("calibration", "known_gap")
COLUMNS = (
    "id",
    "condition",
    "arm",
    "comparator",
    "outcome",
    "statistic",
    "day",
    "minute",
    "unit",
    "published",
    "low",
    "high",
    "interval",
    "n",
    "source",
    "model_quantity",
    "use",
    "checked",
    "note",
)
"""Columns of an evidence CSV file (all required in the header; ``note`` may be empty except for a
``known_gap`` row, where it says why the model cannot reproduce the number)."""

NAN_RESIDUAL = 10.0
"""Standardised residual given to a target the model cannot compute (e.g. a median never reached)."""

DEFAULT_N_PATIENTS = 200
DEFAULT_SEED = 0


def evidence_dir() -> Path:
    """The folder of evidence tables, arms and calibration settings."""
    return data_dir() / "evidence"


def calibrated_dir() -> Path:
    """The folder of the calibrated layer (one TOML file per condition)."""
    return data_dir() / "calibrated"


# ---------------------------------------------------------------------------------------------------
# evidence tables


@dataclass(frozen=True)
class Target:
    """One published number and the model quantity it is compared with (a row of the CSV)."""

    id: str
    condition: str
    arm: str
    comparator: str
    outcome: str
    statistic: str
    day: int | None
    minute: float | None
    unit: str
    published: float
    low: float
    high: float
    interval: str
    n: int | None
    source: str
    model_quantity: str
    use: str
    checked: str
    note: str = ""
    file: str = ""
    line: int = 0

    @property
    def tolerance(self) -> float:
        """Half the width of the published (or stated default) interval, in the target's unit."""
        return (self.high - self.low) / 2.0

    @property
    def day_given(self) -> int:
        """``day`` for a statistic that needs one (``STATISTICS``; checked when the CSV is read)."""
        return _given(self.day, "day", self)

    @property
    def minute_given(self) -> float:
        """``minute`` for a statistic that needs one (``STATISTICS``; checked when the CSV is read)."""
        return _given(self.minute, "minute", self)


def _given(value, column: str, t: Target):
    if value is None:
        raise ValueError(f"{t.file}:{t.line}: target {t.id!r}: statistic {t.statistic!r} needs a {column}")
    return value


def load_arms(path: str | Path | None = None) -> dict[str, Plan]:
    """The trial arms of the evidence tables as plans, plus the standard plans by name.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file of arms (default ``data/evidence/arms.toml``); each table is a plan in the
        format of :func:`ptsim.inputs.plans.plan_from_dict`, with optional ``assumption`` text.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing or malformed file (the message names the file and the arm).
    """
    path = Path(path) if path is not None else evidence_dir() / "arms.toml"
    doc = read_toml(path, "evidence arms file")
    arms = dict(standard_plans())
    for name, table in doc.items():
        if not isinstance(table, dict):
            raise ValueError(f"{path}: key '{name}': expected a table describing a plan")
        if name in PLAN_NAMES:
            raise ValueError(f"{path}: key '{name}': the name of a standard plan cannot be redefined")
        spec = {k: v for k, v in table.items() if k != "assumption"}
        spec.setdefault("name", name)
        arms[name] = plan_from_dict(spec, f"{path} [{name}]")
    return arms


def _fail(file, line, tid, column, expected, got):
    who = f" (target {tid!r})" if tid else ""
    raise ValueError(f"{file}: line {line}{who}: column '{column}': expected {expected}, got {got!r}")


def _number(raw, file, line, tid, column, integer=False, required=True):
    text = (raw or "").strip()
    if not text:
        if required:
            _fail(file, line, tid, column, "a number", raw)
        return None
    try:
        value = float(text)
    except ValueError:
        _fail(file, line, tid, column, "an integer" if integer else "a number", raw)
    if not math.isfinite(value):
        _fail(file, line, tid, column, "a finite number", raw)
    if integer:
        if value != int(value) or value < 0:
            _fail(file, line, tid, column, "a whole number >= 0", raw)
        return int(value)
    return value


def _parse_row(row: dict, file: str, line: int, arms, conditions) -> Target:
    tid = (row.get("id") or "").strip()
    if not tid or not tid.replace("_", "").isalnum():
        _fail(file, line, "", "id", "an identifier (letters, digits, underscores)", row.get("id"))
    text = {c: (row.get(c) or "").strip() for c in COLUMNS}
    if text["condition"] not in conditions:
        _fail(file, line, tid, "condition", f"one of {', '.join(conditions)}", text["condition"])
    for col in ("source", "model_quantity", "unit", "interval", "checked"):
        if not text[col]:
            what = "a citation" if col == "source" else "a non-empty text"
            _fail(file, line, tid, col, what, row.get(col))
    if text["statistic"] not in STATISTICS:
        _fail(file, line, tid, "statistic", f"one of {', '.join(STATISTICS)}", text["statistic"])
    outcomes, needs_day, needs_minute, comparator_ok, _ = STATISTICS[text["statistic"]]
    if outcomes is None and text["outcome"]:
        _fail(file, line, tid, "outcome", f"empty for statistic {text['statistic']}", text["outcome"])
    if outcomes is not None and text["outcome"] not in outcomes:
        _fail(file, line, tid, "outcome", f"one of {', '.join(outcomes)}", text["outcome"])
    for col in ("arm", "comparator"):
        if col == "comparator" and not text[col]:
            continue
        if text[col] not in arms:
            _fail(file, line, tid, col, "an arm of arms.toml or a standard plan name", text[col])
    if text["comparator"] and not comparator_ok:
        _fail(file, line, tid, "comparator", f"empty for statistic {text['statistic']}", text["comparator"])
    day = _number(text["day"], file, line, tid, "day", integer=True, required=needs_day)
    minute = _number(text["minute"], file, line, tid, "minute", required=needs_minute)
    if minute is not None and minute < 0:
        _fail(file, line, tid, "minute", "a number of minutes >= 0", text["minute"])
    published = _number(text["published"], file, line, tid, "published")
    low = _number(text["low"], file, line, tid, "low")
    high = _number(text["high"], file, line, tid, "high")
    if not low <= published <= high or low == high:
        _fail(file, line, tid, "low/high", "low <= published <= high with low < high", (low, published, high))
    n = _number(text["n"], file, line, tid, "n", integer=True, required=False)
    if text["use"] not in USES:
        _fail(file, line, tid, "use", f"one of {', '.join(USES)}", text["use"])
    if text["use"] == "known_gap" and not text["note"]:
        _fail(
            file,
            line,
            tid,
            "note",
            "the reason the model cannot reproduce a known_gap target",
            row.get("note"),
        )
    return Target(
        id=tid,
        condition=text["condition"],
        arm=text["arm"],
        comparator=text["comparator"],
        outcome=text["outcome"],
        statistic=text["statistic"],
        day=day,
        minute=minute,
        unit=text["unit"],
        published=published,
        low=low,
        high=high,
        interval=text["interval"],
        n=n,
        source=text["source"],
        model_quantity=text["model_quantity"],
        use=text["use"],
        checked=text["checked"],
        note=text["note"],
        file=str(file),
        line=line,
    )


def load_targets(path: str | Path | None = None, arms: dict[str, Plan] | None = None) -> list[Target]:
    """Read and validate evidence targets.

    Parameters
    ----------
    path : str or Path, optional
        A CSV file, or a folder whose ``targets*.csv`` files are all read (default ``data/evidence``).
    arms : dict, optional
        Arms the rows may name (default :func:`load_arms`).

    Raises
    ------
    ValueError
        A malformed row: the message names the file, the line, the target and the column (missing
        source, unknown condition or arm, a non-numeric value, an interval not around the value).
    FileNotFoundError
        A path that does not exist.
    """
    path = Path(path) if path is not None else evidence_dir()
    if not path.exists():
        raise FileNotFoundError(f"evidence path not found: {path}")
    # published.csv and instruments.csv (ptsim.analysis.evidence) share the folder in other formats.
    files = sorted(path.glob("targets*.csv")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no evidence CSV files in {path}")
    arms = load_arms() if arms is None else arms
    conditions = list_conditions()
    targets: list[Target] = []
    seen: dict[str, str] = {}
    for file in files:
        with open(file, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{file}: header: missing column(s) {', '.join(missing)}")
            for row in reader:
                t = _parse_row(row, str(file), reader.line_num, arms, conditions)
                if t.id in seen:
                    raise ValueError(
                        f"{file}: line {reader.line_num}: column 'id': {t.id!r} repeats the target "
                        f"of {seen[t.id]}"
                    )
                seen[t.id] = f"{file}: line {reader.line_num}"
                targets.append(t)
    return targets


def targets_frame(targets: list[Target] | None = None):
    """The evidence targets as a pandas DataFrame (one row a target)."""
    import pandas as pd

    targets = load_targets() if targets is None else targets
    return pd.DataFrame([{c: getattr(t, c) for c in COLUMNS} for t in targets])


# ---------------------------------------------------------------------------------------------------
# free parameters and the calibrated layer


def free_parameters(condition: str, path: str | Path | None = None) -> dict[str, tuple[float, float]]:
    """The parameters calibration may move for a condition, with their bounds.

    Names are model parameters (``ptsim.core.parameters.PARAMETERS``) or ``natural_history.<key>``. Read
    from ``data/evidence/calibration.toml``; bounds must lie inside each parameter's documented range.
    """
    path = Path(path) if path is not None else evidence_dir() / "calibration.toml"
    doc = read_toml(path, "calibration settings file")
    if condition not in doc:
        raise ValueError(f"{path}: no table for condition {condition!r}; tables: {', '.join(doc)}")
    out = {}
    for name, spec in doc[condition].items():
        key = f"{condition}.{name}"
        lo_ok, hi_ok = parameter_range(name, where=f"{path}: key '{key}'")
        if not isinstance(spec, dict) or not {"low", "high"} <= set(spec):
            raise ValueError(f"{path}: key '{key}': expected {{ low = <number>, high = <number> }}")
        check_keys(spec, ("low", "high"), str(path), key)
        low, high = float(spec["low"]), float(spec["high"])
        if not lo_ok <= low < high <= hi_ok:
            raise ValueError(
                f"{path}: key '{key}': bounds [{low:g}, {high:g}] must lie inside the parameter's "
                f"range [{lo_ok:g}, {hi_ok:g}] with low < high"
            )
        out[name] = (low, high)
    return out


@dataclass(frozen=True)
class Prior:
    """A population prior of one mechanism parameter (``[population]`` of ``calibration.toml``).

    ``family`` is ``normal`` (``a`` the mean, ``b`` the SD) or ``lognormal`` (``a`` the median, ``b``
    the SD of the log); within a condition it is truncated to that condition's bounds.
    """

    name: str
    family: str
    a: float
    b: float
    source: str

    def log_density(self, x: float) -> float:
        """Log density at ``x`` up to a constant (``-inf`` outside the support)."""
        if self.family == "normal":
            return -0.5 * ((x - self.a) / self.b) ** 2
        if x <= 0:
            return -math.inf
        z = (math.log(x) - math.log(self.a)) / self.b
        return -0.5 * z * z - math.log(x)


PRIOR_KEYS = {"normal": ("mean", "sd"), "lognormal": ("median", "sd_log")}


def population_priors(path: str | Path | None = None) -> dict[str, Prior]:
    """The shared population priors of ``calibration.toml``'s ``[population]`` table (partial pooling
    with a fixed hyperprior); ValueError naming the file and key for a malformed entry."""
    path = Path(path) if path is not None else evidence_dir() / "calibration.toml"
    doc = read_toml(path, "calibration settings file")
    out = {}
    for name, spec in doc.get("population", {}).items():
        key = f"population.{name}"
        parameter_range(name, where=f"{path}: key '{key}'")
        family = spec.get("prior") if isinstance(spec, dict) else None
        if family not in PRIOR_KEYS:
            raise ValueError(
                f"{path}: key '{key}': prior must be one of {', '.join(PRIOR_KEYS)}, got {family!r}"
            )
        a_key, b_key = PRIOR_KEYS[family]
        check_keys(spec, ("prior", a_key, b_key, "source"), str(path), key)
        if not isinstance(spec.get("source"), str) or not spec["source"]:
            raise ValueError(
                f"{path}: key '{key}': every prior needs a source (a citation or 'assumption ...')"
            )
        a, b = spec.get(a_key), spec.get(b_key)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in (a, b)) or b <= 0:
            raise ValueError(f"{path}: key '{key}': {a_key} and {b_key} must be numbers with {b_key} > 0")
        if family == "lognormal" and a <= 0:
            raise ValueError(f"{path}: key '{key}': a lognormal prior needs median > 0, got {a!r}")
        out[name] = Prior(name, family, float(a), float(b), spec["source"])
    return out


def parameter_range(name: str, where: str = "parameter") -> tuple[float, float]:
    """The documented range of a model parameter or ``natural_history.<key>``."""
    if name.startswith("natural_history."):
        key = name.split(".", 1)[1]
        if key not in NATURAL_HISTORY_KEYS:
            raise ValueError(
                f"{where}: unknown natural-history key {key!r}; accepted: {', '.join(NATURAL_HISTORY_RANGES)}"
            )
        return NATURAL_HISTORY_RANGES[key]
    if name not in PARAMETERS:
        raise ValueError(
            f"{where}: unknown parameter {name!r}; accepted: a name of ptsim.core.parameters.PARAMETERS "
            "or natural_history.<key>"
        )
    return PARAMETERS[name].low, PARAMETERS[name].high


def get_value(cond: Condition, name: str) -> float:
    """Current value of a model parameter or ``natural_history.<key>`` of a condition."""
    if name.startswith("natural_history."):
        return float(cond.natural_history[name.split(".", 1)[1]])
    return float(cond.parameters[name])


def with_values(cond: Condition, values: dict[str, float]) -> Condition:
    """A copy of a condition with model parameters and natural-history values changed."""
    params = {k: v for k, v in values.items() if not k.startswith("natural_history.")}
    nh = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("natural_history.")}
    out = cond.with_parameters(**params) if params else cond
    if nh:
        for key, value in nh.items():
            lo, hi = parameter_range(f"natural_history.{key}")
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"natural_history.{key} = {value!r} is outside [{lo:g}, {hi:g}]")
        out = replace(out, natural_history={**out.natural_history, **{k: float(v) for k, v in nh.items()}})
    return out


# ---------------------------------------------------------------------------------------------------
# simulating the targets


def _baseline(cond: Condition, cohort) -> dict[str, np.ndarray]:
    """Pre-treatment outcomes of each patient (the state before the first session)."""
    from ptsim.inputs.cohort import to_patients

    pts = to_patients(cohort, cond)
    p = cond.parameters
    s0 = model.initial_state(pts)
    pain, rom, strength = model.pain_nprs(s0), model.rom_deg(s0, pts, p), model.strength_pct(s0, pts)
    function = model.function_score(pain, rom, strength, pts.rom_normal_deg, p)
    return {
        "pain": pain,
        "rom": rom,
        "strength": strength,
        "function": function,
        "disability": 100.0 - function,
    }


def _outcome(res, name: str) -> np.ndarray:
    return 100.0 - res.function if name == "disability" else res.outcome(name)


def _horizon(t: Target, plan: Plan) -> int:
    stat = t.statistic
    if stat in ("setback_pct", "median_setback_day", "pct_change_after_discharge"):
        return plan.discharge_day + t.day_given
    if stat == "home_missed_pct":
        return max(plan.discharge_day - 1, 0)
    if t.day is not None:
        return t.day
    return 0


def _trace_value(cond, plan, t: Target, cohort) -> float:
    from ptsim.engine.simulate import trace_session

    session = plan.session
    end = sum(c.minutes for c in session.components)
    minutes_after = t.minute_given
    trace = trace_session(cond, session, seed=0, minutes_after=minutes_after, cohort=cohort)
    col = "pain_nprs" if t.outcome == "pain" else "rom_deg"

    def at(minute):
        return trace[np.isclose(trace.minute, minute)].iloc[-1]

    start, after = trace.iloc[0], at(end + minutes_after)
    if t.statistic == "immediate_change":
        return float(after[col] - start[col])
    if t.statistic == "immediate_pct_change":
        return float(100.0 * (after[col] / start[col] - 1.0))
    peak = at(end).transient_rom_deg
    return float(100.0 * after.transient_rom_deg / peak) if peak > 0 else math.nan


def _structural_day(cond, plan, cohort, seed) -> float:
    """First day on which mean hypertrophy gain exceeds mean neural (fitness) gain; NaN if never."""
    from ptsim.engine.simulate import simulate

    def dominant(day):
        s = simulate(cond, plan, n_patients=None, days=day, seed=seed, cohort=cohort).final_state
        assert s is not None  # kept for full trajectories (no record_days)
        return s.hypertrophy_pct.mean() > s.fitness_pct.mean()

    lo, hi = 0, max(plan.discharge_day - 1, 1)
    if not dominant(hi):
        return math.nan
    while hi - lo > 1:  # dominant(lo) is False, dominant(hi) is True
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if dominant(mid) else (mid, hi)
    return float(hi)


def _day_value(t: Target, res, comp, base) -> float:
    stat, d = t.statistic, t.day
    if stat in ("mean", "change", "pct_change", "pct_of_baseline"):
        b = base[t.outcome].mean()

        def level(r):
            m = _outcome(r, t.outcome)[:, d].mean()
            return {"mean": m, "change": m - b, "pct_change": 100.0 * (m / b - 1.0)}.get(stat, 100.0 * m / b)

        return level(res) - (level(comp) if comp is not None else 0.0)
    if stat == "pct_change_after_discharge":
        x = _outcome(res, t.outcome).mean(axis=0)
        end = res.discharge_day - 1
        return float(100.0 * (x[end + d] / x[end] - 1.0))
    if stat == "responder_pct":
        from ptsim.analysis.outcomes import pain_responders

        def rate(r):
            return 100.0 * pain_responders(base["pain"], r.pain[:, d], "percent").mean()

        return rate(res) - (rate(comp) if comp is not None else 0.0)
    discharge = res.discharge_day
    window = res.setback_events[:, discharge : discharge + d]
    if stat == "setback_pct":
        return float(100.0 * window.any(axis=1).mean())
    if stat == "median_setback_day":
        hit = window.any(axis=1)
        if hit.mean() < 0.5:
            return math.nan
        first = np.where(hit, window.argmax(axis=1), np.iinfo(np.int64).max)
        return float(np.sort(first)[(len(first) - 1) // 2] + 1)
    raise AssertionError(stat)


def _home_missed(plan: Plan, res) -> float:
    from ptsim.engine.setup import schedule as _schedule

    days = res.day[-1]
    clinic, freq = _schedule(plan, int(days))
    home_days = (res.day < plan.discharge_day) & ~clinic & (freq > 0)
    scheduled = freq[home_days].sum() * res.n_patients
    if scheduled <= 0:
        return math.nan
    done = (res.exercise_dose[:, home_days] > 0).sum()
    return float(100.0 * (1.0 - done / scheduled))


def simulate_targets(
    condition,
    targets: list[Target] | None = None,
    n_patients: int = DEFAULT_N_PATIENTS,
    seed: int = DEFAULT_SEED,
    arms: dict[str, Plan] | None = None,
) -> np.ndarray:
    """Simulate the model quantity of each target of one condition, from its current parameters.

    All arms share one cohort and one seed (common random numbers), so arm differences are paired.

    Parameters
    ----------
    condition : Condition or str
    targets : list of Target, optional
        Targets of this condition (default: all of its rows in the evidence tables).
    n_patients : int
        Virtual patients per arm (default 200).
    seed : int

    Returns
    -------
    numpy.ndarray
        One simulated value per target, in the target's unit (NaN where the quantity is undefined,
        e.g. a median setback time when fewer than half have a setback).
    """
    from ptsim.engine.simulate import simulate
    from ptsim.inputs.cohort import check_count, sample_cohort

    cond = load_condition(condition)
    arms = load_arms() if arms is None else arms
    targets = [t for t in load_targets(arms=arms) if t.condition == cond.name] if targets is None else targets
    n_patients = check_count(n_patients, "n_patients")
    cohort = sample_cohort(cond, n_patients, seed)
    base = _baseline(cond, cohort)

    horizon: dict[str, int] = {}
    for t in targets:
        if t.condition != cond.name:
            raise ValueError(f"target {t.id!r} belongs to {t.condition!r}, not to {cond.name!r}")
        if STATISTICS[t.statistic][2] or t.statistic == "structural_dominant_day":
            continue
        for name in (t.arm, t.comparator):
            if name:
                horizon[name] = max(horizon.get(name, 0), _horizon(t, arms[name]))
    for t in targets:  # a comparator is followed as long as its arm
        if t.comparator:
            horizon[t.comparator] = horizon[t.arm] = max(horizon[t.arm], horizon[t.comparator])
    runs = {
        name: simulate(cond, arms[name], n_patients=None, days=days, seed=seed, cohort=cohort)
        for name, days in horizon.items()
    }
    values = []
    for t in targets:
        plan = arms[t.arm]
        if STATISTICS[t.statistic][2]:
            values.append(_trace_value(cond, plan, t, cohort))
        elif t.statistic == "structural_dominant_day":
            values.append(_structural_day(cond, plan, cohort, seed))
        elif t.statistic == "home_missed_pct":
            values.append(_home_missed(plan, runs[t.arm]))
        else:
            comp = runs[t.comparator] if t.comparator else None
            values.append(float(_day_value(t, runs[t.arm], comp, base)))
    return np.asarray(values, dtype=float)


def standardized_residual(simulated: float, t: Target) -> float:
    """(simulated - published) in units of the published interval on that side (|r| <= 1: within).

    The half-interval above the value scales residuals above it and the half below scales those
    below, so an asymmetric interval is respected; an undefined simulation counts as ``NAN_RESIDUAL``.
    """
    if not math.isfinite(simulated):
        return NAN_RESIDUAL
    scale = (t.high - t.published) if simulated > t.published else (t.published - t.low)
    if scale <= 0:
        scale = t.tolerance
    return (simulated - t.published) / scale


def report(
    condition=None,
    n_patients: int = DEFAULT_N_PATIENTS,
    seed: int = DEFAULT_SEED,
    targets: list[Target] | None = None,
):
    """Model versus published numbers, simulated afresh from the current parameters.

    Parameters
    ----------
    condition : str, Condition or None
        One condition (a name, a path or a :class:`Condition`, e.g. a what-if copy made with
        ``with_parameters``), or None for every condition with targets.
    n_patients, seed : int
        Virtual patients per arm and the seed (defaults 200 and 0, as used for calibration).
    targets : list of Target, optional
        Targets to report (default: the evidence tables).

    Returns
    -------
    pandas.DataFrame
        One row per target: ``condition, target, source, published, simulated, tolerance, within``,
        then ``low, high, unit, residual, use, statistic, model_quantity, note``. ``within`` is
        ``low <= simulated <= high``; ``tolerance`` is half the interval's width; ``residual`` is
        the standardised residual (see :func:`standardized_residual`).
    """
    import pandas as pd

    arms = load_arms()
    targets = load_targets(arms=arms) if targets is None else targets
    if condition is None:
        conds = [load_condition(name) for name in sorted({t.condition for t in targets})]
    else:
        conds = [load_condition(condition)]
    rows = []
    for cond in conds:
        mine = [t for t in targets if t.condition == cond.name]
        if not mine:
            continue
        sims = simulate_targets(cond, mine, n_patients=n_patients, seed=seed, arms=arms)
        for t, sim in zip(mine, sims, strict=True):
            rows.append(
                {
                    "condition": cond.name,
                    "target": t.id,
                    "source": t.source,
                    "published": t.published,
                    "simulated": sim,
                    "tolerance": t.tolerance,
                    "within": bool(t.low <= sim <= t.high),
                    "low": t.low,
                    "high": t.high,
                    "unit": t.unit,
                    "residual": standardized_residual(sim, t),
                    "use": t.use,
                    "statistic": t.statistic,
                    "model_quantity": t.model_quantity,
                    "note": t.note,
                }
            )
    cols = [
        "condition",
        "target",
        "source",
        "published",
        "simulated",
        "tolerance",
        "within",
        "low",
        "high",
        "unit",
        "residual",
        "use",
        "statistic",
        "model_quantity",
        "note",
    ]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------------------
# fitting


@dataclass
class Calibration:
    """The outcome of fitting one condition.

    Attributes
    ----------
    condition : str
    values, start, defaults : dict[str, float]
        Fitted values, the values the fit started from, and the condition file's values.
    bounds : dict[str, tuple[float, float]]
    targets : list of str
        Ids of the evidence rows used.
    published, simulated, residuals : numpy arrays
        Per target: published value, simulated value at the fitted parameters, standardised residual.
    cost : float
        Half the sum of squared standardised residuals at the fit.
    success : bool
    message : str
    nfev : int
        Model evaluations (each simulates every arm of the condition).
    n_patients, seed : int
    date : str
        ISO date of the fit.
    """

    condition: str
    values: dict[str, float]
    start: dict[str, float]
    defaults: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    targets: list[str]
    published: np.ndarray
    simulated: np.ndarray
    residuals: np.ndarray
    cost: float
    success: bool
    message: str
    nfev: int
    n_patients: int
    seed: int
    date: str = field(default_factory=lambda: datetime.date.today().isoformat())
    method: str = "scipy.optimize.least_squares on standardised residuals (ptsim.analysis.calibrate.fit)"
    command: str = "python -m ptsim.analysis.calibrate <condition>"

    @property
    def all_within(self) -> bool:
        return bool(np.all(np.abs(self.residuals) <= 1.0 + 1e-12))


def fit(
    condition,
    parameters: dict[str, tuple[float, float]] | None = None,
    targets: list[Target] | None = None,
    n_patients: int = DEFAULT_N_PATIENTS,
    seed: int = DEFAULT_SEED,
    max_nfev: int = 30,
    start: dict[str, float] | None = None,
    diff_step: float = 0.02,
    arms: dict[str, Plan] | None = None,
) -> Calibration:
    """Fit a condition's free parameters to its targets (nothing is written).

    Least squares on standardised residuals (:func:`standardized_residual`) with
    ``scipy.optimize.least_squares`` (trust-region reflective, bounded). Parameters are rescaled to
    [0, 1] within their bounds, derivatives are finite differences of size ``diff_step`` on that
    scale, and every evaluation uses the same cohort and seed (common random numbers), so the fit
    is deterministic.

    Parameters
    ----------
    condition : str or Condition
        The condition; its current values (e.g. an earlier calibration) are the starting point.
    parameters : dict name -> (low, high), optional
        Free parameters and bounds (default :func:`free_parameters`).
    targets : list of Target, optional
        Default: the condition's rows whose ``use`` is ``calibration``.
    n_patients, seed : int
        Cohort size per arm and seed.
    max_nfev : int
        Largest number of model evaluations.
    start : dict, optional
        Starting values (default: the condition's current values, moved inside the bounds).
    """
    from scipy.optimize import least_squares

    cond = load_condition(condition)
    arms = load_arms() if arms is None else arms
    if targets is None:
        targets = [t for t in load_targets(arms=arms) if t.condition == cond.name and t.use == "calibration"]
    if not targets:
        raise ValueError(f"no calibration targets for condition {cond.name!r}")
    bounds = free_parameters(cond.name) if parameters is None else dict(parameters)
    if not bounds:
        raise ValueError("parameters is empty: give at least one free parameter")
    names = list(bounds)
    for name in names:
        parameter_range(name, where="fit")
    lo = np.array([bounds[k][0] for k in names])
    hi = np.array([bounds[k][1] for k in names])
    first = {k: get_value(cond, k) for k in names} if start is None else {**start}
    x0 = np.clip(np.array([first[k] for k in names]), lo, hi)
    u0 = (x0 - lo) / (hi - lo)

    def decode(u):
        return dict(zip(names, (lo + np.clip(u, 0, 1) * (hi - lo)).tolist(), strict=True))

    def residuals(u):
        sims = simulate_targets(with_values(cond, decode(u)), targets, n_patients, seed, arms)
        return np.array([standardized_residual(s, t) for s, t in zip(sims, targets, strict=True)])

    sol = least_squares(
        residuals,
        u0,
        bounds=(0.0, 1.0),
        diff_step=diff_step,
        max_nfev=max_nfev,
        xtol=1e-4,
        ftol=1e-6,
        gtol=1e-8,
    )
    values = decode(sol.x)
    fitted = with_values(cond, values)
    sims = simulate_targets(fitted, targets, n_patients, seed, arms)
    res = np.array([standardized_residual(s, t) for s, t in zip(sims, targets, strict=True)])
    base = load_condition(cond.path, calibrated=False) if cond.path else cond
    return Calibration(
        condition=cond.name,
        values=values,
        start=dict(zip(names, x0.tolist(), strict=True)),
        defaults={k: get_value(base, k) for k in names},
        bounds={k: (float(a), float(b)) for k, a, b in zip(names, lo, hi, strict=True)},
        targets=[t.id for t in targets],
        published=np.array([t.published for t in targets]),
        simulated=sims,
        residuals=res,
        cost=float(0.5 * np.sum(res**2)),
        success=bool(sol.success),
        message=str(sol.message),
        nfev=int(sol.nfev),
        n_patients=n_patients,
        seed=seed,
    )


def _toml_str(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_calibration(cal: Calibration, directory: str | Path | None = None) -> Path:
    """Write a fit to the calibrated layer: ``<directory>/<condition>.toml`` (default
    ``data/calibrated``), with the date, the evidence rows used, the values and the residuals."""
    directory = Path(directory) if directory is not None else calibrated_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{cal.condition}.toml"
    lines = [
        f"# Calibrated layer for {cal.condition}: written on {cal.date}.",
        "# Applied by ptsim.load_condition on top of data/conditions/<condition>.toml.",
        f"# Do not edit by hand: re-run `{cal.command}`.",
        "",
        "[calibration]",
        f"condition = {_toml_str(cal.condition)}",
        f"date = {_toml_str(cal.date)}",
        f"method = {_toml_str(cal.method)}",
        f"n_patients = {cal.n_patients}",
        f"seed = {cal.seed}",
        f"cost = {cal.cost:.6g}",
        f"model_evaluations = {cal.nfev}",
        f"optimizer_message = {_toml_str(cal.message)}",
        f"all_within = {str(cal.all_within).lower()}",
        "evidence_rows = [" + ", ".join(_toml_str(t) for t in cal.targets) + "]",
        "",
        "[parameters]",
    ]
    for name, value in cal.values.items():
        low, high = cal.bounds[name]
        lines.append(
            f"{_toml_str(name)} = {{ value = {value:.6g}, default = {cal.defaults[name]:.6g}, "
            f"low = {low:.6g}, high = {high:.6g} }}"
        )
    lines += ["", "[residuals]  # standardised: (simulated - published) / half-interval on that side"]
    for tid, pub, sim, r in zip(cal.targets, cal.published, cal.simulated, cal.residuals, strict=True):
        lines.append(f"{tid} = {{ published = {pub:.6g}, simulated = {sim:.6g}, standardized = {r:.4g} }}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def calibrate(condition: str, write: bool = True, **kwargs) -> Calibration:
    """Fit a shipped condition to its targets and (by default) write its calibrated layer.

    Keyword arguments go to :func:`fit`. The fit is made on the condition file's values (an
    earlier calibrated layer is ignored) and, unless ``start`` is given, starts from them, so the
    written layer is reproducible from the files alone. Returns the :class:`Calibration`.
    """
    raw = load_condition(condition, calibrated=False)
    if "start" not in kwargs:
        names = kwargs.get("parameters") or free_parameters(raw.name)
        kwargs["start"] = {k: get_value(raw, k) for k in names}
    cal = fit(raw, **kwargs)
    if write:
        write_calibration(cal)
    return cal


# ---------------------------------------------------------------------------------------------------
# command line


def main(argv=None) -> int:
    """``python -m ptsim.analysis.calibrate [--report] [condition ...]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ptsim.analysis.calibrate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("conditions", nargs="*", help="conditions to calibrate (default: none)")
    parser.add_argument("--report", action="store_true", help="print the evidence report")
    parser.add_argument("--no-write", action="store_true", help="fit but do not write the layer")
    parser.add_argument("--max-nfev", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        for name in args.conditions:
            cal = calibrate(name, write=not args.no_write, max_nfev=args.max_nfev)
            print(f"{name}: cost {cal.cost:.4g}, {cal.nfev} evaluations, all within: {cal.all_within}")
            for k, v in cal.values.items():
                print(f"  {k} = {v:.4g} (default {cal.defaults[k]:.4g})")
        if args.report or not args.conditions:
            import pandas as pd

            with pd.option_context("display.width", 250, "display.max_rows", 200, "display.max_columns", 20):
                df = report()
                print(df[["condition", "target", "published", "simulated", "low", "high", "within", "use"]])
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
