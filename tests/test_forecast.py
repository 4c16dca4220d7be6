"""ptsim.forecast: one patient's visits in, each plan's course of measured values out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim.analysis import forecast as F
from ptsim.inputs.plans import get_plan

VISITS = {"day": [0, 14], "pain_nprs": [7, 6], "rom_deg": [95, 100]}


@pytest.fixture(scope="module")
def knee():
    return ptsim.load_condition("knee_oa")


@pytest.fixture(scope="module")
def fc(knee):
    return ptsim.forecast(
        knee, VISITS, plans=["usual_care", "exercise_only", "combined"], horizon_days=90, so_far="manual_only"
    )


def test_forecast_table_holds_every_plan_outcome_and_day(fc, knee):
    course = fc.course
    assert set(course["plan"]) == {"usual_care", "exercise_only", "combined"}
    assert set(course["outcome"]) == {"rom", "pain", "strength", "function", "womac"}
    days = sorted(set(course["day"]))
    assert days[0] == 14 and days[-1] == 14 + 90
    ordered = course[["low_90", "low_50", "median", "high_50", "high_90"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    for col in ("p_mcid", "p_setback"):
        p = course[col].dropna()
        assert ((p >= 0) & (p <= 1)).all()
    # ROM and strength have no MCID in ptsim's evidence tables; pain, function and WOMAC do
    assert course.loc[course["outcome"].isin(["rom", "strength"]), "p_mcid"].isna().all()
    assert course.loc[course["outcome"].isin(["pain", "function", "womac"]), "p_mcid"].notna().all()
    pain = course[course["outcome"] == "pain"]
    assert ((pain["low_90"] >= 0) & (pain["high_90"] <= 10)).all()
    assert fc.ess >= F.MIN_ESS and fc.n_candidates >= F.START_CANDIDATES
    assert "not clinical advice" in fc.header() and "effective sample size" in fc.header()
    assert not fc.summary().empty


def test_forecast_is_deterministic(knee):
    kw = dict(plans=["combined"], horizon_days=30, so_far="manual_only", n_candidates=4000)
    a = ptsim.forecast(knee, VISITS, **kw).course
    b = ptsim.forecast(knee, VISITS, **kw).course
    pd.testing.assert_frame_equal(a, b)


def test_every_continued_plan_is_the_care_so_far_until_the_switch(knee):
    so_far = get_plan("manual_only").resolve(knee)
    plans = {n: F.continued_plan(so_far, p.resolve(knee), 21) for n, p in ptsim.standard_plans().items()}
    layouts = [p.day_schedule(200) for p in plans.values()]
    first = layouts[0]
    for lay in layouts[1:]:
        sessions = [lay.sessions[i] if i >= 0 else None for i in lay.session_index[:21]]
        assert sessions == [first.sessions[i] if i >= 0 else None for i in first.session_index[:21]]
        np.testing.assert_array_equal(lay.home_frequency[:21], first.home_frequency[:21])
    assert all(p.discharge_day == 21 + 42 for n, p in plans.items() if n != "usual_care")
    # and so every plan's patients are the same people with the same course up to the last visit,
    # the course the candidates are weighted by (the care so far alone; it may run on the other engine)
    comp = ptsim.compare(knee, plans, n_patients=30, days=60, seed=4)
    ref = ptsim.simulate(knee, F.care_so_far(so_far, 21), n_patients=30, days=20, seed=4)
    for name in plans:
        for outcome in ("rom", "pain", "strength"):
            np.testing.assert_allclose(comp[name].outcome(outcome)[:, :21], ref.outcome(outcome), rtol=1e-9)


def test_plan_switches_at_the_next_whole_week():
    assert [F.switch_day(d) for d in (0, 7, 8, 13, 14)] == [0, 7, 14, 14, 14]


def test_more_visits_narrow_the_forecast_and_the_population_is_wider(knee):
    one = ptsim.forecast(
        knee,
        {"day": [0], "pain_nprs": [6], "rom_deg": [100]},
        plans=["exercise_only"],
        horizon_days=42,
        population=True,
    )
    three = ptsim.forecast(
        knee,
        {"day": [0, 7, 14], "pain_nprs": [6, 5, 5], "rom_deg": [100, 104, 106]},
        plans=["exercise_only"],
        horizon_days=28,
        population=True,
    )

    def width(course, outcome):
        c = course[course["outcome"] == outcome]
        return float((c["high_90"] - c["low_90"]).iloc[-1])

    for outcome in ("rom", "womac"):
        assert width(one.course, outcome) < width(one.population, outcome)
        assert width(three.course, outcome) < width(one.course, outcome)


def test_measurement_likelihood_is_the_instruments_reading_model():
    """The likelihood of a reading sums to 1 over every reading the instrument can give."""
    nprs = F._instruments(ptsim.load_condition("knee_oa"))["pain"]
    true = np.array([0.0, 3.3, 9.9])
    total = sum(np.exp(F.reading_log_likelihood(nprs, true, float(y))) for y in range(11))
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    # and it matches the frequency of Instrument.read's readings
    z = np.random.default_rng(1).standard_normal(200_000)
    reads = nprs.read(np.full(z.shape, 3.3), z)
    for y in (2.0, 3.0, 4.0, 10.0):
        p = float(np.exp(F.reading_log_likelihood(nprs, np.array([3.3]), y))[0])
        assert abs((reads == y).mean() - p) < 0.005


def test_weights_quantiles_and_ess():
    w = F.normalised_weights(np.log([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(w, [0.25, 0.25, 0.5])
    assert F.effective_sample_size(np.full(10, 0.1)) == pytest.approx(10)
    assert F.effective_sample_size(w) == pytest.approx(1 / (0.25**2 * 2 + 0.25))
    q = F.weighted_quantiles(np.array([[3.0], [1.0], [2.0]]), np.array([0.2, 0.2, 0.6]), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(q[:, 0], [1.0, 2.0, 3.0])
    rows, counts = F.systematic_resample(np.array([0.0, 0.5, 0.5]), 10, seed=0)
    assert rows.tolist() == [1, 2] and counts.tolist() == [5, 5]


def _error(knee, visits, **kw):
    with pytest.raises(ValueError) as info:
        ptsim.forecast(knee, visits, plans=["combined"], horizon_days=14, **kw)
    return str(info.value)


@pytest.mark.parametrize(
    ("visits", "words"),
    [
        ({"day": [0], "pain": [5]}, ["unknown column 'pain'", "pain_nprs"]),
        ({"day": [0], "ndi_0_50": [20]}, ["'ndi_0_50'", "NDI", "womac_0_100"]),
        ({"day": [0], "function_0_100": [50]}, ["'function_0_100'", "computed from the readings"]),
        ({"pain_nprs": [5]}, ["no 'day' column"]),
        ({"day": [0, 14, 7], "pain_nprs": [5, 4, 4]}, ["row 3", "'day'", "not after the previous visit"]),
        ({"day": [0, 7, 7], "pain_nprs": [5, 4, 4]}, ["row 3", "'day'"]),
        ({"day": [-3, 7], "pain_nprs": [5, 4]}, ["row 1", "'day'", "before the first session"]),
        ({"day": [0, 7.5], "pain_nprs": [5, 4]}, ["row 2", "'day'", "whole number"]),
        ({"day": [0, 7], "pain_nprs": [5, 11]}, ["row 2", "'pain_nprs'", "outside", "[0, 10]"]),
        ({"day": [0, 7], "rom_deg": [95, -5]}, ["row 2", "'rom_deg'", "outside"]),
        ({"day": [0, 7], "pain_nprs": [5, "high"]}, ["row 2", "'pain_nprs'", "not a number"]),
        ({"day": [0, 7], "pain_nprs": [5, None], "rom_deg": [95, None]}, ["row 2", "no measurement"]),
        ({"day": [], "pain_nprs": []}, ["no visits"]),
    ],
)
def test_bad_visits_name_the_row_and_column(knee, visits, words):
    message = _error(knee, visits)
    for word in words:
        assert word in message, message


def test_bad_visits_file_names_the_file_and_row(knee, tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text("day,pain_nprs,rom_deg\n0,7,95\n14,,\n", encoding="utf-8")
    message = _error(knee, path)
    assert "visits.csv" in message and "row 2" in message
    with pytest.raises(FileNotFoundError, match="no such file"):
        ptsim.forecast(knee, tmp_path / "missing.csv")


def test_a_condition_without_that_questionnaire_is_refused():
    message = _error(ptsim.load_condition("chronic_neck_pain"), {"day": [0], "womac_0_100": [40]})
    assert "'womac_0_100'" in message and "chronic_neck_pain" in message and "ndi_0_50" in message


@pytest.mark.parametrize(
    ("kw", "word"),
    [
        ({"horizon_days": 0}, "horizon_days"),
        ({"seed": -1}, "seed"),
        ({"plans": ["no_such_plan"]}, "no_such_plan"),
        ({"so_far": "no_such_plan"}, "no_such_plan"),
        ({"n_candidates": 5}, "n_candidates"),
    ],
)
def test_bad_arguments_are_named(knee, kw, word):
    args = {"plans": ["combined"], "horizon_days": 14, **kw}
    with pytest.raises(ValueError, match=word):
        ptsim.forecast(knee, VISITS, **args)


def test_implausible_visits_are_refused_naming_the_reading(knee):
    # knee OA patients do not read 5 degrees of flexion at intake
    with pytest.raises(F.ImplausibleVisits, match=r"row 1 \(day 0\), column 'rom_deg'"):
        ptsim.forecast(knee, {"day": [0], "rom_deg": [5]}, plans=["combined"], horizon_days=14)


def test_an_unusual_patient_gets_a_warning_with_its_ess(knee, monkeypatch):
    monkeypatch.setattr(F, "WARN_ESS", 1e9)  # every forecast is "unusual": the warning path runs
    with pytest.warns(UserWarning, match="effective sample size"):
        fc = ptsim.forecast(knee, VISITS, plans=["combined"], horizon_days=14, n_candidates=4000)
    assert fc.warnings and "Caution" in fc.header()
