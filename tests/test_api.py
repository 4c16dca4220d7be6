"""The public API of DESIGN section 4: shapes, units, determinism, common random numbers, errors."""

import math

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim import Component, Plan, Session
from ptsim.inputs.cohort import read_cohort, sample_cohort, write_cohort
from ptsim.inputs.plans import PLAN_NAMES


def test_list_and_load_conditions():
    names = ptsim.list_conditions()
    assert len(names) >= 4
    assert "knee_oa" in names
    for name in names:
        cond = ptsim.load_condition(name)
        assert cond.name == name
        assert cond.rom_normal_deg > 0


def test_standard_plans_have_the_six_names():
    plans = ptsim.standard_plans()
    assert list(plans) == list(PLAN_NAMES)
    assert all(isinstance(p, Plan) for p in plans.values())
    combined = plans["combined"]
    assert [c.kind for c in combined.session.components] == ["education", "manual_therapy", "exercise"]
    assert [c.kind for c in plans["combined_reversed"].session.components] == [
        "education",
        "exercise",
        "manual_therapy",
    ]
    assert combined.sessions_per_week == 2 and combined.weeks == 6 and combined.session.minutes == 45
    assert combined.discharge_day == 42


@pytest.mark.parametrize("per_week", range(1, 8))
def test_standard_plans_for_any_number_of_visits(per_week):
    plans = ptsim.standard_plans(sessions_per_week=per_week)
    home = plans["combined"].home
    assert plans["combined"].sessions_per_week == per_week
    assert home.days_per_week == min(5, 7 - per_week)


def test_simulate_shapes_and_units():
    res = ptsim.simulate("knee_oa", ptsim.standard_plans()["combined"], n_patients=20, days=30, seed=0)
    assert res.day.shape == (31,) and res.day[0] == 0 and res.day.dtype.kind == "i"
    for name in ("rom", "pain", "strength", "function"):
        arr = getattr(res, name)
        assert arr.shape == (20, 31) and arr.dtype == float
    assert res.setbacks.shape == (20,) and res.setbacks.dtype.kind == "i"
    assert np.all((res.pain >= 0) & (res.pain <= 10))
    assert np.all((res.function >= 0) & (res.function <= 100))
    assert np.all(res.rom <= res.condition.rom_normal_deg)


def test_to_frame_is_tidy():
    res = ptsim.simulate("knee_oa", "combined", n_patients=5, days=10, seed=0)
    df = res.to_frame()
    assert len(df) == 5 * 11
    assert {"patient_id", "day", "rom_deg", "pain_nprs", "strength_pct_normal", "function_0_100"} <= set(df)
    one = df[(df.patient_id == df.patient_id.iloc[0]) & (df.day == 7)]
    assert one.pain_nprs.iloc[0] == res.pain[0, 7]


def test_same_seed_same_numbers_and_other_seed_other_numbers():
    a = ptsim.simulate("low_back_pain", "exercise_only", n_patients=30, days=120, seed=5)
    b = ptsim.simulate("low_back_pain", "exercise_only", n_patients=30, days=120, seed=5)
    c = ptsim.simulate("low_back_pain", "exercise_only", n_patients=30, days=120, seed=6)
    for name in ("rom", "pain", "strength", "function"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.pain, c.pain)


def test_common_random_numbers_across_plans_and_cohort_sizes():
    small = ptsim.compare("chronic_neck_pain", n_patients=10, days=200, seed=3)
    large = ptsim.compare("chronic_neck_pain", n_patients=50, days=200, seed=3)
    cohorts = [r.cohort for r in small.values()]
    assert all(c.equals(cohorts[0]) for c in cohorts)
    pd.testing.assert_frame_equal(large["combined"].cohort.iloc[:10], small["combined"].cohort)
    for plan in small:
        # The same draws and the same person; numpy's vectorised exp may round the last bit
        # differently with the array's length, hence a relative tolerance of 1e-12, not equality.
        for name in ("rom", "pain", "strength", "function"):
            np.testing.assert_allclose(
                getattr(large[plan], name)[:10], getattr(small[plan], name), rtol=1e-12
            )
        assert np.array_equal(large[plan].setback_events[:10], small[plan].setback_events)
        assert np.array_equal(large[plan].exercise_dose[:10] > 0, small[plan].exercise_dose > 0)


def test_compare_is_a_mapping_with_summary():
    comp = ptsim.compare("knee_oa", ptsim.standard_plans(), n_patients=40, days=365, seed=0)
    assert set(comp) == set(PLAN_NAMES) and len(comp) == 6
    assert comp["combined"].plan.name == "combined"
    summary = comp.summary()
    assert {"plan", "day", "outcome", "unit", "mean", "ci_low", "ci_high"} <= set(summary)
    assert list(dict.fromkeys(summary.day)) == ["baseline", 0, 14, 42, 91, 182, 365]
    row = summary[(summary.plan == "combined") & (summary.outcome == "pain") & (summary.day == 42)].iloc[0]
    assert row["mean"] == pytest.approx(comp["combined"].pain[:, 42].mean())
    assert row.ci_low < row["mean"] < row.ci_high
    with pytest.raises(KeyError, match="no plan"):
        comp["nope"]


def test_summary_interval_is_a_t_interval():
    from scipy import stats

    comp = ptsim.compare("knee_oa", ["combined"], n_patients=25, days=42, seed=0)
    s = comp.summary(days=[42], outcomes=["pain"]).iloc[0]
    x = comp["combined"].pain[:, 42]
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (s.ci_low, s.ci_high) == pytest.approx((lo, hi))


def test_trace_session_follows_components_in_order():
    tr = ptsim.trace_session("knee_oa", "combined", minutes_after=30)
    assert tr.minute.is_monotonic_increasing
    assert tr.minute.iloc[-1] == pytest.approx(45 + 30)
    kinds = list(dict.fromkeys(tr.component))
    assert kinds[:3] == ["start", "education", "joint_mobilization"]
    assert kinds[-2:] == ["exercise", "rest"]


def test_cohort_roundtrip_and_own_patients(tmp_path):
    cond = ptsim.load_condition("knee_oa")
    cohort = sample_cohort(cond, 12, seed=4)
    path = write_cohort(cohort, tmp_path / "patients.csv")
    back = read_cohort(path, cond)
    pd.testing.assert_frame_equal(back, cohort, check_dtype=False)
    a = ptsim.simulate(cond, "combined", cohort=back, days=20, seed=4)
    b = ptsim.simulate(cond, "combined", n_patients=12, days=20, seed=4)
    assert np.array_equal(a.pain, b.pain)


def test_custom_plan_from_python_and_toml(tmp_path):
    session = Session((Component("joint_mobilization", 10, 4), Component("exercise", 30, 0.8)), 45)
    mine = Plan("mine", session, 3, 8)
    res = ptsim.simulate("adhesive_capsulitis", mine, n_patients=10, days=60)
    assert res.plan.discharge_day == 56
    toml = tmp_path / "mine.toml"
    toml.write_text(
        'name = "mine"\nsessions_per_week = 3\nweeks = 8\n[session]\nminutes = 45\n'
        'components = [ { kind = "joint_mobilization", minutes = 10, intensity = 4 },\n'
        '  { kind = "exercise", minutes = 30, intensity = 0.8 } ]\n'
    )
    loaded = ptsim.load_plan(toml)
    assert loaded == mine
    res2 = ptsim.simulate("adhesive_capsulitis", str(toml), n_patients=10, days=60)
    assert np.array_equal(res.rom, res2.rom)


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_patients": 0}, "n_patients"),
        ({"n_patients": -3}, "n_patients"),
        ({"n_patients": 2.5}, "n_patients"),
        ({"n_patients": "ten"}, "n_patients"),
        ({"days": -1}, "days"),
        ({"days": math.nan}, "days"),
        ({"days": 3.5}, "days"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_counts_raise_naming_the_argument(kwargs, match):
    args = {"n_patients": 5, "days": 5, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        ptsim.simulate("knee_oa", "combined", **args)


def test_unknown_names_list_what_is_accepted():
    with pytest.raises(ValueError, match="unknown condition 'knee'.*knee_oa"):
        ptsim.load_condition("knee")
    with pytest.raises(ValueError, match="unknown plan 'magic'.*combined"):
        ptsim.simulate("knee_oa", "magic", n_patients=2, days=2)
    with pytest.raises(FileNotFoundError, match="nowhere.toml"):
        ptsim.load_condition("/nowhere.toml")
    with pytest.raises(ValueError, match="plans is empty"):
        ptsim.compare("knee_oa", {}, n_patients=2, days=2)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Component("exercise", -5), "minutes"),
        (lambda: Component("exercise", math.nan), "minutes"),
        (lambda: Component("exercise", math.inf), "minutes"),
        (lambda: Component("exercise", 10, 1.5), "intensity"),
        (lambda: Component("exercise", 10, -0.1), "intensity"),
        (lambda: Component("joint_mobilization", 10, 5), "grade"),
        (lambda: Component("joint_mobilization", 10, 2.5), "grade"),
        (lambda: Component("massage", 10, 3), "massage"),
        (lambda: Component("dry_needling", 10), "accepted"),
        (lambda: Component("rest", 5, 1), "intensity is not used"),
        (lambda: Plan("p", Session(()), sessions_per_week=-1), "sessions_per_week"),
        (lambda: Plan("p", Session(()), sessions_per_week=8), "sessions_per_week"),
        (lambda: Plan("p", Session(()), weeks=2.5), "weeks"),
        (lambda: ptsim.HomeProgramme(minutes=-10), "home minutes"),
        (lambda: ptsim.HomeProgramme(days_per_week=math.nan), "days_per_week"),
        (lambda: Plan("p", Session(()), 3, 6, ptsim.HomeProgramme(days_per_week=5)), "exceed 7 days"),
        (lambda: ptsim.standard_plans(session_minutes=5), "session_minutes"),
    ],
)
def test_bad_plan_values_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_parameter_override():
    cond = ptsim.load_condition("knee_oa")
    with pytest.raises(ValueError, match="unknown model parameter 'consolidation'"):
        cond.with_parameters(consolidation=0.1)
    with pytest.raises(ValueError, match="outside its accepted range"):
        cond.with_parameters(window_tau_min=-1)
    with pytest.raises(ValueError, match="finite"):
        cond.with_parameters(window_tau_min=math.nan)


def test_pretreatment_baseline_is_equal_across_plans_and_before_the_first_session():
    comp = ptsim.compare("knee_oa", ptsim.standard_plans(), n_patients=30, days=20, seed=4)
    usual = comp["usual_care"]
    for outcome in ("rom", "pain", "strength", "function", "womac"):
        base = usual.baseline(outcome)
        assert base.shape == (30,)
        for res in comp.values():  # the same patients: the same pre-treatment values in every plan
            assert np.array_equal(res.baseline(outcome), base)
        # without treatment nothing happens on day 0: its end-of-day values are the baseline
        assert np.allclose(usual.outcome(outcome)[:, 0], base)
    # the first session changes day 0 of a treated plan, not its baseline
    assert not np.allclose(comp["manual_only"].pain[:, 0], usual.baseline("pain"))
    summary = comp.summary(outcomes=["pain"])
    base_rows = summary[summary.day == "baseline"]
    assert len(base_rows) == 6 and base_rows["mean"].nunique() == 1
    assert base_rows["mean"].iloc[0] == pytest.approx(usual.baseline("pain").mean())
    with pytest.raises(ValueError, match="whole numbers in \\[0, 20\\] or 'baseline'"):
        comp.summary(days=["before"])


def test_cli_table_and_figure_show_the_baseline(capsys):
    from ptsim.cli.commands import main
    from ptsim.teaching.plotting import plot_trajectories

    status = main(
        ["compare", "--plans", "usual_care,combined", "--patients", "20", "--days", "30", "--no-plot"]
    )
    out = capsys.readouterr().out
    assert status == 0
    rows = [line.split() for line in out.splitlines() if "baseline" in line]
    assert len(rows) == 4  # one per outcome; the two plans show the same numbers before care
    for r in rows:
        assert r[-6:-3] == r[-3:]
    comp = ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=20, days=30)
    fig = plot_trajectories(comp, outcomes=["pain"])
    lines = fig.axes[0].get_lines()
    assert any(list(line.get_xdata()) == [-1] for line in lines)  # the pre-treatment point
    first = [line.get_ydata()[0] for line in lines if len(line.get_xdata()) == 31 + 1]
    assert len(first) == 2 and first[0] == first[1] == pytest.approx(comp["combined"].baseline("pain").mean())
