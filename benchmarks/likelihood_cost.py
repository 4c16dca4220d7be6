"""Benchmark: CPU-seconds per likelihood evaluation of a condition's published rows (issue 19 item 5).

The reference is calibration v2's way of simulating the rows, rebuilt here from the same pieces: for
every parameter set the cohort, the intake visit and the arms are prepared again and every arm runs to
the longest horizon any row needs, one set at a time. The new path (calibration v3) prepares once
(:func:`ptsim.analysis.predict.prepare_rows`), simulates each arm only as far as its rows read, and runs
a batch of sets (emcee's half-ensemble of walkers) as one cohort (:func:`~ptsim.analysis.predict.
simulate_sets`). The script checks that both give the same numbers, then prints CPU-seconds per
evaluation and the ratio, measured in the same process (no timing is asserted in tests). It also times
the full v3 likelihood (with the bootstrap resamples for the Monte-Carlo error and the
heterogeneity quadrature), which costs more than the simulation alone.

Run: ``python benchmarks/likelihood_cost.py [condition] [--patients 200] [--batch 13] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np

from ptsim.analysis.bayes import RECOMMENDED_SETTINGS, SamplerSettings, target_source
from ptsim.analysis.calibrate import free_parameters, with_values
from ptsim.analysis.likelihood import build_terms, log_likelihood
from ptsim.analysis.predict import prepare_rows, simulate_sets
from ptsim.inputs.conditions import load_condition


def reference(cond, rows, models, arms, sets, n_patients, seed):
    """Calibration v2's path: everything prepared per set, every arm to the longest horizon."""
    out = []
    for s in sets:
        prep = prepare_rows(with_values(cond, s), rows, n_patients, seed, arms, models)
        longest = max(prep.horizons.values())
        prep = dataclasses.replace(prep, horizons=dict.fromkeys(prep.horizons, longest))
        out.append(simulate_sets(prep, [{}])[0])
    return np.array(out)


def cpu(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        value = fn()
        best = min(best, time.process_time() - t0)
    return best, value


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python benchmarks/likelihood_cost.py")
    parser.add_argument("condition", nargs="?", default="knee_oa")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--batch", type=int, default=None, help="sets per batch (default: half the walkers)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    settings = RECOMMENDED_SETTINGS.get(args.condition, SamplerSettings())
    batch = args.batch or settings.n_walkers // 2
    cond = load_condition(args.condition)
    bounds = free_parameters(cond.name)
    source = target_source("published")
    fit = source.fit_targets(cond)
    rows, models = [t.row for t in fit], [t.model for t in fit]
    rng = np.random.default_rng(0)
    sets = [
        {k: float(lo + rng.uniform() * (hi - lo)) for k, (lo, hi) in bounds.items()} for _ in range(batch)
    ]
    seed = settings.seed
    reference(cond, rows, models, source.arms, sets[:1], args.patients, seed)  # compile, warm caches

    t_ref, want = cpu(
        lambda: reference(cond, rows, models, source.arms, sets, args.patients, seed), args.repeat
    )
    t_prep, prep = cpu(
        lambda: prepare_rows(cond, rows, args.patients, seed, source.arms, models, 0, bounds), 1
    )
    t_new, got = cpu(lambda: simulate_sets(prep, sets), args.repeat)
    same = bool(np.array_equal(got, want, equal_nan=True))
    boot = prepare_rows(cond, rows, args.patients, seed, source.arms, models, settings.replicates, bounds)
    terms = build_terms(rows, models)

    def full():
        return [log_likelihood(terms, s) for s in simulate_sets(boot, sets, replicates=True)]

    t_full, _ = cpu(full, args.repeat)
    out = {
        "condition": cond.name,
        "patients": args.patients,
        "batch": batch,
        "rows": len(rows),
        "same_numbers": same,
        "load_average_1min": os.getloadavg()[0],
        "reference_cpu_s_per_evaluation": t_ref / batch,
        "prepare_once_cpu_s": t_prep,
        "new_cpu_s_per_evaluation": t_new / batch,
        "speedup": t_ref / t_new,
        "v3_likelihood_cpu_s_per_evaluation": t_full / batch,
        "v3_likelihood_replicates": settings.replicates,
    }
    print(json.dumps(out, indent=2))
    if not same:
        raise SystemExit("the batched path does not reproduce the reference numbers")
    return out


if __name__ == "__main__":
    main()
