"""Condition files: every shipped file is valid and sourced; malformed files name file, key, expectation."""

import re

import pytest

import ptsim
from ptsim.core.parameters import PARAMETERS
from ptsim.inputs.conditions import BASELINE_KEYS, NATURAL_HISTORY_KEYS, conditions_dir, parse_condition

KNEE = (conditions_dir() / "knee_oa.toml").read_text()


def test_every_number_in_every_shipped_condition_has_a_source():
    for name in ptsim.list_conditions():
        c = ptsim.load_condition(name)
        expected = (
            {"condition.rom_normal_deg"}
            | {f"tissue_shares.{t}" for t in c.tissue_shares}
            | {f"baseline.{k}" for k in BASELINE_KEYS}
            | {f"natural_history.{k}" for k in NATURAL_HISTORY_KEYS}
            | {f"manual_therapy.{t}" for t in c.manual_therapy}
        )
        assert expected <= set(c.sources), name
        assert all(src.strip() for src in c.sources.values())


def test_every_model_parameter_has_a_source_or_is_an_assumption():
    for p in PARAMETERS.values():
        assert p.source.strip(), p.name
        assert p.low <= p.default <= p.high, p.name
        # Units live in the names (or the quantity is a dimensionless share / coefficient).
        assert re.search(r"_(min|days|frac|nprs|pct|per|coef|ratio)(_|$)|^function_weight_", p.name), p.name


def test_load_by_path(tmp_path):
    path = tmp_path / "my_knee.toml"
    path.write_text(KNEE.replace('name = "knee_oa"', 'name = "my_knee"'))
    cond = ptsim.load_condition(path)
    assert cond.name == "my_knee" and cond.path == str(path)
    assert ptsim.load_condition(str(path)).name == "my_knee"


def _broken(old, new):
    assert old in KNEE, old
    return KNEE.replace(old, new, 1)


@pytest.mark.parametrize(
    "text, key, expected",
    [
        (_broken("[condition]", "[condition"), None, "not valid TOML"),
        (_broken('name = "knee_oa"', 'name = "Knee OA!"'), "condition.name", "identifier"),
        (
            _broken("rom_normal_deg = { value = 135,", 'rom_normal_deg = { value = "135",'),
            "condition.rom_normal_deg.value",
            "a finite number",
        ),
        (
            _broken("rom_normal_deg = { value = 135, source", "rom_normal_deg = { value = 135, sauce"),
            "condition.rom_normal_deg.sauce",
            "unknown key in table \\[condition.rom_normal_deg\\]; did you mean 'source'\\?",
        ),
        (
            _broken("rom_normal_deg = { value = 135,", "rom_normal_deg = { value = -5,"),
            "condition.rom_normal_deg.value",
            "in \\[1, 360\\]",
        ),
        (_broken("capsule = { value = 0.6", "capsule = { value = 0.9"), "tissue_shares", "summing to 1"),
        (
            _broken("pain_nprs = { mean = 6.3", "pain_nprs = { mean = 12"),
            "baseline.pain_nprs.mean",
            "in \\[0, 10\\]",
        ),
        (
            _broken("pain_nprs = { mean = 6.3, sd = 1.7", "pain_nprs = { mean = 6.3, sd = nan"),
            "baseline.pain_nprs.sd",
            "finite",
        ),
        (
            _broken(
                "home_adherence_prob = { mean = 0.6, sd = 0.2", "home_adherence_prob = { mean = 0.6, sd = 0.6"
            ),
            "baseline.home_adherence_prob.sd",
            "SD below",
        ),
        (
            _broken("pain_tau_days = { value = 365", "pain_tau_days = { value = 0"),
            "natural_history.pain_tau_days.value",
            "number in",
        ),
        (
            _broken(
                "joint_mobilization = { share = 0.6, grade = 3",
                "joint_mobilization = { share = 0.6, grade = 5",
            ),
            "manual_therapy.joint_mobilization.grade",
            "grade 1, 2, 3 or 4",
        ),
        (
            _broken("joint_mobilization = { share = 0.6", "spinal_manipulation = { share = 0.6"),
            "manual_therapy.spinal_manipulation",
            "one of joint_mobilization",
        ),
        (
            KNEE + '\n[response]\nwindow_tau = { value = 10, source = "x" }\n',
            "response.window_tau",
            "model parameter name",
        ),
        (
            KNEE + '\n[response]\nwindow_tau_min = { value = 100, source = "x" }\n',
            "response.window_tau_min.value",
            "number in",
        ),
        (KNEE.replace("[natural_history]", "[natural_historyX]"), "natural_history", "a table"),
    ],
)
def test_malformed_files_name_file_key_and_expectation(text, key, expected):
    with pytest.raises(ValueError) as err:
        parse_condition(text, "my_condition.toml")
    msg = str(err.value)
    assert msg.startswith("my_condition.toml: ")
    if key:
        assert f"key '{key}'" in msg
    assert re.search(expected, msg), msg


def test_response_override_is_applied_and_sourced():
    text = KNEE + '\n[response]\nwindow_tau_min = { value = 10, source = "my reading of Honoré 2019" }\n'
    cond = parse_condition(text, "x.toml")
    assert cond.parameters["window_tau_min"] == 10
    assert cond.sources["response.window_tau_min"] == "my reading of Honoré 2019"


def test_bad_plan_and_cohort_files(tmp_path):
    bad_plan = tmp_path / "plan.toml"
    bad_plan.write_text(
        'name = "x"\n[session]\nminutes = 45\ncomponents = [ { kind = "exercise", minutes = -3 } ]\n'
    )
    with pytest.raises(ValueError, match=r"plan.toml: key 'session.components\[0\]': exercise: minutes"):
        ptsim.load_plan(bad_plan)
    bad_plan.write_text('name = "x"\nweeks = 6\nsesions_per_week = 2\n')
    with pytest.raises(ValueError, match="sesions_per_week"):
        ptsim.load_plan(bad_plan)
    bad_plan.write_text("name = ")
    with pytest.raises(ValueError, match="not valid TOML"):
        ptsim.load_plan(bad_plan)
    with pytest.raises(FileNotFoundError):
        ptsim.load_plan(tmp_path / "missing.toml")

    from ptsim.inputs.cohort import read_cohort, sample_cohort, write_cohort

    cond = ptsim.load_condition("knee_oa")
    good = sample_cohort(cond, 3, seed=0)
    path = tmp_path / "cohort.csv"
    write_cohort(good.drop(columns=[]), path)
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], text[1].replace(text[1].split(",")[2], "lots", 1), *text[2:]]))
    with pytest.raises(ValueError, match="cohort.csv: column 'pain_baseline_nprs', row 0: expected a finite"):
        read_cohort(path, cond)
    good.assign(pain_baseline_nprs=11).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"outside \[0, 10\]"):
        read_cohort(path, cond)
    good.drop(columns=["home_adherence_prob"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="missing column.*home_adherence_prob"):
        read_cohort(path, cond)
    good.assign(patient_id=[1, 1, 2]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="duplicate"):
        read_cohort(path, cond)
    path.write_text("")
    with pytest.raises(ValueError, match="not a readable CSV"):
        read_cohort(path, cond)
