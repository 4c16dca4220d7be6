"""The lesson apps of ptsim.teaching.widgets, driven headless (no browser), and the lesson helpers."""

import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")

import ipywidgets

import ptsim
from ptsim.teaching import lessons, plotting, widgets


def _lines(fig):
    return [line.get_ydata().copy() for ax in fig.axes for line in ax.get_lines()]


# --- controls declared as data -------------------------------------------------------------------


def test_controls_are_built_from_specs():
    specs = {
        "weeks": {"kind": "int_slider", "label": "Weeks", "min": 1, "max": 10, "step": 1, "default": 6},
        "effort": {
            "kind": "float_slider",
            "label": "Effort",
            "min": 0.1,
            "max": 1,
            "step": 0.1,
            "default": 0.4,
        },
        "plan": {"kind": "dropdown", "label": "Plan", "options": ["a", "b"], "default": "b"},
        "order": {"kind": "toggle_buttons", "label": "Order", "options": ["x", "y"], "default": "x"},
        "show": {"kind": "checkbox", "label": "Show", "default": True},
    }
    controls = widgets.build_controls(specs)
    assert list(controls) == list(specs)
    assert isinstance(controls["weeks"], ipywidgets.IntSlider) and controls["weeks"].value == 6
    assert isinstance(controls["effort"], ipywidgets.FloatSlider) and controls["effort"].max == 1
    assert isinstance(controls["plan"], ipywidgets.Dropdown) and controls["plan"].value == "b"
    assert isinstance(controls["order"], ipywidgets.ToggleButtons)
    assert isinstance(controls["show"], ipywidgets.Checkbox) and controls["show"].value is True
    # sliders only update when released: a long computation does not run for every pixel dragged
    assert controls["weeks"].continuous_update is False


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"kind": "knob", "label": "x", "default": 1}, "kind 'knob' is not known"),
        ({"kind": "int_slider", "label": "x", "min": 0, "max": 5, "default": 1}, "needs 'step'"),
        ({"kind": "int_slider", "label": "x", "min": 0, "max": 5, "step": 1, "default": 9}, "outside"),
        ({"kind": "checkbox", "default": True}, "needs a 'label'"),
    ],
)
def test_bad_control_specs_are_named(spec, match):
    with pytest.raises(ValueError, match=match):
        widgets.make_control("weeks", spec)


def test_every_spec_has_units_or_a_unitless_kind_in_its_label():
    for name, factory in widgets.APPS.items():
        app = factory()
        for key, spec in app.specs.items():
            if spec["kind"] in ("int_slider", "float_slider"):
                label = spec["label"].lower()
                unitless = ("number", "patients", "grade", "share", "adherence", "consolidation")
                unitless += ("years", "weeks")
                assert "(" in label or any(u in label for u in unitless) or "/" in label, (name, key)


# --- every app builds headless and shows numbers --------------------------------------------------


@pytest.mark.parametrize("name", list(widgets.APPS))
def test_app_builds_headless_and_update_returns_its_table(name):
    app = widgets.APPS[name]()
    assert isinstance(app, ipywidgets.Box)
    table = app.update()
    assert table is not None, app.error
    assert app.error is None and app.message.value == ""
    assert table is app.numbers
    assert np.isfinite(table.select_dtypes("number").to_numpy()).all()
    assert app.figure is not None and app.figure.axes
    assert app.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<table" in app.table.value
    assert app.status.value.startswith("Updated in")
    # the figure reads alone: a title and labelled axes
    assert app.figure.get_suptitle()
    for ax in app.figure.axes:
        if ax.get_visible():
            assert ax.get_ylabel()


# --- moving a control updates the figure and the table --------------------------------------------


def test_compare_app_follows_its_controls_and_matches_the_api():
    app = widgets.compare_plans_app()
    app.update(n_patients=50)
    lines_before, html_before = _lines(app.figure), app.table.value
    png_before = app.image.value

    app.controls["weeks"].value = 10  # what a student moving the slider does

    assert app.error is None
    lines_after = _lines(app.figure)
    assert any(not np.array_equal(a, b) for a, b in zip(lines_before, lines_after, strict=False))
    assert app.table.value != html_before
    assert app.image.value != png_before
    # the table shows the API's numbers for those settings
    comp = lessons.compare_plans(weeks=10, n_patients=50, home_adherence=0.6)
    pain_70 = comp["combined"].pain[:, 70].mean()
    assert app.numbers.loc[("pain (NPRS 0-10)", 70), "combined"] == round(pain_70, 1)
    assert app.numbers.loc[("setbacks per patient", 365), "exercise_only"] == round(
        comp["exercise_only"].setbacks.mean(), 2
    )
    # the discharge marker moved with the weeks of care
    ax = app.figure.axes[0]
    assert any(np.allclose(line.get_xdata(), 70) for line in ax.get_lines())


def test_compare_app_puts_the_premise_scenario_beside_the_evidence():
    app = widgets.compare_plans_app()
    app.update(n_patients=50)
    evidence = app.numbers.copy()
    app.controls["scenario"].value = "premise"  # what a student choosing the premise does
    assert app.error is None
    premise = lessons.compare_plans(n_patients=50, home_adherence=0.6, scenario="premise")
    pain = premise["manual_only"].pain[:, 42].mean()
    assert app.numbers.loc[("pain (NPRS 0-10)", 42), "manual_only"] == round(pain, 1)
    assert not app.numbers.equals(evidence)
    assert "(premise scenario)" in app.figure.get_suptitle()
    with pytest.raises(ValueError, match="premise scenario states claims"):
        lessons.compare_plans(n_patients=20, days=30, scenario="premise", ensemble=5)


def test_compare_app_defaults_are_the_standard_plans():
    plans = lessons.compare_plan_set()
    std = ptsim.standard_plans()
    for name, plan in plans.items():
        assert plan == std[name]
    a = lessons.compare_plans(n_patients=30, days=60)
    b = ptsim.compare("knee_oa", ptsim.standard_plans(), n_patients=30, days=60, engine=lessons.ENGINE)
    for name in lessons.COMPARED_PLANS:
        np.testing.assert_array_equal(a[name].pain, b[name].pain)


def test_window_app_order_and_hypothesis_change_the_numbers():
    app = widgets.window_app()
    on = app.update()
    app.controls["consolidation"].value = 0.0
    off = app.numbers
    gain = "durable range gained (deg)"
    assert on.loc["manual first", gain] > off.loc["manual first", gain]
    assert on.loc["manual first", gain] > on.loc["exercise first", gain]
    app.controls["gap_minutes"].value = 30
    assert (
        app.numbers.loc["manual first", "pain as exercise starts (NPRS)"]
        > off.loc["manual first", "pain as exercise starts (NPRS)"]
    )


def test_technique_app_disables_the_grade_for_massage():
    app = widgets.technique_app()
    app.update()
    assert not app.controls["grade"].disabled
    app.controls["technique"].value = "massage"
    assert app.controls["grade"].disabled
    table = app.numbers
    tissue_rows = [r for r in table.index if "range (deg)" in r and "ROM" not in r]
    assert (table.loc[tissue_rows, "after 1 week (2 sessions) vs none"] == 0).all()


# --- invalid combinations show a message, never a traceback -------------------------------------


def test_invalid_combination_shows_a_message_not_a_traceback():
    app = widgets.compare_plans_app()
    app.update(n_patients=50)
    good = app.numbers
    app.controls["manual_minutes"].value = 30
    app.controls["exercise_minutes"].value = 30  # 5 + 30 + 30 > 45 min
    assert app.numbers is None
    assert "more than the 45-min session" in app.message.value
    assert "Traceback" not in app.message.value
    assert app.status.value.startswith("Not updated")
    assert app.update(manual_minutes=30, exercise_minutes=30) is None
    assert "shorten a part or lengthen the session" in app.error
    # fixing it clears the message
    assert app.update(n_patients=50).equals(good)
    assert app.message.value == "" and app.error is None


def test_out_of_range_update_and_unknown_control():
    app = widgets.capacity_app()
    assert app.update(weeks=99) is None
    assert "outside the range" in app.error
    with pytest.raises(ValueError, match="unknown control 'wekks'"):
        app.update(wekks=3)


def test_a_renamed_control_accepts_its_former_name():
    """One word per idea (issue 25): lesson 7's after-discharge controls were maintenance_*; the old
    names still work, for the same control, and giving both names is refused."""
    app = widgets.setbacks_app()
    old = app.update(maintenance_days_per_week=1, maintenance_adherence=0.3)
    assert app.controls["after_discharge_days_per_week"].value == 1
    assert app.controls["after_discharge_adherence_factor"].value == 0.3
    new = app.update(after_discharge_days_per_week=1, after_discharge_adherence_factor=0.3)
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(ValueError, match="name the same control"):
        app.update(maintenance_days_per_week=1, after_discharge_days_per_week=2)


def test_unexpected_error_in_a_callback_becomes_a_message(monkeypatch):
    app = widgets.window_app()

    def broken(**values):
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "_compute", broken)
    app.controls["gap_minutes"].value = 10  # must not raise into the notebook
    assert "RuntimeError: boom" in app.message.value


def test_busy_text_is_shown_while_computing():
    app = widgets.compare_plans_app()
    seen = []
    app.status.observe(lambda change: seen.append(change["new"]), names="value")
    app.update(n_patients=50)
    assert any("Simulating 50 patients" in text for text in seen)


# --- lesson helpers --------------------------------------------------------------------------------


def test_capacity_components_replay_the_engine_exactly():
    res = ptsim.simulate("knee_oa", lessons.exercise_plan(), n_patients=40, days=150)
    comp = lessons.capacity_components(res)
    np.testing.assert_allclose(comp.strength_pct_normal, res.strength.mean(axis=0), rtol=0, atol=1e-9)
    # neural first, structural later (DESIGN M3)
    assert comp.neural_pct_normal[14] > comp.structural_pct_normal[14]
    assert comp.structural_pct_normal[70] > comp.neural_pct_normal[70]


def test_mean_adherence_keeps_ranks_and_bounds():
    cohort = ptsim.inputs.cohort.sample_cohort("knee_oa", 200, seed=3)
    for target in (0.0, 0.3, 0.6, 0.9):
        out = lessons.with_mean_adherence(cohort, target)
        p = out.home_adherence_prob.to_numpy()
        assert p.mean() == pytest.approx(target, abs=1e-9)
        assert ((p >= 0) & (p <= 1)).all()
        if target > 0:
            order = np.argsort(cohort.home_adherence_prob.to_numpy(), kind="stable")
            assert np.all(np.diff(p[order]) >= -1e-12)
    with pytest.raises(ValueError, match="mean_adherence"):
        lessons.with_mean_adherence(cohort, 1.2)


def test_session_budget_errors_name_the_minutes():
    with pytest.raises(ValueError, match="= 65 min, more than the 45-min session"):
        lessons.compare_plan_set(manual_minutes=30, exercise_minutes=30)
    with pytest.raises(ValueError, match="manual_minutes must be a positive number"):
        lessons.compare_plan_set(manual_minutes=0)
    # more clinic visits leave fewer days for the home programme, which shrinks to fit
    plans = lessons.compare_plan_set(sessions_per_week=4)
    assert plans["combined"].home.days_per_week == 3


def test_check_answer_uses_the_model(capsys):
    right = lessons.answer_key("3.1").answer
    wrong = "exercise first" if right == "manual first" else "manual first"
    assert lessons.check_answer("3.1", right) is None  # it prints, and returns no bare True/False
    out = capsys.readouterr().out
    assert "Correct" in out and "durable range gained" in out.lower()
    assert lessons.is_correct("3.1", right) and not lessons.is_correct("3.1", wrong)
    lessons.check_answer("3.1", wrong)
    out = capsys.readouterr().out
    assert "Not quite" in out and "Correct" not in out
    lessons.check_answer("3.1", "sideways")
    assert "not one of the accepted answers" in capsys.readouterr().out
    assert not lessons.is_correct("3.1", "sideways")
    value = lessons.answer_key("3.2").answer
    assert lessons.is_correct("3.2", value + 0.01)
    assert not lessons.is_correct("3.2", value + 0.5)
    assert not lessons.is_correct("3.2", "a lot") and not lessons.is_correct("3.2", True)
    lessons.check_answer("3.2", "a lot")
    assert "needs a number" in capsys.readouterr().out
    lessons.check_answer("3.2")
    assert "Question 3.2" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"unknown question '9\.9'"):
        lessons.check_answer("9.9", 1)
    with pytest.raises(ValueError, match=r"unknown question '9\.9'"):
        lessons.is_correct("9.9", 1)


def test_exercise_6_3_asks_for_a_trade_off_the_app_shows():
    # the lower effort does what a student expects (fewer flares for the patients in most pain) and
    # still loses on pain at discharge: the question cannot be answered by counting flares
    group = "7 or more"
    rows = {c: lessons.pain_table(**lessons.SETTINGS_6_3[c])[3].loc[group] for c in lessons.CHOICES_6_3}
    flares, dose = "flares in care per patient", "effective exercise in care (min)"
    assert rows["lower effort"][flares] < rows["manual therapy first"][flares]
    assert rows["lower effort"][dose] < rows["manual therapy first"][dose]
    assert lessons.answer_key("6.3").answer == "manual therapy first"


def test_answers_are_computed_once_and_predictions_are_compared(capsys):
    import time

    lessons.answer_key("1.1")
    start = time.perf_counter()
    for _ in range(5):
        lessons.is_correct("1.1", "combined")
    assert time.perf_counter() - start < 0.5  # cached: no simulation per check
    lessons.predict("1.2", "exercise_only")
    assert "noted" in capsys.readouterr().out
    lessons.check_answer("1.2", lessons.answer_key("1.2").answer)
    assert "Your prediction was 'exercise_only'" in capsys.readouterr().out
    lessons.ask(1)
    out = capsys.readouterr().out
    assert "1.1" in out and "1.2" in out and "predict(" in out


def test_students_cannot_print_solutions_from_lessons():
    assert not hasattr(lessons, "solution")


def test_every_question_has_a_solution_of_its_kind():
    for qid, q in lessons.QUESTIONS.items():
        answer = lessons.answer_key(qid).answer
        if q.choices:
            assert answer in q.choices, qid
        else:
            assert isinstance(answer, float | int) and np.isfinite(answer), qid
        assert q.where, qid
        assert "DESIGN" not in q.prompt and not re.search(r"\bM\d", q.prompt), qid


def test_condition_can_be_a_file_or_is_refused_with_a_message(tmp_path):
    from ptsim.inputs.conditions import conditions_dir

    mine = tmp_path / "my_knee.toml"
    mine.write_text((conditions_dir() / "knee_oa.toml").read_text(encoding="utf-8"), encoding="utf-8")
    app = widgets.window_app()
    table = app.update(condition=str(mine))
    assert table is not None and app.controls["condition"].value == str(mine)
    # same file, same numbers: a file outside data/conditions gets no calibrated layer
    # (ptsim.load_condition), so the copy is the shipped condition without calibration
    uncalibrated = ptsim.load_condition("knee_oa", calibrated=False)
    same = widgets.window_table(uncalibrated, consolidation=app.defaults["consolidation"])[2]
    assert table.equals(same)
    assert app.update(condition="no_such_condition") is None
    assert "unknown condition 'no_such_condition'" in app.error
    assert app.update(condition=str(tmp_path / "missing.toml")) is None
    assert "not found" in app.error
    assert app.update(order="sideways") is None
    assert "'sideways' is not one of" in app.error


# --- lessons 8 and 9 ------------------------------------------------------------------------------


def test_evidence_app_follows_its_controls_and_matches_the_lesson_helpers():
    app = widgets.evidence_app()
    table = app.update()
    assert table is not None, app.error
    check = lessons.evidence_check("knee_oa")
    assert table.equals(lessons.evidence_rows(check, modelled_only=True))
    c = lessons.coverage(check)
    assert f"{c['fit_covered']} of {c['fit']} fit rows" in app.caption
    assert f"{c['held_out_covered']} of {c['held_out']} held-out rows" in app.caption
    assert "Not modelled:" in app.caption and "surgery" in app.caption  # listed, with the reason
    # one panel per unit, each read on its own scale; the alt text gives the counts
    assert len(app.figure.axes) == len(table.groupby(["unit", "compares"]))
    assert f"{c['fit_covered']} of {c['fit']} fit rows covered" in app.alt
    assert set(table["covered"]) <= {"yes", "no"} and set(table["role"]) <= {"fit", "held out", "known gap"}
    png = app.image.value
    assert app._busy_text(condition="knee_oa", scenario="evidence").startswith("Drawing the stored check")
    app.controls["scenario"].value = "premise"  # what a student switching the scenario does
    premise = app.numbers
    assert premise is not None and app.error is None
    assert (premise["model low"] == premise["model high"]).all()  # one parameter set: a point
    assert (premise["published"] == table["published"]).all()  # the same published rows
    assert app.image.value != png
    assert lessons.evidence_is_cached("knee_oa", "premise")


def test_evidence_app_and_helpers_refuse_what_they_cannot_check(tmp_path):
    from ptsim.inputs.conditions import conditions_dir

    mine = tmp_path / "my_knee.toml"
    mine.write_text((conditions_dir() / "knee_oa.toml").read_text(encoding="utf-8"), encoding="utf-8")
    app = widgets.evidence_app()
    assert app.update(condition=str(mine)) is None
    assert "shipped condition" in app.error and "Traceback" not in app.message.value
    assert app.update(scenario="hopeful") is None
    assert "'hopeful' is not one of" in app.error
    with pytest.raises(ValueError, match="scenario must be one of"):
        lessons.evidence_check("knee_oa", scenario="hopeful")
    with pytest.raises(ValueError, match="lacks column"):
        plotting.plot_evidence_check(pd.DataFrame({"unit": ["deg"]}))
    rows = lessons.evidence_rows(lessons.evidence_check("knee_oa"))
    with pytest.raises(ValueError, match="nothing to plot"):
        plotting.plot_evidence_check(rows[rows["covered"] == "not modelled"])


def test_evidence_plot_keeps_levels_and_differences_on_separate_panels():
    """Issue 23 item 5: a one-group level and a difference between groups never share an axis."""
    rows = lessons.evidence_rows(lessons.evidence_check("knee_oa"), modelled_only=True)
    assert set(rows["compares"]) >= {"difference between groups", "one group"}
    fig = plotting.plot_evidence_check(rows)
    kinds = {(u, c) for u, c in zip(rows["unit"], rows["compares"], strict=True)}
    labels = [(ax.get_xlabel(), ax.get_title(loc="left")) for ax in fig.axes]
    assert sorted(labels) == sorted(kinds)
    for ax in fig.axes:  # each panel's rows are of its own kind
        unit, compares = ax.get_xlabel(), ax.get_title(loc="left")
        sel = rows[(rows["unit"] == unit) & (rows["compares"] == compares)]
        assert len(ax.get_yticks()) == len(sel)


def test_evidence_rows_carry_units_by_instrument_and_quantity():
    assert lessons.row_unit("percent", "percent_of_baseline") == "% of baseline"
    assert lessons.row_unit("percent", "proportion_difference") == "percentage points of patients"
    assert lessons.row_unit("WOMAC_0_240", "between_arm_difference") == "WOMAC points (0-240)"
    from ptsim.analysis.evidence import INSTRUMENTS

    assert set(INSTRUMENTS) <= set(lessons.INSTRUMENT_UNITS)  # every instrument has its unit


def test_trial_app_follows_n_per_arm_and_refuses_one_plan_twice():
    app = widgets.trial_app()
    small = app.update()
    assert small is not None, app.error
    _, _, expected = lessons.trial_estimates("knee_oa", ("exercise_only", "combined"), n_per_arm=10)
    assert small.equals(expected)

    def xs(fig):  # the forest plot's estimates and CIs are x values
        return [np.asarray(line.get_xdata(), float) for ax in fig.axes for line in ax.get_lines()]

    lines = xs(app.figure)
    app.controls["n_per_arm"].value = 60  # what a student moving the slider does
    big = app.numbers
    assert big is not None and app.error is None
    assert big["SD of estimates"].iloc[0] < small["SD of estimates"].iloc[0]
    assert big["significant (%)"].iloc[0] > small["significant (%)"].iloc[0]
    assert big["true difference"].iloc[0] == small["true difference"].iloc[0]
    assert any(not np.array_equal(a, b) for a, b in zip(lines, xs(app.figure), strict=False))
    app.controls["arm"].value = "exercise_only"  # the same plan as the control arm
    assert app.numbers is None
    assert "a trial compares two different plans" in app.message.value
    assert "Traceback" not in app.message.value


def test_lesson8_and_9_helpers_refuse_bad_input():
    with pytest.raises(ValueError, match="design must be one of"):
        lessons.combined_vs_exercise_plans(design="crossover")
    with pytest.raises(ValueError, match="exercise_minutes must be a positive number"):
        lessons.combined_vs_exercise_plans(exercise_minutes=0)
    with pytest.raises(ValueError, match="two different plans"):
        lessons.trial_estimates(arms=("combined", "combined"))
    # with the defaults and the same minutes, the plans are the standard ones
    std = ptsim.standard_plans()
    plans = lessons.combined_vs_exercise_plans()
    assert plans["combined"] == std["combined"] and plans["exercise_only"] == std["exercise_only"]


def test_compare_app_busy_line_reports_each_chunk_of_patients(monkeypatch):
    """Reliability v3 item 3: a long compare shows its progress per chunk of patients in the app's busy
    line (the numbers do not depend on the chunks)."""
    from ptsim.engine import simulate

    app = widgets.compare_plans_app()
    before = app.update(n_patients=100)
    seen = []
    app.status.observe(lambda change: seen.append(change["new"]), names="value")
    monkeypatch.setattr(simulate, "PROGRESS_CHUNK_SIZE", 40)
    after = app.update(n_patients=100)
    chunks = [s for s in seen if " of 9 parts done" in s]
    assert len(chunks) == 3 * 3  # three plans, chunks of 40, 40 and 20 patients
    assert chunks[0].endswith("1 of 9 parts done (manual only)")
    assert seen[-1].startswith("Updated in")
    pd.testing.assert_frame_equal(before, after)
