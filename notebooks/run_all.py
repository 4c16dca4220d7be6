"""Run the lesson notebooks top to bottom in a fresh kernel and store their outputs in place.

The stored outputs are what ``pytest`` (nbval) checks, so run this after changing a lesson, a
condition file or a model default on purpose, then review the changed numbers with ``git diff``::

    python notebooks/run_all.py            # every lesson
    python notebooks/run_all.py 03 05      # only lessons whose file names start with 03 or 05

It uses the Python of the environment it runs in (the kernel is started with this interpreter),
so run it from the project's environment (``pip install -e ".[test,lab]"``). Execution timing and
widget state are not stored, so re-running an unchanged lesson gives an unchanged file.
"""

from __future__ import annotations

import sys
import time
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
        store_widget_state=False,
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _stable_outputs(cell.outputs)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
UNSTORED_WIDGET = "widget-state-not-stored"


def _stable_outputs(outputs):
    """Outputs that do not change between identical runs.

    Consecutive prints to the same stream are merged (how they were split into messages depends on
    timing), and a widget view's random model id is replaced by a fixed marker: widget state is not
    stored, so the id refers to nothing once the kernel has gone.
    """
    stable = []
    for out in outputs:
        if out.output_type == "stream" and stable and stable[-1].output_type == "stream":
            if stable[-1].name == out.name:
                stable[-1].text += out.text
                continue
        view = out.get("data", {}).get(WIDGET_VIEW)
        if view is not None:
            view["model_id"] = UNSTORED_WIDGET
        stable.append(out)
    return stable


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
