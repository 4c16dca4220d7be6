"""Run the lesson notebooks top to bottom in a fresh kernel and store their outputs in place.

The stored outputs are what ``pytest`` (nbval) checks, so run this after changing a lesson, a
condition file or a model default on purpose, then review the changed numbers with ``git diff``::

    python notebooks/run_all.py            # every lesson
    python notebooks/run_all.py 03 05      # only lessons whose file names start with 03 or 05

It uses the Python of the environment it runs in (the kernel is started with this interpreter),
so run it from the project's environment (``pip install -e ".[test,lab]"``).

The state of the widgets each lesson displays is stored in the notebook's metadata (a trusted
notebook, nbviewer or Voila shows the app from it), and each app's output also carries a static
PNG of its figure, which is what JupyterLab shows for a lesson opened for the first time (an
untrusted notebook renders no widgets): never a Python repr. Execution
timing is not stored, the widgets' ids are numbered in order of appearance and the apps' timing
line is blanked, so re-running an unchanged lesson gives an unchanged file.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def lessons(prefixes=()) -> list[Path]:
    """The lesson notebooks (``NN_*.ipynb``) in reading order, optionally filtered by prefix."""
    found = sorted(p for p in HERE.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        found = [p for p in found if p.name.startswith(tuple(prefixes))]
    return found


def run(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; returns the wall time (seconds)."""
    import nbformat

    try:
        from nbclient import NotebookClient
    except ImportError:  # nbclient comes with the lab extra (through nbconvert)
        raise SystemExit('run_all.py needs nbclient: pip install -e ".[test,lab]"') from None

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",  # jupyter_client starts it with this interpreter (sys.executable)
        resources={"metadata": {"path": str(HERE)}},
        record_timing=False,
        store_widget_state=True,
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _stable_outputs(cell.outputs)
    store_widget_state(nb, path.stem)
    nbformat.write(nb, path)
    return time.perf_counter() - start


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
REPR_TEXT = "The lesson's app: run this cell (Shift + Enter) to use it."
"""What a viewer without widget support shows instead of the app (not a Python repr)."""
STATUS_CLASS = "ptsim-status"


def _stable_outputs(outputs):
    """Outputs that do not change between identical runs.

    Consecutive prints to the same stream are merged (how they were split into messages depends on
    timing), and a widget view's plain-text fallback (the app's Python repr) is replaced by a sentence
    saying what to do.
    """
    stable = []
    for out in outputs:
        if out.output_type == "stream" and stable and stable[-1].output_type == "stream":
            if stable[-1].name == out.name:
                stable[-1].text += out.text
                continue
        if WIDGET_VIEW in out.get("data", {}):
            out["data"]["text/plain"] = REPR_TEXT
        stable.append(out)
    return stable


def _views(nb) -> list[str]:
    """Model ids of the widget views the notebook's outputs display, in order."""
    ids = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is not None:
                ids.append(view["model_id"])
    return ids


def store_widget_state(nb, name: str) -> None:
    """Keep the state of the displayed widgets only, with stable ids and no timing.

    The models reachable from the displayed views are kept (an app's controls, layouts, styles, its
    image and table), renamed ``uuid5(name, order of appearance)`` everywhere they are referred to,
    and the apps' status line ("Updated in 0.1 s.") is blanked.
    """
    meta = nb.metadata.get("widgets", {}).get(WIDGET_STATE)
    views = _views(nb)
    if meta is None or not views:
        nb.metadata.pop("widgets", None)
        return
    state = meta["state"]
    order, todo = [], list(views)
    while todo:  # depth-first from the views, in a fixed order
        mid = todo.pop(0)
        if mid in order or mid not in state:
            continue
        order.append(mid)
        todo[:0] = re.findall(r"IPY_MODEL_([0-9a-f]{32})", repr(state[mid]["state"]))
    names = {
        mid: uuid.uuid5(uuid.NAMESPACE_URL, f"ptsim-lesson:{name}:{i}").hex for i, mid in enumerate(order)
    }

    def rename(value):
        if isinstance(value, str):
            return re.sub(r"IPY_MODEL_([0-9a-f]{32})", lambda m: "IPY_MODEL_" + names.get(m[1], m[1]), value)
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        return value

    kept = {}
    for mid in order:
        model = rename(state[mid])
        if STATUS_CLASS in model["state"].get("_dom_classes", ()):
            model["state"]["value"] = ""
        kept[names[mid]] = model
    meta["state"] = kept
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is not None:
                view["model_id"] = names.get(view["model_id"], view["model_id"])
                figure = _first_image(kept, view["model_id"])
                if figure is not None:
                    out["data"]["image/png"] = figure


def _first_image(state: dict, model_id: str) -> str | None:
    """The PNG (base64) of the first image widget inside a displayed widget, or None.

    It goes into the view's output as ``image/png``: a notebook that is not trusted (any lesson
    opened for the first time) does not render widgets, and shows this static figure of the app
    instead; once the lesson runs, the live app takes its place.
    """
    todo, seen = [model_id], set()
    while todo:
        mid = todo.pop(0)
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        model = state[mid]
        if model["model_name"] == "ImageModel" and model.get("buffers"):
            return model["buffers"][0]["data"]
        todo[:0] = re.findall(r"IPY_MODEL_([0-9a-f]{32})", repr(model["state"]))
    return None


def main(argv=None) -> int:
    prefixes = sys.argv[1:] if argv is None else argv
    paths = lessons(prefixes)
    if not paths:
        print(f"no lesson notebooks match {prefixes!r} in {HERE}", file=sys.stderr)
        return 2
    total = 0.0
    for path in paths:
        seconds = run(path)
        total += seconds
        print(f"{path.name}: executed in {seconds:.1f} s")
    print(f"{len(paths)} notebook(s) in {total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
