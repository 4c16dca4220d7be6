"""The ``ptsim`` command: every command through a subprocess and through ``main(argv)``.

Output files are compared with the API's numbers for the same seed; every error path must end with
exit status 2 and one line on stderr naming the argument, never a traceback. Runs are small
(20 patients, 60 days) so the whole file takes seconds.
"""

import io
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim.cli import commands as cli
from ptsim.cli import compare as cli_compare
from ptsim.cli import shared as cli_shared
from ptsim.cli import trial as cli_trial
from ptsim.core.parameters import PARAMETERS
from ptsim.inputs.cohort import read_cohort, sample_cohort, write_cohort
from ptsim.inputs.conditions import BASELINE_KEYS, NATURAL_HISTORY_KEYS, conditions_dir
from ptsim.inputs.plans import PLAN_NAMES

SMALL = ["--n-patients", "20", "--days", "60"]
KNEE_TEXT = (conditions_dir() / "knee_oa.toml").read_text(encoding="utf-8")
PLAN_TOML = """\
name = "mobilize_then_load"
description = "joint mobilization then loading"
sessions_per_week = 3
weeks = 4

[session]
minutes = 45
components = [
  { kind = "joint_mobilization", minutes = 10, intensity = 4 },
  { kind = "exercise", minutes = 30, intensity = 0.8 },
]

[home]
days_per_week = 3
"""


def run(*args, cwd):
    """``python -m ptsim ARGS`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "ptsim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def run_main(capsys, *args):
    """``main(argv)`` in this process: (exit status, stdout, stderr)."""
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def read_tidy(path):
    return pd.read_csv(path)


def api_frame(comp):
    return pd.concat([r.to_frame() for r in comp.values()], ignore_index=True)


def assert_same_frame(from_csv, expected):
    expected = expected.reset_index(drop=True)
    assert list(from_csv.columns) == list(expected.columns)
    for col in expected.columns:
        if expected[col].dtype.kind == "f":
            # pandas writes every digit (repr); reading back may differ in the last bit at most.
            np.testing.assert_allclose(
                from_csv[col].to_numpy(), expected[col].to_numpy(), rtol=1e-14, atol=0, err_msg=col
            )
        else:
            assert from_csv[col].tolist() == expected[col].tolist(), col


# --- the default command ---------------------------------------------------------------------------


def test_no_arguments_runs_the_default_comparison_every_time(tmp_path):
    done = run(cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Knee osteoarthritis: 200 virtual patients, 365 days, seed 0")
    for name in PLAN_NAMES:
        assert name in done.stdout
    figure = tmp_path / cli.DEFAULT_PLOT
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in done.stderr
    # (That the numbers are the API's for the same arguments is checked on small runs below.)
    # The README's quick start works a second time in the same folder: the default figure is
    # replaced (a figure the user names is not: see the 'existing-plot' error case).
    figure.write_bytes(b"old")
    again = run(cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == done.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == [cli.DEFAULT_PLOT]


def test_options_without_a_command_go_to_compare(capsys, tmp_path):
    status, out, err = run_main(capsys, *SMALL, "--no-plot", "--quiet")
    assert status == 0, err
    assert out.startswith("Knee osteoarthritis: 20 virtual patients, 60 days, seed 0")
    assert err == ""


# --- compare: output files match the API -----------------------------------------------------------


def test_compare_subprocess_files_match_the_api(tmp_path):
    args = [
        "compare",
        "--condition",
        "adhesive_capsulitis",
        "--plans",
        "manual_only,combined",
        *SMALL,
        "--seed",
        "3",
        "--summary-days",
        "60,14,42",
        "--out",
        "results.csv",
        "--summary-out",
        "summary.csv",
        "--plot",
        "figure.svg",
    ]
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comp = ptsim.compare("adhesive_capsulitis", ["manual_only", "combined"], n_patients=20, days=60, seed=3)
    tidy = read_tidy(tmp_path / "results.csv")
    assert len(tidy) == 2 * 20 * 61
    assert_same_frame(tidy, api_frame(comp))
    summary = comp.summary(days=[14, 42, 60])
    assert_same_frame(pd.read_csv(tmp_path / "summary.csv"), summary)
    assert (tmp_path / "figure.svg").read_text().lstrip().startswith("<?xml")
    # The printed table shows the same means and intervals.
    for _, row in summary.iterrows():
        assert f"{row['mean']:6.1f} [{row.ci_low:.1f}, {row.ci_high:.1f}]" in done.stdout
    assert "Setbacks after discharge" in done.stdout
    # stderr is not a terminal here: notes, but no progress bar; nothing else is left in the folder.
    assert "simulating" not in done.stderr and "\r" not in done.stderr
    assert "wrote results.csv: 2,440 rows" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.svg", "results.csv", "summary.csv"]


def test_compare_main_with_cohort_file_matches_the_api(capsys, tmp_path):
    cond = ptsim.load_condition("knee_oa")
    cohort_path = write_cohort(sample_cohort(cond, 15, seed=7), tmp_path / "my_patients.csv")
    out = tmp_path / "results.csv"
    status, stdout, err = run_main(
        capsys,
        "compare",
        "--cohort",
        str(cohort_path),
        "--days",
        "60",
        "--out",
        str(out),
        "--no-plot",
        "--quiet",
    )
    assert status == 0, err
    assert err == ""  # --quiet: nothing on stderr
    assert f"15 patients from {cohort_path}" in stdout
    comp = ptsim.compare(cond, ptsim.standard_plans(), days=60, seed=0, cohort=read_cohort(cohort_path, cond))
    assert_same_frame(read_tidy(out), api_frame(comp))


def test_compare_main_accepts_condition_and_plan_files(capsys, tmp_path):
    cond_path = tmp_path / "stiff_knee.toml"
    cond_path.write_text(KNEE_TEXT.replace('name = "knee_oa"', 'name = "stiff_knee"'))
    plan_path = tmp_path / "mine.toml"
    plan_path.write_text(PLAN_TOML)
    out = tmp_path / "sub" / "results.csv"
    out.parent.mkdir()
    status, stdout, err = run_main(
        capsys,
        "compare",
        "--condition",
        str(cond_path),
        "--plans",
        f"usual_care, {plan_path}",
        *SMALL,
        "--seed",
        "5",
        "--out",
        str(out),
        "--no-plot",
    )
    assert status == 0, err
    assert "mobilize_then_load" in stdout
    comp = ptsim.compare(
        cond_path, ["usual_care", ptsim.load_plan(plan_path)], n_patients=20, days=60, seed=5
    )
    assert_same_frame(read_tidy(out), api_frame(comp))


def test_force_replaces_an_existing_output(capsys, tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("old\n")
    status, _, err = run_main(capsys, "compare", *SMALL, "--out", str(out), "--no-plot")
    assert status == 2 and "--out" in err and out.read_text() == "old\n"
    status, _, err = run_main(
        capsys, "compare", *SMALL, "--plans", "combined", "--out", str(out), "--no-plot", "--force"
    )
    assert status == 0, err
    assert len(read_tidy(out)) == 20 * 61
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]  # no temporary file left


def test_an_interrupted_write_leaves_no_half_written_file(capsys, tmp_path, monkeypatch):
    def write_half_then_interrupt(self, path, *args, **kwargs):
        with open(path, "w") as f:
            f.write("plan,patient_id\ncombined,")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", write_half_then_interrupt)
    out = tmp_path / "results.csv"
    status, _, err = run_main(
        capsys, "compare", *SMALL, "--plans", "combined", "--out", str(out), "--no-plot"
    )
    assert status == cli.EXIT_INTERRUPTED
    assert err.count("\n") == 1 and "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    # With --force an interrupted run keeps the old file whole.
    out.write_text("old\n")
    status, _, _ = run_main(capsys, "compare", *SMALL, "--out", str(out), "--no-plot", "--force")
    assert status == cli.EXIT_INTERRUPTED
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_output_files_get_the_usual_permissions(capsys, tmp_path):
    out = tmp_path / "results.csv"
    status, _, err = run_main(
        capsys, "compare", *SMALL, "--plans", "combined", "--out", str(out), "--no-plot"
    )
    assert status == 0, err
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM is POSIX")
def test_sigterm_leaves_no_file(tmp_path):
    # 3000 patients take far longer than the wait; a signal that arrives before the command has
    # started (still importing, default handler) is retried with a longer wait.
    for wait_s in (1.5, 4.0, 8.0):
        proc = subprocess.Popen(
            # --force: the per-day table is above the size that asks for it; this test is about the signal
            [
                sys.executable,
                "-m",
                "ptsim",
                "compare",
                "--patients",
                "3000",
                "--out",
                "r.csv",
                "--no-plot",
                "--force",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(wait_s)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        if proc.returncode != -signal.SIGTERM:
            break
    assert proc.returncode == cli.EXIT_TERMINATED, err
    assert err.count("\n") == 1 and "terminated" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# --- the progress bar ------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("quiet", "shown"), [(False, True), (True, False)])
def test_progress_bar_on_a_terminal_unless_quiet(capsys, monkeypatch, quiet, shown):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli_shared, "PROGRESS_DELAY_S", 0.0)  # the real delay hides runs under a second
    args = ["compare", *SMALL, "--no-plot"] + (["--quiet"] if quiet else [])
    assert cli.main(args) == 0
    assert ("simulating" in terminal.getvalue()) is shown
    if shown:
        assert f"/{len(PLAN_NAMES)} [" in terminal.getvalue() and "chunk" in terminal.getvalue()
    assert "simulating" not in capsys.readouterr().out


def test_progress_advances_per_chunk_of_patients_and_says_it_is_starting(capsys, monkeypatch):
    """issue 24: a one-plan run (or 4 plans x 30k patients) showed nothing until the end, and the first
    run's compilation was silent."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli_shared, "PROGRESS_DELAY_S", 0.0)
    real = ptsim.compare

    def slow_start(*args, **kwargs):  # as a first compilation would: nothing done for a while
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(ptsim, "compare", slow_start)
    calls = []
    advance = cli._advance

    def recorded(bar):
        move = advance(bar)
        return lambda done, total, name: calls.append((done, total)) or move(done, total, name)

    monkeypatch.setattr(cli_compare, "_advance", recorded)
    n = 2 * ptsim.engine.simulate.PROGRESS_CHUNK_SIZE + 1  # three chunks
    assert cli.main(["compare", "--plans", "combined", "--patients", str(n), "--days", "7", "--no-plot"]) == 0
    shown = terminal.getvalue()
    assert cli.STARTING_NOTE in shown and "/3 [" in shown  # tqdm draws at most every 0.1 s
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_trial_progress_bar_advances_per_chunk_of_each_arm(capsys, monkeypatch):
    """issue 24 item 3: ``ptsim trial --n-per-arm 68000 --assess-days 365`` ran 33 s without a word."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli_shared, "PROGRESS_DELAY_S", 0.0)
    monkeypatch.setattr(ptsim.engine.simulate, "PROGRESS_CHUNK_SIZE", 4)  # 10 per arm: 3 chunks each
    calls = []
    advance = cli._advance

    def recorded(bar):
        move = advance(bar)
        return lambda done, total, name: (
            calls.append((done, total, name, bar.disable)) or move(done, total, name)
        )

    monkeypatch.setattr(cli_trial, "_advance", recorded)
    assert cli.main(["trial", "--n-per-arm", "10", "--outcomes", "pain"]) == 0
    assert "simulating" in terminal.getvalue()
    arms = ["exercise_only"] * 3 + ["combined"] * 3
    assert calls == [(i + 1, 6, arms[i], False) for i in range(6)]
    assert "Effects (ANCOVA" in capsys.readouterr().out
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert cli.main(["trial", "--n-per-arm", "10", "--outcomes", "pain", "--quiet"]) == 0
    assert "simulating" not in quiet.getvalue()


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(cli_shared, "PROGRESS_DELAY_S", 0.0)
    status, _, err = run_main(capsys, "compare", *SMALL, "--no-plot")
    assert status == 0 and "simulating" not in err


# --- list and show ---------------------------------------------------------------------------------


def check_list_output(text):
    for name in ptsim.list_conditions():
        cond = ptsim.load_condition(name)
        assert f"{name}  " in text and cond.description in text
    for name, plan in ptsim.standard_plans().items():
        assert f"{name}  " in text and plan.description in text


def test_list(capsys, tmp_path):
    done = run("list", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    check_list_output(done.stdout)
    status, out, _ = run_main(capsys, "list")
    assert status == 0 and out == done.stdout


def check_show_output(text, cond):
    assert cond.title in text and cond.rom_measure in text
    assert cond.sources["condition.rom_normal_deg"] in text
    for key in BASELINE_KEYS:
        assert re.search(rf"\b{key} +{re.escape(cli.BASELINE_UNITS[key])}  ", text), key
        assert cond.baseline[key].source in text
    for key in NATURAL_HISTORY_KEYS:
        assert re.search(rf"\b{key} +{re.escape(cli.NATURAL_HISTORY_UNITS[key])}  ", text), key
        src = cond.sources.get(f"calibrated.natural_history.{key}", cond.sources[f"natural_history.{key}"])
        assert src in text
    for tissue in cond.tissue_shares:
        assert cond.sources[f"tissue_shares.{tissue}"] in text
    for tech in cond.manual_therapy:
        assert tech in text and cond.sources[f"manual_therapy.{tech}"] in text


def test_show_subprocess(tmp_path):
    done = run("show", "knee_oa", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    check_show_output(done.stdout, ptsim.load_condition("knee_oa"))


@pytest.mark.parametrize("name", ptsim.list_conditions())
def test_show_every_shipped_condition(capsys, name):
    status, out, _ = run_main(capsys, "show", name)
    assert status == 0
    cond = ptsim.load_condition(name)
    check_show_output(out, cond)
    calibrated = [k[len("calibrated.") :] for k in cond.sources if k.startswith("calibrated.")]
    calibrated = [k for k in calibrated if k in PARAMETERS]
    for key in calibrated:  # the calibrated layer's values are shown with their source
        assert f"  {key} = {cond.parameters[key]:g}*" in out
    assert f"{len(PARAMETERS) - len(calibrated)} model-wide parameters at their defaults" in out


def test_show_all_and_a_condition_file_with_overrides(capsys, tmp_path):
    path = tmp_path / "no_window.toml"
    path.write_text(
        KNEE_TEXT.replace('name = "knee_oa"', 'name = "no_window"')
        + '\n[response]\nconsolidation_per_window_min = { value = 0.0, source = "assumption (what if)" }\n'
    )
    status, out, _ = run_main(capsys, "show", str(path))
    assert status == 0
    assert "consolidation_per_window_min = 0* per minute of full window" in out
    assert "source: assumption (what if)" in out
    assert f"{len(PARAMETERS) - 1} model-wide parameters at their defaults" in out
    status, out, _ = run_main(capsys, "show", str(path), "--all")
    assert status == 0
    for name, p in PARAMETERS.items():
        assert f"  {name} = " in out and p.meaning in out
    assert "window_tau_min = 12 min (accepted 3 to 30)" in out


def test_every_model_parameter_has_a_unit_the_command_can_show():
    for name in PARAMETERS:
        assert cli.parameter_unit(name) != "see its meaning", name


def test_help_and_version(capsys):
    status, out, _ = run_main(capsys, "--help")
    assert status == 0
    for name in cli.COMMANDS:
        assert name in out
    status, out, _ = run_main(capsys, "compare", "--help")
    assert status == 0 and "--summary-days" in out
    status, out, _ = run_main(capsys, "--version")
    assert status == 0 and out.strip() == f"ptsim {ptsim.__version__}"


# --- errors: status 2, one line naming the argument, never a traceback ----------------------------

BAD_CONDITION_FILE = KNEE_TEXT.replace("rom_normal_deg = { value = 135,", "rom_normal_deg = { value = -5,")


def _error_cases():
    # (id, argv (with {tmp} for the test folder), text the one line must contain)
    return [
        ("unknown-condition", ["compare", "--condition", "tennis_elbow"], "--condition: unknown condition"),
        ("unknown-condition-show", ["show", "tennis_elbow"], "CONDITION: unknown condition"),
        (
            "missing-condition-file",
            ["compare", "--condition", "{tmp}/nope.toml"],
            "--condition: condition file",
        ),
        ("toml-syntax", ["compare", "--condition", "{tmp}/broken.toml"], "broken.toml: not valid TOML"),
        (
            "toml-bad-value",
            ["compare", "--condition", "{tmp}/bad_value.toml"],
            "condition.rom_normal_deg.value",
        ),
        ("toml-show", ["show", "{tmp}/bad_value.toml"], "CONDITION: "),
        ("unknown-plan", ["compare", "--plans", "combined,yoga"], "--plans: unknown plan 'yoga'"),
        ("empty-plan", ["compare", "--plans", "combined,,usual_care"], "argument --plans"),
        ("missing-plan-file", ["compare", "--plans", "{tmp}/nope.toml"], "--plans: plan file not found"),
        ("malformed-plan", ["compare", "--plans", "{tmp}/broken.toml"], "--plans: "),
        (
            "duplicate-plan",
            ["compare", "--plans", "combined,combined"],
            "--plans: plan 'combined' is given twice",
        ),
        ("patients-0", ["compare", "--patients", "0"], "argument --n-patients/--patients"),
        ("patients-neg", ["compare", "--patients", "-1"], "argument --n-patients/--patients"),
        ("patients-abc", ["compare", "--patients", "abc"], "argument --n-patients/--patients"),
        ("patients-float", ["compare", "--patients", "2.5"], "argument --n-patients/--patients"),
        ("too-big", ["compare", "--patients", "100000", "--days", "3650"], "--n-patients: "),
        ("days-neg", ["compare", "--days", "-1"], "argument --days"),
        ("days-abc", ["compare", "--days", "abc"], "argument --days"),
        ("days-too-long", ["compare", "--days", "3651"], "argument --days"),
        ("seed-neg", ["compare", "--seed", "-3"], "argument --seed"),
        ("summary-days-abc", ["compare", "--summary-days", "14,abc"], "argument --summary-days"),
        ("summary-days-empty", ["compare", "--summary-days", ""], "argument --summary-days"),
        ("summary-days-neg", ["compare", "--summary-days", "-1"], "argument --summary-days"),
        (
            "summary-days-late",
            ["compare", "--days", "60", "--summary-days", "14,90"],
            "--summary-days: day 90",
        ),
        ("missing-cohort", ["compare", "--cohort", "{tmp}/nope.csv"], "--cohort: cohort file not found"),
        ("malformed-cohort", ["compare", "--cohort", "{tmp}/bad_cohort.csv"], "--cohort: "),
        (
            "patients-vs-cohort",
            ["compare", "--cohort", "{tmp}/cohort.csv", "--patients", "20"],
            "--n-patients: 20 disagrees",
        ),
        ("existing-out", ["compare", "--out", "{tmp}/existing.csv"], "--out: "),
        ("existing-plot", ["compare", "--plot", "{tmp}/existing.png"], "--plot: "),
        ("plot-type", ["compare", "--plot", "{tmp}/figure.docx"], "--plot: cannot tell the file type"),
        ("out-folder", ["compare", "--out", "{tmp}/no/such/folder/r.csv"], "--out: folder"),
        ("out-is-folder", ["compare", "--out", "{tmp}"], "--out: "),
        (
            "same-file-twice",
            ["compare", "--out", "{tmp}/r.csv", "--summary-out", "{tmp}/r.csv"],
            "--summary-out: ",
        ),
        ("plot-and-no-plot", ["compare", "--plot", "{tmp}/f.png", "--no-plot"], "argument --no-plot"),
        ("unknown-command", ["trail"], "argument COMMAND: invalid choice"),
        ("unknown-option", ["compare", "--patient", "20"], "ptsim compare: error: unrecognized arguments"),
        ("unknown-option-default-command", ["--patient", "20"], "ptsim compare: error: unrecognized"),
        (
            "named-plot-exists-as-default-name",
            ["compare", "--plot", "{tmp}/ptsim_compare.png"],
            "--plot: ",
        ),
        (
            "out-too-big",
            ["compare", "--patients", "20000", "--days", "365", "--out", "{tmp}/big.csv"],
            "--out: would write about 5.1 GB",
        ),
    ]


CASES = _error_cases()


@pytest.fixture
def error_folder(tmp_path):
    (tmp_path / "broken.toml").write_text("[condition\nname = 'x'\n")
    (tmp_path / "bad_value.toml").write_text(BAD_CONDITION_FILE)
    cohort = sample_cohort("knee_oa", 5, seed=0)
    write_cohort(cohort, tmp_path / "cohort.csv")
    cohort.drop(columns="pain_baseline_nprs").to_csv(tmp_path / "bad_cohort.csv", index=False)
    (tmp_path / "existing.csv").write_text("keep me\n")
    (tmp_path / "existing.png").write_text("keep me\n")
    (tmp_path / "ptsim_compare.png").write_text("keep me\n")
    return tmp_path


def _argv(case_argv, folder):
    # --no-plot unless the case is about the figure, so that no figure lands in the working folder.
    argv = [a.replace("{tmp}", str(folder)) for a in case_argv]
    if argv[0] == "compare" and "--plot" not in argv and "--no-plot" not in argv:
        argv.append("--no-plot")
    return argv


def check_error(status, out, err, expected, folder):
    assert status == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("ptsim") and ": error: " in err
    assert expected in err
    assert "Traceback" not in err
    assert (folder / "existing.csv").read_text() == "keep me\n"
    assert not any(p.name.startswith(".") for p in folder.iterdir())  # no temporary file


@pytest.mark.parametrize(("argv", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_through_main(capsys, error_folder, argv, expected):
    status, out, err = run_main(capsys, *_argv(argv, error_folder))
    check_error(status, out, err, expected, error_folder)


# Through a real interpreter: one case per argument (main() above covers every case).
SUBPROCESS_CASES = [
    c
    for c in CASES
    if c[0]
    in {
        "unknown-condition",
        "unknown-condition-show",
        "toml-bad-value",
        "unknown-plan",
        "patients-0",
        "days-abc",
        "summary-days-late",
        "missing-cohort",
        "existing-out",
        "plot-type",
        "unknown-command",
        "unknown-option",
    }
]


@pytest.mark.parametrize(
    ("argv", "expected"), [c[1:] for c in SUBPROCESS_CASES], ids=[c[0] for c in SUBPROCESS_CASES]
)
def test_error_through_subprocess(error_folder, argv, expected):
    done = run(*_argv(argv, error_folder), cwd=error_folder)
    check_error(done.returncode, done.stdout, done.stderr, expected, error_folder)


def test_a_failing_write_is_a_usage_error_and_leaves_nothing(capsys, tmp_path, monkeypatch):
    def disk_full(self, path, *args, **kwargs):
        with open(path, "w") as f:
            f.write("plan,")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    out = tmp_path / "results.csv"
    status, _, err = run_main(
        capsys, "compare", *SMALL, "--plans", "combined", "--out", str(out), "--no-plot"
    )
    assert status == 2 and err.count("\n") == 1
    assert "--out: cannot write" in err and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_a_usage_error(capsys, tmp_path):
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("needs POSIX permissions and a non-root user")
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        status, _, err = run_main(
            capsys, "compare", *SMALL, "--plans", "combined", "--out", str(folder / "r.csv"), "--no-plot"
        )
    finally:
        folder.chmod(0o755)
    assert status == 2 and "--out: cannot write" in err and err.count("\n") == 1


# --- ptsim trial -----------------------------------------------------------------------------------


def test_trial_prints_effects_and_writes_the_apis_numbers(capsys, tmp_path):
    out, eff = tmp_path / "patients.csv", tmp_path / "effects.csv"
    status, text, err = run_main(
        capsys, "trial", "--condition", "chronic_neck_pain", "--n-per-arm", "12", "--seed", "3",
        "--assess-days", "42,91", "--out", str(out), "--effects-out", str(eff), "--quiet",
    )  # fmt: skip
    assert status == 0 and err == ""
    trial = ptsim.run_trial("chronic_neck_pain", ["exercise_only", "combined"], n_per_arm=12, seed=3,
                            assess_days=[42, 91])  # fmt: skip
    expected = pd.concat(
        [trial.effects(o, day=d) for d in (42, 91) for o in ("pain", "rom", "function", "strength")],
        ignore_index=True,
    )
    got = pd.read_csv(eff)
    np.testing.assert_allclose(got["estimate"], expected["estimate"], rtol=1e-12)
    np.testing.assert_allclose(got["ci_low"], expected["ci_low"], rtol=1e-12)
    patients = pd.read_csv(out)
    assert len(patients) == len(trial.to_frame())
    first = expected.iloc[0]
    assert f"{first.estimate:+.2f}" in text and "combined vs exercise_only" in text
    assert "Pain responders" in text


def test_trial_factorial_subprocess(tmp_path):
    done = run("trial", "--factorial", "--n-per-arm", "8", "--outcomes", "rom", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "manual x exercise" in done.stdout and "interaction" in done.stdout


def test_trial_of_the_four_standard_plans_reports_the_2x2_and_its_unequal_doses(capsys):
    status, text, err = run_main(
        capsys, "trial", "--arms", "usual_care,manual_only,exercise_only,combined", "--n-per-arm", "6",
        "--outcomes", "rom", "--quiet",
    )  # fmt: skip
    assert status == 0 and err == ""  # the dose warning is a line of the report, not a Python warning
    assert (
        "cells: neither = usual_care, manual = manual_only, exercise = exercise_only, both = combined" in text
    )
    assert "manual x exercise" in text
    assert "warning: the 2x2 cells' doses are not balanced" in text and "ptsim trial --factorial" in text
    status, text, _ = run_main(
        capsys, "trial", "--factorial", "--n-per-arm", "6", "--outcomes", "rom", "--quiet"
    )
    assert status == 0 and "cells: neither = control" in text and "warning" not in text


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--arms", "combined"], "--arms: a trial needs at least two arms"),
        (["--arms", "combined,magic"], "--arms: unknown plan 'magic'"),
        (["--n-per-arm", "1"], "argument --n-per-arm"),
        (["--dropout", "1.5"], "argument --dropout"),
        (["--assess-days", "9999"], "--assess-days: day 9999 is too late"),
        (["--outcomes", "pain,happiness"], "argument --outcomes"),
        (["--condition", "knee"], "unknown condition 'knee'"),
        (["--factorial", "--arms", "combined,manual_only"], "not allowed with argument"),
    ],
)
def test_trial_errors_are_one_line_with_status_2(capsys, args, fragment):
    status, out, err = run_main(capsys, "trial", *args)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_trial_does_not_overwrite_without_force(capsys, tmp_path):
    existing = tmp_path / "effects.csv"
    existing.write_text("keep me")
    status, _, err = run_main(capsys, "trial", "--n-per-arm", "4", "--effects-out", str(existing))
    assert status == 2 and "--force" in err and existing.read_text() == "keep me"


def test_scenario_on_every_command_that_simulates(capsys, tmp_path):
    """compare and trial take --scenario (issue 24) and report the API's numbers for that scenario."""
    summary = tmp_path / "summary.csv"
    status, text, _ = run_main(
        capsys, "compare", *SMALL, "--plans", "usual_care,combined", "--scenario", "premise", "--no-plot",
        "--summary-out", str(summary), "--quiet",
    )  # fmt: skip
    assert status == 0 and text.startswith("Knee osteoarthritis, premise scenario: 20 virtual patients")
    api = ptsim.compare("knee_oa", ["usual_care", "combined"], n_patients=20, days=60, scenario="premise")
    np.testing.assert_allclose(pd.read_csv(summary)["mean"], api.summary()["mean"], rtol=1e-12)
    effects = tmp_path / "effects.csv"
    status, text, _ = run_main(
        capsys,
        "trial",
        "--scenario",
        "premise",
        "--n-per-arm",
        "10",
        "--effects-out",
        str(effects),
        "--quiet",
    )
    premise = ptsim.load_condition("knee_oa", scenario="premise")
    trial = ptsim.run_trial(premise, ["exercise_only", "combined"], n_per_arm=10)
    assert status == 0 and "premise scenario: randomised trial" in text
    got = pd.read_csv(effects)["estimate"].iloc[:1]  # pain first
    np.testing.assert_allclose(got, trial.effects("pain")["estimate"], rtol=1e-12)
    status, _, err = run_main(capsys, "trial", "--scenario", "premise", "--ensemble")
    assert status == 2 and "--ensemble: --scenario premise has no ensemble" in err and "scenario=" not in err
    visits, forecast_csv = tmp_path / "visits.csv", tmp_path / "forecast.csv"
    visits.write_text("day,pain_nprs,rom_deg\n0,6,100\n14,5,105\n", encoding="utf-8")
    status, _, err = run_main(
        capsys, "forecast", str(visits), "--scenario", "premise", "--plans", "combined", "--horizon", "30",
        "--no-plot", "--out", str(forecast_csv),
    )  # fmt: skip
    assert status == 0, err
    api = ptsim.forecast(premise, str(visits), ["combined"], horizon_days=30, ensemble=False)
    np.testing.assert_allclose(pd.read_csv(forecast_csv)["median"], api.to_frame()["median"], rtol=1e-12)


def test_no_nnt_is_printed_when_the_risk_difference_could_be_zero(capsys):
    """An NNT of 10.6 whose risk difference's interval holds 0 is not a number needed to treat."""
    # massage leaves no lasting relief (behaviour M10), so at discharge 30 patients per arm cannot tell
    # its responders from usual care's
    trial = ptsim.run_trial("knee_oa", ["usual_care", "massage_only"], n_per_arm=30)
    row = trial.responders("pain").iloc[1]
    assert row.rd_ci_low < 0 < row.rd_ci_high  # this trial cannot tell benefit from harm
    status, text, _ = run_main(capsys, "trial", "--arms", "usual_care,massage_only", "--outcomes", "pain")
    line = next(x for x in text.splitlines() if x.strip().startswith("massage_only ") and "%" in x)
    assert status == 0 and line.endswith("not estimable (the risk difference's interval holds 0)")
    assert not re.search(r"NN[TH] \d", text.split("Pain responders")[1])


# --- the differences table -------------------------------------------------------------------------


def test_a_row_of_zeros_in_the_differences_table_always_says_why(capsys):
    """issue 24: ``+0.0 [+0.0, +0.0]`` rows appeared with a mark (``<``, ``=``) and without one. A
    separated difference without an MCID or an instrument to judge it (function, 0-100) that rounds
    to zero now shows two significant digits; every row of zeros that is left carries a mark."""
    args = ("compare", "--plans", "usual_care,massage_only", "--outcomes", "function,rom", "--no-plot")
    status, out, err = run_main(capsys, *args)
    assert status == 0, err
    table = out.split("Differences from usual_care")[1]
    function_365 = re.search(r"^\s+365\s+(\S+) \[(\S+), (\S+)\](.*)$", table.split("rom ")[0], re.M)
    assert function_365, table
    mean, low, high, mark = function_365.groups()
    assert 0 < float(low) <= float(mean) <= float(high) < 0.05 and mark.strip() == ""
    zeros = [
        line for line in table.splitlines() if "+0.0 [+0.0, +0.0]" in line or "-0.0 [-0.0, -0.0]" in line
    ]
    assert zeros and all(line.rstrip()[-1] in "<=~" for line in zeros), zeros
    assert "by less than the goniometer reads (1 deg)" in table


@pytest.mark.parametrize(
    ("low", "high", "mark", "decimals"),
    [(0.0107, 0.0119, "", 3), (-0.0004, -0.0001, "", 5), (0.0107, 0.0119, "<", 1), (0.2, 0.3, "", 1)],
)
def test_decimals_of_a_difference(low, high, mark, decimals):
    assert cli._decimals(low, high, mark) == decimals


def test_n_patients_is_the_option_and_patients_its_former_spelling(capsys):
    """One word per idea (issue 25): ``ptsim compare --n-patients`` as the API's ``n_patients``;
    ``--patients`` (its former name) still reads the same option."""
    parser = cli.build_parser()
    new = parser.parse_args(["compare", "--n-patients", "7"])
    old = parser.parse_args(["compare", "--patients", "7"])
    assert new.patients == old.patients == 7
    assert cli.main(["compare", "--help"]) == 0
    assert "--n-patients N, --patients N" in capsys.readouterr().out
