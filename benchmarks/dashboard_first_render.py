"""How long the dashboard takes to show its first figure, and where the time goes.

Run from the repository root (about 1-2 minutes on 2 cores)::

    python benchmarks/dashboard_first_render.py              # kernel-level measurements
    python benchmarks/dashboard_first_render.py --browser    # also page request -> figure in Chromium

Kernel level: a fresh Python kernel is started as Voila starts one (same kernel spec, same
environment), and the time from "kernel ready" to the end of the dashboard notebook's code cell is
measured -- the cell ends when the app has computed, drawn and encoded its first figure. Each
measurement uses a new kernel (a second run in the same kernel would find everything imported).
Stages are timed in separate fresh kernels, one execute request each, to show where the time goes.
The same is measured with the kernel's default matplotlib backend (the notebook's inline backend)
and with ``MPLBACKEND=agg``, which ``ptsim dashboard`` sets for its kernels.

Browser level (``--browser``): ``ptsim dashboard`` on a free loopback port, Debian's Chromium
(Playwright), and the time from the page request to the figure shown -- this includes starting the
kernel, running the notebook, and loading and rendering the page's widgets.

Wall-clock times on a shared machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ptsim.teaching import dashboard  # noqa: E402

STAGES = [
    (
        "notebook imports (numpy, pandas, matplotlib, ipywidgets, ptsim)",
        "from IPython.display import HTML, display\n"
        "from ptsim.teaching.dashboard import STYLE\n"
        "from ptsim.teaching.widgets import compare_plans_app",
    ),
    ("import scipy.special, scipy.optimize (cohort sampling)", "import scipy.special, scipy.optimize"),
    ("import numba and the compiled engine", "import ptsim.engine.compiled"),
    ("build the app (controls)", "app = compare_plans_app()"),
    ("first app.update(): compute + draw + PNG + table", "app.update()"),
    ("second app.update() (warm, for comparison)", "app.update()"),
]


def notebook_code() -> str:
    nb = json.loads(dashboard.notebook_path().read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def start_kernel(env: dict):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    t0 = time.perf_counter()
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc, time.perf_counter() - t0


def execute(kc, code: str, km=None) -> tuple[float, float]:
    """Run ``code``; its wall time and the kernel process's CPU time (user + system, seconds)."""
    import psutil

    errors = []
    proc = psutil.Process(km.provisioner.process.pid) if km is not None else None
    cpu0 = sum(proc.cpu_times()[:2]) if proc else 0.0

    def hook(msg):
        if msg["msg_type"] == "error":
            errors.append("\n".join(msg["content"]["traceback"]))

    t0 = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=300, output_hook=hook)
    elapsed = time.perf_counter() - t0
    cpu = sum(proc.cpu_times()[:2]) - cpu0 if proc else float("nan")
    if reply["content"]["status"] != "ok" or errors:
        raise RuntimeError(f"the kernel failed on {code!r}: {errors}")
    return elapsed, cpu


def stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def kernel_env(backend: str | None) -> dict:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    if backend is not None:
        env["MPLBACKEND"] = backend
    return env


def kernel_level(repeat: int) -> dict:
    results = {}
    code = notebook_code()
    for label, backend in (("kernel default backend (inline)", None), ("MPLBACKEND=agg", "agg")):
        env = kernel_env(backend)
        ready, cells, cells_cpu = [], [], []
        for _ in range(repeat):
            km, kc, t_ready = start_kernel(env)
            try:
                wall, cpu = execute(kc, code, km)
                cells.append(wall)
                cells_cpu.append(cpu)
                ready.append(t_ready)
            finally:
                stop(km, kc)
        stages = {name: [] for name, _ in STAGES}
        stages_cpu = {name: [] for name, _ in STAGES}
        for _ in range(repeat):
            km, kc, _t = start_kernel(env)
            try:
                for name, stage_code in STAGES:
                    wall, cpu = execute(kc, stage_code, km)
                    stages[name].append(wall)
                    stages_cpu[name].append(cpu)
            finally:
                stop(km, kc)
        results[label] = {
            "kernel_start_to_ready_s": ready,
            "ready_to_first_figure_s": cells,
            "ready_to_first_figure_cpu_s": cells_cpu,
            "stages_s": stages,
            "stages_cpu_s": stages_cpu,
        }
        med = statistics.median
        print(f"\n== {label} (median of {repeat} fresh kernels; load average {os.getloadavg()[0]:.1f})")
        print(f"kernel start -> ready:            {med(ready):6.2f} s wall")
        print(
            f"ready -> first figure (notebook): {med(cells):6.2f} s wall, {med(cells_cpu):6.2f} s CPU (wall: "
            + ", ".join(f"{c:.2f}" for c in cells)
            + ")"
        )
        for name in stages:
            print(f"  {med(stages[name]):6.2f} s wall {med(stages_cpu[name]):6.2f} s CPU  {name}")
    return results


def browser_level(repeat: int, extra_args: list[str]) -> list[float]:
    from playwright.sync_api import sync_playwright

    port = dashboard.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptsim", "dashboard", "--port", str(port), "--no-browser", *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    times = []
    try:
        dashboard.wait_for_port(port, 120, proc)
        time.sleep(15 if "--preheat" in " ".join(extra_args) else 1)  # let a pool fill
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            for _ in range(repeat):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if f"//{dashboard.HOST}:" in route.request.url else route.abort()
                    ),
                )
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(dashboard.url(port), timeout=180_000, wait_until="commit")
                page.locator("img.ptsim-figure[src^='blob:'], img.ptsim-figure[src^='data:']").first.wait_for(
                    timeout=180_000
                )
                times.append(time.perf_counter() - t0)
                context.close()
                time.sleep(8)  # the pool refills (preheat) / the closed tab's kernel shuts down
            browser.close()
    finally:
        import signal

        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also page request -> figure in Chromium")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    out = {"load_average_1min": os.getloadavg()[0], "kernel": kernel_level(args.repeat)}
    if args.browser:
        out["browser"] = {}
        for label, extra in (("ptsim dashboard", []), ("ptsim dashboard --preheat 1", ["--preheat", "1"])):
            times = browser_level(args.repeat, extra)
            out["browser"][label] = times
            print(
                f"\n== page request -> figure shown, {label}: median {statistics.median(times):.2f} s "
                f"(all: {', '.join(f'{t:.2f}' for t in times)})"
            )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
