"""Sensitivity analysis: which model parameters drive an outcome?

Two methods over chosen model parameters (``ptsim.core.parameters.PARAMETERS``) and one outcome summary
(by default the mean pain at day 42 of a plan, in a small fixed cohort):

- :func:`one_at_a_time`: each parameter moved to the low and the high end of its range with the
  others at their defaults (a tornado diagram's numbers);
- :func:`sobol`: global variance-based first-order and total Sobol indices (Saltelli sampling and
  estimators from SALib), over ranges varied all at once.

How it is vectorised: the engine already runs patients in parallel, and every model parameter may be
an array with one value per patient column. A batch of ``m`` parameter sets is run as one cohort of
``m x n_patients`` columns (the same ``n_patients`` patients repeated, each copy with its own
parameter set), so one day loop evaluates the whole batch. The same patients and random numbers are
used for every set (common random numbers), so the outcome is a smooth, deterministic function of the
parameters and differences between sets are not Monte-Carlo noise. Batches of ``chunk_size`` sets are
the unit of work: pass any :class:`concurrent.futures.Executor` (a process pool, or a
``dask.distributed`` client's ``client.get_executor()``) to spread them; the numbers are the same as
in the serial path.

Ranges: by default each parameter varies by +/-50 % around the condition's value, within the
parameter's documented bounds (``span=0.5``); a parameter at 0 with an entry in ``DEFAULT_RANGES``
(the model-v2 mechanisms, e.g. ``home_adherence_decay_per_year``) takes that range instead;
``span=None`` uses the full documented bounds, and a dict gives explicit ``(low, high)`` ranges.

Examples
--------
>>> from ptsim.analysis.sensitivity import one_at_a_time
>>> table = one_at_a_time("knee_oa", "exercise_only", ["tolerance_full_nprs", "setpoint_drop_per_dose_min"])
>>> table.columns.tolist()[:3]
['parameter', 'low', 'high']
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from ptsim.core.extras import require
from ptsim.core.parameters import PARAMETERS
from ptsim.core.vocabulary import OUTCOME_NAMES
from ptsim.inputs.cohort import check_count, check_seed, sample_cohort
from ptsim.inputs.conditions import Condition, load_condition
from ptsim.inputs.plans import get_plan

DEFAULT_RANGES = {
    "home_adherence_decay_per_year": (0.0, 2.0),
    "joint_mobilization_lasting_drop_frac": (0.0, 0.2),
    "soft_tissue_mobilization_lasting_drop_frac": (0.0, 0.2),
    "myofascial_release_lasting_drop_frac": (0.0, 0.2),
    "massage_lasting_drop_frac": (0.0, 0.05),
    "pain_fluctuation_sd_frac": (0.0, 0.4),
    "flare_setpoint_rise_frac": (0.0, 0.1),
}
"""Ranges (assumptions) used with ``span`` for parameters whose value is 0, where a share around the
value is empty: the model-v2 mechanisms that are off or at a bound by default. After-discharge
adherence decay from none (held forever, the v1 model) to a rate of 2 a year (13 % of the adherence
left after a year) is the main one: long-term benefits of exercise plans rest on it (issue 12)."""

OUTCOMES = (*OUTCOME_NAMES, "setbacks")
"""Outcome summaries: the cohort mean of an outcome on ``day``, or of the setbacks up to ``day``."""


def _ranges(cond: Condition, parameters, span) -> dict[str, tuple[float, float]]:
    if isinstance(parameters, str) or not isinstance(parameters, Sequence | Mapping):
        raise ValueError(
            f"parameters must be a list of parameter names or a dict name -> (low, high), got {parameters!r}"
        )
    if not parameters:
        raise ValueError("parameters is empty: name at least one model parameter")
    out = {}
    for name in parameters:
        if name not in PARAMETERS:
            raise ValueError(
                f"unknown model parameter {name!r}; accepted names are in ptsim.core.parameters.PARAMETERS "
                "(e.g. 'consolidation_per_window_min')"
            )
        spec = PARAMETERS[name]
        if isinstance(parameters, Mapping):
            low, high = (float(x) for x in parameters[name])
        elif span is None:
            low, high = spec.low, spec.high
        else:
            if not (isinstance(span, int | float) and 0 < span):
                raise ValueError(
                    f"span must be a positive share (0.5 = +/-50 %) or None for the bounds, got {span!r}"
                )
            v = cond.parameters[name]
            low, high = max(spec.low, v * (1 - span)), min(spec.high, v * (1 + span))
            if v == 0 and name in DEFAULT_RANGES:  # a share of 0 is empty: the documented range
                low, high = DEFAULT_RANGES[name]
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(
                f"parameter {name!r}: range ({low:g}, {high:g}) is empty or not finite; give an explicit "
                "(low, high) with low < high"
            )
        if low < spec.low or high > spec.high:
            raise ValueError(
                f"parameter {name!r}: range ({low:g}, {high:g}) leaves its bounds "
                f"[{spec.low:g}, {spec.high:g}]"
            )
        out[name] = (low, high)
    return out


def _evaluate_chunk(cond, plan, cohort, names, outcome, day, seed, values):
    """Outcome summary for each row of ``values`` (one parameter set per row): one engine run."""
    import pandas as pd

    from ptsim.engine.simulate import run_cohort

    m, k = values.shape[0], len(cohort)
    params = dict(cond.parameters)
    for j, name in enumerate(names):
        params[name] = np.repeat(values[:, j], k)
    batch = replace(cond, parameters=params)
    big = pd.concat([cohort] * m, ignore_index=True)
    res = run_cohort(batch, plan, big, day, seed)  # per-patient parameter arrays run compiled too
    if outcome == "setbacks":
        y = res.setbacks.astype(float)
    else:
        y = res.outcome(outcome)[:, day]
    return y.reshape(m, k).mean(axis=1)


def evaluate(
    condition,
    plan,
    parameter_sets,
    outcome: str = "pain",
    day: int = 42,
    n_patients: int = 20,
    seed: int = 0,
    executor=None,
    chunk_size: int | None = None,
) -> np.ndarray:
    """The outcome summary for many parameter sets (the sweep the other functions build on).

    Parameters
    ----------
    condition : Condition or str
    plan : Plan or str
    parameter_sets : pandas.DataFrame or dict of name -> array
        One column per model parameter, one row per set; other parameters keep the condition's values.
    outcome : str
        ``"pain"`` (NPRS), ``"rom"`` (deg), ``"strength"`` (% of normal), ``"function"`` (0-100): the
        cohort mean on ``day``; ``"setbacks"``: mean setbacks per patient up to ``day``.
    day : int
        Day of the outcome (and the simulated horizon).
    n_patients : int
        Patients in the fixed cohort every set is run on (sampled with ``seed``).
    seed : int
    executor : concurrent.futures.Executor, optional
        Runs the chunks (e.g. ``ProcessPoolExecutor`` or a dask client's ``get_executor()``).
    chunk_size : int, optional
        Parameter sets per engine run (default: about 20 000 patient columns per run).

    Returns
    -------
    numpy.ndarray
        One value per parameter set, in the outcome's unit.
    """
    import pandas as pd

    cond = load_condition(condition)
    plan = get_plan(plan).resolve(cond)
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; accepted: {', '.join(OUTCOMES)}")
    day = check_count(day, "day", 0)
    k = check_count(n_patients, "n_patients")
    seed = check_seed(seed)
    sets = pd.DataFrame(parameter_sets)
    if len(sets) == 0:
        raise ValueError("parameter_sets has no rows")
    names = list(sets.columns)
    values = sets.to_numpy(dtype=float)
    for j, name in enumerate(names):
        if name not in PARAMETERS:
            raise ValueError(
                f"parameter_sets: unknown model parameter {name!r}; see ptsim.core.parameters.PARAMETERS"
            )
        spec, col = PARAMETERS[name], values[:, j]
        if not np.isfinite(col).all() or col.min() < spec.low or col.max() > spec.high:
            raise ValueError(
                f"parameter_sets: {name!r} must be finite and within its bounds [{spec.low:g}, {spec.high:g}]"
            )
    if chunk_size is None:
        chunk_size = max(1, 20_000 // k)
    chunk_size = check_count(chunk_size, "chunk_size")
    cohort = sample_cohort(cond, k, seed)
    work = functools.partial(_evaluate_chunk, cond, plan, cohort, names, outcome, day, seed)
    chunks = [values[i : i + chunk_size] for i in range(0, len(values), chunk_size)]
    results = map(work, chunks) if executor is None else executor.map(work, chunks)
    return np.concatenate(list(results))


def one_at_a_time(
    condition,
    plan,
    parameters,
    outcome: str = "pain",
    day: int = 42,
    span: float | None = 0.5,
    n_patients: int = 20,
    seed: int = 0,
    executor=None,
):
    """One-at-a-time sensitivity: each parameter at the low and high end of its range (tornado).

    Parameters
    ----------
    condition, plan, outcome, day, n_patients, seed, executor
        As for :func:`evaluate`.
    parameters : list of str or dict of name -> (low, high)
        Parameters to vary, with explicit ranges in a dict.
    span : float or None
        Range as a share around the condition's value (default +/-50 %, within bounds); None: the
        documented bounds.

    Returns
    -------
    pandas.DataFrame
        ``parameter, low, high, default, outcome_default, outcome_low, outcome_high, swing``
        (``outcome_high - outcome_low``), sorted by the size of the swing, largest first.
    """
    import pandas as pd

    cond = load_condition(condition)
    ranges = _ranges(cond, parameters, span)
    names = list(ranges)
    base = np.array([cond.parameters[n] for n in names])
    rows = [base]
    for j, n in enumerate(names):
        for v in ranges[n]:
            r = base.copy()
            r[j] = v
            rows.append(r)
    y = evaluate(cond, plan, pd.DataFrame(rows, columns=names), outcome, day, n_patients, seed, executor)
    out = pd.DataFrame(
        {
            "parameter": names,
            "low": [ranges[n][0] for n in names],
            "high": [ranges[n][1] for n in names],
            "default": base,
            "outcome_default": y[0],
            "outcome_low": y[1::2],
            "outcome_high": y[2::2],
        }
    )
    out["swing"] = out["outcome_high"] - out["outcome_low"]
    order = out["swing"].abs().sort_values(ascending=False).index
    return out.loc[order].reset_index(drop=True)


def sobol(
    condition,
    plan,
    parameters,
    outcome: str = "pain",
    day: int = 42,
    n_base: int = 256,
    span: float | None = 0.5,
    n_patients: int = 10,
    seed: int = 0,
    executor=None,
):
    """First-order and total Sobol indices (SALib: Saltelli sampling, Jansen/Saltelli estimators).

    ``n_base * (len(parameters) + 2)`` parameter sets are run (e.g. 256 x 6 = 1536 for four
    parameters). Parameters are independent and uniform over their ranges.

    Parameters
    ----------
    condition, plan, parameters, outcome, day, span, n_patients, seed, executor
        As for :func:`one_at_a_time`.
    n_base : int
        Base sample size, a power of 2 (>= 16).

    Returns
    -------
    pandas.DataFrame
        ``parameter, low, high, S1, S1_conf, ST, ST_conf`` (indices with 95 % bootstrap
        half-widths), sorted by ``ST``. A parameter the outcome does not use has indices ~0.

    Examples
    --------
    >>> from ptsim.analysis.sensitivity import sobol
    >>> idx = sobol("knee_oa", "exercise_only", ["tolerance_full_nprs", "setpoint_drop_per_dose_min"],
    ...             n_base=32, n_patients=5)  # doctest: +SKIP
    """
    import pandas as pd

    require("sensitivity", "sensitivity.sobol", ("SALib",))
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    cond = load_condition(condition)
    ranges = _ranges(cond, parameters, span)
    n_base = check_count(n_base, "n_base", 16)
    if n_base & (n_base - 1):
        raise ValueError(f"n_base must be a power of 2 (e.g. 256), got {n_base}")
    seed = check_seed(seed)
    names = list(ranges)
    # names as an array: SALib 1.5 calls pd.unique on them, which pandas 3 refuses for a list
    problem = {"num_vars": len(names), "names": np.array(names), "bounds": [list(ranges[n]) for n in names]}
    X = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    y = evaluate(cond, plan, pd.DataFrame(X, columns=names), outcome, day, n_patients, seed, executor)
    # SALib bootstraps from numpy's global state when its seed is falsy (0): a Generator is always
    # used as given, and default_rng(seed) gives the same numbers SALib would for any seed >= 1.
    rng = np.random.default_rng(seed)
    si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=rng, print_to_console=False)
    out = pd.DataFrame(
        {
            "parameter": names,
            "low": [ranges[n][0] for n in names],
            "high": [ranges[n][1] for n in names],
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
        }
    )
    return out.sort_values("ST", ascending=False, ignore_index=True)
