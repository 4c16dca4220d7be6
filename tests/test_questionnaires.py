"""Each condition's questionnaire (WOMAC, NDI, RMDQ, SPADI): scale, MCID, a bounded monotone mapping from
the model's state, and reports on its own scale in results, summaries, trials and the CLI."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptsim
from ptsim.analysis.outcomes import measure, measure_baseline, questionnaire_responders
from ptsim.analysis.trial import run_trial
from ptsim.core.questionnaires import Questionnaire
from ptsim.inputs.conditions import conditions_dir, parse_condition

SETTINGS = settings(
    max_examples=int(os.environ.get("PTSIM_HYPOTHESIS_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

PINNED = {
    "knee_oa": ("womac", 0, 100, "points", 9),
    "chronic_neck_pain": ("ndi", 0, 50, "points", 9.5),
    "low_back_pain": ("rmdq", 0, 24, "points", 5),
    "adhesive_capsulitis": ("spadi", 0, 100, "points", 10.5),
    "subacromial_pain": ("spadi", 0, 100, "points", 10.5),
}
"""The questionnaires of the conditions shipped before hip OA, pinned as they were verified."""


def _expected(name):
    """A condition's expected questionnaire: pinned, or else its verified row of instruments.csv (so a
    condition added as data is tested without editing this file)."""
    if name in PINNED:
        return PINNED[name]
    from ptsim.analysis.evidence import instruments

    row = instruments().set_index("condition").loc[name]
    return (row.instrument.split("_")[0].lower(), row.scale_min, row.scale_max, "points", row.mcid)


def test_questionnaires_agree_with_the_evidence_table():
    """The condition files' scales and MCIDs are the verified rows of data/evidence/instruments.csv."""
    from ptsim.analysis.evidence import instruments

    table = instruments().set_index("condition")
    for name in ptsim.list_conditions():
        q, row = ptsim.load_condition(name).questionnaire, table.loc[name]
        assert q.column == row.instrument.lower()
        assert (q.scale_min, q.scale_max, q.higher_is_worse) == (
            row.scale_min,
            row.scale_max,
            row.higher_is_worse,
        )
        assert q.mcid_kind == "points" and q.mcid == row.mcid


@pytest.mark.parametrize("name", ptsim.list_conditions())
def test_each_condition_names_its_questionnaire_with_sources(name):
    q = ptsim.load_condition(name).questionnaire
    qname, low, high, kind, mcid = _expected(name)
    assert (q.name, q.scale_min, q.scale_max, q.mcid_kind, q.mcid) == (qname, low, high, kind, mcid)
    assert q.higher_is_worse
    assert sum(q.weights) == pytest.approx(1.0)
    for key in ("scale_min", "scale_max", f"mcid_{kind}", "weight_pain", "weight_rom", "weight_strength"):
        assert q.sources[key].strip(), key
    # a weight no source gives is called an assumption
    assert all("assumption" in q.sources[f"weight_{w}"] for w in ("pain", "rom", "strength"))


@st.composite
def states(draw):
    normal = draw(st.floats(30, 200))
    pain = draw(st.floats(0, 10))
    rom = draw(st.floats(0, 1)) * normal
    strength = draw(st.floats(0, 200))
    return pain, rom, strength, normal


@SETTINGS
@given(
    st.sampled_from(ptsim.list_conditions()),
    states(),
    st.floats(0, 10),
    st.floats(0, 1),
    st.floats(0, 200),
)
def test_mapping_is_bounded_and_monotone(name, state, d_pain, d_rom_share, d_strength):
    q = ptsim.load_condition(name).questionnaire
    pain, rom, strength, normal = state
    s0 = float(q.score(pain, rom, strength, normal))
    assert q.scale_min <= s0 <= q.scale_max
    # more pain never lowers the score; more range or strength never raises it (higher is worse)
    worse_pain = min(pain + d_pain, 10.0)
    more_rom = min(rom + d_rom_share * normal, normal)
    assert q.score(worse_pain, rom, strength, normal) >= s0 - 1e-9
    assert q.score(pain, more_rom, strength, normal) <= s0 + 1e-9
    assert q.score(pain, rom, strength + d_strength, normal) <= s0 + 1e-9


@pytest.mark.parametrize("name", ptsim.list_conditions())
def test_the_ends_of_the_scale(name):
    q = ptsim.load_condition(name).questionnaire
    assert q.score(0.0, 90.0, 100.0, 90.0) == q.scale_min  # no impairment: the best end
    # every impairment at its worst: the worst end (up to the rounding of weights summing to 1)
    assert q.score(10.0, 0.0, 0.0, 90.0) == pytest.approx(q.scale_max, rel=1e-12)
    # a direction 'higher is better' turns the scale around
    flipped = Questionnaire(**{**q.__dict__, "higher_is_worse": False})
    assert flipped.score(0.0, 90.0, 100.0, 90.0) == q.scale_max


def test_the_mapping_refuses_inputs_outside_their_domain():
    q = ptsim.load_condition("knee_oa").questionnaire
    with pytest.raises(ValueError, match=r"pain_nprs must be in \[0, 10\], got 11"):
        q.score(11.0, 100.0, 60.0, 135.0)
    with pytest.raises(ValueError, match=r"rom_deg must be in \[0, 135\]"):
        q.score(5.0, 150.0, 60.0, 135.0)
    with pytest.raises(ValueError, match="strength_pct_normal"):
        q.score(5.0, 100.0, np.nan, 135.0)


def test_responders_by_points_and_by_percent():
    ndi = ptsim.load_condition("chronic_neck_pain")  # 9.5 points
    hits = questionnaire_responders(ndi, [30.0, 30.0, 5.0], [20.5, 21.0, 0.0])
    assert hits.tolist() == [True, False, False]
    # a percent-of-baseline MCID counts from the scale's best end
    q = ptsim.load_condition("knee_oa").questionnaire
    pct = Questionnaire(**{**q.__dict__, "mcid": 20.0, "mcid_kind": "percent_of_baseline"})
    hits = pct.responders(np.array([50.0, 50.0, 0.0]), np.array([40.0, 41.0, 0.0]))
    assert hits.tolist() == [True, False, False]


def test_results_and_summary_report_on_the_questionnaire_scale():
    comp = ptsim.compare("knee_oa", n_patients=40, days=100, seed=3)
    res = comp["combined"]
    womac = res.outcome("womac")
    assert womac.shape == res.pain.shape
    assert np.array_equal(womac, res.outcome("questionnaire"))
    q = res.questionnaire
    expected = q.score(res.pain, res.rom, res.strength, res.condition.rom_normal_deg)
    assert np.array_equal(womac, expected)
    assert ((womac >= 0) & (womac <= 100)).all()
    # treatment lowers WOMAC against usual care (the same patients)
    assert womac[:, 42].mean() < comp["usual_care"].outcome("womac")[:, 42].mean()
    table = comp.summary(outcomes=["womac", "pain"])
    row = table[(table.plan == "combined") & (table.outcome == "womac") & (table.day == 42)].iloc[0]
    assert row.unit == "WOMAC 0-100 (higher is worse)"
    assert row["mean"] == pytest.approx(womac[:, 42].mean())
    with pytest.raises(
        ValueError, match="unknown outcome 'ndi'; accepted: rom, pain, strength, function, womac"
    ):
        comp.summary(outcomes=["ndi"])


def test_measurements_and_trials_carry_the_questionnaire():
    res = ptsim.simulate("chronic_neck_pain", "combined", n_patients=30, days=50, seed=1)
    m = measure(res, [0, 42], seed=1)
    cond = res.condition
    q = cond.questionnaire
    rom = np.minimum(m["rom_deg"], cond.rom_normal_deg)
    assert np.allclose(
        m["ndi_0_50"], q.score(m["pain_nprs"], rom, m["strength_pct_normal"], cond.rom_normal_deg)
    )
    assert "ndi_0_50" in measure_baseline(res.cohort, cond, seed=1).columns

    trial = run_trial("chronic_neck_pain", ["usual_care", "combined"], n_per_arm=40, seed=2, assess_days=[42])
    eff = trial.effects("ndi")
    assert eff.outcome.iloc[0] == "ndi_0_50" and eff.estimate.iloc[0] < 0
    assert trial.effects("questionnaire").estimate.iloc[0] == eff.estimate.iloc[0]
    resp = trial.responders("ndi")
    df = trial.to_frame()
    day = df[(df.day == 42) & df.observed]
    hit = (day["baseline_ndi_0_50"] - day["ndi_0_50"]) >= 9.5
    for r in resp.itertuples():
        assert r.responders == hit[day.arm == r.arm].sum()
    with pytest.raises(ValueError, match="responders use its MCID"):
        trial.responders("ndi", rule="points")
    with pytest.raises(ValueError, match="unknown outcome 'womac'"):
        trial.effects("womac")


KNEE = (conditions_dir() / "knee_oa.toml").read_text()


@pytest.mark.parametrize(
    "old, new, key",
    [
        ('name = "womac"', 'name = "WOMAC"', "questionnaire.name"),
        ("higher_is_worse = true", 'higher_is_worse = "yes"', "questionnaire.higher_is_worse"),
        (
            "weight_pain = { value = 0.5625",
            "weight_pain = { value = 0.6",
            "questionnaire': expected weight_pain",
        ),
        ("weight_rom = { value = 0.225", "weight_rom = { value = -0.1", "questionnaire.weight_rom.value"),
        (
            "mcid_points",
            "mcid_pts",
            "questionnaire.mcid_pts': unknown key in table [questionnaire]; did you mean 'mcid_points'?",
        ),
        ("scale_max = { value = 100,", "scale_max = { value = -5,", "questionnaire.scale_max"),
        ("mcid_points = { value = 9,", "mcid_points = { value = 0,", "mcid"),
        ("mcid_points = { value = 9,", "mcid_points = { value = 200,", "questionnaire.mcid_points.value"),
    ],
)
def test_malformed_questionnaire_tables_name_file_and_key(old, new, key):
    assert old in KNEE
    with pytest.raises(ValueError, match="knee.toml: key '") as info:
        parse_condition(KNEE.replace(old, new, 1), "knee.toml")
    assert key in str(info.value)


def test_a_condition_without_a_questionnaire_says_so():
    text = KNEE.split("[questionnaire]")[0]
    cond = parse_condition(text, "mine.toml")
    assert cond.questionnaire is None
    res = ptsim.simulate(cond, "combined", n_patients=3, days=5)
    with pytest.raises(ValueError, match="unknown outcome 'womac'; accepted: rom, pain, strength, function$"):
        res.outcome("womac")


def test_cli_reports_the_questionnaire(capsys):
    from ptsim.cli.commands import main

    status = main(
        ["compare", "--condition", "low_back_pain", "--plans", "usual_care,exercise_only", "--patients", "20",
         "--days", "50", "--outcomes", "rmdq", "--no-plot", "--quiet"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0 and "RMDQ 0-24 (higher is worse)" in out and "NPRS" not in out
    status = main(["compare", "--outcomes", "rmdq", "--no-plot", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and "--outcomes: knee_oa does not report 'rmdq'" in err
    status = main(
        ["trial", "--condition", "chronic_neck_pain", "--n-per-arm", "15", "--outcomes", "ndi", "--quiet"]
    )
    out = capsys.readouterr().out
    assert status == 0 and "ndi_0_50" in out and "NDI responders (improved by the MCID, 9.5 points)" in out


def test_dashboard_outcome_choice_shows_the_questionnaire():
    from ptsim.teaching import widgets

    app = widgets.compare_plans_app()
    table = app.update(n_patients=50, outcomes="questionnaire", condition="chronic_neck_pain")
    assert app.error is None
    labels = {o for o, _ in table.index}
    assert "ndi (NDI 0-50 (higher is worse))" in labels and "rom (deg)" not in labels
    assert any("NDI" in ax.get_ylabel() for ax in app.figure.axes)
