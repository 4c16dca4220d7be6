"""Predict, then reveal: no lesson shows an exercise's answer above the cell that checks it.

Each lesson is walked cell by cell, as a student reads it, collecting what is on screen before any
control is pressed: markdown outside ``<details>`` blocks (the reveal control of prose), the stored
outputs of code cells (the richest kind JupyterLab renders: HTML outside ``<details>``, else
plain text), and the text of the stored widget state of every app that is not in a collapsed
panel (an ``Accordion`` without a selected panel, or a widget whose layout hides it). Above the cell
that checks an exercise (``check_answer("N.M", ...)``), none of it may contain the model's answer:
for a number, the answer as the question rounds it (the size, with or without its sign); for a choice,
the numbers behind two or more of the choices (what a table that answers it shows).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ptsim.teaching import lessons

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
DETAILS = re.compile(r"<details\b.*?</details>", re.S | re.I)
CHECK = re.compile(r"""check_answer\(\s*["'](\d+\.\d+)["']""")


def _refs(value) -> list[str]:
    """Model ids a widget state value points to (``IPY_MODEL_<id>``), in lists too."""
    if isinstance(value, str):
        return [value[len("IPY_MODEL_") :]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _text(value) -> str:
    """A notebook's text field (a string, or a list of lines)."""
    return "".join(value) if isinstance(value, list) else str(value)


def _output_text(output: dict, state: dict) -> str:
    """What one stored output shows as text, a widget's visible parts included."""
    if output.get("output_type") == "stream":
        return _text(output.get("text", ""))
    data = output.get("data", {})
    if WIDGET_VIEW in data:
        return _widget_text(data[WIDGET_VIEW]["model_id"], state)
    for mime in ("text/html", "text/markdown"):  # what JupyterLab renders when it has it
        if mime in data:
            return DETAILS.sub("", _text(data[mime]))
    return _text(data.get("text/plain", ""))


def _widget_text(model_id: str, state: dict) -> str:
    """The text a widget shows before any control is pressed (collapsed and hidden parts left out)."""
    model = state.get(model_id)
    if model is None:
        return ""
    s = model["state"]
    layout = (
        state.get(_refs(s.get("layout", ""))[0], {}).get("state", {}) if _refs(s.get("layout", "")) else {}
    )
    if layout.get("display") == "none" or layout.get("visibility") == "hidden":
        return ""
    parts = [str(s[k]) for k in ("value", "description") if isinstance(s.get(k), str)]
    if model["model_name"] in ("AccordionModel", "TabModel", "StackModel"):
        shown = s.get("selected_index")
        kids = _refs(s.get("children", []))
        kids = [kids[shown]] if isinstance(shown, int) and 0 <= shown < len(kids) else []
    else:
        kids = _refs(s.get("children", []))
    parts += [_widget_text(k, state) for k in kids]
    parts += [_output_text(o, state) for o in s.get("outputs", [])]
    return "\n".join(p for p in parts if p)


def visible_cells(path: Path) -> list[tuple[str, str]]:
    """Each cell as (source, text on screen before any reveal control is pressed)."""
    nb = json.loads(path.read_text())
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    cells = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            cells.append((source, DETAILS.sub("", source)))
        elif cell["cell_type"] == "code":
            cells.append((source, "\n".join(_output_text(o, state) for o in cell.get("outputs", []))))
    return cells


def _decimals(q: lessons.Question) -> int:
    return 2 if q.tolerance < 0.05 else 1 if q.tolerance < 1 else 0


def _number(value: float, decimals: int, unit: str = "") -> re.Pattern:
    """A number as printed (either sign), not part of a longer number."""
    text = re.escape(f"{abs(value):.{decimals}f}")
    # not a parameter setting in code (``consolidation_per_window_min=0.0``): a number after "=" or "_"
    return re.compile(rf"(?<![\d.=_]){text}(?![\d]|\.\d)" + (r"\s?" + re.escape(unit) if unit else ""))


def tell_tales(qid: str) -> list[list[re.Pattern]]:
    """What would give an exercise's answer away: groups of patterns that all appear in one cell."""
    q, solved = lessons.QUESTIONS[qid], lessons.answer_key(qid)
    if not q.choices:
        d = _decimals(q)
        return [[_number(float(solved.answer), d, "%" if d == 0 and "%" in q.unit else "")]]
    values = {c: v for c, v in solved.values.items() if c in q.choices}
    if len(set(values.values())) < 2:
        return []  # one number for every choice (a difference): no table of choices gives it away
    right = values.get(solved.answer)
    groups = []
    for other, v in values.items():
        if other == solved.answer or right is None or v == right:
            continue
        for d in (1, 2):
            if float(right).is_integer() and float(v).is_integer():
                pair = [re.compile(rf"\b{int(right)} of \d+"), re.compile(rf"\b{int(v)} of \d+")]
            else:
                pair = [_number(right, d), _number(v, d)]
            groups.append(pair)
    return groups


def _asked(path: Path) -> list[str]:
    return [m.group(1) for source, _ in visible_cells(path) for m in CHECK.finditer(source)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_no_answer_is_on_screen_above_its_question(path):
    cells = visible_cells(path)
    asked = dict.fromkeys(_asked(path))
    assert asked, f"{path.name} checks no exercise"
    problems = []
    for qid in asked:
        at = next(
            i for i, (source, _) in enumerate(cells) if qid in {m.group(1) for m in CHECK.finditer(source)}
        )
        for i, (_, text) in enumerate(cells[:at]):
            for group in tell_tales(qid):
                if all(p.search(text) for p in group):
                    found = ", ".join(p.search(text).group(0) for p in group)  # type: ignore[union-attr]
                    problems.append(f"{qid}: cell {i} shows {found} above check_answer('{qid}') (cell {at})")
                    break
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_what_to_notice_is_part_of_the_reveal(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        shown = DETAILS.sub("", "".join(cell["source"]))
        assert "what to notice" not in shown.lower(), (
            f"{path.name} cell {i}: 'What to notice' is not in a reveal"
        )


def test_the_walk_sees_what_a_student_sees():
    # the walker itself: a table left open in an app, a printed answer and an open 'What to notice' fail
    state = {
        "a": {"model_name": "AccordionModel", "state": {"children": ["IPY_MODEL_t"], "selected_index": None}},
        "t": {"model_name": "HTMLModel", "state": {"value": "<td>46.0 %</td>"}},
    }
    assert _widget_text("a", state) == ""
    state["a"]["state"]["selected_index"] = 0
    assert "46.0 %" in _widget_text("a", state)
    assert _number(46.0, 0, "%").search("46 % of them")
    assert not _number(46.0, 0, "%").search("146 %")
    assert _number(-13.8, 1).search("loses 13.8 points") and not _number(-13.8, 1).search("113.85")
    assert DETAILS.sub("", "a<details><summary>What to notice</summary>x</details>b") == "ab"
