"""Printable handouts: the lessons exported to HTML (and PDF), with each app's figure as a picture.

Run from a checkout (the lessons live in ``notebooks/``)::

    python -m ptsim.teaching.handouts --out handouts/            # all nine lessons, HTML
    python -m ptsim.teaching.handouts --out handouts/ --pdf      # and PDF (needs Chromium)
    python -m ptsim.teaching.handouts --out handouts/ 03 05      # lessons 3 and 5 only

Each lesson is run afresh in a Python kernel (so the handout shows the current model's numbers);
an interactive app cannot be printed, so each app's output is replaced by a static snapshot at the
lesson's settings: a line naming those settings, the figure (150 dpi) and the table. Code is left out
unless ``--with-code`` is given; the handout reads as the lesson's text, figures and printed tables.
The HTML files are self-contained (images embedded) and need no network. PDF pages are printed by
Chromium through Playwright (``pip install playwright``; Chromium from the system, by default
``/usr/bin/chromium``, or ``PTSIM_CHROMIUM``), with every request other than the file itself blocked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from ptsim.core.extras import MissingExtraError, require

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DEFAULT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
"""The lessons in a checkout: ``notebooks/`` beside the ``ptsim`` package."""
CHROMIUM = Path(os.environ.get("PTSIM_CHROMIUM", "/usr/bin/chromium"))
CELL_TIMEOUT_S = 600
SNAPSHOT_DPI = 150
"""Resolution of an app's figure in a handout: sharp on paper, a few hundred kB a figure."""

HANDOUT_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock -%}
{%- block html_head_js_mathjax -%}{%- endblock -%}
{%- block html_head_js_mermaidjs -%}{%- endblock -%}
"""
"""nbconvert's page without its scripts from the internet (require.js, MathJax, Mermaid): the lessons
use no LaTeX or diagrams, and a handout must open and print offline."""

# Runs in the lesson's kernel right after a cell that displayed an app: shows the app's settings,
# figure and table as static outputs. ``{model_id}`` names the app's widget.
SNAPSHOT_CODE = """
import io as _io
from IPython.display import HTML as _HTML, display as _display
from ipywidgets.widgets.widget import _instances as _widgets
_app = _widgets.get({model_id!r})
if _app is None or getattr(_app, "figure", None) is None:
    _display(_HTML("<p><i>(An interactive app: open the lesson in JupyterLab to use it.)</i></p>"))
else:
    import html as _html
    _values = _app.values()
    _labels = {{k: s.get("label", k) for k, s in _app.specs.items()}}
    _display(_HTML("<p><b>The app at these settings:</b> " + "; ".join(
        f"{{_html.escape(str(_labels[k]))}}: {{_html.escape(str(v))}}" for k, v in _values.items()) + "</p>"))
    import base64 as _b64
    _buf = _io.BytesIO()
    _app.figure.savefig(_buf, format="png", dpi={dpi})
    _title = _app.figure.get_suptitle() or next(
        (a.get_title() for a in _app.figure.axes if a.get_title()), "the app's figure")
    _alt = _html.escape("Figure: " + " ".join(_title.split()), quote=True)
    _src = "data:image/png;base64," + _b64.b64encode(_buf.getvalue()).decode()
    _display(_HTML(f'<img alt="{{_alt}}" src="{{_src}}" style="max-width:100%">'))
    if _app.table.value:
        _display(_HTML(_app.table.value))
"""


def lesson_paths(notebooks: Path, selection: list[str] | None = None) -> list[Path]:
    """The lesson notebooks (``NN_name.ipynb``) in ``notebooks``, all or those whose number or name is given.

    Raises
    ------
    FileNotFoundError
        If the folder has no lessons.
    ValueError
        If a selected lesson is not there (the message lists those that are).
    """
    notebooks = Path(notebooks)
    found = sorted(p for p in notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(
            f"no lessons (NN_name.ipynb) in {notebooks}; pass --notebooks with the folder of a ptsim checkout"
        )
    if not selection:
        return found
    chosen = []
    for want in selection:
        match = [
            p for p in found if p.stem == want or p.name == want or p.stem.split("_", 1)[0] == want.zfill(2)
        ]
        if not match:
            raise ValueError(
                f"no lesson {want!r} in {notebooks}; accepted: {', '.join(p.stem for p in found)}"
            )
        chosen += [p for p in match if p not in chosen]
    return chosen


LAB_MODULES = ("nbformat", "nbclient", "nbconvert", "ipykernel", "ipywidgets")
"""What the handouts need from the ``lab`` extra."""


def _local_kernel(folder: Path):
    """Configuration for a kernel on this computer: over Unix sockets in ``folder`` where the system
    has them (no network port, so no "running over TCP without encryption" warning per lesson), TCP
    on 127.0.0.1 elsewhere (Windows)."""
    from traitlets.config import Config

    if os.name == "posix":
        return Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "kernel")}})
    return Config()


def run_lesson(path: Path, kernel_name: str = "python3"):
    """Run a lesson top to bottom in a fresh kernel, replacing each app's output with a snapshot.

    Returns
    -------
    nbformat.NotebookNode
        The lesson with fresh outputs.

    Raises
    ------
    RuntimeError
        If a cell fails (naming the lesson and the cell).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    env_backend = os.environ.get("MPLBACKEND")
    sockets = tempfile.TemporaryDirectory(prefix="ptsim-handout-")
    client = NotebookClient(
        nb,
        config=_local_kernel(Path(sockets.name)),
        timeout=CELL_TIMEOUT_S,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        os.environ["MPLBACKEND"] = "agg"  # the kernel inherits it: figures are drawn to bytes only
        with sockets, client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as exc:
                    raise RuntimeError(
                        f"{path.name}: cell {index} failed: {str(exc).splitlines()[-1]}"
                    ) from None
                outputs = []
                for out in cell.outputs:
                    model = out.get("data", {}).get(WIDGET_VIEW)
                    if model is None:
                        outputs.append(out)
                        continue
                    snap = nbformat.v4.new_code_cell(
                        SNAPSHOT_CODE.format(model_id=model["model_id"], dpi=SNAPSHOT_DPI)
                    )
                    client.execute_cell(snap, index)
                    outputs += snap.outputs
                cell.outputs = outputs
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    nb.metadata.pop("widgets", None)
    return nb


def to_html(nb, with_code: bool = False) -> str:
    """A lesson as one self-contained HTML page (images embedded; no scripts needed to read it)."""
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"handout.html.j2": HANDOUT_TEMPLATE})],
        template_file="handout.html.j2",
        exclude_input=not with_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return body


def html_to_pdf(html_files: list[Path], chromium: Path = CHROMIUM) -> list[Path]:
    """Print HTML files to A4 PDFs beside them with Chromium; nothing else is loaded.

    Raises
    ------
    RuntimeError
        If Playwright or Chromium is missing (saying how to install them).
    """
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        raise RuntimeError(
            "PDF handouts need Playwright: pip install playwright (HTML was written)"
        ) from None
    if not chromium.exists():
        raise RuntimeError(
            f"PDF handouts need Chromium at {chromium} (apt-get install chromium, or set PTSIM_CHROMIUM); "
            "HTML was written"
        )

    async def main() -> list[Path]:
        written = []
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(chromium), headless=True, args=["--no-sandbox"]
            )
            for html in html_files:
                page = await browser.new_page()

                async def offline(route):
                    # images are embedded (data: URLs); nothing is fetched from a network
                    await (route.continue_() if route.request.url.startswith("data:") else route.abort())

                await page.route("**/*", offline)
                await page.emulate_media(media="print")
                await page.set_content(html.read_text(encoding="utf-8"), wait_until="load")
                pdf = html.with_suffix(".pdf")
                await page.pdf(
                    path=str(pdf),
                    format="A4",
                    print_background=True,
                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
                )
                await page.close()
                written.append(pdf)
            await browser.close()
        return written

    return asyncio.run(main())


def export(
    out: Path,
    notebooks: Path = DEFAULT_NOTEBOOKS,
    lessons: list[str] | None = None,
    pdf: bool = False,
    with_code: bool = False,
) -> list[Path]:
    """Export lessons to ``out`` as HTML (and PDF); returns the files written.

    Raises
    ------
    MissingExtraError
        Without the ``lab`` extra, before ``out`` is created.
    """
    require("lab", "handouts", LAB_MODULES)
    paths = lesson_paths(notebooks, lessons)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        html = out / f"{path.stem}.html"
        html.write_text(to_html(run_lesson(path), with_code=with_code), encoding="utf-8")
        written.append(html)
    if pdf:
        written += html_to_pdf([p for p in written if p.suffix == ".html"])
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ptsim.teaching.handouts",
        description="Export the lessons to printable HTML (and PDF) handouts, each app as a static figure.",
    )
    parser.add_argument("lessons", nargs="*", metavar="LESSON", help="lesson numbers or names (default: all)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the handouts to")
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=DEFAULT_NOTEBOOKS,
        help=f"folder of the lessons (default {DEFAULT_NOTEBOOKS})",
    )
    parser.add_argument("--pdf", action="store_true", help="also print each handout to PDF with Chromium")
    parser.add_argument(
        "--with-code", action="store_true", help="keep the code cells (default: text and results only)"
    )
    args = parser.parse_args(argv)
    try:
        require("lab", "handouts", LAB_MODULES)
        paths = lesson_paths(args.notebooks, args.lessons)
    except (FileNotFoundError, ValueError, MissingExtraError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    written = []
    try:
        for path in paths:
            print(f"running {path.name} ...", flush=True)
            written += export(args.out, args.notebooks, [path.stem], pdf=False, with_code=args.with_code)
        if args.pdf:
            written += html_to_pdf([p for p in written if p.suffix == ".html"])
    except RuntimeError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    for p in written:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
