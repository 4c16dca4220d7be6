"""Patients are independent (issue 19, item 4): a patient's trajectory is identical whether simulated
alone or inside any cohort (same id and seed), on the fixed-plan loop and on the policy loop.

The cohort holds a patient whose exercise flares at zero effective dose (no response to exercise,
pain above the flare threshold, the absolute flare rule): until issue 19 such a patient paid the
flare's set-point cost only on days when someone else in the cohort exercised.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim.engine import compiled
from ptsim.engine.adaptive import DischargeAtGoals, ManualWhenStalled, ProgressiveExercise, simulate_policy
from ptsim.inputs.cohort import sample_cohort

ENGINES = ["numpy", "numba"] if compiled.AVAILABLE else ["numpy"]
FIELDS = ("rom", "pain", "strength", "function", "exercise_dose", "setback_events", "flare_events")


def _condition():
    cond = ptsim.load_condition("knee_oa")
    p = dict(cond.parameters)
    p["flare_rise_allowed_nprs"] = -10.0  # flares by the absolute threshold alone (v1 rule)
    nh = dict(cond.natural_history)
    nh["setback_hazard_per_day"] = 0.02  # setbacks after discharge, often enough to see some
    return replace(cond, parameters=p, natural_history=nh)


def _cohort(cond):
    df = sample_cohort(cond, 9, seed=4)
    zero = df.iloc[[0]].copy()
    zero["patient_id"] = 1000
    zero["exercise_responsiveness"] = 0.0  # effort 0: every exercise bout has zero dose
    zero["pain_baseline_nprs"] = 9.5  # above the flare threshold at rest
    return pd.concat([df, zero], ignore_index=True)


def _assert_alone_equals_in_cohort(run, df):
    together = run(df)
    assert together.flare_events[-1].any(), "the zero-dose patient must flare for the test to mean anything"
    assert (together.exercise_dose[-1] == 0).all()
    assert together.exercise_dose[:-1].any()
    for i in range(len(df)):
        alone = run(df.iloc[[i]])
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(alone, name)[0], getattr(together, name)[i], err_msg=name)
    # in another cohort, in another order
    order = [len(df) - 1, *range(len(df) - 2, -1, -2)]
    other = run(df.iloc[order])
    for j, i in enumerate(order):
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(other, name)[j], getattr(together, name)[i], err_msg=name)
    return together


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("plan", ["combined", "exercise_only"])
def test_fixed_plan_patient_is_the_same_alone_or_in_any_cohort(engine, plan):
    cond = _condition()
    df = _cohort(cond)

    def run(cohort):
        return ptsim.simulate(cond, plan, cohort=cohort, days=150, seed=5, engine=engine)

    together = _assert_alone_equals_in_cohort(run, df)
    assert together.setback_events.any()


@pytest.mark.parametrize(
    "policy",
    [
        DischargeAtGoals(ProgressiveExercise(), min_visits=3),
        ManualWhenStalled(),
    ],
    ids=["discharge_at_goals", "manual_when_stalled"],
)
def test_policy_patient_is_the_same_alone_or_in_any_cohort(policy):
    cond = _condition()
    df = _cohort(cond)

    def run(cohort):
        return simulate_policy(cond, policy, cohort=cohort, days=150, seed=5)

    together = _assert_alone_equals_in_cohort(run, df)
    alone = run(df.iloc[[3]])
    assert alone.policy_log.discharge_day[0] == together.policy_log.discharge_day[3]
    np.testing.assert_array_equal(
        alone.policy_log.session_code[0] >= 0, together.policy_log.session_code[3] >= 0
    )
