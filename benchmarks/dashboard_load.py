"""A class on the dashboard: many browser sessions at once, each moving controls.

Run from the repository root (not part of the test suite; several minutes on 2 cores)::

    python benchmarks/dashboard_load.py                    # 30 sessions
    python benchmarks/dashboard_load.py --sessions 10 --json load.json

``ptsim dashboard`` is started on a free loopback port with a token (as for a class, but on
loopback), and one headless Chromium (Debian's, through Playwright) opens ``--sessions`` separate
browser contexts -- separate cookies, so separate dashboard sessions, one kernel each. Requests to
anything but the dashboard's own address are blocked.

Timing like a class: first one session runs alone (the solo run), which measures how long this
machine takes for a first figure and for an update. Then the class arrives: a session opens every
``--stagger`` seconds (default 6 s: 30 students in 3 minutes; a first figure takes about 3 s of
CPU, so 2 cores keep up with one arrival every few seconds), and each step's timeout is
``--timeout-factor`` times the solo time (at least 120 s for a first figure, Chromium's own limit
for loading a script of the page, and 30 s for an update). Opening all 30 within 15 s (0.5 s apart,
the first version of this benchmark) made 30 kernels start and 30 pages render at once on 2 cores:
Chromium gave up on script chunks of the page after 120 s, before any kernel was involved.

Each session waits for the first figure, then moves four controls with the keyboard, one after
another, with a short pause between moves as a student would. After every step the session checks
that the page shows exactly what the Python API gives for the same settings: the table cell by cell
and the figure's PNG byte for byte (compared by SHA-256, computed in the page), as
tests/test_dashboard_browser.py does.

Reported: per session, whether it loaded and passed every check, its first figure and its update
times; over all sessions, time to the first figure and update times (key press to the right figure
and table shown; median, 95th percentile, max); the server's memory (Voila plus its kernels, proportional
set sizes summed, sampled every 2 seconds: peak and at the end); the CPU time of the server with its
kernels and of the browser (which here shares the machine, while in a class each student's browser
runs on their own device); errors (wrong figures, timeouts, console errors, a server that stopped,
tracebacks in its log). The whole run is bounded by ``--timeout`` seconds. Wall-clock times on a
machine shared with other work: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ptsim.teaching import dashboard  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
]
VIEWPORT = {"width": 1366, "height": 768}
TOKEN = "loadtest2026"
# The moves of a session: (control, key, new value shown, settings key, settings value). Sessions with
# an odd number shorten care by a week instead of lengthening it, so that not every kernel computes
# the same thing.
MOVES_EVEN = [
    ("weeks", "ArrowRight", "7", "weeks", 7),
    ("sessions_per_week", "ArrowRight", "3", "sessions_per_week", 3),
    ("home_adherence", "ArrowLeft", "0.55", "home_adherence", 0.55),
    ("n_patients", "ArrowLeft", "150", "n_patients", 150),
]
MOVES_ODD = [("weeks", "ArrowLeft", "5", "weeks", 5), *MOVES_EVEN[1:]]

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
FIGURE_SHA = """async () => {
  const img = document.querySelector('img.ptsim-figure');
  if (!img || !img.src) return null;
  const r = await fetch(img.src);
  const d = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
  return Array.from(new Uint8Array(d), b => b.toString(16).padStart(2, '0')).join('');
}"""
STATUS = "() => (document.querySelector('.ptsim-status') || {}).textContent || ''"


class Expected:
    """What the Python API shows for given settings (the compare-plans app run in this process)."""

    def __init__(self):
        from ptsim.teaching.widgets import compare_plans_app

        self.app = compare_plans_app()
        self.cache = {}

    def __call__(self, settings: dict):
        key = tuple(sorted(settings.items()))
        if key not in self.cache:
            table = self.app.update(**settings)
            if table is None:
                raise ValueError(f"invalid settings {settings}: {self.app.error}")
            cells = [[float(x) for x in row] for row in table.to_numpy()]
            self.cache[key] = (list(table.columns), cells, hashlib.sha256(self.app.image.value).hexdigest())
        return self.cache[key]


class MemorySampler(threading.Thread):
    """Memory of a process and its descendants (MB), every ``interval_s`` seconds.

    Proportional set size (PSS): each shared page (the Python libraries every kernel maps) is
    divided among the processes sharing it, so the sum is the memory the server really takes.
    """

    def __init__(self, pid: int, interval_s: float = 2.0):
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.interval_s = interval_s
        self.samples: list[tuple[float, float, int]] = []  # (time, MB, kernels)
        self.stopped = threading.Event()

    def measure(self) -> tuple[float, int]:
        import psutil

        total, kernels = 0, 0
        procs = [self.root, *self.root.children(recursive=True)]
        for p in procs:
            try:
                total += p.memory_full_info().pss
                kernels += "ipykernel_launcher" in " ".join(p.cmdline())
            except psutil.Error:
                pass
        return total / 2**20, kernels

    def run(self):
        while not self.stopped.is_set():
            try:
                mb, kernels = self.measure()
            except Exception:
                break
            self.samples.append((time.monotonic(), mb, kernels))
            self.stopped.wait(self.interval_s)


async def shown(page):
    table = await page.evaluate(READ_TABLE)
    if table is None:
        return None
    try:
        cells = [[float(x) for x in row] for row in table["rows"]]
    except ValueError:
        return None
    return table["columns"], cells, await page.evaluate(FIGURE_SHA)


async def wait_until_shows(page, want, deadline: float) -> bool:
    """Poll (in Python, every 0.2 s) until the page shows ``want``; False at the deadline."""
    while time.monotonic() < deadline:
        status = await page.evaluate(STATUS)
        if status.startswith("Updated in") and await shown(page) == want:
            return True
        await asyncio.sleep(0.2)
    return False


async def session(index, browser, url, expected, record, timeouts_s, rng):
    """One student: open the page, wait for the first figure, move four controls.

    ``timeouts_s``: (first figure, update) in seconds.
    """
    first_timeout_s, update_timeout_s = timeouts_s
    moves = MOVES_EVEN if index % 2 == 0 else MOVES_ODD
    rec = {
        "session": index,
        "opened": time.monotonic(),
        "first_figure_s": None,
        "updates_s": [],
        "errors": [],
        "blocked": [],
    }
    record.append(rec)
    context = await browser.new_context(viewport=VIEWPORT)

    async def only_loopback(route):
        u = route.request.url
        if u.startswith(f"http://{dashboard.HOST}:") or u.startswith(f"blob:http://{dashboard.HOST}:"):
            await route.continue_()
        else:
            rec["blocked"].append(u)
            await route.abort()

    await context.route("**/*", only_loopback)
    page = await context.new_page()
    page.on(
        "console",
        lambda m: (
            rec["errors"].append(f"console: {m.text}")
            if m.type == "error"
            and not any(b in (m.location or {}).get("url", "") for b in rec["blocked"])
            and "net::ERR_FAILED" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: rec["errors"].append(f"page error: {exc}"))
    try:
        t0 = time.monotonic()
        await page.goto(url, timeout=first_timeout_s * 1000, wait_until="commit")
        settings = {}
        if not await wait_until_shows(page, expected(settings), t0 + first_timeout_s):
            rec["errors"].append(
                f"defaults not shown within {first_timeout_s:.0f} s: {await page.evaluate(STATUS)!r}"
            )
            return
        rec["first_figure_s"] = time.monotonic() - t0
        body = await page.inner_text("body")
        if "Traceback" in body or "full" in body.lower().split("compare")[0]:
            rec["errors"].append("a traceback or 'full' message on the page")
        for control, key, value, name, setting in moves:
            await asyncio.sleep(rng.uniform(1.0, 3.0))  # a student looks at the figure first
            settings[name] = setting
            want = expected(settings)
            handle = page.locator(f".ptsim-control-{control} .noUi-handle").first
            await handle.focus()
            t1 = time.monotonic()
            await page.keyboard.press(key)
            if not await wait_until_shows(page, want, t1 + update_timeout_s):
                readout = await page.locator(f".ptsim-control-{control} .widget-readout").inner_text()
                rec["errors"].append(
                    f"after {control} -> {value} (slider shows {readout!r}) the page does not show what the "
                    f"API gives within {update_timeout_s:.0f} s; status {await page.evaluate(STATUS)!r}"
                )
                return
            rec["updates_s"].append(time.monotonic() - t1)
    except Exception as exc:  # recorded, so that one failing session does not hide the others
        rec["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        rec["ended"] = time.monotonic()
        await context.close()


SOLO_TIMEOUTS_S = (300.0, 120.0)
"""Timeouts of the solo run (first figure, update; seconds): generous, it only measures."""


async def drive(url, n, expected, timing, seed, server_pid, cpu):
    """The solo run, then ``n`` sessions opened ``timing["stagger_s"]`` apart; fills ``timing``."""
    from playwright.async_api import async_playwright

    record: list[dict] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        solo: list[dict] = []
        await session(-1, browser, url, expected, solo, SOLO_TIMEOUTS_S, random.Random(seed - 1))
        (rec,) = solo
        timing["solo"] = rec
        if rec["errors"] or rec["first_figure_s"] is None or not rec["updates_s"]:
            raise RuntimeError(f"the solo session failed, no class started: {rec['errors']}")
        factor = timing["timeout_factor"]
        timeouts = (max(120.0, factor * rec["first_figure_s"]), max(30.0, factor * max(rec["updates_s"])))
        timing["timeouts_s"] = timeouts
        print(
            f"solo session: first figure {rec['first_figure_s']:.1f} s, updates "
            + ", ".join(f"{u:.2f}" for u in rec["updates_s"])
            + f" s; class timeouts: first figure {timeouts[0]:.0f} s, update {timeouts[1]:.0f} s",
            flush=True,
        )
        await asyncio.sleep(5.0)  # the solo session's kernel shuts down (its tab is closed)
        timing["class_start"] = time.monotonic()
        tasks = []
        for i in range(n):
            rng = random.Random(seed + i)
            tasks.append(asyncio.create_task(session(i, browser, url, expected, record, timeouts, rng)))
            await asyncio.sleep(timing["stagger_s"])
        await asyncio.gather(*tasks)
        # the browser's CPU time, while it still runs: this process's descendants but the server's
        cpu["browser"] = tree_cpu_s(os.getpid()) - sum(os.times()[:2]) - tree_cpu_s(server_pid)
        await browser.close()
    return sorted(record, key=lambda r: r["session"])


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def kernel_niceness_of(pid: int) -> list[int]:
    import psutil

    out = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(p.cmdline()):
                out.append(p.nice())
        except psutil.Error:
            pass
    return sorted(set(out))


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=1800.0, help="bound on the whole run (seconds)")
    parser.add_argument(
        "--timeout-factor",
        type=float,
        default=20.0,
        help="a step's timeout as a multiple of the solo session's time for it",
    )
    parser.add_argument("--stagger", type=float, default=6.0, help="seconds between sessions opening")
    parser.add_argument("--preheat", type=int, default=1, help="ptsim dashboard --preheat")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    expected = Expected()
    for moves in (MOVES_EVEN, MOVES_ODD):  # compute every expected state before the class arrives
        settings = {}
        expected(settings)
        for _c, _k, _v, name, value in moves:
            settings[name] = value
            expected(settings)

    port = dashboard.free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ptsim-dashboard-load-{port}.log"
    max_sessions = args.sessions + args.preheat + 5
    command = [
        *(sys.executable, "-m", "ptsim", "dashboard", "--port", str(port), "--no-browser"),
        *("--token", TOKEN, "--max-sessions", str(max_sessions), "--preheat", str(args.preheat)),
    ]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    sampler = None
    try:
        dashboard.wait_for_port(port, 120, proc)
        time.sleep(2)
        sampler = MemorySampler(proc.pid)
        idle_mb, idle_kernels = sampler.measure()
        kernel_niceness = kernel_niceness_of(proc.pid)
        sampler.start()
        url = dashboard.url(port, token=TOKEN)
        cpu: dict = {}
        timing: dict = {"stagger_s": args.stagger, "timeout_factor": args.timeout_factor}
        record = asyncio.run(
            asyncio.wait_for(
                drive(url, args.sessions, expected, timing, args.seed, proc.pid, cpu), timeout=args.timeout
            )
        )
        wall = time.monotonic() - timing["class_start"]
        end_mb, end_kernels = sampler.measure()
        alive = proc.poll() is None
        cpu_server = tree_cpu_s(proc.pid)
    finally:
        if sampler is not None:
            sampler.stopped.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    log_text = log_path.read_text()

    firsts = [r["first_figure_s"] for r in record if r["first_figure_s"] is not None]
    updates = [u for r in record for u in r["updates_s"]]
    errors = [(r["session"], e) for r in record for e in r["errors"]]
    peak = max(sampler.samples, key=lambda s: s[1]) if sampler.samples else (0, float("nan"), 0)
    complete = sum(1 for r in record if len(r["updates_s"]) == len(MOVES_EVEN) and not r["errors"])
    summary = {
        "sessions": args.sessions,
        "sessions_complete_and_correct": complete,
        "preheat": args.preheat,
        "max_sessions": max_sessions,
        "stagger_s": args.stagger,
        "solo_first_figure_s": timing["solo"]["first_figure_s"],
        "solo_updates_s": timing["solo"]["updates_s"],
        "timeouts_s": {"first_figure": timing["timeouts_s"][0], "update": timing["timeouts_s"][1]},
        "wall_s": wall,
        "load_average_1min_end": os.getloadavg()[0],
        "first_figure_s": {
            "p50": percentile(firsts, 0.5),
            "p95": percentile(firsts, 0.95),
            "max": max(firsts, default=None),
        },
        "update_s": {
            "n": len(updates),
            "p50": percentile(updates, 0.5),
            "p95": percentile(updates, 0.95),
            "max": max(updates, default=None),
        },
        "memory_mb": {
            "idle_server": idle_mb,
            "idle_kernels": idle_kernels,
            "peak": peak[1],
            "kernels_at_peak": peak[2],
            "end": end_mb,
            "kernels_at_end": end_kernels,
            "per_kernel_at_peak": (peak[1] - idle_mb) / max(peak[2] - idle_kernels, 1),
        },
        "cpu_s": {"server_and_kernels": cpu_server, "browser": cpu.get("browser")},
        "kernel_niceness": kernel_niceness,
        "server_alive_at_end": alive,
        "server_exit_status": proc.returncode,
        "tracebacks_in_server_log": log_text.count("Traceback"),
        "full_refusals_in_server_log": log_text.count("dashboard full"),
        "errors": errors[:20],
        "n_errors": len(errors),
    }
    print("session  opened at (s)  first figure (s)  updates (s)  result")
    for r in record:
        verdict = "ok" if len(r["updates_s"]) == len(MOVES_EVEN) and not r["errors"] else r["errors"][:1]
        first = "-" if r["first_figure_s"] is None else f"{r['first_figure_s']:.1f}"
        print(
            f"{r['session']:7d}  {r['opened'] - timing['class_start']:13.1f}  {first:>16}  "
            f"{' '.join(f'{u:.1f}' for u in r['updates_s']):11s}  {verdict}"
        )
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "sessions": record, "memory": sampler.samples}))
    return 0 if complete == args.sessions and alive and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
