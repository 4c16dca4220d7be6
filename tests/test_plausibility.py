"""The plausibility table (issue 20 item 6): docs/model.md carries what
``python -m ptsim.analysis.plausibility --write`` prints now, and the pooled-evidence file is read
strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsim.analysis import plausibility as pl

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table():
    return pl.plausibility_table()


def test_stored_section_of_model_md_is_current(table):
    stored = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = stored.split(pl.START, 1)[1].split(pl.END, 1)[0]
    now = pl.table_markdown(table, pl.natural_course()).split(pl.START, 1)[1].split(pl.END, 1)[0]
    assert section.strip() == now.strip(), "stale: python -m ptsim.analysis.plausibility --write"


def test_every_comparison_has_a_row_and_every_pooled_row_is_shown(table):
    pooled = pl.load_pooled()
    assert {p.condition for p in pooled} == set(table["condition"])
    shown = set(table["pooled_id"])
    assert {p.id for p in pooled} <= shown
    # per condition: 5 plans x 2 days x 3 outcomes against usual care, at least
    for _, part in table.groupby("condition"):
        assert len(part[part["comparator"] == "usual_care"]) >= 30
    # an evidence interval that is a point is labelled as one in the stored section (issue 20 item 5)
    stored = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    points = sum(pl.is_point(r.model, r.model_low, r.model_high) for r in table.itertuples())
    assert stored.count("(a point: no free parameter of the fit moves it)") == points


def test_every_pooled_interval_overlaps_the_evidence_interval(table):
    """No fit may teach a comparison that contradicts the pooled evidence: each model evidence interval
    overlaps the pooled 95 % CI wherever pooled.csv gives one, and reaches within +-MCID where the
    evidence is of no clinically important difference (Runge 2022, Miller 2010 at a year)."""
    gated = table[table["overlaps"].notna()]
    assert len(gated) >= 12
    assert (gated["statistic"] == "mean_difference").any() and gated["pooled_id"].str.contains("runge").any()
    bad = gated[~gated["overlaps"].astype(bool)]
    cols = ["condition", "plan", "comparator", "day", "outcome", "model_low", "model_high"]
    assert bad.empty, bad[[*cols, "pooled_low", "pooled_high"]].to_string()


def test_qualitative_rows_are_gated_on_the_mcid():
    """A row of "no important difference" is checked against +-MCID of its outcome (NPRS: 2 points)."""
    import ptsim

    row = next(p for p in pl.load_pooled() if p.statistic == "qualitative" and p.outcome == "pain")
    assert row.gated
    assert row.bounds(ptsim.load_condition(row.condition)) == (-2.0, 2.0)


def test_bad_pooled_rows_are_refused(tmp_path):
    good = (ROOT / "data" / "evidence" / "pooled.csv").read_text(encoding="utf-8").splitlines()
    header, row = good[0], good[1]
    cases = {
        "plan 'yoga' is not one of": row.replace(",exercise_only,", ",yoga,", 1),
        "estimate 'x' is not a number": row.replace(",-1.2,", ",x,", 1),
        "expected low <= estimate <= high": row.replace(",-1.2,-1.5,-1.0,", ",-1.2,-1.0,-1.5,", 1),
        "day 'soon' is not a whole number": row.replace(",42,", ",soon,", 1),
    }
    for message, bad in cases.items():
        path = tmp_path / "pooled.csv"
        path.write_text(header + "\n" + bad + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            pl.load_pooled(path)


def test_population_priors_are_sourced_and_fit_the_conditions_bounds():
    """Partial pooling by a fixed hyperprior: every shared prior has a source, and its centre lies inside
    the bounds of every condition that frees the parameter."""
    from ptsim.analysis.calibrate import free_parameters, population_priors
    from ptsim.inputs.conditions import list_conditions

    priors = population_priors()
    assert "manual_lasting_ceiling_frac" in priors and "manual_lasting_tau_days" in priors
    for prior in priors.values():
        assert prior.source
        for name in list_conditions():
            bounds = free_parameters(name)
            if prior.name in bounds:
                low, high = bounds[prior.name]
                assert low <= prior.a <= high, (name, prior.name)


def test_bad_population_prior_is_refused(tmp_path):
    from ptsim.analysis.calibrate import population_priors

    path = tmp_path / "calibration.toml"
    bad = '[population]\nmanual_lasting_tau_days = { prior = "gamma", shape = 2 }\n'
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValueError, match="prior must be one of normal, lognormal"):
        population_priors(path)
    unsourced = '[population]\nmanual_lasting_tau_days = { prior = "lognormal", median = 60, sd_log = 0.5 }\n'
    path.write_text(unsourced, encoding="utf-8")
    with pytest.raises(ValueError, match="needs a source"):
        population_priors(path)


def test_natural_course_puts_the_questionnaire_beside_pain():
    course = pl.natural_course(["low_back_pain"], n_patients=60, members=5)
    assert set(course["day"]) == set(pl.NATURAL_COURSE_DAYS)
    pain = course[course["outcome"] == "pain"]
    assert pain["published"].notna().all() and pain["source"].str.contains("Costa").all()
    # acute low back pain improves fast untreated (M7), pain and questionnaire alike
    assert (course.groupby("outcome")["model"].apply(lambda v: v.iloc[-1] < v.iloc[0])).all()
