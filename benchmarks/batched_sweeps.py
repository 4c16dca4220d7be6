"""Benchmark: batched parameter sweeps and repeated trials against one engine run per set / trial.

The reference implementations are the obvious loops: one ``ptsim.simulate`` per parameter set (with
``Condition.with_parameters``) and one ``run_trial`` per replication. The script checks that both
paths give the same numbers and prints the speed-up ratios (no timing is asserted in tests).

Run: ``python benchmarks/batched_sweeps.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import ptsim
from ptsim.analysis.sensitivity import evaluate
from ptsim.analysis.trial import repeat_trials

COND = ptsim.load_condition("knee_oa")
N_SETS, N_PATIENTS, DAY = 1000, 10, 42


def sweep_loop(sets):
    out = []
    for row in sets.itertuples(index=False):
        cond = COND.with_parameters(**row._asdict())
        res = ptsim.simulate(cond, "combined", n_patients=N_PATIENTS, days=DAY, seed=0)
        out.append(res.pain[:, DAY].mean())
    return np.array(out)


def main():
    rng = np.random.default_rng(0)
    sets = pd.DataFrame(
        {
            "consolidation_per_window_min": rng.uniform(0, 0.2, N_SETS),
            "setpoint_drop_per_dose_min": rng.uniform(0.001, 0.003, N_SETS),
        }
    )
    evaluate(COND, "combined", sets.iloc[:2], "pain", DAY, N_PATIENTS, seed=0)  # warm up imports
    ptsim.run_trial(COND, ["exercise_only", "combined"], 5, seed=0).effects()
    t0 = time.perf_counter()
    batched = evaluate(COND, "combined", sets, "pain", DAY, N_PATIENTS, seed=0)
    t1 = time.perf_counter()
    looped = sweep_loop(sets)
    t2 = time.perf_counter()
    assert np.allclose(batched, looped, rtol=1e-12), "batched sweep disagrees with the loop"
    print(f"sweep of {N_SETS} parameter sets x {N_PATIENTS} patients x {DAY} days:")
    print(f"  batched {t1 - t0:.2f} s, loop {t2 - t1:.2f} s, ratio {(t2 - t1) / (t1 - t0):.1f}x")

    arms, n, k = ["exercise_only", "combined"], 15, 100
    t0 = time.perf_counter()
    together = [t.effects().estimate.iloc[0] for t in repeat_trials(COND, arms, n, k, seed=0)]
    t1 = time.perf_counter()
    first = ptsim.run_trial(COND, arms, n, seed=0).effects().estimate.iloc[0]
    for seed in range(1, k):  # time k single trials (other seeds: other patients, same cost)
        ptsim.run_trial(COND, arms, n, seed=seed).effects()
    t2 = time.perf_counter()
    assert together[0] == first, "the first repeated trial differs from run_trial"
    print(
        f"{k} trials of {n} per arm: repeat_trials {t1 - t0:.2f} s, loop of run_trial {t2 - t1:.2f} s, "
        f"ratio {(t2 - t1) / (t1 - t0):.1f}x"
    )


if __name__ == "__main__":
    main()
