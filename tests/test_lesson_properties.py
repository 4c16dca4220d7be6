"""Lesson sentences that hold for any parameters (issue 23 item 7): property tests over draws from the
calibration priors (the free parameters' ranges in ``data/evidence/calibration.toml``) and over members
of the stored posterior ensemble. Calibration-dependent sentences are in ``tests/test_lesson_claims.py``.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptsim
from ptsim.analysis.calibrate import free_parameters, with_values
from ptsim.core.techniques import TECHNIQUES
from tests.evidence_claims import members

widgets = pytest.importorskip("ptsim.teaching.widgets")

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def prior_draws(condition: str):
    """A strategy: the condition with every free parameter drawn from its prior range."""
    bounds = free_parameters(condition)
    base = ptsim.load_condition(condition)
    values = st.fixed_dictionaries({k: st.floats(lo, hi) for k, (lo, hi) in bounds.items()})
    return values.map(lambda v: with_values(base, v))


def manual_only_is_no_treatment_for_strength_and_setbacks(cond):
    # lesson 1: "strength rises only with exercise"; lesson 7: "manual only ... has just as many setbacks"
    plans = {p: ptsim.standard_plans()[p] for p in ("usual_care", "manual_only")}
    comp = ptsim.compare(cond, plans, n_patients=60, days=365)
    np.testing.assert_array_equal(comp["manual_only"].strength, comp["usual_care"].strength)
    np.testing.assert_array_equal(comp["manual_only"].setback_events, comp["usual_care"].setback_events)


def each_technique_releases_only_its_own_tissue(cond):
    # lesson 2: joint mobilization releases the capsule only, soft tissue mobilization the muscle-tendon
    # unit most, myofascial release the fascia and not the capsule, massage no tissue at all
    rows = {
        t: widgets.technique_table(cond, t, 10, 3)[1]["straight after"].to_numpy()[:3] for t in TECHNIQUES
    }
    assert rows["joint_mobilization"][0] > 0 and np.all(rows["joint_mobilization"][1:] == 0)
    assert rows["soft_tissue_mobilization"][1] > rows["soft_tissue_mobilization"][2] > 0
    assert rows["myofascial_release"][2] > 0 and rows["myofascial_release"][0] == 0
    assert np.all(rows["massage"] == 0)


def more_pain_less_exercise_done(cond):
    # lesson 6: "the more pain at the start, the less effective exercise a patient gets done"
    _, _, _, table = widgets.pain_table(cond)
    assert table["effective exercise in care (min)"].is_monotonic_decreasing


@SETTINGS
@given(cond=prior_draws("knee_oa"))
def test_manual_only_is_no_treatment_for_strength_and_setbacks_under_the_prior(cond):
    manual_only_is_no_treatment_for_strength_and_setbacks(cond)


def test_manual_only_is_no_treatment_for_strength_and_setbacks_in_the_posterior():
    for cond in members("knee_oa"):
        manual_only_is_no_treatment_for_strength_and_setbacks(cond)


@SETTINGS
@given(cond=prior_draws("adhesive_capsulitis"))
def test_each_technique_releases_only_its_own_tissue_under_the_prior(cond):
    each_technique_releases_only_its_own_tissue(cond)


def test_each_technique_releases_only_its_own_tissue_in_the_posterior():
    for cond in members("adhesive_capsulitis"):
        each_technique_releases_only_its_own_tissue(cond)


@SETTINGS
@given(cond=prior_draws("knee_oa"))
def test_more_pain_less_exercise_done_under_the_prior(cond):
    more_pain_less_exercise_done(cond)


def test_more_pain_less_exercise_done_in_the_posterior():
    for cond in members("knee_oa"):
        more_pain_less_exercise_done(cond)
