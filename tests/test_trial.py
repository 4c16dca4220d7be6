"""Virtual trials (ptsim.analysis.trial): CI coverage, power, factorial interaction, responders, bad input."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim.analysis.trial import FactorialBalanceWarning, course_minutes, factorial_arms, repeat_trials

ARMS = ["exercise_only", "combined"]


def test_run_trial_is_reproducible_and_arms_hold_different_patients():
    a = ptsim.run_trial("knee_oa", ARMS, n_per_arm=12, seed=4)
    b = ptsim.run_trial("knee_oa", ARMS, n_per_arm=12, seed=4)
    c = ptsim.run_trial("knee_oa", ARMS, n_per_arm=12, seed=5)
    fa, fb = a.to_frame(), b.to_frame()
    assert fa.equals(fb)
    assert not fa["pain_nprs"].equals(c.to_frame()["pain_nprs"])
    ids = fa.groupby("arm")["patient_id"].apply(set)
    assert len(ids["combined"]) == len(ids["exercise_only"]) == 12
    assert not ids["combined"] & ids["exercise_only"]  # different people, independent draws


def test_effects_unadjusted_estimate_is_the_difference_in_means():
    t = ptsim.run_trial("knee_oa", ["usual_care", *ARMS], n_per_arm=20, seed=2, dropout=0.2)
    eff = t.effects("rom", adjust=False)
    df = t.to_frame()
    means = df.groupby("arm")["rom_deg"].mean()  # NaN (dropped out) rows are skipped
    for r in eff.itertuples():
        assert r.estimate == pytest.approx(means[r.arm] - means["usual_care"])
        assert r.ci_low < r.estimate < r.ci_high
        assert r.n_arm == df[(df.arm == r.arm)]["rom_deg"].notna().sum()
    adjusted = t.effects("rom")
    assert (adjusted["ci_high"] - adjusted["ci_low"] < eff["ci_high"] - eff["ci_low"]).all()


def test_ancova_confidence_intervals_cover_the_true_difference_at_close_to_nominal_rate():
    # The true difference: a very large trial without drop-out (the SE is ~0.01 NPRS).
    big = ptsim.run_trial("knee_oa", ARMS, n_per_arm=20_000, seed=10_000, dropout=0.0)
    means = big.to_frame().groupby("arm")["pain_nprs"].mean()
    truth = means["combined"] - means["exercise_only"]
    n_trials = 200
    covered, estimates = 0, []
    # 200 independent trials (simulated together; the first is run_trial(seed=0), see below).
    for trial in repeat_trials("knee_oa", ARMS, n_per_arm=15, n_trials=n_trials, seed=0):
        eff = trial.effects("pain").iloc[0]
        covered += eff.ci_low <= truth <= eff.ci_high
        estimates.append(eff.estimate)
    coverage = covered / n_trials
    mc_se = math.sqrt(0.95 * 0.05 / n_trials)  # 0.015
    assert abs(coverage - 0.95) < 3 * mc_se, coverage
    # ...and the estimate is unbiased.
    assert abs(np.mean(estimates) - truth) < 3 * np.std(estimates) / math.sqrt(n_trials)


def test_power_grows_with_sample_size_and_is_alpha_without_a_difference():
    # Chronic neck pain: combined vs exercise-only differ by about one NPRS point at discharge.
    table = ptsim.power("chronic_neck_pain", ARMS, n_per_arm=[4, 12, 40], n_trials=100, seed=1)
    p = table["power"].to_numpy()
    se = table["mc_se"].to_numpy()
    assert p[0] + 2 * se[0] < p[1] and p[1] + 2 * se[1] < p[2], table
    assert np.allclose(se, np.sqrt(p * (1 - p) / 100))
    # The same plan in both arms: "power" is the type I error rate.
    same = ptsim.power("knee_oa", {"a": "combined", "b": "combined"}, n_per_arm=[15], n_trials=200, seed=2)
    assert same["power"].iloc[0] < 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)


def test_repeated_trials_first_is_run_trial_and_the_others_are_new_patients():
    t = ptsim.run_trial("knee_oa", ARMS, n_per_arm=6, seed=3)
    trials = repeat_trials("knee_oa", ARMS, n_per_arm=6, n_trials=5, seed=3)
    assert trials[0].to_frame().equals(t.to_frame())
    ids = [set(tr.to_frame().patient_id) for tr in trials]
    assert all(len(i) == 12 for i in ids) and len(set().union(*ids)) == 60


def _interaction(consolidation, n=3000):
    # Other routes couple manual therapy and exercise on ROM, so they are off here: guarding (pain
    # relief frees range) and stretch (exercise shrinks the same deficits that manual therapy
    # remodels: two multiplicative effects on one deficit are sub-additive). What is left of
    # exercise's effect on ROM is consolidation alone.
    cond = ptsim.load_condition("knee_oa").with_parameters(
        consolidation_per_window_min=consolidation, guarding_frac_at_max_pain=0.0, stretch_per_dose_min=0.0
    )
    t = ptsim.run_trial(cond, factorial_arms(), n_per_arm=n, seed=7, dropout=0.0)
    return t.interaction("rom").set_index("term").loc["manual x exercise"]


def test_factorial_interaction_is_near_zero_without_consolidation_and_positive_when_strong():
    none = _interaction(0.0)
    strong = _interaction(0.5)
    # Without the window hypothesis (and the other couplings) manual and exercise add up: the
    # interaction on ROM is ~0 deg, against a manual main effect of several degrees.
    assert abs(none.estimate) < 1.0 and none.ci_low < 0 < none.ci_high, none
    assert strong.ci_low > 3.0, strong  # consolidation: manual therapy opens range exercise keeps
    assert strong.estimate > none.estimate + 5


def test_factorial_design_and_interaction_needs_it():
    arms = factorial_arms()
    t = ptsim.run_trial("knee_oa", arms, n_per_arm=10, seed=1)
    assert t.factors["manual_exercise"] == (1, 1)
    df = t.to_frame()
    assert set(df.groupby("arm")["manual_therapy"].first().items()) == {
        ("control", 0),
        ("manual", 1),
        ("exercise", 0),
        ("manual_exercise", 1),
    }
    assert list(t.interaction("pain").term) == [
        "manual (without exercise)",
        "exercise (without manual)",
        "manual x exercise",
    ]
    with pytest.raises(ValueError, match="2x2 factorial"):
        ptsim.run_trial("knee_oa", ARMS, n_per_arm=5, seed=0).interaction()


STANDARD_2X2 = ["usual_care", "manual_only", "exercise_only", "combined"]


def test_standard_plans_make_a_factorial_with_a_dose_balance_warning():
    t = ptsim.run_trial("knee_oa", STANDARD_2X2, n_per_arm=20, seed=0)
    assert t.cells() == {
        "neither": "usual_care",
        "manual": "manual_only",
        "exercise": "exercise_only",
        "both": "combined",
    }
    with pytest.warns(FactorialBalanceWarning, match=r"factorial_arms\(\)"):
        res = t.interaction("rom")
    assert res.attrs["cells"] == t.cells()
    # 2 visits a week for 6 weeks: 40 min of manual therapy alone, 15 inside combined; exercise 40 vs 25
    assert "480 min in manual_only (manual), 180 min in combined (both)" in res.attrs["dose_imbalance"]
    assert "480 min in exercise_only (exercise), 300 min in combined (both)" in res.attrs["dose_imbalance"]
    assert res.set_index("term").loc["manual x exercise", "contrast"] == (
        "(combined - exercise_only) - (manual_only - usual_care)"
    )
    design = t.factorial_design().set_index("cell")
    assert design.loc["both", ["manual_therapy_min", "exercise_min"]].tolist() == [180.0, 300.0]
    assert design.loc["manual", "manual_therapy_min"] == 480.0


def test_factorial_arms_are_balanced_and_warn_nothing():
    t = ptsim.run_trial("knee_oa", factorial_arms(), n_per_arm=10, seed=1)
    assert t.dose_imbalance() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = t.interaction("pain")
    assert res.attrs["dose_imbalance"] is None
    assert res.attrs["cells"] == {
        "neither": "control",
        "manual": "manual",
        "exercise": "exercise",
        "both": "manual_exercise",
    }
    # the same standard plans with your own cell names, and an unbalanced dose caught by kind
    arms = dict(factorial_arms())
    arms["manual"] = arms["manual"].with_(weeks=4)
    t = ptsim.run_trial("knee_oa", arms, n_per_arm=10, seed=1)
    assert "manual_therapy differs between the manual therapy cells" in t.dose_imbalance()


def test_course_minutes_counts_clinic_and_home_minutes():
    plans = ptsim.standard_plans(sessions_per_week=3, weeks=4)
    assert course_minutes(plans["manual_only"]) == {"education": 60.0, "manual_therapy": 480.0}
    assert course_minutes(plans["exercise_only"])["home exercise"] == 4 * 4 * 20.0  # 4 home days a week


def test_factors_names_the_cells_of_your_own_arms():
    plans = ptsim.standard_plans()
    arms = {
        "rest": plans["usual_care"],
        "mt": plans["manual_only"],
        "ex": plans["exercise_only"],
        "both": plans["combined"],
    }
    factors = {"rest": (0, 0), "mt": (1, 0), "ex": (0, 1), "both": (1, 1)}
    t = ptsim.run_trial("knee_oa", arms, n_per_arm=8, seed=0, factors=factors)
    assert t.cells() == {"neither": "rest", "manual": "mt", "exercise": "ex", "both": "both"}
    with pytest.warns(FactorialBalanceWarning):
        t.interaction("rom")


@pytest.mark.parametrize(
    "arms, factors, message",
    [
        (["usual_care", "manual_only", "exercise_only", "massage_only"], None, "run_trial.*factors="),
        (ARMS, None, "this trial's arms are exercise_only, combined"),
        (STANDARD_2X2, {"usual_care": (0, 0)}, "factors must map each of the four arms"),
        (
            STANDARD_2X2,
            dict(zip(STANDARD_2X2, [(0, 0), (1, 0), (0, 1), (1, 2)], strict=True)),
            "'combined' got",
        ),
        (STANDARD_2X2, dict(zip(STANDARD_2X2, [(0, 0), (1, 0), (1, 0), (1, 1)], strict=True)), "once each"),
        (ARMS, {"exercise_only": (0, 1), "combined": (1, 1)}, "exactly four arms"),
    ],
)
def test_factorial_errors_name_the_argument_and_the_accepted_arms(arms, factors, message):
    with pytest.raises(ValueError, match=message):
        ptsim.run_trial("knee_oa", arms, n_per_arm=4, seed=0, factors=factors).interaction()


def test_responders_rates_risk_difference_and_nnt():
    t = ptsim.run_trial("knee_oa", ["usual_care", "combined"], n_per_arm=40, seed=3, dropout=0.0)
    r = t.responders("pain").set_index("arm")
    df = t.to_frame()
    for arm in ("usual_care", "combined"):
        d = df[df.arm == arm]
        expected = (d.baseline_pain_nprs - d.pain_nprs >= 0.3 * d.baseline_pain_nprs).mean()
        assert r.loc[arm, "rate"] == pytest.approx(expected)
    rd = r.loc["combined", "rate"] - r.loc["usual_care", "rate"]
    assert r.loc["combined", "risk_difference"] == pytest.approx(rd)
    assert r.loc["combined", "nnt"] == pytest.approx(1 / rd)
    assert r.loc["combined", "rd_ci_low"] < rd < r.loc["combined", "rd_ci_high"]
    if r.loc["combined", "rd_ci_low"] > 0:
        assert r.loc["combined", "nnt_ci_low"] <= 1 / rd <= r.loc["combined", "nnt_ci_high"]
    assert math.isnan(r.loc["usual_care", "risk_difference"])
    fr = t.responders("function")
    assert fr["rate"].between(0, 1).all()


def test_dropout_loses_the_documented_share_by_the_last_visit():
    t = ptsim.run_trial("knee_oa", ARMS, n_per_arm=2000, seed=1, assess_days=[14, 42], dropout=0.2)
    df = t.to_frame()
    lost = 1 - df[df.day == 42]["observed"].mean()
    assert abs(lost - 0.2) < 3 * math.sqrt(0.2 * 0.8 / 4000)
    # Missing once means missing later (monotone), and the rows are NaN.
    wide = df.pivot(index="patient_id", columns="day", values="observed")
    assert not (~wide[14] & wide[42]).any()
    assert df.loc[~df.observed, "pain_nprs"].isna().all()
    assert df["baseline_pain_nprs"].notna().all()


def test_policy_arm_in_a_trial():
    """An adaptive arm's patients are simulated under the policy: their true outcomes are those of
    simulate_policy on the same patients, and the fixed arm is untouched by the other arm's kind."""
    from ptsim.engine.adaptive import ProgressiveExercise, simulate_policy
    from ptsim.inputs.cohort import sample_cohort

    t = ptsim.run_trial("knee_oa", {"fixed": "exercise_only", "adaptive": ProgressiveExercise()}, 10, seed=0)
    assert t.effects().arm.tolist() == ["adaptive"]
    adaptive = t.data[t.data["arm"] == "adaptive"].set_index("patient_id")["true_pain_nprs"]
    cohort = sample_cohort(t.condition, 20, seed=0)
    cohort = cohort[cohort["patient_id"].isin(adaptive.index)].reset_index(drop=True)
    direct = simulate_policy(t.condition, ProgressiveExercise(), cohort=cohort, days=t.days, seed=0)
    want = pd.Series(direct.pain[:, 42], index=cohort["patient_id"])
    np.testing.assert_array_equal(adaptive.sort_index().to_numpy(), want.sort_index().to_numpy())
    plain = ptsim.run_trial("knee_oa", {"fixed": "exercise_only", "adaptive": "exercise_only"}, 10, seed=0)
    fixed = t.data["arm"] == "fixed"
    pd.testing.assert_series_equal(
        t.data.loc[fixed, "true_pain_nprs"], plain.data.loc[fixed, "true_pain_nprs"]
    )
    assert not t.data.loc[~fixed, "true_pain_nprs"].equals(plain.data.loc[~fixed, "true_pain_nprs"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(arms=["combined", "accupuncture"]), "unknown arm 'accupuncture'"),
        (dict(arms=["combined"]), "at least 2 arms"),
        (dict(n_per_arm=1), "n_per_arm must be a whole number >= 2"),
        (dict(n_per_arm=2.5), "n_per_arm"),
        (
            dict(assess_days=[42, 100], days=90),
            r"assess_days \[100\] lie beyond the simulated horizon days=90",
        ),
        (dict(assess_days=[-1]), "assess_days"),
        (dict(assess_days=[]), "assess_days is empty"),
        (dict(dropout=1.0), "dropout"),
        (dict(reference="massage_only"), "reference 'massage_only' is not an arm"),
    ],
)
def test_bad_trial_input_gives_clear_errors(kwargs, message):
    args = dict(condition="knee_oa", arms=ARMS, n_per_arm=5, seed=0) | kwargs
    with pytest.raises(ValueError, match=message):
        ptsim.run_trial(**args)


def test_bad_analysis_input_gives_clear_errors():
    t = ptsim.run_trial("knee_oa", ARMS, n_per_arm=5, seed=0)
    with pytest.raises(ValueError, match="unknown outcome 'mood'"):
        t.effects("mood")
    with pytest.raises(ValueError, match="not an assessment day"):
        t.effects("pain", day=10)
    with pytest.raises(ValueError, match="'pain' or 'function'"):
        t.responders("rom")
    with pytest.raises(ValueError, match="n_per_arm"):
        ptsim.power("knee_oa", ARMS, n_per_arm=[1, 10], n_trials=20)


@pytest.mark.parametrize("plan", ["exercise_only", "combined"])
def test_patient_is_the_same_person_in_any_cohort_size(plan):
    # Trials split one sampled pool into arms, so a patient's course must not depend on who else is
    # simulated alongside (home sessions skipped while others exercise, days nobody exercised).
    big = ptsim.simulate("knee_oa", plan, n_patients=200, days=120, seed=0)
    for n in (1, 7):
        small = ptsim.simulate("knee_oa", plan, n_patients=n, days=120, seed=0)
        for name in ("pain", "rom", "strength", "flare_events", "setback_events", "exercise_dose"):
            assert np.array_equal(getattr(small, name), getattr(big, name)[:n]), name


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(arms=["exercise_only", "combined"]),
        dict(arms=["exercise_only", "combined"], ensemble=True, min_pain_nprs=4.0, dropout=0.3),
        dict(arms={"fixed": "exercise_only", "adaptive": "progressive"}),
    ],
    ids=["plans", "ensemble-min-pain", "adaptive"],
)
def test_trial_progress_per_chunk_of_patients_with_the_same_numbers(kwargs, monkeypatch):
    """issue 24 item 3: ``ptsim trial`` ran for half a minute without a word. With a progress callback,
    each arm runs in chunks of patients and the callback hears every chunk; the trial is the same."""
    from ptsim.engine import simulate
    from ptsim.engine.adaptive import ProgressiveExercise

    arms = kwargs.pop("arms")
    if isinstance(arms, dict):
        arms = {k: ProgressiveExercise() if v == "progressive" else v for k, v in arms.items()}
    monkeypatch.setattr(simulate, "PROGRESS_CHUNK_SIZE", 7)  # 20 patients per arm: chunks of 7, 7, 6
    calls = []
    heard = ptsim.run_trial("knee_oa", arms, 20, seed=3, progress=lambda *call: calls.append(call), **kwargs)
    names = list(arms)
    assert calls == [(i + 1, 6, names[i // 3]) for i in range(6)]
    plain = ptsim.run_trial("knee_oa", arms, 20, seed=3, **kwargs)
    pd.testing.assert_frame_equal(heard.data, plain.data, check_exact=True)


def test_trial_progress_must_be_callable():
    with pytest.raises(ValueError, match=r"progress must be a callable progress\(done, total, arm\) or None"):
        ptsim.run_trial("knee_oa", ["exercise_only", "combined"], 5, progress="bar")


def test_repeat_trials_and_power_report_progress_per_chunk_with_the_same_numbers(monkeypatch):
    from ptsim.analysis.trial import power
    from ptsim.engine import simulate

    arms = ["exercise_only", "combined"]
    monkeypatch.setattr(simulate, "PROGRESS_CHUNK_SIZE", 25)  # 3 trials x 10 per arm: chunks of 25, 5
    calls = []
    heard = repeat_trials("knee_oa", arms, 10, 3, seed=1, progress=lambda *c: calls.append(c))
    assert calls == [(1, 4, "exercise_only"), (2, 4, "exercise_only"), (3, 4, "combined"), (4, 4, "combined")]
    for a, b in zip(heard, repeat_trials("knee_oa", arms, 10, 3, seed=1), strict=True):
        pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    calls.clear()
    kwargs = dict(n_per_arm=[5, 6], n_trials=10, seed=2)
    with_bar = power("knee_oa", arms, **kwargs, progress=lambda *c: calls.append(c))
    # sizes 5 and 6: 50 and 60 patients per arm, so 2 and 3 chunks per arm
    assert [c[:2] for c in calls] == [(i, 10) for i in range(1, 11)]
    assert calls[0][2] == "exercise_only, n_per_arm=5" and calls[-1][2] == "combined, n_per_arm=6"
    pd.testing.assert_frame_equal(with_bar, power("knee_oa", arms, **kwargs), check_exact=True)
    with pytest.raises(ValueError, match="progress must be a callable"):
        power("knee_oa", arms, **kwargs, progress=3)
