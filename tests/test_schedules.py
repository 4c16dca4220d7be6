"""Schedules as data: phases (frequency or visit days, session, home days), sequential blocks, boosters."""

from pathlib import Path

import numpy as np
import pytest

import ptsim
from ptsim.inputs.plans import Component, HomeProgramme, Phase, Plan, Schedule, Session, standard_plans

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "plans" / "manual_then_exercise_boosters.toml"

MANUAL = Session((Component("education", 5), Component("manual_therapy", 40)), 45)
EXERCISE = Session((Component("education", 5), Component("exercise", 40, 0.7)), 45)


def test_standard_plans_lay_out_as_before():
    """A plan without a schedule is one phase: visits on the spread weekdays, home on the free days."""
    plan = standard_plans()["combined"]
    ds = plan.day_schedule(60)
    d = np.arange(61)
    expected = (d < 42) & np.isin(d % 7, (0, 3))
    assert np.array_equal(ds.clinic, expected)
    assert np.all(ds.home_frequency[(d < 42) & ~expected] == 5 / 5)
    assert np.all(ds.home_frequency[d >= 42] == 0)
    assert plan.phases == (Phase(6, sessions_per_week=2),)


def test_sequential_blocks_give_each_block_its_sessions_on_its_days():
    plan = Plan(
        "blocks",
        None,
        schedule=Schedule(
            (
                Phase(6, sessions_per_week=2, session=MANUAL, home_days_per_week=0),
                Phase(6, sessions_per_week=3, session=EXERCISE),
            )
        ),
        home=HomeProgramme(days_per_week=4),
    )
    assert plan.weeks == 12 and plan.discharge_day == 84
    ds = plan.day_schedule(120)
    manual_days = [
        d for d in range(121) if ds.session_index[d] >= 0 and ds.sessions[ds.session_index[d]] == MANUAL
    ]
    exercise_days = [
        d for d in range(121) if ds.session_index[d] >= 0 and ds.sessions[ds.session_index[d]] == EXERCISE
    ]
    assert manual_days == [7 * w + k for w in range(6) for k in (0, 3)]
    assert exercise_days == [42 + 7 * w + k for w in range(6) for k in (0, 2, 4)]
    # no home exercise in the manual block; 4 home days over the 4 free days of the exercise block
    assert np.all(ds.home_frequency[:42] == 0)
    free = [d for d in range(42, 84) if ds.session_index[d] < 0]
    assert np.all(ds.home_frequency[free] == 1.0)

    # the engine gives the sessions on those days: no exercise before day 42, exercise on its days
    res = ptsim.simulate("knee_oa", plan, n_patients=15, days=120, seed=1)
    dose = res.exercise_dose.mean(axis=0)
    assert np.all(dose[:42] == 0)
    assert np.all(dose[exercise_days] > 0)
    # a manual block first lowers pain faster than the same weeks of no care
    usual = ptsim.simulate("knee_oa", "usual_care", n_patients=15, days=120, seed=1)
    assert res.pain[:, 41].mean() < usual.pain[:, 41].mean()


def test_explicit_visit_days_and_tapering():
    plan = Plan(
        "taper",
        EXERCISE,
        schedule=Schedule(
            (
                Phase(2, sessions_per_week=3),
                Phase(4, visit_days=(0, 14), label="taper"),
                Phase(2, visit_days=(6,)),
            )
        ),
    )
    ds = plan.day_schedule(70)
    assert list(np.flatnonzero(ds.clinic)) == [0, 2, 4, 7, 9, 11, 14, 28, 48]
    assert plan.discharge_day == 56


def test_booster_schedule_runs_from_toml():
    plan = ptsim.load_plan(EXAMPLE)
    assert plan.schedule.booster_days == (91, 182)
    assert plan.discharge_day == 84
    ds = plan.day_schedule(365)
    assert ds.clinic[91] and ds.clinic[182] and not ds.clinic[85:91].any()
    res = ptsim.simulate("knee_oa", EXAMPLE, n_patients=20, days=365, seed=2)
    # booster visits hold the last phase's session (exercise): every patient exercises on those days
    assert np.all(res.exercise_dose[:, [91, 182]] > 0)
    # and a booster changes the course after it: the same plan without boosters differs from day 91 on
    plain = plan.with_(schedule=Schedule(plan.schedule.phases))
    res0 = ptsim.simulate("knee_oa", plain, n_patients=20, days=365, seed=2)
    assert np.array_equal(res.strength[:, :91], res0.strength[:, :91])
    # (fatigue holds strength back for a few days after a visit; a month on the booster shows)
    assert res.strength[:, 120].mean() > res0.strength[:, 120].mean()
    assert res.function[:, 200].mean() > res0.function[:, 200].mean()
    # the same patients in a comparison with the standard plans
    comp = ptsim.compare(
        "knee_oa", {"usual_care": "usual_care", "blocks": plan}, n_patients=20, days=100, seed=2
    )
    assert np.array_equal(comp["blocks"].pain, res.pain[:, :101])


def test_booster_session_can_be_named():
    plan = Plan(
        "b",
        EXERCISE,
        home=HomeProgramme(days_per_week=3),
        schedule=Schedule((Phase(4, sessions_per_week=2),), booster_days=(60,), booster_session=MANUAL),
    )
    ds = plan.day_schedule(90)
    assert ds.sessions[ds.session_index[60]] == MANUAL
    assert plan.resolve(ptsim.load_condition("knee_oa")).schedule.booster_session.components[1].kind != (
        "manual_therapy"
    )


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Phase(0, sessions_per_week=2), r"phase weeks must be in \[1, 520\]"),
        (lambda: Phase(4), "give exactly one of sessions_per_week"),
        (lambda: Phase(4, sessions_per_week=2, visit_days=(0,)), "give exactly one of sessions_per_week"),
        (lambda: Phase(2, visit_days=(0, 14)), r"phase visit_days must be in \[0, 13\], got 14"),
        (lambda: Phase(2, visit_days=(3, 3)), "repeated day"),
        (lambda: Phase(2, sessions_per_week=8), r"phase sessions_per_week must be in \[0, 7\]"),
        (lambda: Schedule(()), "phases is empty"),
        (
            lambda: Schedule((Phase(6, sessions_per_week=2),), booster_days=(30,)),
            r"fall within care .* day 42",
        ),
        (lambda: Schedule((Phase(6, sessions_per_week=2),), booster_days=(50.5,)), "whole number"),
        (lambda: Plan("x", EXERCISE, 2, schedule=Schedule((Phase(1, sessions_per_week=2),))), "not beside"),
        (
            lambda: Plan("x", EXERCISE, weeks=3, schedule=Schedule((Phase(1, sessions_per_week=2),))),
            "disagrees",
        ),
        (lambda: Plan("x", None, schedule=Schedule((Phase(1, sessions_per_week=2),))), "names no session"),
        (
            lambda: Plan(
                "x", EXERCISE, schedule=Schedule((Phase(1, sessions_per_week=2, home_days_per_week=3),))
            ),
            "no home programme",
        ),
        (
            lambda: Plan(
                "x",
                EXERCISE,
                home=HomeProgramme(days_per_week=3),
                schedule=Schedule((Phase(1, visit_days=(0, 1, 2, 3, 4)),)),
            ),
            "week 0: 5 visits plus 3 home days exceed 7",
        ),
    ],
)
def test_bad_schedules_give_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "text, match",
    [
        ("[schedule]\nbooster_days = [91]\n", r"key 'schedule.phases': give at least one"),
        ("[schedule]\n[[schedule.phases]]\nsessions_per_week = 2\n", r"schedule.phases\[0\].weeks': missing"),
        (
            "[schedule]\n[[schedule.phases]]\nweeks = 2\nsesions_per_week = 2\n",
            r"phases\[0\].sesions_per_week",
        ),
        ("weeks = 6\n[schedule]\n[[schedule.phases]]\nweeks = 2\nsessions_per_week = 2\n", "key 'weeks'"),
        (
            "[schedule]\nbooster_day = [3]\n",
            r"key 'schedule.booster_day': unknown key in table \[schedule\]; did you mean 'booster_days'\?",
        ),
        (
            "[schedule]\nbooster_days = [3]\n[[schedule.phases]]\nweeks = 2\nsessions_per_week = 2\n",
            r"key 'schedule': schedule booster_days \[3\] fall within care",
        ),
        (
            "[schedule]\n[[schedule.phases]]\nweeks = 2\nvisit_days = [0, 20]\n",
            r"key 'schedule.phases\[0\]': phase visit_days must be in \[0, 13\]",
        ),
        (
            "[schedule]\n[[schedule.phases]]\nweeks = 2\nsessions_per_week = 2\n[schedule.phases.session]\n"
            'components = [ { kind = "massage", minutes = 50 } ]\n',
            r"schedule.phases\[0\].session': session components take 50 min",
        ),
    ],
)
def test_bad_schedule_files_name_file_and_key(tmp_path, text, match):
    path = tmp_path / "plan.toml"
    path.write_text(
        'name = "x"\n' + text + '[session]\ncomponents = [ { kind = "exercise", minutes = 30 } ]\n'
    )
    with pytest.raises(ValueError, match="plan.toml: ") as info:
        ptsim.load_plan(path)
    assert info.match(match)


def test_adaptive_policies_refuse_a_schedule():
    from ptsim.engine.adaptive import FixedPolicy, simulate_policy

    plan = ptsim.load_plan(EXAMPLE)
    with pytest.raises(ValueError, match="has a schedule"):
        simulate_policy("knee_oa", FixedPolicy(plan), n_patients=3, days=10)


def test_course_minutes_count_a_schedules_visits():
    from ptsim.analysis.trial import course_minutes

    plan = ptsim.load_plan(EXAMPLE)  # 12 manual visits, 12 exercise visits, 2 exercise boosters
    minutes = course_minutes(plan)
    assert minutes["manual_therapy"] == 12 * 40
    assert minutes["exercise"] == 14 * 40
    assert minutes["education"] == 26 * 5
    assert minutes["home exercise"] == 20 * 5 * 6  # home only in the exercise block
