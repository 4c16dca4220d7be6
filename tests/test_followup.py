"""Follow-up after discharge (ptsim.analysis.followup): setback dates, time to first setback, KM curves."""

import functools

import numpy as np
import pytest

import ptsim
from ptsim.analysis.followup import (
    setback_curves,
    setback_dates,
    setback_proportions,
    time_to_first_setback,
)

DISCHARGE = 42


@functools.cache
def comparison():
    plans = ["manual_only", "exercise_only", "combined"]
    return ptsim.compare("knee_oa", plans, n_patients=400, days=DISCHARGE + 366, seed=0)


def test_setback_dates_match_the_result():
    res = comparison()["manual_only"]
    dates = setback_dates(res)
    assert len(dates) == res.setbacks.sum()
    per_patient = dates.groupby("patient_id").size()
    ids = res.cohort["patient_id"].to_numpy()
    assert (per_patient.reindex(ids, fill_value=0).to_numpy() == res.setbacks).all()
    assert (dates["days_after_discharge"] >= 0).all()
    assert (dates.groupby("patient_id")["setback_number"].max() == per_patient).all()
    assert (dates.day - dates.days_after_discharge == DISCHARGE).all()


def test_time_to_first_setback_is_the_first_event():
    res = comparison()["combined"]
    ttf = time_to_first_setback(res)
    assert (ttf["setback"].to_numpy() == (res.setbacks > 0)).all()
    hit = ttf[ttf.setback]
    first_day = res.setback_events.argmax(axis=1)[hit.index]
    assert (hit["days_after_discharge"].to_numpy() == first_day - DISCHARGE).all()
    assert (ttf[~ttf.setback]["days_after_discharge"] == res.day[-1] - DISCHARGE).all()


def test_curves_are_monotone_and_end_at_the_share_with_a_setback():
    comp = comparison()
    curves = setback_curves(comp)
    for name, res in comp.items():
        c = curves[curves.plan == name]
        assert c["cumulative_proportion"].is_monotonic_increasing
        assert c["at_risk"].is_monotonic_decreasing
        assert c["cumulative_proportion"].iloc[0] >= 0 and c["cumulative_proportion"].iloc[-1] <= 1
        # No censoring: Kaplan-Meier = the plain share of patients with a setback.
        assert c["cumulative_proportion"].iloc[-1] == pytest.approx((res.setbacks > 0).mean())
        assert c["events"].sum() == (res.setbacks > 0).sum()


def test_proportions_at_3_6_12_months():
    comp = comparison()
    table = setback_proportions(comp)
    assert list(table.days_after_discharge.unique()) == [91, 183, 365]
    for r in table.itertuples():
        ttf = time_to_first_setback(comp[r.plan])
        share = (ttf.setback & (ttf.days_after_discharge <= r.days_after_discharge)).mean()
        assert r.cumulative_proportion == pytest.approx(share)
        assert r.ci_low <= r.cumulative_proportion <= r.ci_high
    # M6: plans with exercise prevent setbacks.
    year = table[table.months == 12].set_index("plan")["cumulative_proportion"]
    assert year["combined"] < year["manual_only"] and year["exercise_only"] < year["manual_only"]
    # Beyond the follow-up: NaN, not a made-up number.
    short = ptsim.simulate("knee_oa", "combined", n_patients=20, days=120, seed=0)
    assert setback_proportions(short, months=[12])["cumulative_proportion"].isna().all()


def test_censoring_by_dropout_is_handled_by_kaplan_meier():
    res = ptsim.simulate("knee_oa", "manual_only", n_patients=3000, days=DISCHARGE + 365, seed=1)
    rng = np.random.default_rng(0)
    censor = DISCHARGE + rng.exponential(400, res.n_patients)
    curve = setback_curves(res, censor_day=censor)
    assert curve["cumulative_proportion"].is_monotonic_increasing
    ttf = time_to_first_setback(res, censor_day=censor)
    assert (ttf.discharge_day + ttf.days_after_discharge <= np.floor(censor)).all()
    # Censoring independent of setbacks: KM recovers the uncensored share within its CI.
    full = setback_curves(res).cumulative_proportion.iloc[-1]
    last = curve.iloc[-1]
    assert last.ci_low < full < last.ci_high
    naive = ttf.setback.mean()
    assert naive < full - 0.05  # the naive share is biased down by censoring; KM is not
    with pytest.raises(ValueError, match="censor_day"):
        setback_curves(res, censor_day=-1)


def test_bad_input():
    with pytest.raises(ValueError, match="Result, a Comparison"):
        setback_curves([1, 2])
    with pytest.raises(ValueError, match="months"):
        setback_proportions(comparison(), months=[-3])
