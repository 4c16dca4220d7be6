"""Instrument readings at intake, the measured function score and function responders (outcomes)."""

import numpy as np

import ptsim
from ptsim.analysis import outcomes
from ptsim.engine.simulate import pretreatment
from ptsim.inputs.cohort import sample_cohort


def test_baseline_readings_are_instrument_readings_of_the_cohort():
    cond = ptsim.load_condition("adhesive_capsulitis")
    df = sample_cohort(cond, 2000, seed=4)
    base = outcomes.measure_baseline(df, cond, seed=4)
    assert (base["pain_nprs"] == base["pain_nprs"].round()).all()  # the NPRS reads whole numbers
    assert base["pain_nprs"].between(0, 10).all()
    # the true value is the pre-treatment ROM: the tissue range less the guarding of the intake pain
    err = base["rom_deg"] - pretreatment(cond, df, 4)["rom"]
    assert abs(err.std() - 11.0) < 1.0  # shoulder goniometer SEM 11 deg (Hayes et al. 2001)
    assert abs(err.mean()) < 3 * 11 / np.sqrt(2000)
    again = outcomes.measure_baseline(df, cond, seed=4)
    assert base.equals(again)


def test_measured_function_is_the_composite_of_the_readings():
    res = ptsim.simulate("knee_oa", "combined", n_patients=50, days=42, seed=0)
    m = outcomes.measure(res, [42], seed=0)
    expected = outcomes.measured_function(m.pain_nprs, m.rom_deg, m.strength_pct_normal, res.condition)
    assert np.allclose(m["function_0_100"], expected)
    assert np.allclose(outcomes.disability_pct(m["function_0_100"]), 100 - m["function_0_100"])


def test_function_responders_use_the_percent_mcid_of_disability():
    base = np.array([40.0, 40.0, 40.0, 100.0])  # disability 60, 60, 60, 0 %
    after = np.array([52.0, 51.0, 30.0, 100.0])  # disability 48 (-20 %), 49 (-18 %), 70, 0
    assert outcomes.function_responders(base, after).tolist() == [True, False, False, False]
