"""One vocabulary (ptsim.core.vocabulary): the outcome table every layer reads, and compare()'s progress."""

import io

import pytest

import ptsim
from ptsim.analysis.outcomes import measure
from ptsim.core.vocabulary import OUTCOMES, get_outcome
from ptsim.engine import simulate as sim
from ptsim.engine.vectorised import OUTPUTS


def test_every_layer_reads_the_one_outcome_table():
    from ptsim.analysis import calibrate, sensitivity, trial

    assert sim.OUTCOMES is OUTCOMES
    assert OUTPUTS == tuple(OUTCOMES)
    assert trial.OUTCOME_COLUMNS == {k: o.column for k, o in OUTCOMES.items()}
    assert sensitivity.OUTCOMES == (*OUTCOMES, "setbacks")
    assert calibrate.TARGET_OUTCOMES == (*OUTCOMES, "disability")


def test_result_frames_use_the_tables_columns_and_units():
    res = ptsim.simulate("knee_oa", "combined", n_patients=3, days=5, seed=0)
    frame = res.to_frame()
    for name, o in OUTCOMES.items():
        assert (frame[o.column].to_numpy() == res.outcome(name).ravel()).all()
    measured = measure(res, [5], seed=0)
    # the outcomes' columns, then the condition's questionnaire computed from the readings
    assert [c for c in measured.columns if c not in ("patient_id", "day")] == [
        *(o.column for o in OUTCOMES.values()),
        res.condition.questionnaire.column,
    ]
    summary = ptsim.compare("knee_oa", ["combined"], n_patients=3, days=5).summary(days=[5])
    assert dict(zip(summary["outcome"], summary["unit"], strict=True)) == {
        k: o.unit for k, o in OUTCOMES.items()
    }


def test_outcome_bounds_hold_in_a_simulation():
    res = ptsim.simulate("knee_oa", "combined", n_patients=50, days=60, seed=1)
    for name, o in OUTCOMES.items():
        values = res.outcome(name)
        assert o.low is None or values.min() >= o.low
        assert o.high is None or values.max() <= o.high
    assert [o.name for o in OUTCOMES.values() if o.lower_is_better] == ["pain"]


def test_get_outcome_takes_names_and_columns_and_refuses_others():
    assert get_outcome("rom") is get_outcome("rom_deg") is OUTCOMES["rom"]
    with pytest.raises(ValueError, match=r"unknown outcome 'mood'; accepted: 'rom' \(rom_deg\)"):
        get_outcome("mood")


def _compare_with_progress(**chunking):
    seen = []
    comp = ptsim.compare(
        "knee_oa",
        ["usual_care", "combined"],
        n_patients=5,
        days=7,
        seed=2,
        progress=lambda done, total, name: seen.append((done, total, name)),
        **chunking,
    )
    return comp, seen


def test_compare_reports_progress_per_plan_and_chunk():
    comp, seen = _compare_with_progress()
    assert seen == [(1, 2, "usual_care"), (2, 2, "combined")]
    chunked, seen = _compare_with_progress(chunk_size=2)  # 5 patients in 3 chunks, 2 plans each
    assert [s[:2] for s in seen] == [(k, 6) for k in range(1, 7)]
    assert [s[2] for s in seen] == ["usual_care", "combined"] * 3
    assert (chunked["combined"].pain == comp["combined"].pain).all()
    with pytest.raises(ValueError, match="progress must be a callable"):
        ptsim.compare("knee_oa", ["combined"], n_patients=2, days=2, progress=3)


def test_cli_progress_bar_follows_compare():
    from tqdm import tqdm

    from ptsim.cli.commands import _advance

    with tqdm(total=1, file=io.StringIO()) as bar:
        ptsim.compare(
            "knee_oa", ["usual_care", "combined"], n_patients=3, days=3, chunk_size=2, progress=_advance(bar)
        )
        assert (bar.n, bar.total) == (4, 4)
        assert "combined" in str(bar)
