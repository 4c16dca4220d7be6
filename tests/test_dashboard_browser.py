"""The plan-comparison dashboard, end to end in a real browser.

``ptsim dashboard`` serves the dashboard with Voila on a free loopback port; Debian's Chromium,
driven by Playwright, opens it, moves its controls with the mouse-free keyboard, and checks that
the figure and the table shown are exactly what the Python API gives for the same settings: the
table cell by cell, the figure byte for byte (the PNG the same app draws headless in this process).

Runs under plain ``pytest`` (``-m browser`` selects it, ``-m "not browser"`` leaves it out). Without
``/usr/bin/chromium`` it is skipped with a reason, except in CI (``CI=true``), where it fails:
``.ci/run`` installs Chromium first. Set ``PTSIM_DASHBOARD_SCREENSHOT=docs/figures/dashboard.png``
to refresh the README's screenshot of the app at its defaults.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STEP_TIMEOUT_S = 240.0
"""Longest wait for one update to show (seconds): generous, the CI machine has 2 shared cores."""
START_TIMEOUT_S = 180.0
VIEWPORT = {"width": 1400, "height": 1800}
"""Tall enough for the whole app (the table is below the figure) in the screenshot."""
SMALL_COHORT = 50
"""The test first moves the patients slider to its minimum, so each update is quick."""


def _need(what: str, reason: str):
    if IN_CI:
        pytest.fail(f"{what} is needed in CI ({reason}); .ci/run should have installed it")
    pytest.skip(f"{what} is not available ({reason})", allow_module_level=True)


if not CHROMIUM.exists():
    _need("/usr/bin/chromium", "install it with: apt-get install -y chromium")
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    _need("playwright", 'pip install -e ".[test]"')

from ptsim.inputs.conditions import load_condition  # noqa: E402
from ptsim.teaching import dashboard  # noqa: E402

if not dashboard.voila_installed():
    _need("voila", 'pip install -e ".[test]"')


# --- what the Python API gives -----------------------------------------------------------------


class Expected:
    """The compare-plans app run headless in this process: what the dashboard must show."""

    def __init__(self):
        from ptsim.teaching.widgets import compare_plans_app

        self.app = compare_plans_app()
        self._cache = {}

    def __call__(self, **values):
        key = tuple(sorted(values.items()))
        if key not in self._cache:
            table = self.app.update(**values)
            assert table is not None, f"the test's own settings are invalid: {values} ({self.app.error})"
            cells = [[float(x) for x in row] for row in table.to_numpy()]
            self._cache[key] = (list(table.columns), cells, bytes(self.app.image.value))
        return self._cache[key]

    def error(self, **values) -> str:
        assert self.app.update(**values) is None, f"expected {values} to be invalid"
        return self.app.error


@pytest.fixture(scope="module")
def expected():
    return Expected()


# --- the server and the browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``ptsim dashboard --port P --no-browser`` on a free loopback port; yields its URL."""
    port = dashboard.free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ptsim", "dashboard", "--port", str(port), "--no-browser"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown can stop Voila's kernels too
        )
    try:
        try:
            dashboard.wait_for_port(port, START_TIMEOUT_S, proc)  # a TCP connect: no kernel started
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"{exc}; server log:\n{log.read_text()}")
        url = dashboard.url(port)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    text = log.read_text()
    assert f"ptsim dashboard: {url}" in text, f"the command did not print its URL:\n{text}"
    assert proc.returncode == 143, f"ptsim dashboard ended with {proc.returncode} on SIGTERM:\n{text}"
    assert "Traceback" not in text, text


class Page:
    """A Chromium page on the dashboard, with what it logged."""

    def __init__(self, page, url):
        self.page = page
        self.url = url
        self.blocked: list[str] = []
        self.console_errors: list[str] = []

    def errors(self) -> list[str]:
        """Console errors, leaving out failed loads of the outside requests this test blocked."""
        return [e for e in self.console_errors if not any(b in e for b in self.blocked)]


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        p = Page(context.new_page(), server)

        def only_loopback(route):
            url = route.request.url
            host = urlsplit(url[5:] if url.startswith("blob:") else url).hostname
            if host == dashboard.HOST:
                route.continue_()
            else:
                p.blocked.append(url)
                route.abort()

        context.route("**/*", only_loopback)

        def on_console(msg):
            if msg.type == "error":
                where = msg.location.get("url", "") if msg.location else ""
                p.console_errors.append(f"{msg.text} [{where}]")

        p.page.on("console", on_console)
        p.page.on("pageerror", lambda exc: p.console_errors.append(f"page error: {exc}"))
        p.page.goto(server, timeout=START_TIMEOUT_S * 1000)
        yield p
        context.close()
        browser.close()


# --- reading the page --------------------------------------------------------------------------

READ_TABLE = """() => {
  const t = document.querySelector('.ptsim-table-view table.ptsim-table');
  if (!t) return null;
  return {
    columns: Array.from(t.querySelectorAll('thead tr:first-child th'))
      .map(th => th.textContent.trim()).filter(s => s !== ''),
    rows: Array.from(t.querySelectorAll('tbody tr'))
      .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.textContent.trim())),
  };
}"""

READ_FIGURE = """async () => {
  const img = document.querySelector('img.ptsim-figure');
  if (!img || !img.src) return null;
  const r = await fetch(img.src);
  return btoa(Array.from(new Uint8Array(await r.arrayBuffer()), b => String.fromCharCode(b)).join(''));
}"""


def shown_table(page):
    t = page.page.evaluate(READ_TABLE)
    if t is None:
        return None
    try:
        return t["columns"], [[float(x) for x in row] for row in t["rows"]]
    except ValueError:
        return None


def shown_figure(page) -> bytes | None:
    import base64

    data = page.page.evaluate(READ_FIGURE)
    return None if data is None else base64.b64decode(data)


def text(page, name: str) -> str:
    return page.page.locator(f".ptsim-{name}").inner_text().strip()


def wait_for_app(page, want, what: str, timeout_s: float = STEP_TIMEOUT_S) -> float:
    """Wait until the app has finished updating and shows exactly ``want`` (columns, cells, png)."""
    columns, cells, png = want
    start = time.monotonic()
    while True:
        table = shown_table(page)
        done = text(page, "status").startswith("Updated in") and text(page, "message") == ""
        if done and table == (columns, cells) and shown_figure(page) == png:
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            fig = shown_figure(page)
            pytest.fail(
                f"{what}: after {timeout_s:g} s the page does not show what the API gives.\n"
                f"status: {text(page, 'status')!r}; message: {text(page, 'message')!r}\n"
                f"table shown: {table}\ntable expected: {(columns, cells)}\n"
                f"figure shown: {None if fig is None else hashlib.sha256(fig).hexdigest()[:12]}, "
                f"expected {hashlib.sha256(png).hexdigest()[:12]}"
            )
        time.sleep(0.25)


def slider_value(page, name: str) -> str:
    return page.page.locator(f".ptsim-control-{name} .widget-readout").inner_text().strip()


def press(page, name: str, *keys: str):
    """Focus a slider's handle and press keys on it (each press moves it one step)."""
    handle = page.page.locator(f".ptsim-control-{name} .noUi-handle").first
    handle.focus()
    for key in keys:
        page.page.keyboard.press(key)


def wait_for_slider(page, name: str, value: str, timeout_s: float = 30.0):
    page.page.locator(f".ptsim-control-{name} .noUi-handle").first.wait_for()
    start = time.monotonic()
    while slider_value(page, name) != value:
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"slider {name} shows {slider_value(page, name)!r}, expected {value!r}")
        time.sleep(0.1)


def assert_no_traceback(page):
    body = page.page.locator("body").inner_text()
    assert "Traceback" not in body and 'File "' not in body, body[-2000:]
    # Voila's own error display (an error output, or its "There was an error" page) is not triggered.
    assert page.page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert "There was an error when executing cell" not in body


# --- the test ----------------------------------------------------------------------------------


def test_dashboard_in_chromium(page, expected, tmp_path):
    # 1. At its defaults the app shows the figure and table of compare_plans_app().update().
    t0 = time.monotonic()
    page.page.locator("img.ptsim-figure").wait_for(timeout=STEP_TIMEOUT_S * 1000)
    wait_for_app(page, expected(), "defaults")
    first = time.monotonic() - t0
    assert page.page.locator(".ptsim-app").count() == 1
    body = page.page.locator("body").inner_text()
    assert "compare_plans_app" not in body and "from ptsim" not in body, "the notebook's code is shown"
    assert page.page.locator(".jp-CodeMirrorEditor, .cm-editor, .jp-InputPrompt").count() == 0
    assert page.page.get_by_text("Compare physical-therapy plans").count() == 1
    # Every slider keeps a usable width however long its label (with units) is.
    widths = page.page.evaluate(
        "() => Array.from(document.querySelectorAll('.ptsim-app .widget-hslider .slider-container'))"
        ".map(e => e.getBoundingClientRect().width)"
    )
    sliders = [n for n, w in expected.app.controls.items() if hasattr(w, "min")]
    assert len(widths) == len(sliders) and min(widths) >= 150, dict(zip(sliders, widths, strict=False))
    screenshot = tmp_path / "dashboard.png"
    page.page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 20_000
    if os.environ.get("PTSIM_DASHBOARD_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["PTSIM_DASHBOARD_SCREENSHOT"])
    default_png = shown_figure(page)

    # 2. A slider (keyboard on its handle): the smallest cohort, so that the next steps are quick.
    press(page, "n_patients", "Home")
    wait_for_slider(page, "n_patients", str(SMALL_COHORT))
    settings = {"n_patients": SMALL_COHORT}
    wait_for_app(page, expected(**settings), "50 patients")

    # 3. A dropdown: another condition.
    condition = "chronic_neck_pain"
    page.page.locator(".ptsim-control-condition select").select_option(label=load_condition(condition).title)
    settings["condition"] = condition
    wait_for_app(page, expected(**settings), "condition")
    assert shown_figure(page) != default_png

    # 4. Another slider, one step with the arrow key: 7 weeks of care.
    before = shown_figure(page)
    press(page, "weeks", "ArrowRight")
    wait_for_slider(page, "weeks", "7")
    settings["weeks"] = 7
    wait_for_app(page, expected(**settings), "weeks")
    assert shown_figure(page) != before

    # 5. An invalid combination gives a short message in the app, not a traceback; the table is
    #    not replaced by numbers for settings the app refused.
    press(page, "manual_minutes", "ArrowRight")  # 5 + 16 + 25 min > the 45-min session
    message = expected.error(**settings, manual_minutes=16)
    start = time.monotonic()
    while text(page, "message") != message:
        assert time.monotonic() - start < STEP_TIMEOUT_S, f"message shown: {text(page, 'message')!r}"
        time.sleep(0.25)
    assert "more than the 45-min session" in message and len(message) < 200
    assert text(page, "status").startswith("Not updated")
    assert shown_table(page) == tuple(expected(**settings)[:2])  # the last valid table stays
    assert_no_traceback(page)
    press(page, "manual_minutes", "ArrowLeft")  # back to 15: valid again, the message goes
    wait_for_slider(page, "manual_minutes", "15")
    wait_for_app(page, expected(**settings), "valid again")

    # 6. Thirty quick moves of one slider: the app ends on the last setting, not a stale one.
    press(page, "session_minutes", "End")  # 90-min sessions leave room for 55 min of exercise
    wait_for_slider(page, "session_minutes", "90")
    settings["session_minutes"] = 90
    wait_for_app(page, expected(**settings), "90-min sessions")
    press(page, "exercise_minutes", *["ArrowRight"] * 30)
    settings["exercise_minutes"] = 25 + 30
    wait_for_slider(page, "exercise_minutes", "55")
    rapid = wait_for_app(page, expected(**settings), "after 30 quick moves")
    # It stays there: no older update arrives afterwards.
    time.sleep(2.0)
    wait_for_app(page, expected(**settings), "a little later", timeout_s=0.0)
    assert_no_traceback(page)
    assert page.errors() == [], f"console errors: {page.errors()}"
    print(
        f"\ndefaults shown {first:.1f} s after the page loaded; 30 quick moves caught up in {rapid:.1f} s; "
        f"whole test {time.monotonic() - t0:.1f} s; blocked outside requests: {page.blocked}; "
        f"console errors from them: {page.console_errors}"
    )
