"""Evidence tables, calibration and the evidence report (issue 3)."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

import ptsim
from ptsim.analysis import calibrate
from tests.conftest import CONDITIONS

ROOT = Path(__file__).resolve().parents[1]
TARGETS_CSV = ROOT / "data" / "evidence" / "targets.csv"


@pytest.fixture(scope="module")
def full_report():
    return calibrate.report()


# --- the evidence tables -------------------------------------------------------------------------


def test_evidence_covers_the_required_ground():
    targets = calibrate.load_targets()
    used = [t for t in targets if t.use == "calibration"]
    assert len(used) >= 12
    assert len({t.condition for t in used}) >= 4
    stats = {t.statistic for t in used}
    # acute manual-therapy effect and its decay, strength time course, detraining, natural history,
    # adherence and clinic trials
    assert {"immediate_change", "transient_remaining_pct", "structural_dominant_day"} <= stats
    assert {"pct_change_after_discharge", "pct_of_baseline", "home_missed_pct", "responder_pct"} <= stats
    for t in targets:
        assert t.source and t.checked and t.model_quantity
        assert t.low <= t.published <= t.high


def test_every_shipped_condition_has_calibration_targets_and_a_calibrated_layer():
    targets = calibrate.load_targets()
    for name in CONDITIONS:
        assert any(t.condition == name and t.use == "calibration" for t in targets), name
        cond = ptsim.load_condition(name)
        assert cond.calibration is not None, f"{name} has no calibrated layer"
        raw = ptsim.load_condition(name, calibrated=False)
        assert raw.calibration is None
        for key, value in cond.calibration["values"].items():
            assert calibrate.get_value(cond, key) == value
            assert calibrate.get_value(raw, key) == cond.calibration["defaults"][key]
            assert f"calibrated.{key}" in cond.sources


def _write_rows(tmp_path, edit):
    with open(TARGETS_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    edit(rows[0])
    path = tmp_path / "bad.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, calibrate.COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("source", "", "a citation"),
        ("condition", "tennis_elbow", "one of"),
        ("published", "about two", "a number"),
        ("low", "", "a number"),
        ("day", "two", "an integer"),
        ("arm", "no_such_arm", "an arm of arms.toml"),
        ("statistic", "mode", "one of"),
        ("use", "maybe", "one of"),
    ],
)
def test_malformed_rows_name_file_line_and_column(tmp_path, column, value, expected):
    path = _write_rows(tmp_path, lambda row: row.__setitem__(column, value))
    with pytest.raises(ValueError) as err:
        calibrate.load_targets(path)
    msg = str(err.value)
    assert str(path) in msg and "line 2" in msg and f"column '{column}'" in msg and expected in msg


def test_interval_must_surround_the_published_value(tmp_path):
    path = _write_rows(tmp_path, lambda row: row.__setitem__("high", str(float(row["published"]) - 1)))
    with pytest.raises(ValueError, match="low <= published <= high"):
        calibrate.load_targets(path)


def test_missing_files_and_columns(tmp_path):
    with pytest.raises(FileNotFoundError):
        calibrate.load_targets(tmp_path / "nothing.csv")
    bad = tmp_path / "short.csv"
    bad.write_text("id,condition\nx,knee_oa\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        calibrate.load_targets(bad)


# --- the report ---------------------------------------------------------------------------------


def test_report_columns(full_report):
    """The v1 report of targets.csv. Since calibration v2 the shipped layers are fitted on
    published.csv (ptsim.analysis.bayes), so the v1 rows are an outside check, no longer a fit: how
    many fall within is reported by ``python -m ptsim.analysis.calibrate --report``, and "every v1
    target within" was a property of the v1 fit (test_fit_recovers_known_parameters... tests the fit)."""
    df = full_report
    for col in ("condition", "target", "source", "published", "simulated", "tolerance", "within"):
        assert col in df.columns
    assert set(df.condition) == set(CONDITIONS)
    assert np.allclose(df.tolerance, (df.high - df.low) / 2)
    assert (df.within == ((df.simulated >= df.low) & (df.simulated <= df.high))).all()


def test_known_gaps_are_reported_not_hidden(full_report):
    gaps = full_report[full_report.use == "known_gap"]
    # Known gaps stay in the report with their simulated value, so the notebook can show them.
    assert len(gaps) >= 1
    targets = {t.id: t for t in calibrate.load_targets()}
    for tid in gaps.target:
        assert targets[tid].use == "known_gap"


def test_report_is_live_parameters_move_dependent_targets():
    # Values set outright, not scaled from the calibrated ones: the calibrated joint-mobilization relief
    # can be so small that half as much again moves the target by less than the check's 0.1 NPRS.
    cond = ptsim.load_condition("knee_oa").with_parameters(joint_mobilization_relief_max_frac=0.1)
    base = calibrate.report(cond).set_index("target").simulated
    p = cond.parameters
    stronger = cond.with_parameters(
        joint_mobilization_relief_max_frac=0.4,
        fitness_gain_pct_per_dose_min=p["fitness_gain_pct_per_dose_min"] * 0.5,
    )
    moved = calibrate.report(stronger).set_index("target").simulated
    assert moved["knee_mwm_pain_immediate"] < base["knee_mwm_pain_immediate"] - 0.1  # more relief
    assert moved["knee_strength_12wk"] < base["knee_strength_12wk"] - 3  # slower strength gains
    # A target that depends on neither stays put (common random numbers): home adherence under
    # exercise_only involves no manual therapy and does not depend on strength.
    assert moved["knee_home_nonadherence"] == base["knee_home_nonadherence"]
    lbp = ptsim.load_condition("low_back_pain")
    longer = calibrate.with_values(
        lbp, {"natural_history.pain_tau_days": lbp.natural_history["pain_tau_days"] * 2}
    )
    a = calibrate.report(lbp).set_index("target").simulated
    b = calibrate.report(longer).set_index("target").simulated
    assert b["lbp_costa_6wk"] > a["lbp_costa_6wk"] + 5


def test_simulated_targets_are_deterministic():
    a = calibrate.simulate_targets("chronic_neck_pain", n_patients=60, seed=3)
    b = calibrate.simulate_targets("chronic_neck_pain", n_patients=60, seed=3)
    assert np.array_equal(a, b, equal_nan=True)


def test_report_rejects_unknown_condition():
    with pytest.raises(ValueError, match="unknown condition"):
        calibrate.report("tennis_elbow")


# --- calibration ---------------------------------------------------------------------------------


def _synthetic(cond, specs, truth, n_patients):
    """Targets whose published values are the model's own output at ``truth``."""
    arms = calibrate.load_arms()
    targets = [
        calibrate.Target(
            id=f"synthetic_{i}",
            condition=cond.name,
            arm=arm,
            comparator=comp,
            outcome="pain",
            statistic=stat,
            day=day,
            minute=minute,
            unit="NPRS points",
            published=0.0,
            low=-1.0,
            high=1.0,
            interval="synthetic",
            n=None,
            source="synthetic (generated by the model)",
            model_quantity="test",
            use="calibration",
            checked="synthetic",
        )
        for i, (arm, comp, stat, day, minute) in enumerate(specs)
    ]
    values = calibrate.simulate_targets(
        calibrate.with_values(cond, truth), targets, n_patients=n_patients, arms=arms
    )
    out = []
    for t, v in zip(targets, values, strict=True):
        half = 0.05 * max(abs(v), 0.1)  # a narrow published interval, 5 % of the value
        out.append(calibrate.Target(**{**t.__dict__, "published": v, "low": v - half, "high": v + half}))
    return out, arms


def test_fit_recovers_known_parameters_from_synthetic_targets():
    """Identifiability: the fit finds the parameters that generated the targets (within 5 %)."""
    cond = ptsim.load_condition("knee_oa", calibrated=False)
    truth = {
        "joint_mobilization_relief_max_frac": 0.35,
        "joint_mobilization_pain_drop_frac": 0.40,
        "sensitization_tau_days": 6.0,
    }
    specs = [
        ("single_mwm_knee", "", "immediate_change", None, 0.0),
        ("single_mwm_knee", "usual_care", "change", 1, None),
        ("single_mwm_knee", "usual_care", "change", 3, None),
        ("single_mwm_knee", "usual_care", "change", 6, None),
    ]
    targets, arms = _synthetic(cond, specs, truth, n_patients=40)
    bounds = {
        "joint_mobilization_relief_max_frac": (0.05, 0.9),
        "joint_mobilization_pain_drop_frac": (0.0, 0.8),
        "sensitization_tau_days": (0.5, 14.0),
    }
    cal = calibrate.fit(cond, bounds, targets, n_patients=40, max_nfev=40, arms=arms)
    for name, value in truth.items():
        assert cal.start[name] != pytest.approx(value, rel=0.05)  # the fit had to move
        assert cal.values[name] == pytest.approx(value, rel=0.05), name
    assert cal.all_within


def test_free_parameter_bounds_are_validated(tmp_path):
    path = tmp_path / "calibration.toml"
    path.write_text("[knee_oa]\nfitness_tau_days = { low = 1, high = 80 }\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must lie inside the parameter's range"):
        calibrate.free_parameters("knee_oa", path)
    path.write_text("[knee_oa]\nno_such_parameter = { low = 0, high = 1 }\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown parameter"):
        calibrate.free_parameters("knee_oa", path)
    for name in CONDITIONS:
        assert calibrate.free_parameters(name)


def test_written_layer_round_trips(tmp_path):
    cond = ptsim.load_condition("adhesive_capsulitis")
    targets = [t for t in calibrate.load_targets() if t.condition == cond.name and t.use == "calibration"]
    sims = calibrate.simulate_targets(cond, targets)
    res = np.array([calibrate.standardized_residual(s, t) for s, t in zip(sims, targets, strict=True)])
    cal = calibrate.Calibration(
        condition=cond.name,
        values={"joint_mobilization_remodel_per_min": 0.0123, "natural_history.rom_tau_days": 321.0},
        start={},
        defaults={"joint_mobilization_remodel_per_min": 0.004, "natural_history.rom_tau_days": 400.0},
        bounds={"joint_mobilization_remodel_per_min": (0, 0.05), "natural_history.rom_tau_days": (1, 5000)},
        targets=[t.id for t in targets],
        published=np.array([t.published for t in targets]),
        simulated=sims,
        residuals=res,
        cost=float(0.5 * (res**2).sum()),
        success=True,
        message="test",
        nfev=1,
        n_patients=200,
        seed=0,
    )
    path = calibrate.write_calibration(cal, tmp_path)
    from ptsim.inputs.conditions import apply_calibration

    applied = apply_calibration(ptsim.load_condition(cond.name, calibrated=False), path)
    assert applied.parameters["joint_mobilization_remodel_per_min"] == pytest.approx(0.0123)
    assert applied.natural_history["rom_tau_days"] == pytest.approx(321.0)
    assert "calibrated.natural_history.rom_tau_days" in applied.sources


def test_malformed_layer_names_file_and_key(tmp_path):
    from ptsim.inputs.conditions import apply_calibration

    path = tmp_path / "knee_oa.toml"
    path.write_text(
        '[calibration]\ndate = "2026-01-01"\nevidence_rows = ["x"]\n'
        "[parameters]\nfitness_tau_days = { value = 500 }\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"knee_oa.toml: key 'parameters.fitness_tau_days.value'"):
        apply_calibration(ptsim.load_condition("knee_oa"), path)


# --- documentation and figures ------------------------------------------------------------------


def test_model_document_is_up_to_date_and_shows_calibrated_values():
    from ptsim.cli.docs import render

    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert render(doc) == doc, "docs/model.md is out of date: run `python -m ptsim.cli.docs`"
    assert "| calibrated |" in doc and "calibrated `" in doc


def test_plot_evidence(full_report):
    from matplotlib.figure import Figure

    from ptsim.teaching.plotting import plot_evidence

    fig = plot_evidence(full_report.head(6), ncols=3)
    assert isinstance(fig, Figure)
    assert "of 6 targets" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="lacks column"):
        plot_evidence(full_report[["condition", "target"]])
    with pytest.raises(ValueError, match="ncols"):
        plot_evidence(full_report, ncols=0)


def test_nan_simulation_counts_as_far_outside():
    t = calibrate.load_targets()[0]
    assert calibrate.standardized_residual(math.nan, t) == calibrate.NAN_RESIDUAL


def test_known_gap_needs_a_reason(tmp_path):
    def edit(row):
        row["use"], row["note"] = "known_gap", ""

    path = _write_rows(tmp_path, edit)
    with pytest.raises(ValueError, match=r"line 2 .*column 'note'"):
        calibrate.load_targets(path)
