"""Screenshots of every lesson's app in JupyterLab at 1366 x 768 and 1024 x 768, into docs/figures/.

    python docs/lesson_screenshots.py            # all lessons
    python docs/lesson_screenshots.py 03 05      # lessons whose file names start with 03 or 05

It runs the steps of tests/test_lessons_browser.py (JupyterLab on a copy of the lessons, headless
Debian Chromium, outside requests blocked): opens each lesson, runs it, hides the file browser (the
guide's projector set-up), checks the layout and legibility at both sizes, and saves
``docs/figures/lesson_NN_app.png`` (1366 x 768) and ``lesson_NN_app_1024.png``, the window with the
lesson's first app at its top. Needs
/usr/bin/chromium and the test extras; about 5 minutes on 2 cores. Not run in CI (the test runs the
same steps without saving the pictures).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_lessons_browser as steps  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def main(argv=None) -> int:
    prefixes = tuple(sys.argv[1:] if argv is None else argv)
    lessons = [p for p in steps.LESSONS if not prefixes or p.name.startswith(prefixes)]
    out = ROOT / "docs" / "figures"
    with tempfile.TemporaryDirectory() as tmp:
        # the lessons in a folder of their own: the server's log is not in the file browser shown
        lab = steps.Lab(Path(tmp) / "lessons", Path(tmp) / "jupyterlab.log")
        try:
            with sync_playwright() as pw:
                browser, context, _ = steps.open_browser(pw)
                for path in lessons:
                    page = context.new_page()
                    try:
                        steps.open_lesson(page, lab.url, path.name)
                        n_apps = steps.check_stored_figures(page, path.name)
                        steps.run_all(page)
                        steps.show_apps(page)
                        shown = steps.wait_for_apps(page, 120.0)
                        if shown < n_apps:
                            outputs = steps.app_outputs(page)
                            raise RuntimeError(f"{path.name}: {shown} apps of {n_apps}: {outputs}")
                        steps.assert_no_traceback(page, path.name)
                        steps.hide_file_browser(page)
                        for size in steps.PROJECTOR_SIZES:
                            page.set_viewport_size(size)
                            where = f"{path.name} at {size['width']}x{size['height']}"
                            steps.check_layout(page, where)
                            steps.check_projector(page, where)
                            suffix = "" if size == steps.VIEWPORT else f"_{size['width']}"
                            target = out / f"lesson_{path.name[:2]}_app{suffix}.png"
                            steps.screenshot_app(page, target)
                            print(f"{where}: {target.relative_to(ROOT)}", flush=True)
                    finally:
                        steps.shut_down_kernel(page)
                        page.close()
                context.close()
                browser.close()
        finally:
            lab.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
