"""``ptsim forecast VISITS.csv``: a table per outcome, a tidy CSV and a figure; clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from ptsim.cli import commands as cli

VISITS = "day,pain_nprs,rom_deg,womac_0_100\n0,7,95,48\n7,6,100,\n14,6,101,\n"


def run_main(capsys, *args):
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def visits(tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text(VISITS, encoding="utf-8")
    return path


def test_forecast_prints_tables_and_writes_the_csv_and_figure(capsys, visits, tmp_path):
    out_csv, fig = tmp_path / "fc.csv", tmp_path / "fc.png"
    status, out, err = run_main(
        capsys,
        "forecast",
        str(visits),
        "--so-far",
        "manual_only",
        "--plans",
        "exercise_only,combined",
        "--horizon",
        "60",
        "--out",
        str(out_csv),
        "--plot",
        str(fig),
    )
    assert status == 0, err
    assert "not clinical advice" in out and "effective sample size" in out
    assert "docs/evidence_report.md" in out
    for word in ("pain (NPRS 0-10)", "womac (WOMAC", "exercise only", "combined", "P(MCID)", "P(setback)"):
        assert word in out, word
    table = pd.read_csv(out_csv)
    assert set(table["plan"]) == {"exercise_only", "combined"}
    assert {"median", "low_50", "high_50", "low_90", "high_90", "p_mcid", "p_setback"} <= set(table.columns)
    assert fig.read_bytes()[:4] == b"\x89PNG"
    # a named file is not replaced without --force
    status, _, err = run_main(capsys, "forecast", str(visits), "--out", str(out_csv), "--no-plot")
    assert status == 2 and "--out" in err and "--force" in err


@pytest.mark.parametrize(
    ("text", "argv", "words"),
    [
        ("day,pain\n0,7\n", [], ["unknown column 'pain'", "pain_nprs"]),
        ("day,pain_nprs\n0,7\n14,12\n", [], ["row 2", "'pain_nprs'", "[0, 10]"]),
        ("day,pain_nprs\n7,7\n3,6\n", [], ["row 2", "'day'"]),
        ("day,rom_deg\n0,3\n", [], ["row 1", "'rom_deg'", "implausible"]),
        ("day,womac_0_100\n0,40\n", ["--condition", "chronic_neck_pain"], ["'womac_0_100'", "ndi_0_50"]),
        (VISITS, ["--so-far", "nonsense"], ["--so-far", "nonsense"]),
        (VISITS, ["--plans", "nonsense"], ["--plans", "nonsense"]),
        (VISITS, ["--outcome", "mood"], ["--outcome", "mood"]),
        (VISITS, ["--horizon", "0"], ["--horizon"]),
    ],
)
def test_forecast_errors_are_one_line_naming_what_is_wrong(capsys, tmp_path, text, argv, words):
    path = tmp_path / "visits.csv"
    path.write_text(text, encoding="utf-8")
    status, out, err = run_main(capsys, "forecast", str(path), "--no-plot", *argv)
    assert status == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


def test_a_missing_visits_file_is_named(capsys, tmp_path):
    status, _, err = run_main(capsys, "forecast", str(tmp_path / "none.csv"), "--no-plot")
    assert status == 2 and "none.csv" in err
