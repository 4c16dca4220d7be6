"""Long-term follow-up: setbacks after discharge, time to the first one, and Kaplan-Meier curves.

After discharge, setbacks (flare-ups, recurrences) arrive at random with a hazard that falls with
strength and motor control (DESIGN M6); :class:`ptsim.Result` records them in ``setback_events``.
This module turns them into what a follow-up study reports: the dates of each patient's setbacks,
the time from discharge to the first one, Kaplan-Meier curves of the cumulative proportion with a
setback per plan, and that proportion at 3, 6 and 12 months after discharge.

Follow-up starts on each patient's discharge day (the plan's end of care, or the day an adaptive
plan discharged the patient) and ends at the simulated horizon or at an optional censoring day per
patient (e.g. drop-out). Without censoring the Kaplan-Meier estimate equals the plain share of
patients with a setback. The estimator is statsmodels' ``SurvfuncRight`` (with Greenwood standard
errors); a month is 365.25 / 12 days.

Examples
--------
>>> import ptsim
>>> from ptsim.analysis.followup import setback_proportions
>>> comp = ptsim.compare("knee_oa", ["manual_only", "combined"], n_patients=100, days=450, seed=0)
>>> setback_proportions(comp).columns.tolist()[:4]
['plan', 'months', 'days_after_discharge', 'cumulative_proportion']
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

DAYS_PER_MONTH = 365.25 / 12


def discharge_days(result) -> np.ndarray:
    """Each patient's discharge day, (n_patients,) int (per patient for an adaptive plan)."""
    log = getattr(result, "policy_log", None)
    if log is not None:
        return np.asarray(log.discharge_day, dtype=int)
    return np.full(result.n_patients, result.discharge_day, dtype=int)


def setback_dates(result):
    """Every setback: which patient, the how-manieth, its day and days after discharge.

    Returns
    -------
    pandas.DataFrame
        ``patient_id, setback_number`` (1 = first), ``day``, ``days_after_discharge``.

    Examples
    --------
    >>> import ptsim
    >>> res = ptsim.simulate("knee_oa", "manual_only", n_patients=50, days=365, seed=0)
    >>> len(setback_dates(res)) == int(res.setbacks.sum())
    True
    """
    import pandas as pd

    rows, days = np.nonzero(result.setback_events)
    ids = result.cohort["patient_id"].to_numpy()
    number = np.zeros(len(rows), dtype=int)
    if len(rows):
        starts = np.r_[True, rows[1:] != rows[:-1]]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(len(rows)), 0))
        number = np.arange(len(rows)) - group_start + 1
    return pd.DataFrame(
        {
            "patient_id": ids[rows],
            "setback_number": number,
            "day": days,
            "days_after_discharge": days - discharge_days(result)[rows],
        }
    )


def _censor(result, censor_day):
    last = int(result.day[-1])
    if censor_day is None:
        return np.full(result.n_patients, last)
    c = np.asarray(censor_day, dtype=float)
    c = np.broadcast_to(c, (result.n_patients,))
    if np.isnan(c).any() or (c < 0).any():
        raise ValueError("censor_day must be days >= 0 (inf: followed to the horizon), one per patient")
    return np.minimum(np.floor(c), last).astype(int)


def time_to_first_setback(result, censor_day=None):
    """Days from discharge to the first setback, or to the end of follow-up (censored).

    Parameters
    ----------
    result : Result
    censor_day : float or (n_patients,) array, optional
        Last day each patient is followed (e.g. the day they dropped out; inf or None: the horizon).
        Setbacks after it are not seen.

    Returns
    -------
    pandas.DataFrame
        ``patient_id, discharge_day, days_after_discharge`` (to the event or censoring), ``setback``
        (True: a setback was seen; False: censored). Patients discharged after the end of their
        follow-up are left out.
    """
    import pandas as pd

    dis = discharge_days(result)
    end = _censor(result, censor_day)
    events = result.setback_events.copy()
    days = np.arange(events.shape[1])
    events &= days[None, :] <= end[:, None]
    has = events.any(axis=1)
    first = np.where(has, events.argmax(axis=1), end)
    keep = end >= dis
    return pd.DataFrame(
        {
            "patient_id": result.cohort["patient_id"].to_numpy()[keep],
            "discharge_day": dis[keep],
            "days_after_discharge": (first - dis)[keep],
            "setback": has[keep],
        }
    )


def _results(results) -> dict:
    from ptsim.engine.simulate import Result

    if isinstance(results, Result):
        return {results.plan.name: results}
    if isinstance(results, Mapping):
        return dict(results)
    raise ValueError("results must be a Result, a Comparison or a dict of plan name -> Result")


def setback_curves(results, censor_day=None):
    """Kaplan-Meier curves of the cumulative proportion of patients with a setback, per plan.

    Parameters
    ----------
    results : Result, Comparison or dict of name -> Result
    censor_day : optional
        As for :func:`time_to_first_setback` (applied to every plan).

    Returns
    -------
    pandas.DataFrame
        One row per plan and whole day after discharge (0 to the longest follow-up): ``plan,
        days_after_discharge, at_risk, events, survival`` (share still free of setbacks),
        ``cumulative_proportion`` (1 - survival), ``ci_low, ci_high`` (95 % pointwise, Greenwood,
        clipped to [0, 1]). Non-decreasing in days by construction.

    Examples
    --------
    >>> import ptsim
    >>> res = ptsim.simulate("knee_oa", "manual_only", n_patients=200, days=200, seed=0)
    >>> curve = setback_curves(res)
    >>> bool(curve.cumulative_proportion.is_monotonic_increasing)
    True
    """
    import pandas as pd
    import statsmodels.api as sm

    frames = []
    for name, res in _results(results).items():
        ttf = time_to_first_setback(res, censor_day)
        t = ttf["days_after_discharge"].to_numpy(float)
        e = ttf["setback"].to_numpy()
        horizon = int(t.max()) if len(t) else 0
        grid = np.arange(horizon + 1)
        at_risk = (t[None, :] >= grid[:, None]).sum(axis=1)
        events = ((t[None, :] == grid[:, None]) & e[None, :]).sum(axis=1)
        surv, se = np.ones(len(grid)), np.zeros(len(grid))
        if e.any():
            sf = sm.SurvfuncRight(t, e.astype(int))
            idx = np.searchsorted(sf.surv_times, grid, side="right") - 1
            has = idx >= 0
            surv[has] = sf.surv_prob[idx[has]]
            se[has] = sf.surv_prob_se[idx[has]]
        cum = 1.0 - surv
        frames.append(
            pd.DataFrame(
                {
                    "plan": name,
                    "days_after_discharge": grid,
                    "at_risk": at_risk,
                    "events": events,
                    "survival": surv,
                    "cumulative_proportion": cum,
                    "ci_low": np.clip(cum - 1.96 * se, 0, 1),
                    "ci_high": np.clip(cum + 1.96 * se, 0, 1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def setback_proportions(results, months=(3, 6, 12), censor_day=None):
    """Cumulative proportion with a setback at some months after discharge (Kaplan-Meier).

    Parameters
    ----------
    results : Result, Comparison or dict of name -> Result
    months : list of float
        Months after discharge (default 3, 6 and 12; a month is 365.25/12 days, rounded to a day).
    censor_day : optional
        As for :func:`time_to_first_setback`.

    Returns
    -------
    pandas.DataFrame
        ``plan, months, days_after_discharge, cumulative_proportion, ci_low, ci_high, at_risk``;
        NaN where follow-up is shorter than the time asked for (simulate longer: ``days`` >= discharge
        + 365 for 12 months).
    """
    import pandas as pd

    for m in months:
        if isinstance(m, bool) or not isinstance(m, int | float) or not m >= 0 or not math.isfinite(m):
            raise ValueError(f"months must be numbers >= 0, got {m!r}")
    curves = setback_curves(results, censor_day)
    rows = []
    for name, c in curves.groupby("plan", sort=False):
        c = c.set_index("days_after_discharge")
        for m in months:
            d = round(m * DAYS_PER_MONTH)
            if d in c.index:
                r = c.loc[d]
                rows.append((name, m, d, r.cumulative_proportion, r.ci_low, r.ci_high, int(r.at_risk)))
            else:
                rows.append((name, m, d, math.nan, math.nan, math.nan, 0))
    cols = ["plan", "months", "days_after_discharge", "cumulative_proportion", "ci_low", "ci_high", "at_risk"]
    return pd.DataFrame(rows, columns=cols)
