"""The run memory estimates (``ptsim.engine.setup.run_memory_bytes``, and for trials
``ptsim.analysis.trial.trial_memory_bytes``) against measured peak memory.

Each case runs in a fresh interpreter: a small warm-up run (imports, numba compilation), then the
case; the measured figure is the peak resident memory above the warm-up's, per patient, beside the
estimate for the same case. The estimate should be above the measurement (it is checked before any
allocation, to refuse runs that cannot fit) but not far above it (it would refuse runs that fit).

    python benchmarks/memory_estimate.py            # about 2-3 minutes on 2 cores
"""

from __future__ import annotations

import subprocess
import sys

CASES = [  # patients, days, plans, full trajectories (True) or record_days=[0, days]
    (200_000, 0, 1, True),
    (200_000, 0, 6, True),
    (100_000, 30, 1, True),
    (100_000, 30, 6, True),
    (50_000, 365, 1, True),
    (50_000, 365, 6, True),
    (400_000, 365, 1, False),
]

TRIAL_CASES = [  # patients per arm (two arms), assessment days: ptsim.analysis.trial.trial_memory_bytes
    (100_000, [0]),
    (100_000, list(range(8))),
    (50_000, [42]),
    (20_000, [365]),
]

TRIAL_CHILD = """
import resource, sys, warnings
warnings.filterwarnings("ignore")
import ptsim
n, assess = int(sys.argv[1]), [int(d) for d in sys.argv[2].split(",")]
ptsim.run_trial("knee_oa", ["exercise_only", "combined"], 10, assess_days=[0, 3])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ptsim.run_trial("knee_oa", ["exercise_only", "combined"], n, assess_days=assess)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""

CHILD = """
import resource, sys, warnings
warnings.filterwarnings("ignore")
import ptsim
n, days, n_plans, full = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "True"
plans = list(ptsim.standard_plans())[:n_plans]
ptsim.compare("knee_oa", plans, n_patients=10, days=3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ptsim.compare("knee_oa", plans, n_patients=n, days=days, record_days=None if full else [0, days])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def main() -> None:
    from ptsim.engine.setup import run_memory_bytes

    print(f"{'patients':>9} {'days':>5} {'plans':>5} {'recorded':>8}  measured B/patient  estimate  ratio")
    for n, days, n_plans, full in CASES:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(days), str(n_plans), str(full)],
            capture_output=True,
            text=True,
            check=True,
        )
        measured = int(out.stdout.split()[-1]) / n
        estimate = run_memory_bytes(n, days, None if full else [0, days], n_plans) / n
        recorded = "all" if full else "2"
        print(
            f"{n:>9,} {days:>5} {n_plans:>5} {recorded:>8}  {measured:>18,.0f}  {estimate:>8,.0f}  "
            f"{estimate / measured:5.2f}"
        )

    from ptsim.analysis.trial import trial_memory_bytes

    print(f"\n{'trial: per arm':>14} {'assessed':>8}  measured B/patient  estimate  ratio")
    for n, assess in TRIAL_CASES:
        out = subprocess.run(
            [sys.executable, "-c", TRIAL_CHILD, str(n), ",".join(map(str, assess))],
            capture_output=True,
            text=True,
            check=True,
        )
        measured = int(out.stdout.split()[-1]) / (2 * n)
        estimate = trial_memory_bytes(2 * n, assess[-1], len(assess)) / (2 * n)
        print(f"{n:>14,} {len(assess):>8}  {measured:>18,.0f}  {estimate:>8,.0f}  {estimate / measured:5.2f}")


if __name__ == "__main__":
    main()
