"""ptsim performance benchmarks: throughput, interactive latency, memory, start-up, notebook suite.

Run from the repository root::

    python benchmarks/run.py            # everything (about 5-10 minutes on 2 cores)
    python benchmarks/run.py --quick    # 1,000 and 10,000 patients only, 100,000-patient memory run
    python benchmarks/run.py --only throughput latency

Every figure is printed next to its reference measured in the same process (or from the same
interpreter), as a ratio, so the numbers mean the same on a faster or slower machine. Targets
(issue 8): engine >= 200x the per-patient Python loop and within 3x of the floor kernel; compute +
plot <= 100 ms median; 1,000,000 patients with summaries < 2 GB peak; ``import ptsim`` < 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import ptsim  # noqa: E402
from ptsim.inputs.cohort import sample_cohort  # noqa: E402

DAYS = 365
CONDITION = "knee_oa"
KEY_DAYS = [0, 14, 42, 91, 182, 365]
RESULTS: dict = {}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    try:
        import resource  # noqa: F401

        mem = [ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")]
        info["memory"] = mem[0].split(":", 1)[1].strip() if mem else None
    except (ImportError, OSError):
        pass
    return info


def best_of(fn, repeat: int) -> float:
    """Shortest CPU time (user + system, seconds) of ``repeat`` calls.

    CPU time rather than wall time: on a machine shared with other work, waiting for a core is not
    the code's cost. Wall time is also kept (``WALL``) for the record.
    """
    times, walls = [], []
    for _ in range(repeat):
        w0, t0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.process_time() - t0)
        walls.append(time.perf_counter() - w0)
    WALL.append(min(walls))
    return min(times)


WALL: list[float] = []


def engines() -> list[str]:
    from ptsim.engine import compiled

    return ["numpy", "numba"] if compiled.AVAILABLE else ["numpy"]


def header(title: str) -> None:
    print(f"\n== {title}")


# ---------------------------------------------------------------------------------------------------
# throughput


def floor_kernel(n: int, days: int, n_plans: int, record: bool = False) -> None:
    """The floor: per plan, one loop over days of five in-place exponential-decay updates of
    ``n``-patient arrays (factors precomputed) -- the least any daily vectorised engine of this shape
    does. With ``record``, it also writes four outputs a day into fresh ``(days + 1, n)`` buffers,
    as an engine that returns trajectories must."""
    factors = [float(np.exp(-1.0 / tau)) for tau in (38.0, 19.0, 60.0, 200.0, 30.0)]
    for _ in range(n_plans):
        xs = [np.full(n, 1.0 + k) for k in range(5)]
        out = [np.empty((days + 1, n)) for _ in range(4)] if record else None
        for d in range(days + 1):
            for x, f in zip(xs, factors, strict=True):
                np.multiply(x, f, out=x)
            if record:
                for buf, x in zip(out, xs, strict=False):
                    buf[d] = x


def throughput(sizes, reference_patients: int) -> None:
    from reference import simulate_reference

    header(f"Throughput: {CONDITION}, the 6 standard plans, {DAYS} days (patient-days per CPU second)")
    cond = ptsim.load_condition(CONDITION)
    plans = ptsim.standard_plans()
    n_plans = len(plans)

    # (a) the per-patient Python loop, timed on a sub-cohort (its cost is linear in patients)
    df = sample_cohort(cond, reference_patients, seed=0)

    def reference():
        for plan in plans.values():
            simulate_reference(cond, plan, df, DAYS, 0)

    ref_rate = reference_patients * (DAYS + 1) * n_plans / best_of(reference, 1)
    print(f"per-patient Python loop ({reference_patients} patients): {ref_rate:>12,.0f} patient-days/s")
    RESULTS["reference_loop_patient_days_per_s"] = ref_rate

    for engine in engines():  # warm-up: imports scipy, loads the compiled kernel
        ptsim.compare(cond, plans, n_patients=50, days=DAYS, seed=0, engine=engine)
    rows = []
    for n in sizes:
        pd_total = n * (DAYS + 1) * n_plans
        repeat = 3 if n <= 10_000 else 1
        floor_rate = pd_total / best_of(lambda n=n: floor_kernel(n, DAYS, n_plans), repeat)
        floor_rec_rate = pd_total / best_of(lambda n=n: floor_kernel(n, DAYS, n_plans, record=True), repeat)
        modes = [("summaries", KEY_DAYS)]
        if n <= 10_000:  # 100,000 full trajectories of six plans would need ~9 GB
            modes.insert(0, ("trajectories", None))
        print(
            f"floor kernel {n:>7,} patients: {floor_rate:>13,.0f} patient-days/s; "
            f"with recording 4 outputs a day: {floor_rec_rate:>13,.0f}"
        )
        for engine in engines():
            for mode, record_days in modes:

                def run(n=n, record_days=record_days, engine=engine):
                    ptsim.compare(
                        cond, plans, n_patients=n, days=DAYS, seed=0, record_days=record_days, engine=engine
                    )

                t = best_of(run, repeat)
                rate = pd_total / t
                floor = floor_rec_rate if record_days is None else floor_rate
                row = {
                    "patients": n,
                    "engine": engine,
                    "mode": mode,
                    "cpu_seconds": t,
                    "wall_seconds": WALL[-1],
                    "patient_days_per_s": rate,
                    "x_reference_loop": rate / ref_rate,
                    "floor_over_engine": floor / rate,
                }
                rows.append(row)
                print(
                    f"  {engine:<5} {mode:<12} {t:6.2f} s CPU ({WALL[-1]:6.2f} s wall) {rate:>12,.0f} /s | "
                    f"{rate / ref_rate:5.0f}x the per-patient loop (>= 200x) | floor"
                    f"{' with recording' if record_days is None else ''} {floor / rate:5.1f}x faster (<= 3x)"
                )
    RESULTS["throughput"] = rows


# ---------------------------------------------------------------------------------------------------
# interactive latency


def latency(repeat: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ptsim.teaching.plotting import plot_trajectories

    header("Interactive latency: compare 3 plans x 200 patients x 365 days, plot, render (Agg; wall time)")
    cond = ptsim.load_condition(CONDITION)
    plans = ptsim.standard_plans()
    three = {k: plans[k] for k in ("manual_only", "exercise_only", "combined")}
    floor_ms = best_of(lambda: floor_kernel(200, DAYS, 3, record=True), 5) * 1e3
    print(f"floor kernel with recording, same arrays: {floor_ms:6.1f} ms CPU")
    RESULTS["latency_ms"] = {"floor": floor_ms}
    for engine in engines():
        compute, build, render = [], [], []
        for i in range(repeat + 2):
            # a control change: each call uses another seed, so nothing is reused from the last call
            t0 = time.perf_counter()
            comp = ptsim.compare(cond, three, n_patients=200, days=DAYS, seed=i, engine=engine)
            t1 = time.perf_counter()
            fig = plot_trajectories(comp)
            t2 = time.perf_counter()
            FigureCanvasAgg(fig).draw()
            t3 = time.perf_counter()
            if i >= 2:  # the first calls import matplotlib and scipy
                compute.append(t1 - t0)
                build.append(t2 - t1)
                render.append(t3 - t2)
        med = {
            k: statistics.median(v) * 1e3
            for k, v in (("compute", compute), ("plot", build), ("render", render))
        }
        cp = statistics.median([a + b for a, b in zip(compute, build, strict=True)]) * 1e3
        total = statistics.median([a + b + c for a, b, c in zip(compute, build, render, strict=True)]) * 1e3
        print(
            f"  {engine:<5} compute {med['compute']:6.1f} ms ({med['compute'] / floor_ms:4.1f}x floor) + "
            f"plot_trajectories {med['plot']:6.1f} ms = {cp:6.1f} ms (target <= 100); "
            f"+ Agg render {med['render']:6.1f} ms = {total:6.1f} ms (medians of {repeat})"
        )
        RESULTS["latency_ms"][engine] = dict(med, compute_plus_plot=cp, total=total)


# ---------------------------------------------------------------------------------------------------
# memory

_PEAK = """
def peak_resident_mb():
    # VmHWM: this process's own high-water mark (ru_maxrss would carry the parent's over exec)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_MEMORY_CHILD = (
    _PEAK
    + """
import sys, time
import numpy as np
import ptsim
n, plans, engine = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if plans == "all":
    comp = ptsim.compare("knee_oa", n_patients=n, days=365, seed=0, record_days={days}, engine=engine)
    res = comp["combined"]
else:
    res = ptsim.simulate("knee_oa", plans, n_patients=n, days=365, seed=0, record_days={days}, engine=engine)
t = time.perf_counter() - t0
daily = res.daily_summary()
q = np.percentile(res.pain[:, -1], [10, 50, 90])
peak_mb = peak_resident_mb()
print(f"{{t:.2f}} {{peak_mb:.1f}} {{daily.mean['pain'][-1]:.4f}} {{q[1]:.4f}}")
"""
)


def memory(n: int, plans: str) -> None:
    header(f"Memory: {n:,} patients x {DAYS} days, summaries only (record_days={KEY_DAYS}), plan(s): {plans}")
    probe = _PEAK + "import ptsim, numpy; print(peak_resident_mb())"
    base_mb = float(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    )
    n_plans = 6 if plans == "all" else 1
    full_gb = n * (DAYS + 1) * 42 * n_plans / 1e9
    print(
        f"interpreter + ptsim alone: {base_mb:.0f} MB; full trajectories would need {full_gb:.1f} GB (arrays)"
    )
    RESULTS["memory"] = {"patients": n, "plans": plans, "baseline_mb": base_mb}
    code = _MEMORY_CHILD.format(days=KEY_DAYS)
    for engine in engines():
        out = subprocess.run(
            [sys.executable, "-c", code, str(n), plans, engine], capture_output=True, text=True, check=True
        )
        t, peak_mb, mean_pain, median_pain = map(float, out.stdout.split())
        print(
            f"  {engine:<5} peak resident {peak_mb:6.0f} MB (target < 2048 MB) | wall {t:6.1f} s "
            f"({n * (DAYS + 1) * n_plans / t:,.0f} patient-days/s, incl. sampling the cohort) | "
            f"day 365 pain mean {mean_pain:.4f}, median {median_pain:.4f}"
        )
        RESULTS["memory"][engine] = {"peak_mb": peak_mb, "seconds": t, "mean_pain_365": mean_pain}


# ---------------------------------------------------------------------------------------------------
# start-up


def startup(repeat: int) -> None:
    header(f"Start-up: python -c 'import ptsim' (fresh interpreters, median of {repeat})")

    def timed(code):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    bare = timed("pass")
    numpy_t = timed("import numpy")
    ptsim_t = timed("import ptsim")
    probe = "import time; t = time.perf_counter(); import ptsim; print(time.perf_counter() - t)"
    import_only = statistics.median(
        float(
            subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(repeat)
    )
    print(f"python -c pass          {bare * 1e3:7.1f} ms")
    print(f"python -c 'import numpy' {numpy_t * 1e3:7.1f} ms")
    print(f"python -c 'import ptsim' {ptsim_t * 1e3:7.1f} ms ({ptsim_t / numpy_t:.2f}x numpy alone)")
    print(f"import ptsim itself      {import_only * 1e3:7.1f} ms (target < 300 ms)")
    RESULTS["startup_ms"] = {
        "python": bare * 1e3,
        "numpy": numpy_t * 1e3,
        "ptsim": ptsim_t * 1e3,
        "import_ptsim": import_only * 1e3,
    }


# ---------------------------------------------------------------------------------------------------
# notebooks


def notebooks() -> None:
    """Wall time of the README's nbval run of the lessons: ``pytest notebooks/`` from the repository
    root (pyproject's addopts make it strict nbval in the current environment)."""
    header("Notebook suite: pytest notebooks/ (nbval, as the README and CI run it)")
    nbs = sorted((ROOT / "notebooks").glob("*.ipynb")) if (ROOT / "notebooks").is_dir() else []
    if not nbs:
        print("pending: no notebooks/*.ipynb in this checkout yet")
        RESULTS["notebooks"] = "pending"
        return
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    t = time.perf_counter() - t0
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-200:]
    print(f"{len(nbs)} notebooks: {t:.1f} s wall time ({t / len(nbs):.1f} s each); pytest: {tail}")
    RESULTS["notebooks"] = {"count": len(nbs), "seconds": t, "returncode": proc.returncode}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (1,000 and 10,000 patients)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["throughput", "latency", "memory", "startup", "notebooks"],
        help="run only these sections",
    )
    parser.add_argument("--memory-plans", default="combined", help="a plan name, or 'all' for compare()")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    sections = args.only or ["startup", "throughput", "latency", "memory", "notebooks"]
    RESULTS["machine"] = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in RESULTS["machine"].items()))
    print(f"ptsim {ptsim.__version__} from {Path(ptsim.__file__).parent}")
    if "startup" in sections:
        startup(5)
    if "throughput" in sections:
        throughput(
            [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000],
            reference_patients=100 if args.quick else 200,
        )
    if "latency" in sections:
        latency(15)
    if "memory" in sections:
        memory(100_000 if args.quick else 1_000_000, args.memory_plans)
    if "notebooks" in sections:
        notebooks()
    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
