"""Property-based tests: for any parameters within their documented bounds and any valid plan, the
outcomes stay finite and physical, runs are deterministic, and patients keep their identity."""

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptsim
from ptsim import Component, HomeProgramme, Plan, Session
from ptsim.core.parameters import PARAMETERS
from ptsim.engine import compiled
from ptsim.engine.adaptive import FixedPolicy, simulate_policy
from ptsim.inputs.plans import COMPONENT_KINDS

ENGINES = ["numpy", "numba"] if compiled.AVAILABLE else ["numpy"]
"""Every engine installed; the kernel uncompiled is checked in tests/test_performance.py."""

SETTINGS = settings(
    max_examples=int(os.environ.get("PTSIM_HYPOTHESIS_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def components(draw):
    kind = draw(st.sampled_from(COMPONENT_KINDS))
    minutes = draw(st.floats(0.5, 30, allow_nan=False))
    if kind == "exercise":
        intensity = draw(st.floats(0.05, 1.0))
    elif kind in ("education", "rest", "massage"):
        intensity = None
    else:
        intensity = draw(st.integers(1, 4))
    return Component(kind, minutes, intensity)


@st.composite
def plans(draw):
    comps = tuple(draw(st.lists(components(), min_size=0, max_size=4)))
    minutes = sum(c.minutes for c in comps) + draw(st.floats(0, 20))
    spw = draw(st.integers(0, 5))
    home = None
    if draw(st.booleans()):
        home = HomeProgramme(
            days_per_week=draw(st.integers(0, 7 - spw)),
            minutes=draw(st.floats(1, 60)),
            intensity=draw(st.floats(0.05, 1.0)),
            after_discharge_days_per_week=draw(st.integers(0, 7)),
            after_discharge_adherence_factor=draw(st.floats(0, 1)),
            after_discharge_adherence_decay_per_year=draw(st.one_of(st.none(), st.floats(0, 10))),
        )
    return Plan("random", Session(comps, max(minutes, 1.0)), spw, draw(st.integers(0, 8)), home)


@st.composite
def parameter_overrides(draw):
    names = draw(st.lists(st.sampled_from(sorted(PARAMETERS)), max_size=8, unique=True))
    return {n: draw(st.floats(PARAMETERS[n].low, PARAMETERS[n].high, allow_nan=False)) for n in names}


@SETTINGS
@given(
    condition=st.sampled_from(ptsim.list_conditions()),
    plan=plans(),
    overrides=parameter_overrides(),
    seed=st.integers(0, 2**31),
)
def test_outcomes_are_finite_and_physical(condition, plan, overrides, seed):
    """On every engine; and the engines agree with one another (and with the plan run as a policy)."""
    cond = ptsim.load_condition(condition).with_parameters(**overrides)
    runs = _physical_runs(cond, plan, seed, ENGINES)
    runs["policy"] = simulate_policy(cond, FixedPolicy(plan), n_patients=6, days=70, seed=seed)
    first = runs["numpy"]
    for engine, res in runs.items():
        for name in ("rom", "pain", "strength", "function", "exercise_dose"):
            np.testing.assert_allclose(
                getattr(res, name), getattr(first, name), rtol=1e-12, atol=1e-12, err_msg=f"{engine} {name}"
            )
        np.testing.assert_array_equal(res.setback_events, first.setback_events, err_msg=engine)
        np.testing.assert_array_equal(res.flare_events, first.flare_events, err_msg=engine)


def _physical_runs(cond, plan, seed, engines):
    """Runs on ``engines``, each checked finite, within physical bounds and repeatable."""
    runs = {}
    for engine in engines:
        res = ptsim.simulate(cond, plan, n_patients=6, days=70, seed=seed, engine=engine)
        assert res.engine == engine
        for name in ("rom", "pain", "strength", "function"):
            assert np.all(np.isfinite(getattr(res, name))), name
        assert np.all((res.pain >= 0) & (res.pain <= 10))
        assert np.all((res.rom >= 0) & (res.rom <= cond.rom_normal_deg + 1e-9))
        assert np.all(res.strength >= 0)
        assert np.all((res.function >= 0) & (res.function <= 100))
        assert np.all(res.exercise_dose >= 0)
        again = ptsim.simulate(cond, plan, n_patients=6, days=70, seed=seed, engine=engine)
        assert np.array_equal(res.pain, again.pain) and np.array_equal(res.rom, again.rom)
        runs[engine] = res
    return runs


@SETTINGS
@given(
    condition=st.sampled_from(ptsim.list_conditions()),
    n_small=st.integers(1, 8),
    extra=st.integers(1, 20),
    seed=st.integers(0, 10_000),
)
def test_patients_are_the_same_people_in_any_cohort_size_and_plan(condition, n_small, extra, seed):
    small = ptsim.compare(condition, ["manual_only", "combined"], n_patients=n_small, days=60, seed=seed)
    large = ptsim.compare(
        condition, ["manual_only", "combined"], n_patients=n_small + extra, days=60, seed=seed
    )
    assert small["manual_only"].cohort.equals(small["combined"].cohort)
    for plan in small:
        np.testing.assert_allclose(large[plan].pain[:n_small], small[plan].pain, rtol=1e-12)
        np.testing.assert_allclose(large[plan].rom[:n_small], small[plan].rom, rtol=1e-12)


@SETTINGS
@given(
    condition=st.sampled_from(ptsim.list_conditions()),
    minutes=st.floats(1, 60),
    grade=st.integers(1, 4),
)
def test_a_technique_never_worsens_the_durable_range(condition, minutes, grade):
    cond = ptsim.load_condition(condition)
    pts = ptsim.inputs.cohort.to_patients(ptsim.inputs.cohort.sample_cohort(cond, 5, seed=0), cond)
    s0 = ptsim.core.model.initial_state(pts)
    for tech in ("joint_mobilization", "soft_tissue_mobilization", "myofascial_release", "massage"):
        s = ptsim.core.model.technique(s0, pts, cond.parameters, tech, minutes, grade)
        assert np.all(s.deficit_deg <= s0.deficit_deg)
        assert np.all((s.window >= 0) & (s.window <= 1))
        assert np.all(s.sensitization <= s0.sensitization)
