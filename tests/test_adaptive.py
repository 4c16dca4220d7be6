"""Adaptive plans (ptsim.engine.adaptive): policies against fixed plans, behaviour, bad decisions."""

import numpy as np
import pytest

import ptsim
from ptsim.engine import compiled
from ptsim.engine.adaptive import (
    DischargeAtGoals,
    FixedPolicy,
    ManualWhenStalled,
    ProgressiveExercise,
    simulate_policy,
)
from ptsim.inputs.cohort import sample_cohort
from ptsim.inputs.plans import Component, Session

FIELDS = ["rom", "pain", "strength", "function", "exercise_dose", "setback_events", "flare_events"]


def same(a, b):
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


def cohort(pain):
    df = sample_cohort("knee_oa", 60, seed=0)
    df["pain_baseline_nprs"] = float(pain)
    return df


@pytest.mark.parametrize("plan", ["manual_only", "exercise_only", "combined", "usual_care"])
def test_fixed_policy_reproduces_the_fixed_plan(plan):
    p = ptsim.standard_plans()[plan]
    a = simulate_policy("knee_oa", FixedPolicy(p), n_patients=80, days=150, seed=3)
    b = ptsim.simulate("knee_oa", p, n_patients=80, days=150, seed=3, engine="numpy")
    assert same(a, b)
    assert (a.policy_log.discharge_day == p.discharge_day).all()


def fixed_exercise(intensity):
    plan = ptsim.standard_plans()["exercise_only"]
    session = Session((Component("education", 5), Component("exercise", 40, intensity)), 45)
    return plan.with_(session=session)


def test_progressive_exercise_holds_intensity_while_pain_is_high():
    # Pain 9/10 at the start does not read <= 3/10 in the first three weeks: the policy stays at its
    # start intensity and is the same as the fixed plan at that intensity. (Without the day-to-day
    # fluctuation of model v2, whose good days can read <= 3/10: this checks the policy's logic.)
    df = cohort(9)
    cond = ptsim.load_condition("knee_oa").with_parameters(pain_fluctuation_sd_frac=0.0)
    res = simulate_policy(cond, ProgressiveExercise(), cohort=df, days=21, seed=1)
    fixed = ptsim.simulate(cond, fixed_exercise(0.5), cohort=df, days=21, seed=1, engine="numpy")
    assert (res.policy_log.history.pain_nprs > 3).all()
    assert same(res, fixed)


def test_progressive_exercise_progresses_when_pain_is_low():
    df = cohort(1)
    pol = ProgressiveExercise()
    res = simulate_policy("knee_oa", pol, cohort=df, days=60, seed=1)
    log = res.policy_log
    intensity = [s.components[-1].intensity for s in log.sessions]
    visits = log.session_code[:, log.session_code.max(axis=0) >= 0]
    first, last = np.array(intensity)[visits[:, 0]], np.array(intensity)[visits[:, -1]]
    assert (first == 0.5).all()  # first visit at the start level
    assert np.mean(last == 0.9) > 0.9  # nearly all reached the top after 12 visits of low pain
    start = ptsim.simulate("knee_oa", fixed_exercise(0.5), cohort=df, days=60, seed=1, engine="numpy")
    clinic = visits.shape[1]
    clinic_days = np.flatnonzero(log.session_code.max(axis=0) >= 0)
    assert clinic == len(clinic_days) == 12
    # More effort at the visits (the session dose saturates, so strength gains only a little).
    assert res.exercise_dose[:, clinic_days].sum() > 1.3 * start.exercise_dose[:, clinic_days].sum()
    assert res.strength[:, 42].mean() > start.strength[:, 42].mean()


def test_manual_when_stalled_switches_only_after_a_measured_stall():
    pol = ManualWhenStalled()
    res = simulate_policy("knee_oa", pol, n_patients=300, days=60, seed=2)
    log = res.policy_log
    codes = log.session_code[:, np.array(log.history.day)]
    manual = np.array(["manual" in str(s) or "mobilization" in str(s) for s in log.sessions])
    got_manual = manual[codes]
    # At the first visit where a stall can be judged some patients stall, others are progressing.
    assert not got_manual[:, : pol.lookback_visits].any()
    assert 0 < got_manual[:, pol.lookback_visits].mean() < 1
    rom = log.history.rom_deg
    for i in np.flatnonzero(got_manual.any(axis=1)):
        j = int(np.argmax(got_manual[i]))  # the first visit with manual therapy
        assert j >= pol.lookback_visits
        assert (rom[i, pol.lookback_visits : j + 1] - rom[i, : j + 1 - pol.lookback_visits] < 5).any()
        assert got_manual[i, j:].all()  # once added, kept
    assert not got_manual[~got_manual.any(axis=1)].any()
    # A threshold that cannot be met never adds manual therapy: the exercise-only plan.
    never = simulate_policy("knee_oa", ManualWhenStalled(stall_deg=-1000), n_patients=50, days=60, seed=2)
    assert same(
        never, ptsim.simulate("knee_oa", "exercise_only", n_patients=50, days=60, seed=2, engine="numpy")
    )


def test_discharge_at_goals_discharges_those_who_meet_them_and_starts_their_follow_up():
    inner = FixedPolicy(ptsim.standard_plans()["combined"])
    pol = DischargeAtGoals(inner, pain_goal_nprs=2, rom_goal_pct=95)
    res = simulate_policy("knee_oa", pol, n_patients=300, days=200, seed=0)
    log = res.policy_log
    early = log.discharge_day < 42
    assert 0.05 < early.mean() < 0.95
    days = np.arange(res.day.size)
    # No visits on or after discharge, no setbacks before it, and the goals were met on the day.
    assert not ((log.session_code >= 0) & (days[None, :] >= log.discharge_day[:, None])).any()
    assert not (res.setback_events & (days[None, :] < log.discharge_day[:, None])).any()
    assert res.setbacks[early].sum() > 0
    h = log.history
    for i in np.flatnonzero(early):
        k = list(h.day).index(log.discharge_day[i])
        assert k > pol.min_visits - 1
        assert h.pain_nprs[i, k] <= 3 and h.rom_deg[i, k] >= 0.85 * h.rom_normal_deg
    assert log.visits()[early].mean() < log.visits()[~early].mean()
    # Goals nobody can meet: the inner policy unchanged.
    unreachable = DischargeAtGoals(inner, rom_goal_pct=200)
    a = simulate_policy("knee_oa", unreachable, n_patients=40, days=100, seed=0)
    assert same(a, ptsim.simulate("knee_oa", "combined", n_patients=40, days=100, seed=0, engine="numpy"))


class Returns:
    """A policy that returns whatever it is given."""

    def __init__(self, decision):
        self.decision = decision
        self.plan = ptsim.standard_plans()["combined"]

    def next_session(self, day, history):
        return self.decision(history) if callable(self.decision) else self.decision


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ("exercise", r"Returns.next_session\(day=0\) returned 'exercise'"),
        (Component("exercise", 20), "expected a Session, None"),
        (([], np.zeros(10, int)), "variants must be a non-empty list"),
        (([Component("exercise", 20)], np.zeros(10, int)), "is not a Session or None"),
        (lambda h: ([None], np.zeros(3, int)), r"choice must be an integer array of shape \(10,\)"),
        (lambda h: ([None], np.full(10, 0.0)), "integer array"),
        (lambda h: ([None], np.full(10, 2)), r"indices outside 0..0"),
    ],
)
def test_invalid_policy_decisions_give_clear_errors(decision, message):
    with pytest.raises(ValueError, match=message):
        simulate_policy("knee_oa", Returns(decision), n_patients=10, days=10, seed=0)


def test_policy_without_the_interface_is_rejected():
    with pytest.raises(ValueError, match="next_session"):
        simulate_policy("knee_oa", object(), n_patients=5, days=5)
    with pytest.raises(ValueError, match="no exercise to progress"):
        ProgressiveExercise(plan=ptsim.standard_plans()["manual_only"])


def test_discharge_decision_none_discharges_everyone():
    res = simulate_policy("knee_oa", Returns(None), n_patients=10, days=30, seed=0)
    assert (res.policy_log.discharge_day == 0).all()
    assert (res.policy_log.visits() == 0).all()


def test_explicit_n_patients_200_is_checked_against_the_cohort():
    """``n_patients`` defaults to None (not 200): an explicit 200 that disagrees with a cohort is refused,
    and an explicit 200 that agrees is accepted."""
    pol = FixedPolicy(ptsim.standard_plans()["combined"])
    df = sample_cohort("knee_oa", 30, seed=0)
    with pytest.raises(ValueError, match="n_patients=200 disagrees with the cohort's 30 rows"):
        simulate_policy("knee_oa", pol, n_patients=200, cohort=df, days=5)
    assert simulate_policy("knee_oa", pol, cohort=df, days=5).n_patients == 30
    big = sample_cohort("knee_oa", 200, seed=0)
    assert simulate_policy("knee_oa", pol, n_patients=200, cohort=big, days=5).n_patients == 200
    assert simulate_policy("knee_oa", pol, days=5).n_patients == 200


def test_policies_run_on_the_fixed_plans_day_loop_on_either_engine():
    """Adaptive plans run the fixed plan's day loop between visits: compiled by default (engine='auto'),
    the numpy engine on request, with the same numbers and the same decisions."""
    from ptsim.engine.simulate import run_cohort

    cond = ptsim.load_condition("knee_oa")
    pol = DischargeAtGoals(ProgressiveExercise(), min_visits=2)
    res = simulate_policy(cond, pol, n_patients=30, days=90, seed=4)
    assert res.engine == ("numba" if compiled.AVAILABLE else "numpy")
    slow = simulate_policy(cond, pol, n_patients=30, days=90, seed=4, engine="numpy")
    assert slow.engine == "numpy"
    for f in FIELDS:
        np.testing.assert_allclose(getattr(res, f), getattr(slow, f), rtol=1e-12, atol=1e-12, err_msg=f)
    np.testing.assert_array_equal(res.policy_log.discharge_day, slow.policy_log.discharge_day)
    np.testing.assert_array_equal(res.policy_log.session_code, slow.policy_log.session_code)
    assert (res.policy_log.discharge_day < pol.plan.discharge_day).any()  # some met their goals
    df = sample_cohort(cond, 5)
    auto = run_cohort(cond, pol.plan.resolve(cond), df, 10, 0, policy=pol)
    assert auto.engine == res.engine
    with pytest.raises(ValueError, match="engine must be one of"):
        run_cohort(cond, pol.plan.resolve(cond), df, 10, 0, policy=pol, engine="fast")
