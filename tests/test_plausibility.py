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
    now = pl.table_markdown(table).split(pl.START, 1)[1].split(pl.END, 1)[0]
    assert section.strip() == now.strip(), "stale: python -m ptsim.analysis.plausibility --write"


def test_every_comparison_has_a_row_and_every_pooled_row_is_shown(table):
    pooled = pl.load_pooled()
    assert {p.condition for p in pooled} == set(table["condition"])
    shown = set(table["pooled_id"])
    assert {p.id for p in pooled} <= shown
    # per condition: 5 plans x 2 days x 3 outcomes against usual care, at least
    for _, part in table.groupby("condition"):
        assert len(part[part["comparator"] == "usual_care"]) >= 30
    # no evidence interval is a point
    assert (table["model_high"] - table["model_low"] > 0).all()


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
