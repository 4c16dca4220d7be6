"""How long one patient's forecast takes: six plans over a year, against a plain comparison.

Run from the repository root::

    python benchmarks/forecast_time.py            # three cases, 3 repeats each
    python benchmarks/forecast_time.py --repeats 1

A forecast (``ptsim.forecast``) draws candidate patients, simulates the care so far to the last visit
for all of them (doubling their number while the effective sample size is below its target), then
simulates the six standard plans for the resampled candidates over the horizon and summarises the
measured values. The reference, measured in the same process, is what any six-plan answer costs:
``ptsim.compare`` of the six standard plans for ``SIMULATED_CANDIDATES`` (1000) patients over the
same days, with the same schedule (the care so far, then each plan). The ratio says what conditioning
on the visits adds. Target (issue 22): <= 2 s for six plans over a year on 2 cores. Not asserted in
tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

CASES = {
    "issue example: 3 visits, pain and ROM": (
        {"day": [0, 7, 14], "pain_nprs": [7, 6, 6], "rom_deg": [95, 100, 101]},
        "manual_only",
    ),
    "one intake visit: pain, ROM, strength, WOMAC": (
        {"day": [0], "pain_nprs": [6], "rom_deg": [105], "strength_pct_normal": [70], "womac_0_100": [40]},
        "usual_care",
    ),
    "4 visits, every instrument": (
        {
            "day": [0, 7, 14, 21],
            "pain_nprs": [6, 5, 5, 4],
            "rom_deg": [105, 108, 110, 112],
            "strength_pct_normal": [70, 72, 73, 75],
        },
        "exercise_only",
    ),
}


def _median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 3) -> None:
    import ptsim
    from ptsim.analysis import forecast as F

    cond = ptsim.load_condition("knee_oa")
    plans = ptsim.standard_plans()
    ptsim.forecast(cond, CASES["one intake visit: pain, ROM, strength, WOMAC"][0], horizon_days=7)  # JIT
    print(f"knee_oa, six standard plans, horizon 365 days after the last visit; median of {repeats}")
    for label, (visits, so_far) in CASES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = ptsim.forecast(cond, visits, plans, horizon_days=365, so_far=so_far)
            took = _median_s(lambda v=visits, s=so_far: ptsim.forecast(cond, v, plans, 365, s), repeats)
        base = plans[so_far]
        start = F.switch_day(fc.visits.last_day)
        continued = {
            n: F.continued_plan(base.resolve(cond), p.resolve(cond), start) for n, p in plans.items()
        }
        days = fc.visits.last_day + 365 - 1
        ref = _median_s(
            lambda c=continued, d=days: ptsim.compare(cond, c, n_patients=F.SIMULATED_CANDIDATES, days=d),
            repeats,
        )
        print(
            f"  {label}: {took:.2f} s (target <= 2 s); ESS {fc.ess:.0f} of {fc.n_candidates} candidates, "
            f"{fc.n_simulated} simulated; reference compare of 6 plans x {F.SIMULATED_CANDIDATES} "
            f"patients {ref:.2f} s; forecast / reference = {took / ref:.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    main(parser.parse_args().repeats)
