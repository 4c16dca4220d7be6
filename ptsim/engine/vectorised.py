"""The numpy engine: the day loop over a cohort, each step of :mod:`ptsim.core.day` applied to every
patient who takes it that day at once.

It runs the *same* step functions as the compiled kernel (:mod:`ptsim.engine.compiled`): the kernel
calls them with one patient's column ``i``, this engine with the columns of all patients who take the
step (all of them for the night's advance and the end of the day; those at risk for a setback; those
given session ``s``; those who exercise at home; those whose day changes anything for the
adaptations). So the two engines differ only in how the patients are grouped, never in the arithmetic:
they agree to the last bit but for ``exp`` (numpy's and LLVM's may round the last bit differently;
``tests/test_performance.py`` checks 1e-12 and identical events). It needs no compiler, and is the
engine of ``engine="numpy"``.
"""

from __future__ import annotations

import math

import numpy as np

from ptsim.core import day, model
from ptsim.core.streams import uniforms_from_keys
from ptsim.engine.loop import DailyDraws, cohort_draws, finish, prepare
from ptsim.engine.result import DailySummary, Result, merge_summaries
from ptsim.inputs.conditions import Condition
from ptsim.inputs.plans import Plan, Session

__all__ = ["DailyDraws", "DailySummary", "cohort_draws", "merge_summaries"]  # re-exported
from ptsim.core.vocabulary import OUTCOME_NAMES

OUTPUTS = OUTCOME_NAMES  # the order day.outputs returns them in

ALL = slice(None)
"""Every patient's column."""


def start_day(x, d, P, C, R, hit) -> None:
    """:func:`ptsim.engine.compiled._start_day` over arrays: the day's fluctuation, the night's advance,
    setbacks of the patients at risk."""
    hit[:] = False
    if R.fluctuating:
        day.fluctuate(x, ALL, P, R.normals[d][R.normal_col], 1.0 if d > 0 else math.inf)
    if d > 0:
        day.advance(x, ALL, P, C)
        at = np.flatnonzero((d >= R.discharge) & (P.setback_hazard_per_day > 0.0))
        u = uniforms_from_keys(R.keys_setback[at], d)
        possible = day.may_set_back(x, at, P, C, u)
        at, u = at[possible], u[possible]
        if at.size:
            hit[at] = day.setback(x, at, P, C, u)


def rest_of_day(x, d, P, C, S, R, hit, Rec) -> None:
    """:func:`ptsim.engine.compiled._rest_of_day` over arrays: sessions, home exercise, adaptations, the
    end of the day, recording."""
    n = x.shape[1]
    dose, flared = np.zeros(n), np.zeros(n, bool)
    flare_u = uniforms_from_keys(R.keys_flare, d) if R.random_flares else np.zeros(n)
    codes = R.codes[d]
    with np.errstate(invalid="ignore"):  # inf x 0 flare probability where there is no excess: unused
        for s in np.unique(codes[codes >= 0]):
            idx = np.flatnonzero(codes == s)
            dose[idx], flared[idx] = day.session(x, idx, P, C, S, s, flare_u[idx], R.random_flares)
        if R.home_minutes > 0.0:
            idx = np.flatnonzero(codes < 0)
            f = np.full(idx.size, R.freq[d])
            f[d >= R.discharge[idx]] = R.freq_after  # adherence's decline: the engagement state
            idx, f = idx[f > 0.0], f[f > 0.0]
            idx = idx[day.does_home(x, idx, P, C, f, uniforms_from_keys(R.keys_home[idx], d))]
            if idx.size:
                dose[idx], flared[idx] = day.exercise(
                    x, idx, P, C, R.home_minutes, R.home_intensity, R.home_w[idx], R.home_weih[idx],
                    flare_u[idx], R.random_flares,
                )  # fmt: skip
    idx = np.flatnonzero(day.adapts(dose, flared))
    if idx.size:
        day.adapt(x, idx, P, dose[idx], flared[idx])
    day.end_of_day(x, ALL)
    outs = Rec.outs
    outs[:] = day.outputs(x, ALL, P, C)
    Rec.flare_count[:] += flared
    Rec.setback_count[:] += hit
    Rec.daily_flares[d] = np.count_nonzero(flared)
    Rec.daily_setbacks[d] = np.count_nonzero(hit)
    mean = outs.sum(axis=1) / n
    Rec.daily_mean[:, d] = mean
    Rec.daily_m2[:, d] = np.square(outs - mean[:, None]).sum(axis=1)
    row = Rec.row_of_day[d]
    if row >= 0:
        Rec.values[:, row] = outs
        Rec.dose[row] = dose
        Rec.flares[row] = flared
        Rec.setbacks[row] = hit


def run_days(x, d0, d1, P, C, S, R, hit, Rec) -> None:
    """Days ``d0`` to ``d1 - 1``, whole."""
    for d in range(d0, d1):
        start_day(x, d, P, C, R, hit)
        rest_of_day(x, d, P, C, S, R, hit, Rec)


def run(cond: Condition, plan: Plan, df, days: int, seed: int, record_days=None, draws=None) -> Result:
    """The numpy engine: a resolved fixed plan for the validated cohort ``df``, ``days`` days after the
    first session (``record_days``: keep only these days, plus each day's cohort summary; ``draws``:
    the fluctuation normals a comparison shares, :func:`ptsim.engine.loop.cohort_draws`)."""
    r = prepare(cond, plan, df, days, seed, record_days, draws)
    run_days(r.x, 0, days + 1, r.P, r.C, r.S, r.R, r.hit, r.Rec)
    return finish(cond, plan, df, seed, r, "numpy")


def run_session(
    state: model.State, pts: model.Patients, p: dict, session: Session, on_component=None, flare_u=None
):
    """Run a session's components in order for all patients, from ``state`` (the steps of
    :mod:`ptsim.core.day`, one component at a time).

    Returns the state after the session, the effective exercise minutes and whether any exercise
    flared. ``on_component(component, state_before, state_after)`` is called after each component (used
    to trace a session). ``flare_u``: the day's flare uniforms (None: every excess flares, v1).
    """
    n = pts.n
    P = day.session_params(p, n)
    C = day.day_cohort(pts, None, 0.0)
    x = day.state_matrix(state)
    dose, flared = np.zeros(n), np.zeros(n, bool)
    u = np.zeros(n) if flare_u is None else np.asarray(flare_u, float)
    for comp in session.components:
        before = day.state_of(x.copy())
        S = day.sessions_table([Session((comp,), comp.minutes)], p, n)
        with np.errstate(invalid="ignore"):
            dd, ff = day.session(x, ALL, P, C, S, 0, u, flare_u is not None)
        dose, flared = dose + dd, flared | ff
        if on_component is not None:
            on_component(comp, before, day.state_of(x.copy()))
    return day.state_of(x), dose, flared
