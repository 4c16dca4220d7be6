"""Benchmark behind the default ``engine="auto"`` (issue 11): what numba buys and what it costs.

    python benchmarks/engine_choice.py [--repeat 7]

Prints, for a dashboard-sized comparison (the six standard plans, 200 patients, 365 days, knee_oa):

- compute time of ``ptsim.compare`` with ``engine="numpy"`` and ``engine="numba"`` (median wall time
  of ``--repeat`` runs in this process, after a warm-up), and their ratio;
- the first call of the compiled engine in a new process: with an empty numba cache (it compiles the
  kernel and writes the cache) and with the cache written (it loads it), each in a fresh
  subprocess with its own ``NUMBA_CACHE_DIR``; and ``import numba`` alone.

Nothing is asserted; docs/performance.md quotes the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIRST_CALL = """
import time
t0 = time.perf_counter()
import ptsim
t1 = time.perf_counter()
ptsim.compare("knee_oa", n_patients=200, days=365, seed=0, engine="numba")
t2 = time.perf_counter()
ptsim.compare("knee_oa", n_patients=200, days=365, seed=1, engine="numba")
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def compute_ms(engine: str, repeat: int) -> list[float]:
    import ptsim

    ptsim.compare("knee_oa", n_patients=200, days=365, seed=0, engine=engine)  # warm-up
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        ptsim.compare("knee_oa", n_patients=200, days=365, seed=i, engine=engine)
        out.append(1e3 * (time.perf_counter() - t))
    return out


def first_call(cache_dir: str) -> tuple[float, float, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, check=True
    )
    return tuple(float(x) for x in out.stdout.split())


def import_numba_s() -> float:
    code = "import time; t = time.perf_counter(); import numba; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    med = {}
    for engine in ("numpy", "numba"):
        ms = compute_ms(engine, args.repeat)
        med[engine] = statistics.median(ms)
        print(f"compare, 6 plans x 200 patients x 365 days, {engine:<5}: median {med[engine]:7.1f} ms "
              f"(min {min(ms):.1f}, max {max(ms):.1f}, {args.repeat} runs)")  # fmt: skip
    print(f"numpy / numba: {med['numpy'] / med['numba']:.1f}x")
    with tempfile.TemporaryDirectory() as cache:
        cold = first_call(cache)
        warm = first_call(cache)
    for label, (imp, first, second) in (("empty cache", cold), ("warm cache ", warm)):
        print(f"new process, {label}: import ptsim {imp:.2f} s, first compare {first:.2f} s, "
              f"second {1e3 * second:.0f} ms")  # fmt: skip
    print(f"import numba alone: {import_numba_s():.2f} s")


if __name__ == "__main__":
    main()
