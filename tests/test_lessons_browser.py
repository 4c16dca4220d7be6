"""Every lesson in JupyterLab, in a real browser at a projector's 1366 x 768 and 1024 x 768.

JupyterLab serves a copy of the lesson notebooks on a free loopback port; Debian's Chromium, driven
by Playwright, opens each lesson *before running it* and checks that the stored widget state shows
its app (not a Python repr), then runs all cells and checks that every app shows a figure, that every
slider has a usable width with its whole label visible, and that no traceback appears. Then, at both
projector sizes with JupyterLab's file browser hidden (the instructor guide's projector set-up), it
checks what a projected lesson needs: each figure drawn so large that its smallest text (12 pt) is at
least 12 px on screen, the apps' other text at least 12 px, an app's opened table inside the page, and
every control label's hover text a real explanation or none (never "null"); it saves a screenshot of
each lesson at each size.

Runs under plain ``pytest`` (``-m browser`` selects it). Without ``/usr/bin/chromium`` or JupyterLab it
is skipped with a reason, except in CI (``CI=true``), where it fails. Set
``PTSIM_LESSON_SCREENSHOTS=docs/figures`` to save each lesson's screenshot there, or run ``python
docs/lesson_screenshots.py`` (the same steps, not part of the tests).
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parent.parent
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
VIEWPORT = {"width": 1366, "height": 768}
"""A classroom projector's resolution."""
PROJECTOR_SIZES = ({"width": 1366, "height": 768}, {"width": 1024, "height": 768})
"""The sizes a lesson is checked and photographed at: a common projector and an old one."""
MIN_TEXT_PX = 12.0
"""The smallest text, as rendered on screen, a projected lesson may show (TEACHING.md)."""
HOST = "127.0.0.1"
START_TIMEOUT_S = 180.0
RUN_TIMEOUT_S = 300.0
"""Longest wait for one lesson to run top to bottom (seconds): the CI machine has 2 shared cores."""
MIN_SLIDER_PX = 150
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


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
try:
    import jupyterlab  # noqa: F401
except ImportError:
    _need("jupyterlab", 'pip install -e ".[test]"')

from ptsim.teaching import dashboard  # noqa: E402  (free_port, wait_for_port)

# --- the server and the browser ----------------------------------------------------------------


def lab_command(port: int, root: Path) -> list[str]:
    """JupyterLab on ``HOST:port`` serving ``root``, no token (loopback only), app exposed to scripts."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabServerApp.workspaces_dir=" + str(root / ".workspaces"),
        "--ContentsManager.allow_hidden=True",
        "--LabApp.user_settings_dir=" + str(root / ".settings"),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


class Lab:
    """A JupyterLab server on a copy of the lessons."""

    def __init__(self, root: Path, log: Path):
        self.root = root
        # no "get notified about Jupyter news?" pop-up over the lesson (and no request for news)
        news = root / ".settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        news.parent.mkdir(parents=True)
        news.write_text('{"fetchNews": "false", "checkForUpdates": false}')
        for path in LESSONS:
            shutil.copy(path, root / path.name)
        self.port = dashboard.free_port()
        self.url = f"http://{HOST}:{self.port}/"
        self.log = log
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter"), "PYTHONPATH": _pythonpath()}
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                lab_command(self.port, root),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: teardown stops its kernels too
                env=env,
                cwd=root,
            )
        dashboard.wait_for_port(self.port, START_TIMEOUT_S, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def _pythonpath() -> str:
    """The kernels import this checkout's ptsim, whatever directory JupyterLab serves."""
    parts = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return os.pathsep.join(dict.fromkeys(parts))


def open_browser(pw):
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=VIEWPORT)
    blocked: list[str] = []

    def only_loopback(route):
        url = route.request.url
        host = urlsplit(url[5:] if url.startswith("blob:") else url).hostname
        if host == HOST:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_loopback)
    return browser, context, blocked


# --- reading a lesson --------------------------------------------------------------------------

SLIDERS = """app => {
  // whether the label's text reaches beyond the column of controls that holds it (which clips it)
  const clipped = (label, column) => {
    const range = document.createRange();
    range.selectNodeContents(label);
    const t = range.getBoundingClientRect(), c = column.getBoundingClientRect();
    return t.right > c.right + 1 || t.left < c.left - 1;
  };
  return Array.from(app.querySelectorAll('.widget-slider')).map(s => {
    const track = s.querySelector('.slider-container');
    const label = s.querySelector('.widget-label');
    const r = track ? track.getBoundingClientRect() : {width: 0};
    const l = label ? label.getBoundingClientRect() : {width: 0, height: 0};
    return {
      name: label ? label.textContent.trim() : '',
      track: r.width,
      labelWidth: l.width,
      labelHeight: l.height,
      labelCut: label ? label.scrollWidth > label.clientWidth + 1 : true,
      labelClipped: label ? clipped(label, s.parentElement) : true,
    };
  });
}"""
"""The sliders of one app (evaluated on its element, once it is scrolled into view: JupyterLab skips
the layout of cells far from the screen)."""

OTHER_CONTROLS = """app => {
  // toggle buttons whose option is cut off, and dropdowns too narrow for the option they show
  const problems = [];
  for (const b of app.querySelectorAll('.widget-toggle-button')) {
    if (b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().width < 20) {
      problems.push('toggle button ' + JSON.stringify(b.textContent.trim()) + ' is cut off');
    }
  }
  const ctx = document.createElement('canvas').getContext('2d');
  for (const sel of app.querySelectorAll('.widget-dropdown select')) {
    const st = getComputedStyle(sel);
    ctx.font = st.font;
    const text = sel.selectedOptions.length ? sel.selectedOptions[0].text : '';
    const room = sel.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
    if (ctx.measureText(text).width > room + 1) {
      problems.push('dropdown shows ' + JSON.stringify(text) + ' in ' + Math.round(room) + ' px');
    }
  }
  return problems;
}"""
"""What is not fully visible among an app's toggle buttons and dropdowns (a list of descriptions)."""

FIGURES = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .ptsim-app img.ptsim-figure'))
  .map(img => ({w: img.naturalWidth, shown: img.getBoundingClientRect().width,
                alt: (img.closest('.ptsim-app').querySelector('.ptsim-alt') || {}).textContent || ''}))"""

BUSY = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return true;
  const prompts = Array.from(panel.querySelectorAll('.jp-InputArea-prompt')).map(p => p.textContent);
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !k || k.status !== 'idle' || prompts.some(p => p.includes('*'));
}"""

KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext;
  const k = s && s.session && s.session.kernel;
  return !!(k && s.isReady && k.connectionStatus === 'connected' && k.status === 'idle');
}"""
"""The open lesson's kernel has started, is connected and idle. (The toolbar's execution indicator
says "idle" before a kernel exists: waiting for it let Run All go before the kernel had started, and
JupyterLab then asked to select a kernel while the test waited for apps that never ran.)"""


def open_dialog(page) -> str:
    """The text of an open JupyterLab dialog ("Select Kernel", ...), or ''."""
    dialog = page.locator(".jp-Dialog")
    return dialog.first.inner_text() if dialog.count() else ""


def open_lesson(page, base: str, name: str):
    page.goto(f"{base}lab/tree/{name}?reset", timeout=START_TIMEOUT_S * 1000)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").wait_for(
        timeout=START_TIMEOUT_S * 1000
    )


def wait_for_apps(page, timeout_s: float) -> int:
    locator = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .ptsim-app img.ptsim-figure")
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if locator.count() and all(f["w"] > 0 for f in page.evaluate(FIGURES)):
            return locator.count()
        time.sleep(0.5)
    return 0


STORED_FIGURES = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell'))
  .filter(c => /_app\\(\\)/.test(c.querySelector('.jp-InputArea').textContent))
  .map(c => Array.from(c.querySelectorAll('.jp-OutputArea-output img')).map(i => i.naturalWidth))"""


def check_stored_figures(page, what: str, timeout_s: float = 60.0) -> int:
    """Every app cell of the unrun lesson shows a stored figure (scrolling each into view: JupyterLab
    renders only the cells near the screen); returns the number of app cells."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    start = time.monotonic()
    for i in range(cells.count()):
        cell = cells.nth(i)
        if "_app()" in cell.locator(".jp-InputArea").inner_text():
            cell.scroll_into_view_if_needed()
    while True:
        shown = page.evaluate(STORED_FIGURES)
        if shown and all(s and min(s) > 0 for s in shown):
            break
        assert time.monotonic() - start < timeout_s, f"{what}: app cells without a stored figure: {shown}"
        time.sleep(0.5)
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text()
    assert "App(children=" not in text and "VBox(" not in text, f"{what}: an app shows as a Python repr"
    return len(shown)


APP_OUTPUTS = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell'))
  .filter(c => /_app\\(\\)/.test(c.querySelector('.jp-InputArea').textContent))
  .map(c => c.querySelector('.jp-OutputArea').innerText.slice(0, 200))"""


def app_outputs(page) -> list[str]:
    """What each app cell's output area says (e.g. "Error displaying widget"), for a failure message."""
    return page.evaluate(APP_OUTPUTS)


def run_all(page, timeout_s: float = RUN_TIMEOUT_S) -> float:
    """Run every cell of the open lesson (JupyterLab's Run All) and wait until it has finished."""
    start = time.monotonic()
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands", timeout=60_000)
    page.wait_for_function(KERNEL_READY, timeout=START_TIMEOUT_S * 1000)
    assert not open_dialog(page), f"a dialog is open before Run All: {open_dialog(page)!r}"
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    time.sleep(2.0)
    while page.evaluate(BUSY):
        assert not open_dialog(page), f"a dialog opened while running: {open_dialog(page)!r}"
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"the lesson did not finish running within {timeout_s:g} s")
        time.sleep(0.5)
    assert not open_dialog(page), f"a dialog opened while running: {open_dialog(page)!r}"
    return time.monotonic() - start


def check_layout(page, what: str):
    apps = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .ptsim-app")
    assert apps.count(), f"{what}: no app shown"
    for i in range(apps.count()):
        apps.nth(i).scroll_into_view_if_needed()
        time.sleep(0.3)
        for s in apps.nth(i).evaluate(SLIDERS):
            assert s["track"] >= MIN_SLIDER_PX, (
                f"{what}: slider {s['name']!r} squeezed to {s['track']:.0f} px"
            )
            assert s["labelWidth"] > 20 and s["labelHeight"] > 5, f"{what}: label of {s['name']!r} hidden"
            assert not s["labelCut"], f"{what}: label {s['name']!r} is cut off"
            assert not s["labelClipped"], f"{what}: label {s['name']!r} reaches out of its column"
        problems = apps.nth(i).evaluate(OTHER_CONTROLS)
        assert not problems, f"{what}: {problems}"
    for fig in page.evaluate(FIGURES):
        assert fig["w"] > 0 and fig["shown"] > 300, f"{what}: figure not shown ({fig})"
        assert fig["alt"].startswith("Figure:") and len(fig["alt"]) > 30, f"{what}: no alt text ({fig})"


LEGIBILITY = """app => {
  // text elements of one app whose rendered font is below the minimum; labels' hover texts
  const small = [];
  for (const el of app.querySelectorAll('*')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (!own || r.width === 0 || r.height === 0) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < MIN) small.push(el.textContent.trim().slice(0, 40) + ' (' + px + ' px)');
  }
  // the controls' labels (a widget without a description keeps an empty, hidden one: not shown)
  const labels = Array.from(app.querySelectorAll('.widget-label, .widget-label-basic, label'))
    .filter(l => l.textContent.trim() && l.getBoundingClientRect().width > 0).map(l => ({
    text: l.textContent.trim(),
    title: l.getAttribute('title'),
    explained: Array.from(l.querySelectorAll('[title]')).map(e => e.getAttribute('title')).join(' '),
  }));
  return {small, labels};
}"""
"""Text in an app drawn below the minimum size, and each control label's hover texts."""

OPEN_NUMBERS = """app => {
  // open the app's collapsed numbers (the reveal: click its title) and say whether its table fits
  const table = () => app.querySelector('.ptsim-table-view table');
  if (!(table() && table().getBoundingClientRect().width)) {
    const titles = Array.from(app.querySelectorAll('.ptsim-reveal *')).filter(e =>
      Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.includes('numbers behind')));
    if (titles.length) titles[titles.length - 1].click();
  }
  return new Promise(done => setTimeout(() => {
    const t = table();
    if (!t || !t.getBoundingClientRect().width) return done(null);
    const a = app.getBoundingClientRect(), r = t.getBoundingClientRect();
    done({tableRight: r.right, appRight: a.right, width: r.width});
  }, 700));
}"""


def hide_file_browser(page):
    """The guide's projector set-up: JupyterLab's left sidebar collapsed."""
    page.evaluate("() => { const s = window.jupyterapp.shell; if (!s.leftCollapsed) { s.collapseLeft(); } }")
    time.sleep(0.5)


def check_projector(page, what: str):
    """At the current size: figures and text legible, opened tables inside the app, tooltips real."""
    from ptsim.teaching.plotting import MIN_FONT_PT, SCREEN_DPI

    apps = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .ptsim-app")
    for i in range(apps.count()):
        app = apps.nth(i)
        app.scroll_into_view_if_needed()
        time.sleep(0.3)
        seen = app.evaluate(LEGIBILITY.replace("MIN", str(MIN_TEXT_PX)))
        assert not seen["small"], f"{what}: app {i} text below {MIN_TEXT_PX:g} px: {seen['small'][:5]}"
        for label in seen["labels"]:
            assert label["title"] != "null" and label["explained"] != "null", f"{what}: {label}"
        fits = app.evaluate(OPEN_NUMBERS)
        assert fits is not None, f"{what}: app {i} has no numbers to open"
        assert fits["tableRight"] <= fits["appRight"] + 1, f"{what}: app {i}'s table runs off the app: {fits}"
    for fig in page.evaluate(FIGURES):
        smallest = MIN_FONT_PT * SCREEN_DPI / 72 * fig["shown"] / fig["w"]
        assert smallest >= MIN_TEXT_PX, (
            f"{what}: a {fig['w']} px figure is drawn {fig['shown']:.0f} px wide, so its 12-pt text is "
            f"{smallest:.1f} px on screen"
        )


def assert_no_traceback(page, what: str):
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea").all_inner_texts()
    joined = "\n".join(text)
    assert "Traceback" not in joined and "Error:" not in joined, f"{what}: {joined[-1500:]}"
    assert "App(children=" not in joined, f"{what}: an app shows as a Python repr"


def show_apps(page):
    """Scroll every app into view once (JupyterLab lays out only the cells near the screen)."""
    apps = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .ptsim-app")
    for i in range(apps.count()):
        apps.nth(i).scroll_into_view_if_needed()
        time.sleep(0.3)


def screenshot_app(page, path: Path):
    """The first app of the open lesson, scrolled to the top of the window, at the viewport's size."""
    app = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .ptsim-app").first
    app.evaluate("e => e.scrollIntoView({block: 'start'})")
    time.sleep(1.0)
    page.screenshot(path=str(path))


def shut_down_kernel(page):
    """Stop the open lesson's kernel (each lesson starts its own; nine would stay alive otherwise)."""
    page.evaluate(
        "async () => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " if (w && w.sessionContext) { await w.sessionContext.shutdown(); } }"
    )


# --- the test ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lessons")
    server = Lab(root, root.parent / "jupyterlab.log")
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text(), server.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def browser_context():
    with sync_playwright() as pw:
        browser, context, blocked = open_browser(pw)
        yield context, blocked
        context.close()
        browser.close()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_in_jupyterlab(lab, browser_context, path, tmp_path):
    context, _ = browser_context
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # 1. Opened for the first time (untrusted: no widgets render), each app cell shows the stored
        #    static figure of its app, never a Python repr.
        open_lesson(page, lab.url, path.name)
        n_apps = check_stored_figures(page, path.name)
        # 2. Run all: every app shows a figure, sliders usable with their labels, no traceback.
        seconds = run_all(page)
        show_apps(page)
        assert wait_for_apps(page, 120.0) >= n_apps, (
            f"{path.name}: fewer live apps than app cells ({n_apps}) after running; "
            f"app cells show: {app_outputs(page)}"
        )
        check_layout(page, path.name)
        assert_no_traceback(page, path.name)
        hide_file_browser(page)
        for size in PROJECTOR_SIZES:
            page.set_viewport_size(size)
            time.sleep(1.0)
            where = f"{path.name} at {size['width']}x{size['height']}"
            check_layout(page, where)
            check_projector(page, where)
            shot = tmp_path / f"{path.stem}_{size['width']}.png"
            screenshot_app(page, shot)
            assert shot.stat().st_size > 20_000
            if os.environ.get("PTSIM_LESSON_SCREENSHOTS"):  # a directory, e.g. docs/figures
                suffix = "" if size == VIEWPORT else f"_{size['width']}"
                target = (
                    Path(os.environ["PTSIM_LESSON_SCREENSHOTS"]) / f"lesson_{path.name[:2]}_app{suffix}.png"
                )
                shutil.copyfile(shot, target)
        assert not errors, f"{path.name}: page errors {errors}"
        print(f"\n{path.name}: ran in {seconds:.1f} s")
    except BaseException:
        page.screenshot(path=str(tmp_path / f"{path.stem}-failed.png"), full_page=True)
        print(f"\n{path.name}: the page as it failed: {tmp_path / f'{path.stem}-failed.png'}")
        raise
    finally:
        shut_down_kernel(page)
        page.close()
