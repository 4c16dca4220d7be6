"""Runs that draw patients' parameters from a posterior ensemble (issue 13, item 3): simulate and
compare under every member, summaries and between-plan differences with evidence intervals, trials
whose patients draw one member each. The ensembles are the small made-up ones in tests/data/ensembles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ptsim
from ptsim.analysis.calibrate import with_values
from ptsim.engine import compiled
from ptsim.inputs import ensembles
from ptsim.inputs.ensembles import (
    DEFAULT_ENSEMBLE_MEMBERS,
    Ensemble,
    choose_members,
    draw_members,
    load_ensemble,
    spaced_members,
)

FIXTURES = Path(__file__).parent / "data" / "ensembles"
needs_numba = pytest.mark.skipif(not compiled.AVAILABLE, reason="numba is not installed")


@pytest.fixture
def stored(monkeypatch):
    """The fixture ensembles as the stored ones (``data/ensembles``)."""
    monkeypatch.setattr(ensembles, "ensembles_dir", lambda: FIXTURES)
    return FIXTURES


def _knee():
    return load_ensemble("knee_oa", FIXTURES)


# --- choosing members ---------------------------------------------------------------------------


def test_members_are_chosen_from_a_run_argument(stored):
    cond = ptsim.load_condition("knee_oa")
    assert choose_members(False, cond) == (None, [])
    ens, chosen = choose_members(True, cond)
    assert ens.n_members == 24 and chosen == spaced_members(24, DEFAULT_ENSEMBLE_MEMBERS)
    assert len(chosen) == DEFAULT_ENSEMBLE_MEMBERS and chosen[0] == 0 and chosen[-1] == 23
    assert choose_members(3, cond)[1] == [0, 12, 23]
    assert choose_members(np.int64(24), cond)[1] == list(range(24))
    given = Ensemble("knee_oa", {"sensitization_tau_days": np.array([2.0, 3.0])})
    assert choose_members(given, cond) == (given, [0, 1])


@pytest.mark.parametrize(
    "bad, match",
    [
        (0, "member count must be >= 1"),
        (-2, "member count must be >= 1"),
        (25, "25 members asked for, but the stored ensemble of 'knee_oa' has 24"),
        (2.5, "ensemble must be False, True"),
        ("20", "ensemble must be False, True"),
    ],
)
def test_bad_member_counts_are_named(stored, bad, match):
    with pytest.raises(ValueError, match=match):
        ptsim.compare("knee_oa", ["usual_care"], n_patients=3, days=2, ensemble=bad)


def test_the_premise_has_no_ensemble(stored):
    with pytest.raises(ValueError, match="scenario='premise' has no ensemble"):
        ptsim.simulate("knee_oa", "usual_care", n_patients=3, days=2, scenario="premise", ensemble=True)


def test_a_condition_without_a_stored_ensemble_names_the_command(stored):
    with pytest.raises(FileNotFoundError, match="python -m ptsim.analysis.bayes chronic_neck_pain"):
        ptsim.simulate("chronic_neck_pain", "usual_care", n_patients=3, days=2, ensemble=True)


def test_an_ensemble_of_another_condition_or_with_bad_columns_is_refused():
    cond = ptsim.load_condition("knee_oa")
    with pytest.raises(ValueError, match="an ensemble of condition 'low_back_pain' was given for 'knee_oa'"):
        choose_members(load_ensemble("low_back_pain", FIXTURES), cond)
    with pytest.raises(ValueError, match="column 'no_such' is neither a model parameter"):
        choose_members(Ensemble("knee_oa", {"no_such": np.array([1.0])}), cond)
    with pytest.raises(ValueError, match="unknown natural-history key 'pain_frac'"):
        choose_members(Ensemble("knee_oa", {"natural_history.pain_frac": np.array([0.1])}), cond)
    with pytest.raises(ValueError, match=r"'sensitization_tau_days': member 1 has .* outside"):
        choose_members(Ensemble("knee_oa", {"sensitization_tau_days": np.array([2.0, -1.0])}), cond)


# --- simulate and compare under every member ----------------------------------------------------


def test_every_patient_runs_under_every_member_with_common_random_numbers():
    ens = _knee()
    cond = ptsim.load_condition("knee_oa")
    n, chosen = 6, [0, 7, 23]
    part = Ensemble("knee_oa", {k: v[chosen] for k, v in ens.values.items()})
    res = ptsim.simulate(cond, "combined", n_patients=n, days=30, seed=4, ensemble=part, engine="numpy")
    assert res.n_patients == n * 3 and res.n_cohort == n
    assert res.ensemble_member.tolist() == [0] * n + [1] * n + [2] * n
    assert res.members.tolist() == [0, 1, 2]
    ids = res.cohort["patient_id"].to_numpy()
    assert (ids.reshape(3, n) == ids[:n]).all()
    for block, j in enumerate(chosen):  # each block is a plain run at that member's values
        alone = ptsim.simulate(with_values(cond, ens.member(j)), "combined", n_patients=n, days=30, seed=4)
        rows = slice(block * n, (block + 1) * n)
        np.testing.assert_allclose(res.pain[rows], alone.pain, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(res.rom[rows], alone.rom, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(res.baseline("pain")[rows], alone.baseline("pain"), rtol=1e-12)
    frame = res.to_frame()
    assert sorted(set(frame["ensemble_member"])) == [0, 1, 2] and len(frame) == n * 3 * 31
    assert ptsim.simulate(cond, "combined", n_patients=n, days=3).ensemble_member is None


def test_stored_members_are_spaced_and_their_indices_kept(stored):
    res = ptsim.simulate("knee_oa", "exercise_only", n_patients=2, days=3, ensemble=3, engine="numpy")
    assert res.members.tolist() == [0, 12, 23]
    assert res.ensemble_member.tolist() == [0, 0, 12, 12, 23, 23]


def test_chunked_ensemble_runs_give_the_same_numbers():
    ens = load_ensemble("low_back_pain", FIXTURES)
    kw = dict(n_patients=7, days=60, seed=2, ensemble=ens, engine="numpy")
    whole = ptsim.compare("low_back_pain", ["usual_care", "exercise_only"], **kw)
    parts = ptsim.compare(
        "low_back_pain", ["usual_care", "exercise_only"], record_days=[0, 30, 60], chunk_size=5, **kw
    )
    for name in whole:
        np.testing.assert_allclose(parts[name].pain, whole[name].pain[:, [0, 30, 60]], rtol=1e-12)
        assert (parts[name].setbacks == whole[name].setbacks).all()
        assert parts[name].ensemble_member.tolist() == whole[name].ensemble_member.tolist()
        # the result's condition holds every row's values (the baseline needs them), not a chunk's
        assert len(parts[name].condition.natural_history["pain_end_frac"]) == 42


@needs_numba
def test_engines_agree_with_per_patient_natural_history_and_parameters():
    ens = load_ensemble("low_back_pain", FIXTURES)
    kw = dict(n_patients=25, days=200, seed=7, ensemble=ens)
    a = ptsim.compare("low_back_pain", ["usual_care", "combined"], engine="numpy", **kw)
    b = ptsim.compare("low_back_pain", ["usual_care", "combined"], engine="numba", **kw)
    for name in a:
        assert b[name].engine == "numba"
        for k in ("pain", "rom", "strength", "function"):
            np.testing.assert_allclose(getattr(b[name], k), getattr(a[name], k), rtol=1e-10, atol=1e-10)
        assert (a[name].setback_events == b[name].setback_events).all()
        assert a[name].setbacks.sum() > 0  # the per-patient hazard was exercised
    # the members differ: per-patient natural-history values reached both engines
    means = a["usual_care"].member_means(a["usual_care"].pain[:, -1])
    assert np.ptp(means) > 0.5


def test_memory_check_counts_the_members(stored, monkeypatch):
    from ptsim.engine.setup import run_memory_bytes
    from ptsim.inputs import cohort, memory

    one_run = run_memory_bytes(1000, 100, None, 2)
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 3 * one_run)
    with pytest.raises(ValueError, match=r"ensemble=4 members: .*\(2 plan\(s\) x 4 ensemble members"):
        ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=1000, days=100, ensemble=4)
    from ptsim.engine.setup import check_run_memory

    check_run_memory(1000, None, 100, None, 2, 2)  # fewer members fit: the count is what grew
    with pytest.raises(ValueError, match="ensemble=4 members"):
        patients = cohort.sample_cohort(ptsim.load_condition("knee_oa"), 1000, 0)
        check_run_memory(None, patients, 100, None, 2, 4)


# --- summaries and differences ------------------------------------------------------------------


@pytest.fixture(scope="module")
def knee_comparison():
    ens = _knee()
    part = Ensemble("knee_oa", {k: v[::3] for k, v in ens.values.items()})  # 8 members
    plans = {"usual_care": "usual_care", "combined": "combined", "exercise": "exercise_only"}
    plans["exercise_again"] = "exercise_only"
    return ptsim.compare("knee_oa", plans, n_patients=15, days=42, seed=1, ensemble=part, engine="numpy")


def test_summary_reports_the_evidence_interval_of_the_mean(knee_comparison):
    table = knee_comparison.summary(days=[42], outcomes=["pain"])
    res = knee_comparison["combined"]
    row = table[table["plan"] == "combined"].iloc[0]
    member_means = [res.pain[res.ensemble_member == j, 42].mean() for j in res.members]
    assert row["mean"] == pytest.approx(res.pain[:, 42].mean())
    assert row["ci_low"] == pytest.approx(np.percentile(member_means, 2.5))
    assert row["ci_high"] == pytest.approx(np.percentile(member_means, 97.5))
    assert (
        row["n"] == 15
        and row["interval"]
        == "95 % evidence interval of the population mean (8 members; Monte-Carlo error in mc_error)"
    )
    assert 0 < row["mc_error"] < row["ci_high"] - row["ci_low"] and not row["fixed_by_design"]
    narrow = knee_comparison.summary(days=[42], outcomes=["pain"], level=0.5)
    assert narrow["interval"].iloc[0].startswith("50 % evidence interval of the population mean")
    assert narrow["ci_high"].iloc[1] - narrow["ci_low"].iloc[1] < row["ci_high"] - row["ci_low"]


def test_summary_without_an_ensemble_keeps_the_t_interval():
    comp = ptsim.compare("knee_oa", ["usual_care"], n_patients=12, days=14, seed=3)
    row = comp.summary(days=[14], outcomes=["pain"]).iloc[0]
    x = comp["usual_care"].pain[:, 14]
    low, high = stats.t.interval(0.95, 11, loc=x.mean(), scale=stats.sem(x))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["interval"] == "t 95 % CI of the mean"


def test_differences_are_paired_with_evidence_intervals_and_verdicts(knee_comparison):
    table = knee_comparison.differences(days=[42], outcomes=["pain"])
    assert table["reference"].unique().tolist() == ["usual_care"]
    assert table["plan"].tolist() == ["combined", "exercise", "exercise_again"]
    assert list(table.columns) == [
        "plan",
        "reference",
        "day",
        "outcome",
        "unit",
        "mean_difference",
        "ci_low",
        "ci_high",
        "interval",
        "n",
        "separated",
        "mcid",
        "judgement",
        "verdict",
        "mc_error",
    ]
    comb, ref = knee_comparison["combined"], knee_comparison["usual_care"]
    d = comb.pain[:, 42] - ref.pain[:, 42]
    per_member = [d[comb.ensemble_member == j].mean() for j in comb.members]
    row = table.iloc[0]
    assert row["mean_difference"] == pytest.approx(d.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(np.percentile(per_member, [2.5, 97.5])))
    assert (
        row["unit"] == "NPRS 0-10"
        and row["interval"]
        == "95 % evidence interval of the population mean (8 members; Monte-Carlo error in mc_error)"
    )
    assert row["ci_high"] < -2 and row["mcid"] == 2  # the whole interval beyond the NPRS MCID
    assert row["separated"] and row["judgement"] == "beyond the MCID"
    assert row["verdict"] == "combined is lower than usual_care by more than the MCID (2 on NPRS 0-10)"
    # two copies of a plan: the same numbers for every patient in every member: fixed by design
    same = knee_comparison.differences(reference="exercise", days=[42], outcomes=["pain"])
    again = same[same["plan"] == "exercise_again"].iloc[0]
    assert again["mean_difference"] == 0 and not again["separated"]
    assert again["judgement"] == "fixed by design" and again["verdict"].startswith(
        "fixed by design: exercise_again minus exercise is +0 on NPRS 0-10, within the MCID of 2; every "
        "member of the evidence ensemble gives the same mean difference"
    )


def test_differences_without_an_ensemble_use_the_paired_t_interval():
    comp = ptsim.compare("knee_oa", {"a": "exercise_only", "b": "combined"}, n_patients=10, days=42, seed=5)
    table = comp.differences(days=[14, 42], outcomes=["pain", "rom"])
    assert set(table["reference"]) == {"a"}  # no usual care: the first plan
    row = table[(table["day"] == 42) & (table["outcome"] == "rom")].iloc[0]
    d = comp["b"].rom[:, 42] - comp["a"].rom[:, 42]
    low, high = stats.t.interval(0.95, 9, loc=d.mean(), scale=stats.sem(d))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["interval"] == "t 95 % CI of the mean" and row["unit"] == "deg" and row["n"] == 10
    assert row["separated"] == (low > 0 or high < 0)
    same = ptsim.compare("knee_oa", {"a": "exercise_only", "b": "exercise_only"}, n_patients=5, days=3)
    verdict = same.differences(days=[3], outcomes=["pain"])["verdict"].iloc[0]
    assert verdict.startswith("fixed by design: b minus a is +0 on NPRS 0-10") and "every patient" in verdict
    # separated but smaller than the MCID: general massage's relief three days after one session, in the
    # same patients (massage's parameters are assumptions the calibration does not fit: a little relief
    # in every patient, far below 2 NPRS points)
    plans = {"a": "usual_care", "b": "massage_only"}
    massage = ptsim.compare("knee_oa", plans, n_patients=10, days=3, seed=5)
    early = massage.differences(days=[3], outcomes=["pain"]).iloc[0]
    assert -2 < early.ci_low < early.ci_high < 0 and early.judgement == "smaller than the MCID"
    assert early.verdict == (
        "b is separated from a but by less than the MCID (2 on NPRS 0-10): not a clinically important "
        "difference"
    )
    # two patients: the t interval with one degree of freedom is about nine of their SDs wide either way
    two = ptsim.compare("knee_oa", {"a": "combined", "b": "combined_reversed"}, n_patients=2, days=42, seed=5)
    late = two.differences(days=[42], outcomes=["pain"]).iloc[0]
    assert late.ci_low < 0 < late.ci_high and late.verdict == "these patients cannot separate b from a"
    one = ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=1, days=3)
    row = one.differences(days=[3], outcomes=["pain"]).iloc[0]
    assert np.isnan(row["ci_low"]) and not row["separated"] and "one patient" in row["verdict"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(reference="manual_only"), "reference must be one of the compared plans"),
        (dict(days=[99]), r"summary days must be whole numbers in \[0, 42\]"),
        (dict(outcomes=["nope"]), "unknown outcome 'nope'"),
        (dict(level=95), "level must be a probability"),
    ],
)
def test_bad_difference_arguments_are_named(knee_comparison, kwargs, match):
    with pytest.raises(ValueError, match=match):
        knee_comparison.differences(**kwargs)


# --- trials -------------------------------------------------------------------------------------


def test_trial_patients_draw_one_member_each(stored):
    ens = _knee()
    t = ptsim.run_trial("knee_oa", ["usual_care", "exercise_only"], n_per_arm=12, seed=6, ensemble=True)
    data = t.to_frame()
    ids = data["patient_id"].to_numpy()
    assert (data["ensemble_member"].to_numpy() == draw_members(ens.n_members, ids, 6)).all()
    assert data["ensemble_member"].nunique() > 3  # True: any stored member
    spaced = ptsim.run_trial("knee_oa", ["usual_care", "exercise_only"], n_per_arm=12, seed=6, ensemble=2)
    assert set(spaced.to_frame()["ensemble_member"]) <= {0, 23}


def test_a_trial_patient_runs_with_their_member_values():
    cond = ptsim.load_condition("knee_oa")
    one = Ensemble("knee_oa", {"fitness_gain_pct_per_dose_min": np.array([0.9])})
    arms = ["usual_care", "exercise_only"]
    kw = dict(n_per_arm=6, seed=2, assess_days=[42], dropout=0.0, engine="numpy")
    drawn = ptsim.run_trial(cond, arms, ensemble=one, **kw).to_frame()
    fixed = ptsim.run_trial(cond.with_parameters(fitness_gain_pct_per_dose_min=0.9), arms, **kw).to_frame()
    plain = ptsim.run_trial(cond, arms, **kw).to_frame()
    column = "true_strength_pct_normal"
    np.testing.assert_allclose(drawn[column], fixed[column], rtol=1e-12)
    assert not np.allclose(drawn[column], plain[column])
    with pytest.raises(ValueError, match="scenario='premise' has no ensemble"):
        ptsim.run_trial(ptsim.load_condition("knee_oa", scenario="premise"), arms, ensemble=one, **kw)


# --- the command --------------------------------------------------------------------------------

TWIN_PLAN = """\
name = "{name}"
description = "the same plan under another name"
sessions_per_week = 2
weeks = 4

[session]
minutes = 45
components = [{{ kind = "exercise", minutes = 40, intensity = 0.7 }}]
"""


def _cli(capsys, *args):
    from ptsim.cli import commands

    status = commands.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_compare_command_reports_evidence_intervals_and_differences(stored, capsys, tmp_path):
    summary_csv = tmp_path / "summary.csv"
    args = ["--patients", "8", "--days", "42", "--plans", "usual_care,combined", "--outcomes", "pain"]
    status, out, err = _cli(
        capsys, "compare", *args, "--ensemble", "3", "--no-plot", "--summary-out", str(summary_csv)
    )
    assert status == 0, err
    assert "8 virtual patients x 3 evidence members" in out
    assert (
        "mean [95 % evidence interval of the population mean (3 members; Monte-Carlo error in mc_error)]"
        in out
    )
    assert "Monte-Carlo error of the interval ends (few members), at most: " in out
    assert "Differences from usual_care (the same patients)" in out and "combined - usual_care" in out
    comp = ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=8, days=42, ensemble=3)
    want = comp.summary(outcomes=["pain"])
    got = pd.read_csv(summary_csv)
    np.testing.assert_allclose(got["ci_low"], want["ci_low"], rtol=1e-9)
    assert (got["interval"] == want["interval"]).all()
    # without N: the default count (all 24 stored members would be more)
    status, out, _ = _cli(capsys, "compare", *args, "--ensemble", "--no-plot")
    assert status == 0 and f"x {DEFAULT_ENSEMBLE_MEMBERS} evidence members" in out


def test_compare_command_marks_differences_fixed_by_design(stored, capsys, tmp_path):
    for name in ("load_a", "load_b"):
        (tmp_path / f"{name}.toml").write_text(TWIN_PLAN.format(name=name), encoding="utf-8")
    plans = f"{tmp_path / 'load_a.toml'},{tmp_path / 'load_b.toml'}"
    status, out, err = _cli(
        capsys, "compare", "--patients", "5", "--days", "14", "--plans", plans, "--ensemble", "2", "--no-plot"
    )
    assert status == 0, err
    assert "+0.0 [+0.0, +0.0] =" in out and "~" not in out  # the same plan twice: no uncertainty to show
    assert (
        "= load_b - load_a: fixed by design, the same in every member or patient (rom day 0, rom day 14"
        in out
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--ensemble", "0"], "argument --ensemble: expected a whole number >= 1, got '0'"),
        (["--ensemble", "x"], "argument --ensemble: expected a whole number >= 1, got 'x'"),
        (
            ["--ensemble", "25"],
            "--ensemble: 25 members asked for, but the stored ensemble of 'knee_oa' has 24",
        ),
        (
            ["--ensemble", "--condition", "chronic_neck_pain"],
            "Make one with `python -m ptsim.analysis.bayes chronic_neck_pain`",
        ),
    ],
)
def test_compare_command_ensemble_errors_are_one_line(stored, capsys, args, fragment):
    status, _, err = _cli(capsys, "compare", "--patients", "3", "--days", "5", "--no-plot", *args)
    assert status == 2 and fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_trial_command_draws_each_patient_a_member(stored, capsys, tmp_path):
    out_csv = tmp_path / "trial.csv"
    status, out, err = _cli(
        capsys, "trial", "--n-per-arm", "6", "--ensemble", "2", "--outcomes", "pain", "--out", str(out_csv)
    )
    assert status == 0, err
    assert "each patient drawn from the evidence ensemble" in out
    data = pd.read_csv(out_csv)
    assert set(data["ensemble_member"]) <= {0, 23} and data["ensemble_member"].nunique() == 2
    status, _, err = _cli(capsys, "trial", "--ensemble", "--condition", "chronic_neck_pain")
    assert status == 2 and "python -m ptsim.analysis.bayes chronic_neck_pain" in err


# --- figures and the compare-plans app (the dashboard) --------------------------------------------


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_trajectory_bands_of_an_ensemble_say_what_they_hold():
    from ptsim.teaching.plotting import ENSEMBLE_BAND, plot_trajectories

    part = Ensemble("knee_oa", {k: v[:3] for k, v in _knee().values.items()})
    kw = dict(n_patients=6, days=20, engine="numpy")
    comp = ptsim.compare("knee_oa", ["usual_care", "combined"], ensemble=part, **kw)
    fig = plot_trajectories(comp, outcomes=["pain"])
    assert f"band: {ENSEMBLE_BAND}" in _legend_texts(fig)
    assert "6 virtual patients x 3 evidence members" in fig._suptitle.get_text()
    # the band is over every row: patients under every member
    lo, _ = np.percentile(
        np.column_stack([comp["combined"].baseline("pain"), comp["combined"].pain]), [10, 90], 0
    )
    band = fig._ptsim_trajectories["bands"]["pain", "combined"]
    np.testing.assert_allclose(band.get_paths()[0].vertices[1 : len(lo) + 1, 1], lo)
    plain = plot_trajectories(ptsim.compare("knee_oa", ["usual_care", "combined"], **kw), outcomes=["pain"])
    assert not any(ENSEMBLE_BAND in t for t in _legend_texts(plain))
    # a figure drawn without an ensemble is redrawn (not reused) for one with it
    assert f"band: {ENSEMBLE_BAND}" in _legend_texts(plot_trajectories(comp, outcomes=["pain"], fig=plain))


def test_compare_app_has_an_evidence_uncertainty_control(stored):
    from ptsim.teaching import lessons, widgets
    from ptsim.teaching.computations import NOT_SEPARATED

    app = widgets.compare_plans_app()
    assert app.controls["ensemble"].value is False  # off by default: the first render stays fast
    off = app.update(n_patients=50, weeks=2)
    assert list(off.columns) == ["manual_only", "exercise_only", "combined"]
    on = app.update(n_patients=50, weeks=2, ensemble=DEFAULT_ENSEMBLE_MEMBERS)
    assert app.error is None
    assert {"manual_only - combined", "exercise_only - combined"} <= set(on.columns)
    comp = lessons.compare_plans(
        n_patients=50, weeks=2, home_adherence=0.6, ensemble=DEFAULT_ENSEMBLE_MEMBERS
    )
    d = comp.differences("combined", days=[14], outcomes=["pain"])
    row = d[d["plan"] == "exercise_only"].iloc[0]
    cell = on.loc[("pain (NPRS 0-10)", 14), "exercise_only - combined"]
    assert cell.startswith(f"{row['mean_difference']:+.1f} [{row['ci_low']:+.1f}, {row['ci_high']:+.1f}]")
    assert cell.endswith(NOT_SEPARATED) == (row["judgement"] == "not separated")
    assert f"{DEFAULT_ENSEMBLE_MEMBERS} evidence members" in app.alt and "evidence uncertainty" in app.alt
    assert "95 % evidence interval of the population mean (20 members" in app.caption
    # a condition without a stored ensemble: a short message, never a traceback
    assert app.update(condition="chronic_neck_pain", n_patients=50, ensemble=DEFAULT_ENSEMBLE_MEMBERS) is None
    assert "No evidence ensemble is stored" in app.error and "Traceback" not in app.message.value


# --- intervals named for what they are: MCID verdicts, Monte-Carlo error, the next trial ----------


def test_a_tiny_separated_difference_is_never_called_higher():
    """issue 24: "massage_only is higher than usual_care" was printed for +0.004 deg."""
    from ptsim.core.intervals import MCID, RESOLUTION, judge

    rom = judge(
        "massage_only", "usual_care", 0.004, 0.002, 0.006, "deg", None, RESOLUTION["rom"], "the evidence"
    )
    assert rom.kind == "below the instrument's resolution" and "higher" not in rom.words
    pain = judge(
        "b", "a", -0.3, -0.5, -0.1, "NPRS 0-10", MCID["pain_points"], RESOLUTION["pain"], "the evidence"
    )
    assert pain.kind == "smaller than the MCID" and "lower" not in pain.words
    straddle = judge("b", "a", -2.2, -3.0, -1.5, "NPRS 0-10", MCID["pain_points"], None, "the evidence")
    assert straddle.kind == "separated, MCID undecided"


def test_one_member_is_refused_not_shown_as_a_point_interval():
    with pytest.raises(ValueError, match=r"^ensemble: 1 member gives no evidence interval"):
        ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=3, days=7, ensemble=1)


def test_evidence_interval_states_its_monte_carlo_error(knee_comparison):
    """The ends of a 2.5-97.5 % interval over 8 members move when other members are drawn: the
    bootstrap error over members is stated, and it shrinks as members are added (24 stored)."""
    row = knee_comparison.summary(days=[42], outcomes=["pain"]).iloc[1]
    assert row["mc_error"] > 0.02 * (row["ci_high"] - row["ci_low"])
    many = ptsim.compare("knee_oa", ["combined"], n_patients=15, days=42, seed=1, ensemble=24, engine="numpy")
    assert many.summary(days=[42], outcomes=["pain"])["mc_error"].iloc[0] < row["mc_error"]
    baseline = knee_comparison.summary(days=["baseline"], outcomes=["pain"]).iloc[0]
    assert baseline["ci_low"] == baseline["ci_high"] and baseline["fixed_by_design"]


def test_next_trial_interval_adds_heterogeneity_and_trial_size(knee_comparison):
    from ptsim.core.intervals import HETEROGENEITY_TAU_SMD

    small = knee_comparison.differences(days=[42], outcomes=["pain"], n_per_arm=20).iloc[0]
    large = knee_comparison.differences(days=[42], outcomes=["pain"], n_per_arm=2000).iloc[0]
    comb, ref = knee_comparison["combined"], knee_comparison["usual_care"]
    # tau is the Rhodes et al. median in SMD units times the pooled within-member patient SD
    within = [np.var(r.pain[r.ensemble_member == j, 42], ddof=1) for r in (comb, ref) for j in comb.members]
    assert small["tau"] == pytest.approx(
        HETEROGENEITY_TAU_SMD["pain"][0] * np.sqrt(np.mean(within)), rel=0.05
    )
    for row in (small, large):  # wider than the evidence interval on both sides
        assert row["next_trial_low"] < row["ci_low"] and row["next_trial_high"] > row["ci_high"]
    assert (
        large["next_trial_high"] - large["next_trial_low"]
        < small["next_trial_high"] - small["next_trial_low"]
    )
    assert (
        large["next_trial_high"] - large["next_trial_low"] > 2 * 1.95 * large["tau"]
    )  # tau never averages out
    assert small["next_trial_interval"] == (
        "95 % next-trial interval: a new trial of 20 per arm, between-trial tau 0.221 patient SD, 8 members"
    )
    plain = ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=15, days=42, seed=1)
    label = plain.differences(days=[42], outcomes=["pain"], n_per_arm=20)["next_trial_interval"].iloc[0]
    assert label.endswith("the evidence's uncertainty left out (ensemble=False)")
