"""The "Forecast a patient" app (dashboard, lesson 10) and lesson 10's computations."""

from __future__ import annotations

import json

import pytest

from ptsim.teaching import lesson10
from ptsim.teaching.dashboard import NOTEBOOK

widgets = pytest.importorskip("ptsim.teaching.widgets")


@pytest.fixture(scope="module")
def app():
    app = widgets.forecast_app()
    app.run(horizon=28, plans="manual, exercise, combined")
    return app


def test_the_app_forecasts_its_case_and_shows_figure_table_and_framing(app):
    assert app.error is None and app.result is not None
    assert app.image.value[:4] == b"\x89PNG"
    assert app.alt_text.value and "Figure:" in app.alt_text.value
    assert "not clinical advice" in app.header.value and "effective sample size" in app.header.value
    assert "P(MCID)" in app.table.value and "combined" in app.table.value
    assert set(app.result.plans) == {"manual_only", "exercise_only", "combined"}
    before = app.image.value
    app.outcome.value = "rom"  # redrawn from the same forecast
    assert app.image.value != before and app.result is not None
    assert "ptsim-app" in app._dom_classes and "ptsim-figure" in app.image._dom_classes


@pytest.mark.parametrize(
    ("visits", "words"),
    [
        ("day,pain\n0,5\n", ["unknown column 'pain'"]),
        ("day,pain_nprs\n0,5\n7,11\n", ["row 2", "'pain_nprs'"]),
        ("day,rom_deg\n0,2\n", ["row 1", "implausible"]),
        ("", ["visits"]),
    ],
)
def test_bad_visits_show_a_message_not_a_forecast(app, visits, words):
    assert app.run(visits=visits) is None
    assert app.result is None
    for word in words:
        assert word in app.error and word.replace("'", "&#x27;") in app.message.value
    app.run(visits=lesson10.CASES[lesson10.STORY].visits)  # and it recovers


def test_a_case_loads_its_condition_care_and_visits():
    app = widgets.forecast_app("neck_2_visits", css_prefix="ptsim-forecast")
    assert app.condition.value == "chronic_neck_pain" and app.so_far.value == "exercise_only"
    assert "ndi_0_50" in app.visits.value
    assert "ptsim-app" not in app._dom_classes and "ptsim-forecast-app" in app._dom_classes
    app.case.value = "knee_3_visits"
    assert app.condition.value == "knee_oa" and "womac_0_100" in app.visits.value
    with pytest.raises(ValueError, match="case must be one of"):
        widgets.forecast_app("nobody")


def test_the_dashboard_offers_the_forecast_app():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    source = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "forecast_app(" in source and "Forecast a patient" in source and "not clinical advice" in source


def test_lesson_10_answers_follow_its_rules():
    fc = lesson10.case_forecast()
    day = fc.visits.last_day + lesson10.HORIZON_DAYS
    answer, medians, mcid = lesson10.lowest_or_tie(fc, "pain", day)
    best = min(medians.values())
    if answer == lesson10.TIE:
        assert sorted(medians.values())[1] - best < mcid
    else:
        assert all(m - best >= mcid for p, m in medians.items() if p != answer)
    solved = lesson10.solve_10_2()
    three, one = solved["values"]["all three visits"], solved["values"]["the intake alone"]
    assert solved["answer"] == (
        "the same" if abs(three - one) < 1 else min(solved["values"], key=solved["values"].get)
    )
    assert 0 <= lesson10.solve_10_3()["answer"] <= 100
