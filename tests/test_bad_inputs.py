"""Bad inputs a hostile tester tried (issue 15): each is refused with a message that names the file,
the argument or the key and says what is accepted.

``CASES`` is the report of those inputs: ``docs/bad_inputs.md`` lists every case and the message it
gives, and a test keeps the two in step. Regenerate the page with
``python tests/test_bad_inputs.py`` after changing a message.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ptsim
from ptsim import Component, HomeProgramme, Plan, Session
from ptsim.inputs.cohort import read_cohort, sample_cohort, write_cohort
from ptsim.inputs.conditions import apply_calibration, apply_scenario, calibrated_dir, conditions_dir

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "bad_inputs.md"
KNEE = (conditions_dir() / "knee_oa.toml").read_text(encoding="utf-8")
PLAN = """name = "my_plan"
sessions_per_week = 2
weeks = 6
[session]
minutes = 45
components = [{ kind = "exercise", minutes = 30, intensity = 0.7 }]
"""


def knee(old: str, new: str) -> str:
    assert old in KNEE, old
    return KNEE.replace(old, new, 1)


def plan_text(old: str, new: str) -> str:
    assert old in PLAN, old
    return PLAN.replace(old, new, 1)


@dataclass(frozen=True)
class Case:
    """One bad input: ``run(folder)`` must raise ``error`` with a message matching ``expected``."""

    id: str
    what: str
    run: object
    expected: str
    error: type = ValueError


def condition_file(text: str | bytes, name: str = "my_condition.toml"):
    def run(folder: Path):
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return ptsim.load_condition(path)

    return run


def plan_file(text: str, name: str = "my_plan.toml"):
    def run(folder: Path):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return ptsim.compare("knee_oa", [path], n_patients=2, days=7)

    return run


def calibrated_layer(old: str, new: str):
    def run(folder: Path):
        text = (calibrated_dir() / "knee_oa.toml").read_text(encoding="utf-8")
        assert old in text
        path = folder / "layer.toml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return apply_calibration(ptsim.load_condition("knee_oa", calibrated=False), path)

    return run


def scenario_file(text: str):
    def run(folder: Path):
        path = folder / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        return apply_scenario(ptsim.load_condition("knee_oa", calibrated=False), path)

    return run


def cohort_csv(edit):
    def run(folder: Path):
        path = folder / "cohort.csv"
        write_cohort(sample_cohort("knee_oa", 3, seed=0), path)
        path.write_text(edit(path.read_text()))
        return read_cohort(path, "knee_oa")

    return run


def _exercise(minutes=20):
    return Component("exercise", minutes)


def _compare_with_a_file_named_like_a_standard_plan(folder: Path):
    path = folder / "combined.toml"
    path.write_text(plan_text('name = "my_plan"\n', ""), encoding="utf-8")
    return ptsim.compare("knee_oa", ["combined", path], n_patients=2, days=7)


def _course_factor_4(folder: Path):
    cohort = sample_cohort("knee_oa", 3, seed=0)
    cohort.loc[0, "natural_pain_course_factor"] = 4.0
    return read_cohort(write_cohort(cohort, folder / "cohort.csv"), "knee_oa")


def _nan_cohort(folder: Path):
    cohort = sample_cohort("knee_oa", 3, seed=0)
    cohort.loc[1, "pain_baseline_nprs"] = np.float64("nan")
    return ptsim.simulate("knee_oa", "combined", cohort=cohort, days=7)


class CommandLineError(Exception):
    """What ``ptsim`` printed on stderr when it ended with exit status 2 (a usage error)."""


def command(*argv: str, cwd_files=None, available_bytes=None):
    """Run ``ptsim ARGV`` in-process in the case's folder (on a machine with ``available_bytes`` of
    memory free, if given); exit status 2 raises its stderr line."""

    def run(folder: Path):
        import contextlib
        import io
        import os
        from unittest import mock

        from ptsim.cli import commands as cli
        from ptsim.inputs import memory

        if cwd_files is not None:
            cwd_files(folder)
        err, here = io.StringIO(), os.getcwd()
        free = memory.available_memory_bytes if available_bytes is None else lambda: available_bytes
        os.chdir(folder)
        try:
            with (
                contextlib.redirect_stderr(err),
                contextlib.redirect_stdout(io.StringIO()),
                mock.patch.object(memory, "available_memory_bytes", free),
            ):
                status = cli.main(list(argv))
        finally:
            os.chdir(here)
        lines = err.getvalue().strip().splitlines()
        if status == 2:
            assert len(lines) == 1, lines
            raise CommandLineError(lines[0])
        return status

    return run


def _dangling_link(folder: Path):
    (folder / "results.csv").symlink_to(folder / "missing" / "results.csv")


def _schedule_plan(phase: str):
    return plan_file(
        'name = "my_plan"\n[session]\ncomponents = [{ kind = "exercise", minutes = 30 }]\n'
        f"[[schedule.phases]]\nweeks = 6\nsessions_per_week = 2\n[[schedule.phases]]\nweeks = 4\n{phase}\n"
    )


def _edited_copy_with_the_ensemble(folder: Path):
    path = folder / "my_knee.toml"
    path.write_text(KNEE, encoding="utf-8")  # name = "knee_oa" kept; no calibrated layer from a path
    return ptsim.simulate(ptsim.load_condition(path), "combined", n_patients=2, days=7, ensemble=True)


def _ensemble_of_log_probabilities(folder: Path):
    from ptsim.inputs.ensembles import ensembles_dir, load_ensemble

    (folder / "knee_oa.csv").write_text("log_probability\n-3.2\n-4.1\n", encoding="utf-8")
    (folder / "knee_oa.toml").write_bytes((ensembles_dir() / "knee_oa.toml").read_bytes())
    return load_ensemble("knee_oa", folder)


def _forecast_of_an_edited_condition(folder: Path):
    from ptsim.inputs.ensembles import load_ensemble

    cond = ptsim.load_condition("knee_oa")
    name = next(iter(load_ensemble("knee_oa").values))  # one of the parameters the members set
    edited = cond.with_parameters(**{name: cond.parameters[name] * 0.5})
    visits = {"day": [0, 7, 14], "pain_nprs": [7, 6, 6], "rom_deg": [95, 100, 101]}
    return ptsim.forecast(edited, visits, horizon_days=30)


def _knee_copy_and_visits(name: str = "knee_oa"):
    def write(folder: Path):
        (folder / "my_knee.toml").write_text(knee('name = "knee_oa"', f'name = "{name}"'), encoding="utf-8")
        (folder / "visits.csv").write_text("day,pain_nprs,rom_deg\n0,7,95\n7,6,100\n14,6,101\n")

    return write


def _misspelled_optional_column(folder: Path):
    cohort = sample_cohort("knee_oa", 3, seed=0).rename(
        columns={"natural_pain_course_factor": "natural_pain_course_factr"}
    )
    return ptsim.simulate("knee_oa", "combined", cohort=cohort, days=7)


CASES = [
    # --- condition files --------------------------------------------------------------------------
    Case(
        "condition-misspelled-baseline-key",
        "`minimum` for `min` in `[baseline]`",
        condition_file(
            knee("rom_deg = { mean = 124, sd = 15, min = 70", "rom_deg = { mean = 124, sd = 15, minimum = 70")
        ),
        r"my_condition.toml: key 'baseline.rom_deg.minimum': unknown key in table \[baseline.rom_deg\]; "
        r"did you mean 'min'\?",
    ),
    Case(
        "condition-unknown-natural-history-key",
        "an unknown key in `[natural_history]`",
        condition_file(knee("[natural_history]\n", "[natural_history]\npain_end = 0.5\n")),
        r"key 'natural_history.pain_end': unknown key in table \[natural_history\]; "
        r"did you mean 'pain_end_frac'\?",
    ),
    Case(
        "condition-unknown-condition-key",
        "a misspelled key in `[condition]`",
        condition_file(knee('title = "Knee osteoarthritis"', 'titel = "Knee osteoarthritis"\ntitle = "x"')),
        r"key 'condition.titel': unknown key in table \[condition\]; did you mean 'title'\?",
    ),
    Case(
        "condition-unknown-table",
        "an unknown top-level table",
        condition_file(KNEE + '\n[respons]\nwindow_tau_min = { value = 10, source = "x" }\n'),
        r"key 'respons': unknown key in the top level; did you mean 'response'\?",
    ),
    Case(
        "condition-latin-1",
        "a Latin-1 condition file",
        condition_file(KNEE.replace("Norkin", "Nörkin").encode("latin-1")),
        r"my_condition.toml: not UTF-8 text .*TOML files must be saved as UTF-8",
    ),
    Case(
        "condition-utf-16",
        "a UTF-16 condition file",
        condition_file(KNEE.encode("utf-16")),
        r"my_condition.toml: not UTF-8 text .*UTF-8",
    ),
    Case(
        "condition-binary",
        "a binary file passed as a condition",
        condition_file(bytes(range(256)) * 4),
        r"my_condition.toml: not UTF-8 text",
    ),
    Case(
        "condition-folder",
        "a folder passed as a condition file",
        lambda folder: ptsim.load_condition(folder),
        r"is a folder; expected a condition file",
    ),
    Case(
        "condition-pain-end-frac-2",
        "`pain_end_frac = 2.0` (pain 19.8/10 after ten years)",
        condition_file(knee("pain_end_frac = { value = 1.0", "pain_end_frac = { value = 2.0")),
        r"key 'natural_history.pain_end_frac.value': expected a number in \[0, 1\], got 2.0",
    ),
    Case(
        "condition-rom-deficit-end-frac-2",
        "`rom_deficit_end_frac = 2.0` (ROM -56.5 deg after ten years)",
        condition_file(knee("rom_deficit_end_frac = { value = 1.0", "rom_deficit_end_frac = { value = 2.0")),
        r"key 'natural_history.rom_deficit_end_frac.value': expected a number in \[0, 1\], got 2.0",
    ),
    Case(
        "condition-natural-history-sd-2",
        "a per-patient course `sd = 2` on `pain_end_frac` (model v2; multipliers are drawn in [0, 3])",
        condition_file(
            knee("pain_end_frac = { value = 1.0, sd = 0.2", "pain_end_frac = { value = 1.0, sd = 2")
        ),
        r"key 'natural_history.pain_end_frac.sd': expected a number in \[0, 1\], got 2",
    ),
    Case(
        "condition-natural-history-sd-on-tau",
        "an `sd` on `pain_tau_days` (only the end fractions vary between patients)",
        condition_file(knee("pain_tau_days = { value = 365,", "pain_tau_days = { value = 365, sd = 0.1,")),
        r"key 'natural_history.pain_tau_days.sd': unknown key in table \[natural_history.pain_tau_days\]",
    ),
    Case(
        "condition-baseline-sd-1e15",
        "a baseline SD of 1e15 (ROM above the 135-deg maximum)",
        condition_file(knee("rom_deg = { mean = 124, sd = 15,", "rom_deg = { mean = 124, sd = 1e15,")),
        r"key 'baseline.rom_deg.sd': expected a number in \[0, 135\], got 1000000000000000.0",
    ),
    Case(
        "condition-baseline-min-equals-max",
        "a truncated normal with `min = max` and `sd > 0` (NaN patients)",
        condition_file(
            knee("min = 70, max = 135", "min = 100, max = 100").replace("mean = 124", "mean = 100", 1)
        ),
        r"key 'baseline.rom_deg': expected min < max when sd > 0",
    ),
    Case(
        "condition-function-weights-zero",
        "all three function weights 0 in `[response]` (function NaN everywhere)",
        condition_file(
            KNEE
            + "\n[response]\n"
            + "".join(
                f'function_weight_{k} = {{ value = 0, source = "x" }}\n' for k in ("pain", "rom", "strength")
            )
        ),
        r"table \[response\]: the function weights .* are all 0; at least one must be positive",
    ),
    Case(
        "calibrated-layer-unknown-key",
        "a misspelled key in a calibrated layer",
        calibrated_layer("default = 0.22,", "defualt = 0.22,"),
        r"layer.toml: key 'parameters.joint_mobilization_relief_max_frac.defualt': unknown key .*"
        r"did you mean 'default'\?",
    ),
    Case(
        "scenario-unknown-key",
        "a misspelled key in a scenario overlay's `[scenario]` table",
        scenario_file('[scenario]\nname = "mine"\ncalibrated_layr = false\n[parameters]\n'),
        r"scenario.toml: key 'scenario.calibrated_layr': unknown key in table \[scenario\]; "
        r"did you mean 'calibrated_layer'\?",
    ),
    Case(
        "scenario-not-a-parameter",
        "a scenario overlay setting something that is not a model parameter",
        scenario_file('[scenario]\nname = "mine"\n[parameters]\nwindow_tau = { value = 10, source = "x" }\n'),
        r"scenario.toml: key 'parameters.window_tau': expected a model parameter name",
    ),
    # --- plan files -------------------------------------------------------------------------------
    Case(
        "plan-unknown-session-key",
        "an unknown key in `[session]`",
        plan_file(plan_text("minutes = 45", "minuts = 45")),
        r"my_plan.toml: key 'session.minuts': unknown key in table \[session\]; did you mean 'minutes'\?",
    ),
    Case(
        "plan-no-session",
        "a plan file without `[session]`",
        plan_file('name = "my_plan"\nsessions_per_week = 2\n'),
        r"my_plan.toml: key 'session': missing",
    ),
    Case(
        "plan-no-components",
        "a plan file whose session has no components (and no home programme)",
        plan_file('name = "my_plan"\n[session]\nminutes = 45\n'),
        r"my_plan.toml: key 'session.components': expected a list of components .* got None; "
        r"the no-treatment plan is the standard plan 'usual_care'",
    ),
    Case(
        "plan-empty-file",
        "an empty plan file",
        plan_file(""),
        r"my_plan.toml: the plan is empty",
    ),
    Case(
        "plan-session-is-a-number",
        "`session = 3`",
        plan_file('name = "my_plan"\nsession = 3\n'),
        r"my_plan.toml: key 'session': expected a table with minutes and components, got 3",
    ),
    Case(
        "plan-components-are-strings",
        '`components = ["exercise"]`',
        plan_file('name = "my_plan"\n[session]\ncomponents = ["exercise"]\n'),
        r"my_plan.toml: key 'session.components\[0\]': expected a table such as \{ kind = .*got 'exercise'",
    ),
    Case(
        "plan-unknown-home-key",
        "an unknown key in `[home]`",
        plan_file(PLAN + "[home]\ndays_a_week = 3\n"),
        r"my_plan.toml: key 'home.days_a_week': unknown key in table \[home\]; "
        r"did you mean 'days_per_week'\?",
    ),
    Case(
        "plan-folder",
        "a folder passed as a plan file",
        lambda folder: ptsim.compare("knee_oa", [Path(folder)], n_patients=2, days=7),
        r"is a folder; expected a plan file",
    ),
    Case(
        "plan-name-formula",
        "a plan named `=HYPERLINK(...)` (spreadsheet formula injection)",
        plan_file(plan_text('name = "my_plan"', 'name = "=HYPERLINK(\\"http://x\\")"')),
        r"my_plan.toml: key 'name': plan name must be 1-64 characters: a letter, digit or underscore first",
    ),
    Case(
        "plan-name-formula-api",
        "`Plan('@SUM(A1)', ...)`",
        lambda folder: Plan("@SUM(A1)", Session(())),
        r"plan name must be .* got '@SUM\(A1\)'",
    ),
    Case(
        "schedule-phase-no-visit-days",
        "a `[[schedule.phases]]` with `visit_days = []` beside a treatment session (ran as usual care)",
        _schedule_plan("visit_days = []"),
        r"my_plan.toml: key 'plan': plan 'my_plan': schedule phase 1 has no visits \(visit_days is empty\) "
        r"but its session holds treatment .*, so it would never be given",
    ),
    Case(
        "schedule-phase-no-sessions",
        "a `[[schedule.phases]]` with `sessions_per_week = 0` beside a treatment session",
        _schedule_plan("sessions_per_week = 0"),
        r"schedule phase 1 has no visits \(sessions_per_week is 0\) but its session holds treatment",
    ),
    # --- the API ----------------------------------------------------------------------------------
    Case(
        "ensemble-edited-copy",
        "`ensemble=True` on an edited copy of a shipped condition that keeps its `name` (the stored "
        "members replaced the file's values: day-365 pain 3.22 -> 5.84)",
        _edited_copy_with_the_ensemble,
        r"ensemble: condition 'knee_oa' \(loaded from .*my_knee.toml\) differs from the shipped condition "
        r"the stored ensemble was fitted on in .*, which the ensemble's members would replace",
    ),
    Case(
        "forecast-edited-copy",
        "`forecast()` of a condition whose values of the ensemble's parameters were edited (the stored "
        "members silently replaced them)",
        _forecast_of_an_edited_condition,
        r"ensemble: condition 'knee_oa' differs from the shipped condition the stored ensemble was fitted "
        r"on in joint_mobilization_relief_max_frac, which the ensemble's members would replace",
    ),
    Case(
        "ensemble-only-log-probability",
        "an ensemble CSV whose only column is `log_probability` (was `StopIteration`, no message)",
        _ensemble_of_log_probabilities,
        r"knee_oa.csv: no parameter columns \(only log_probability\)",
    ),
    Case(
        "n-patients-days-0",
        "`n_patients=10**10, days=0` (memory per patient, not only per patient-day)",
        lambda folder: ptsim.simulate("knee_oa", "combined", n_patients=10**10, days=0),
        r"n_patients=10000000000: the run needs about [\d.]+ TB of memory \(.* bytes per patient",
    ),
    Case(
        "day-schedule-1e12",
        "`Plan.day_schedule(10**12)` (allocated 16 bytes a day unchecked)",
        lambda folder: ptsim.standard_plans()["combined"].day_schedule(10**12),
        r"day_schedule: days=1000000000000: the run needs about 16.0 TB of memory \(16 bytes per day\)",
    ),
    Case(
        "day-schedule-negative",
        "`Plan.day_schedule(-1)` (returned an empty schedule)",
        lambda folder: ptsim.standard_plans()["combined"].day_schedule(-1),
        r"day_schedule: days must be a whole number >= 0, got -1$",
    ),
    Case(
        "summary-no-outcomes",
        "`summary(outcomes=[])` (an empty table)",
        lambda folder: ptsim.compare("knee_oa", ["combined"], n_patients=2, days=7).summary(outcomes=[]),
        r"outcomes is empty; give at least one of rom, pain, strength, function, womac, questionnaire",
    ),
    Case(
        "summary-outcome-twice",
        "`summary(outcomes=['pain', 'pain'])` (one kept silently)",
        lambda folder: ptsim.compare("knee_oa", ["combined"], n_patients=2, days=7).summary(
            outcomes=["pain", "pain"]
        ),
        r"outcomes: 'pain' is given twice; give each once$",
    ),
    Case(
        "trace-session-step-1e-4",
        "`trace_session(step_min=1e-4)` (ran for two minutes)",
        lambda folder: ptsim.engine.simulate.trace_session("knee_oa", "combined", step_min=1e-4),
        r"step_min=0.0001 traces 105 minutes in 1,050,000 steps; at most 10,000 are traced: "
        r"use step_min >= 0.011$",
    ),
    Case(
        "seed-2-64",
        "`seed=2**64`",
        lambda folder: ptsim.simulate("knee_oa", "combined", n_patients=2, days=7, seed=2**64),
        r"seed must be a whole number in \[0, 2\*\*64 - 1\], got 18446744073709551616",
    ),
    Case(
        "n-patients-1e12",
        "`n_patients=10**12`",
        lambda folder: ptsim.simulate("knee_oa", "combined", n_patients=10**12, days=7),
        r"n_patients=1000000000000: the run needs about [\d.]+ [PT]B of memory \(.*\), "
        r"more than the .* available",
    ),
    Case(
        "trial-n-per-arm-1e9",
        "`run_trial(n_per_arm=10**9)` (the trial's memory was not estimated: the cohort's check named "
        "`n_patients`, which the caller never gave, and a smaller trial that passed it could exhaust memory)",
        lambda folder: ptsim.run_trial("knee_oa", ["exercise_only", "combined"], n_per_arm=10**9),
        r"n_per_arm=1000000000: the run needs about [\d.]+ TB of memory \(2,000,000,000 patients \(2 arms\) "
        r"x 43 days, and 600 bytes per patient and assessment day x 1\), more than the .* available; use "
        r"fewer patients per arm, trials, days or assessment days$",
    ),
    Case(
        "session-of-one-component",
        "`Session(Component(...))`",
        lambda folder: Session(_exercise()),
        r"session components must be a tuple of Component objects, got one Component; "
        r"write Session\(\(component,\)\)",
    ),
    Case(
        "plan-weeks-0-with-sessions",
        "`Plan(weeks=0)` with a treatment session",
        lambda folder: Plan("p", Session((_exercise(),)), sessions_per_week=2, weeks=0),
        r"plan 'p': the session holds treatment .* but weeks is 0, so it would never be given",
    ),
    Case(
        "plan-no-visits-with-treatment",
        "`Plan(sessions_per_week=0)` with a treatment session",
        lambda folder: Plan("p", Session((_exercise(),)), sessions_per_week=0, weeks=6, home=HomeProgramme()),
        r"plan 'p': the session holds treatment .* but sessions_per_week is 0",
    ),
    Case(
        "standard-plans-no-visits",
        "`standard_plans(sessions_per_week=0)` (treatment that would never be given)",
        lambda folder: ptsim.standard_plans(sessions_per_week=0),
        r"sessions_per_week \(standard plans\) must be in \[1, 7\], got 0",
    ),
    Case(
        "compare-file-named-like-a-standard-plan",
        '`compare(["combined", "combined.toml"])` (the file would replace the standard plan)',
        _compare_with_a_file_named_like_a_standard_plan,
        r"plans: PosixPath\('.*combined.toml'\) and 'combined' are both named 'combined'",
    ),
    Case(
        "compare-duplicate-plans",
        '`compare(["combined", "combined"])` (duplicates collapsed to one)',
        lambda folder: ptsim.compare("knee_oa", ["combined", "combined"], n_patients=2, days=7),
        r"plans: 'combined' is given twice",
    ),
    Case(
        "with-parameters-numpy-nan",
        "`with_parameters(window_tau_min=np.float64('nan'))` (no `np.float64(nan)` in the message)",
        lambda folder: ptsim.load_condition("knee_oa").with_parameters(window_tau_min=np.float64("nan")),
        r"parameter 'window_tau_min' must be a finite number, got nan$",
    ),
    Case(
        "n-patients-numpy-nan",
        "`n_patients=np.float64('nan')`",
        lambda folder: ptsim.simulate("knee_oa", "combined", n_patients=np.float64("nan"), days=7),
        r"n_patients must be a whole number >= 1, got nan$",
    ),
    Case(
        "cohort-numpy-nan",
        "a cohort DataFrame with a NaN",
        _nan_cohort,
        r"cohort: column 'pain_baseline_nprs', row 1: expected a finite number, got nan$",
    ),
    Case(
        "function-weights-zero-api",
        "`with_parameters(function_weight_*=0)` for all three",
        lambda folder: ptsim.load_condition("knee_oa").with_parameters(
            function_weight_pain=0, function_weight_rom=0, function_weight_strength=0
        ),
        r"with_parameters: the function weights .* are all 0",
    ),
    Case(
        "trial-min-pain-11",
        "`run_trial(min_pain_nprs=11)` (no NPRS reading is above 10)",
        lambda folder: ptsim.run_trial(
            "knee_oa", ["exercise_only", "combined"], n_per_arm=2, min_pain_nprs=11
        ),
        r"min_pain_nprs must be None or the least pain \(NPRS 0-10\) to enrol, got 11$",
    ),
    # --- cohort files -----------------------------------------------------------------------------
    Case(
        "cohort-semicolons",
        "a `;`-separated cohort CSV",
        cohort_csv(lambda text: text.replace(",", ";")),
        r"cohort.csv: the header 'patient_id;rom_baseline_deg;.*' looks separated by semicolons, but ptsim "
        r"reads comma-separated files",
    ),
    Case(
        "cohort-ids-near-1e20",
        "distinct patient ids near 1e20 (were reported as duplicates)",
        cohort_csv(lambda text: re.sub(r"\n(\d+),", lambda m: f"\n{10**20 + int(m.group(1))},", text)),
        r"cohort.csv: column 'patient_id', row 0: expected whole numbers in \[0, 9223372036854775807\] "
        r"\(2\*\*63 - 1\), got '100000000000000000000'",
    ),
    Case(
        "cohort-course-factor-4",
        "a natural-course multiplier of 4 in a cohort CSV (accepted: [0, 3])",
        _course_factor_4,
        r"cohort.csv: column 'natural_pain_course_factor', row 0: 4.0 is outside \[0, 3\]",
    ),
    Case(
        "cohort-unknown-column",
        "a cohort CSV with a column the model does not read (was ignored)",
        cohort_csv(lambda text: text.replace("patient_id,", "patient_id,ward,", 1).replace("\n", ",x\n")),
        r"cohort.csv: unknown column 'ward' \(a cohort holds only the columns the model reads: rename or "
        r"remove it\); accepted: patient_id, ",
    ),
    Case(
        "cohort-misspelled-optional-column",
        "a cohort with `natural_pain_course_factr` (the default course was used)",
        _misspelled_optional_column,
        r"cohort: unknown column 'natural_pain_course_factr'; did you mean 'natural_pain_course_factor'\?",
    ),
    Case(
        "cohort-folder",
        "a folder passed as a cohort file",
        lambda folder: read_cohort(folder, "knee_oa"),
        r"is a folder; expected a cohort CSV file",
    ),
]


CLI_CASES = [
    Case(
        "cli-trial-dropout-0.99",
        "`ptsim trial --dropout 0.99 --n-per-arm 5` (ended as an internal error)",
        command("trial", "--dropout", "0.99", "--n-per-arm", "5"),
        r"ptsim trial: error: --dropout: too few patients assessed on day 42 to compare arms: .*: with "
        r"99% drop-out and 5 patients per arm too few are assessed; use a lower --dropout or a larger "
        r"--n-per-arm$",
        CommandLineError,
    ),
    Case(
        "cli-compare-ensemble-1",
        "`ptsim compare --ensemble 1` (ended as an internal error)",
        command("compare", "--ensemble", "1", "--patients", "2", "--days", "7", "--no-plot"),
        r"ptsim compare: error: --ensemble: 1 member gives no evidence interval \(a single point, which "
        r"would separate any two plans\); give at least 2 members \(--ensemble without N takes 20\), or "
        r"leave --ensemble out for the calibrated values with patient-sampling intervals$",
        CommandLineError,
    ),
    Case(
        "cli-ensemble-edited-copy",
        "`ptsim compare --condition my_knee.toml --ensemble`, a copy of knee_oa (the advice named the "
        "API: `ptsim.load_condition('knee_oa')`, `ensemble=False`)",
        command(
            *("compare", "--condition", "my_knee.toml", "--ensemble", "--patients", "2", "--days", "7"),
            "--no-plot",
            cwd_files=_knee_copy_and_visits(),
        ),
        r"ptsim compare: error: --ensemble: condition 'knee_oa' \(loaded from my_knee.toml\) differs from "
        r"the shipped condition .*; load the shipped condition by name \(--condition knee_oa\) for its "
        r"ensemble, or run your condition without one \(leave --ensemble out\)$",
        CommandLineError,
    ),
    Case(
        "cli-ensemble-premise",
        "`ptsim compare --scenario premise --ensemble` (the advice named the API's keywords)",
        command(
            "compare", "--scenario", "premise", "--ensemble", "--patients", "2", "--days", "7", "--no-plot"
        ),
        r"ptsim compare: error: --ensemble: --scenario premise has no ensemble \(the premise is one "
        r"parameter set, not a posterior\); use --scenario evidence or leave --ensemble out$",
        CommandLineError,
    ),
    Case(
        "cli-forecast-edited-copy",
        "`ptsim forecast visits.csv --condition my_knee.toml`, a copy of knee_oa (the stored ensemble "
        "silently replaced the file's values)",
        command(
            "forecast",
            "visits.csv",
            "--condition",
            "my_knee.toml",
            "--no-plot",
            cwd_files=_knee_copy_and_visits(),
        ),
        r"ptsim forecast: error: --condition: condition 'knee_oa' \(loaded from my_knee.toml\) differs from "
        r"the shipped condition .*; ptsim forecast draws its patients from the stored ensemble, so give "
        r"the shipped condition by name \(--condition knee_oa\)$",
        CommandLineError,
    ),
    Case(
        "cli-forecast-condition-without-ensemble",
        "`ptsim forecast` of a condition file of your own, which has no stored ensemble (ended as an "
        "internal error)",
        command(
            "forecast",
            "visits.csv",
            "--condition",
            "my_knee.toml",
            "--no-plot",
            cwd_files=_knee_copy_and_visits("my_knee"),
        ),
        r"ptsim forecast: error: --condition: no stored ensemble for condition 'my_knee' in .*; conditions "
        r"with one: .*knee_oa.*Make one with `python -m ptsim.analysis.bayes my_knee`$",
        CommandLineError,
    ),
    Case(
        "cli-trial-many-assessment-days",
        "`ptsim trial --n-per-arm 100000 --assess-days 0,1,...,200` with 16 GB free (within the patient-day "
        "cap; the patient-level data of 201 assessments need about 24 GB beside the run's 2.7 GB)",
        command(
            *("trial", "--n-per-arm", "100000", "--assess-days", ",".join(map(str, range(201)))),
            available_bytes=16 * 10**9,
        ),
        r"ptsim trial: error: --n-per-arm: the run needs about 26.8 GB of memory \(200,000 patients x 201 "
        r"days x 1 plan, and 600 bytes per patient and assessment day x 201\), more than the 16.0 GB "
        r"available; use fewer patients per arm, arms or assessment days$",
        CommandLineError,
    ),
    Case(
        "cli-summary-days-twice",
        "`ptsim compare --summary-days 7,7` (one kept silently)",
        command("compare", "--summary-days", "7,7", "--patients", "2", "--days", "7", "--no-plot"),
        r"ptsim compare: error: argument --summary-days: day 7 is given twice in '7,7'; give each day once",
        CommandLineError,
    ),
    Case(
        "cli-outcomes-twice",
        "`ptsim trial --outcomes pain,pain` (one kept silently)",
        command("trial", "--outcomes", "pain,pain", "--n-per-arm", "5"),
        r"ptsim trial: error: argument --outcomes: 'pain' is given twice in 'pain,pain'; "
        r"give each outcome once",
        CommandLineError,
    ),
    Case(
        "cli-out-dangling-symlink",
        "`--out` naming a symbolic link to a file that does not exist (the link was replaced)",
        command(
            "compare",
            "--patients",
            "2",
            "--days",
            "7",
            "--no-plot",
            "--out",
            "results.csv",
            cwd_files=_dangling_link,
        ),
        r"ptsim compare: error: --out: 'results.csv' is a symbolic link to '.*missing/results.csv', which "
        r"does not exist; give a file name or a link to an existing file$",
        CommandLineError,
    ),
    Case(
        "cli-out-proc",
        "`--out /proc/results.csv` (said 'No such file or directory')",
        command("compare", "--patients", "2", "--days", "7", "--no-plot", "--out", "/proc/results.csv"),
        r"ptsim compare: error: --out: cannot create files in folder '/proc' \(.*\); it holds no ordinary "
        r"files \(a system folder such as /proc or /sys\?\): choose another folder$",
        CommandLineError,
    ),
    Case(
        "cli-days-0-many-patients",
        "`ptsim compare --patients 49999999 --days 0` with 16 GB free (within the 50 M patient-day cap, it "
        "needs about 55 GB: 5 M patients peaked at 5.8 GB)",
        command(
            "compare",
            *("--patients", "49999999", "--days", "0", "--plans", "combined", "--no-plot"),
            available_bytes=16 * 10**9,
        ),
        r"ptsim compare: error: --n-patients: the run needs about [\d.]+ GB of memory \(.*\), more than the "
        r".* available",
        CommandLineError,
    ),
]
CASES += CLI_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_a_message_naming_it(case, tmp_path):
    with pytest.raises(case.error) as err:
        case.run(tmp_path)
    message = str(err.value)
    assert re.search(case.expected, message), message
    assert "np.float64" not in message and "\n" not in message


def test_the_report_lists_every_case_and_its_message(tmp_path):
    assert DOC.read_text(encoding="utf-8") == render(tmp_path), (
        "docs/bad_inputs.md is out of date: run python tests/test_bad_inputs.py"
    )


# --- not errors, but the same report: exact round trips, seeds, the trial table, the apps -----------


def test_cohort_round_trip_is_exact_whatever_the_float_parser(tmp_path, monkeypatch):
    """pandas 2's default CSV float parser is not correctly rounded: a cohort written with %.17g read
    back 1 ulp off, and simulations differed by up to 1.8e-15. ``read_cohort`` parses the text itself;
    here pandas' parser is made to return every float 1 ulp off, as pandas 2's could."""
    cohort = sample_cohort("knee_oa", 200, seed=7)
    path = write_cohort(cohort, tmp_path / "c.csv")
    real = pd.read_csv

    def inexact_read_csv(*args, **kwargs):
        df = real(*args, **kwargs)
        for col in df.columns:
            if df[col].dtype.kind == "f":
                df[col] = np.nextafter(df[col].to_numpy(), np.inf)
        return df

    monkeypatch.setattr(pd, "read_csv", inexact_read_csv)
    back = read_cohort(path, "knee_oa")
    for col in cohort.columns:
        assert np.array_equal(back[col].to_numpy(), cohort[col].to_numpy()), col
        assert back[col].dtype == cohort[col].dtype, col


def test_sobol_with_seed_0_is_reproducible():
    pytest.importorskip("SALib")
    from ptsim.analysis.sensitivity import sobol

    args = ("knee_oa", "exercise_only", ["tolerance_full_nprs", "setpoint_drop_per_dose_min"])
    first = sobol(*args, n_base=16, n_patients=3, day=14, seed=0)
    np.random.seed(12345)  # noqa: NPY002 (SALib used numpy's global state for seed 0)
    again = sobol(*args, n_base=16, n_patients=3, day=14, seed=0)
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_the_trial_table_prints_a_number_needed_to_harm_not_a_negative_nnt(capsys):
    from ptsim.cli import commands as cli

    status = cli.main(["trial", "--arms", "combined,usual_care", "--n-per-arm", "20", "--outcomes", "pain"])
    out = capsys.readouterr().out
    assert status == 0
    table = out.split("Pain responders")[1]
    assert "NNH " in table and "NNT / NNH" in table
    assert not re.search(r"\s-\d+\.\d\s*$", table, re.M)  # no negative number in the last column


def test_a_dashboard_control_beyond_its_range_is_refused_in_the_kernel():
    """A client can raise a slider's max and then its value; the app checks against its specs."""
    from ptsim.teaching.widgets import compare_plans_app

    app = compare_plans_app()
    calls = []
    compute = app._compute
    app._compute = lambda **values: calls.append(values) or compute(**values)
    slider = app.controls["n_patients"]
    high = app.specs["n_patients"]["max"]
    slider.max = 20_000  # what a client can send before the value
    slider.value = 20_000
    assert calls == []
    assert app.error == f"{app.specs['n_patients']['label']}: 20000 is outside the range 50-{high}."
    slider.max = high  # back in range: the app computes again
    slider.value = high
    assert calls and calls[-1]["n_patients"] == high and app.error is None


def render(folder: Path) -> str:
    """``docs/bad_inputs.md``: every case of ``CASES`` with the message it gives."""
    rows = []
    for case in CASES:
        sub = folder / case.id
        sub.mkdir(exist_ok=True)
        try:
            case.run(sub)
        except case.error as exc:
            message = str(exc).replace(str(sub), "<folder>").replace(str(ROOT), "<ptsim>").replace("|", "\\|")
            # The memory this machine has free right now is not part of the report.
            message = re.sub(r"the [\d.]+ [kMGTP]?B available", "the <free memory> available", message)
        else:
            raise AssertionError(f"{case.id}: no error")
        rows.append(f"| `{case.id}` | {case.what.replace('|', '/')} | {case.error.__name__}: `{message}` |")
    return "\n".join(
        [
            "# Bad inputs and their messages",
            "",
            "Inputs a hostile tester tried (issues 15 and 24) that ptsim once accepted silently or answered",
            "with an unclear error, and what each gives now. The table is generated from the cases of",
            "`tests/test_bad_inputs.py` (`python tests/test_bad_inputs.py`), whose tests check every",
            "message; `<folder>` stands for the folder holding the file, `<ptsim>` for the ptsim folder,",
            "`<free memory>` for the memory free when the page was made. A `CommandLineError` is the one",
            "line `ptsim` prints on stderr with exit status 2. More command-line cases are in",
            "`tests/test_cli.py`, among them",
            "`unknown-option` (`ptsim compare: error: unrecognized arguments`) and `out-too-big`",
            "(`--out: would write about 5.1 GB ...; pass --force`).",
            "",
            "| case | input | message |",
            "|---|---|---|",
            *rows,
            "",
            "Also tested, not as errors: a cohort written by `write_cohort` reads back bit for bit",
            "whatever pandas' float parser",
            "(`test_cohort_round_trip_is_exact_whatever_the_float_parser`); `sensitivity.sobol(seed=0)`",
            "gives the same confidence intervals on every call; the trial table prints a number needed to",
            "harm (NNH) or `not estimable` instead of a negative NNT; the README's `python -m ptsim` works",
            "every time in the same folder (the default figure is replaced, a file the user names is not);",
            "a dashboard control set beyond its range by a client is refused in the kernel; the dashboard's",
            "server keeps its memory bounded and stops on SIGTERM when a local client asks for every",
            "widget's state (`tests/test_dashboard_server.py`).",
            "",
        ]
    )


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        DOC.write_text(render(Path(tmp)), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
