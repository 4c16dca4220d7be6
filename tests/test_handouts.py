"""Printable handouts: ``python -m ptsim.teaching.handouts`` exports a lesson to HTML (and PDF)."""

import re

import pytest

from ptsim.teaching import handouts


def test_lessons_are_found_by_number_or_name():
    paths = handouts.lesson_paths(handouts.DEFAULT_NOTEBOOKS)
    numbered = sorted(handouts.DEFAULT_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert len(numbered) >= 9  # every lesson in the folder, numbered from 01 without a gap
    assert [p.name[:2] for p in paths] == [f"{i:02d}" for i in range(1, len(numbered) + 1)]
    assert [p.stem for p in handouts.lesson_paths(handouts.DEFAULT_NOTEBOOKS, ["3", "05_compare_plans"])] == [
        "03_window_of_opportunity",
        "05_compare_plans",
    ]


def test_an_unknown_lesson_is_named(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"no lesson '12' in .*; accepted: 01_start_here, "):
        handouts.lesson_paths(handouts.DEFAULT_NOTEBOOKS, ["12"])
    with pytest.raises(FileNotFoundError, match=f"no lessons \\(NN_name.ipynb\\) in {tmp_path}"):
        handouts.lesson_paths(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        handouts.main(["--out", str(tmp_path / "out"), "12"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: no lesson '12'" in err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def lesson_one(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    assert handouts.main(["--out", str(out), "01"]) == 0
    return out / "01_start_here.html"


def test_a_lesson_exports_to_self_contained_html(lesson_one):
    html = lesson_one.read_text(encoding="utf-8")
    assert "Lesson 1 — Start here: one patient, three plans" in html
    # the app is a picture with its settings and its table, not a widget repr or an empty box
    assert "App(children" not in html and "widget-view" not in html
    assert "<b>The app at these settings:</b> Condition: knee_oa; Virtual patient number: 0" in html
    assert len(re.findall(r'<img alt="Figure: [^"]+" src="data:image/png;base64,', html)) >= 1
    assert re.search(r'<table class="[^"]*\bptsim-table\b', html)
    # no code, no errors, nothing fetched from the internet
    assert 'CONDITION = "knee_oa"' not in html and "import ptsim" not in html
    assert (
        "Traceback" not in html
        and 'class="jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr"' not in html
    )
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)


def test_a_lesson_prints_to_pdf(lesson_one):
    if not handouts.CHROMIUM.exists():
        pytest.skip(f"no Chromium at {handouts.CHROMIUM}")
    pytest.importorskip("playwright")
    (pdf,) = handouts.html_to_pdf([lesson_one])
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000
    assert int(re.findall(rb"/Count (\d+)", data)[0]) >= 3  # several A4 pages
