"""Validation of ptsim.forecast by simulation: synthetic patients with known parameters.

Synthetic patients are drawn from the model exactly as the forecast's candidates are (the cohort
sampler and one posterior-ensemble member each) but with other ids, simulated, and measured with the
instruments' errors at 1-4 visits (intake: pain, ROM and strength; follow-ups: pain and ROM, as a
clinic measures). Their later measured values are then forecast by weighting a pool of candidates
by the visits (the arithmetic of :func:`ptsim.forecast`: ``visit_log_likelihood``,
``normalised_weights``, ``weighted_quantiles``) and checked:

- calibration: a share ``level`` of the later readings falls in the central ``level`` interval, within
  5 points, for 50 % and 90 % (by the randomised PIT, which for the NPRS's whole points counts a value
  on an interval's end by chance, Czado, Gneiting & Held 2009);
- sharpness: intervals narrow with every visit added and are narrower than the population's.

One pool serves every synthetic patient (the forecast reweights it), so 200 patients x 4 visit counts
cost one simulation. The pool's size is the forecast's doubling step that a typical four-visit patient
reaches: ``MAX_CANDIDATES`` since model v3 (with 32,000 candidates the median four-visit effective
sample size was 94, below the warning level of 100, so the forecast doubles once more).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ptsim
from ptsim.analysis import forecast as F
from ptsim.inputs.plans import get_plan

VISIT_DAYS = [0, 7, 14, 21]
FORECAST_DAYS = [28, 63, 119, 203]
N_SYNTHETIC = 200
POOL = F.MAX_CANDIDATES
SEED = 3
WIDTH_EVERY = 4
"""Widths are averaged over every 4th synthetic patient (50): quantiles cost more than coverage."""


def simulation_check(condition="knee_oa", pool_size=POOL, n_synthetic=N_SYNTHETIC, seed=SEED):
    """Coverage and widths of forecasts for synthetic patients.

    Returns
    -------
    dict
        ``coverage[k][level]``: share of later readings (every outcome and forecast day) inside the
        central interval, with ``k`` visits (0 = the population); ``width[k][outcome]``: mean width of
        the 90 % interval; ``ess[k]``: the effective sample sizes.
    """
    cond = ptsim.load_condition(condition)
    members = F._members(True, cond)
    care = get_plan("combined").resolve(cond)
    plan = F.continued_plan(care, care, F.switch_day(VISIT_DAYS[-1]))
    record = sorted({d - 1 for d in VISIT_DAYS + FORECAST_DAYS if d > 0})

    def run(first_id, n):
        people = F.draw_candidates(cond, n, seed, members, first_id=first_id)
        res = ptsim.simulate(
            people.condition, plan, cohort=people.cohort, days=record[-1], seed=seed, record_days=record
        )
        ids = people.cohort["patient_id"].to_numpy()
        true_visits = F.visit_true_values(res, VISIT_DAYS)
        later = F.read_instruments(cond, F.visit_true_values(res, FORECAST_DAYS), ids, FORECAST_DAYS, seed)
        return true_visits, ids, later

    pool_true, _, pool_later = run(0, pool_size)
    syn_true, syn_ids, syn_later = run(10**9, n_synthetic)
    syn_read = F.read_instruments(cond, syn_true, syn_ids, VISIT_DAYS, seed)
    order = {o: np.argsort(v, axis=0, kind="stable") for o, v in pool_later.items()}
    u = np.random.default_rng(seed).uniform(size=(n_synthetic, len(pool_later), len(FORECAST_DAYS)))
    probabilities = F.interval_probabilities()
    levels = F.LEVELS
    covered = {k: {lev: [] for lev in levels} for k in range(5)}
    width = {k: {o: [] for o in pool_later} for k in range(5)}
    ess = {k: [] for k in range(1, 5)}
    columns = {"rom": "rom_deg", "pain": "pain_nprs", "strength": "strength_pct_normal"}
    for i in range(n_synthetic):
        log_likelihood = np.zeros(pool_size)
        for k in range(5):
            if k == 0:
                weights = np.full(pool_size, 1.0 / pool_size)
            else:
                j = k - 1  # add visit j: intake reads all three instruments, follow-ups pain and ROM
                readings = {
                    columns[o]: syn_read[o][i, j:k]
                    for o in (("rom", "pain", "strength") if j == 0 else ("rom", "pain"))
                }
                visit = F.Visits(cond.name, np.asarray(VISIT_DAYS[j:k]), readings)
                log_likelihood += F.visit_log_likelihood(
                    visit, {o: v[:, j:k] for o, v in pool_true.items()}, cond
                )
                weights = F.normalised_weights(log_likelihood)
                ess[k].append(F.effective_sample_size(weights))
            for m, (outcome, values) in enumerate(pool_later.items()):
                pit = F.predictive_pit(values, weights, syn_later[outcome][i], u[i, m])
                for lev in levels:
                    covered[k][lev].extend(np.abs(pit - 0.5) <= lev / 2)
                if i % WIDTH_EVERY == 0:
                    q = F.weighted_quantiles(values, weights, probabilities, order=order[outcome])
                    width[k][outcome].append(float(np.mean(q[4] - q[3])))
    return {
        "coverage": {k: {lev: float(np.mean(v)) for lev, v in c.items()} for k, c in covered.items()},
        "width": {k: {o: float(np.mean(v)) for o, v in w.items()} for k, w in width.items()},
        "ess": {k: np.asarray(v) for k, v in ess.items()},
    }


@pytest.fixture(scope="module")
def check():
    return simulation_check()


def test_intervals_cover_their_level(check):
    """Within 5 points of nominal, for each number of visits (each pools 5 outcomes x 4 days)."""
    for k in range(1, 5):
        for level in F.LEVELS:
            got = check["coverage"][k][level]
            print(f"{k} visit(s): {100 * level:g} % intervals cover {100 * got:.1f} %")
            assert abs(got - level) <= 0.05, (k, level, got)


def test_intervals_narrow_with_visits_and_are_narrower_than_the_population(check):
    width = check["width"]
    for outcome in width[0]:
        series = [width[k][outcome] for k in range(5)]
        print(outcome, " -> ".join(f"{w:.1f}" for w in series))
        assert series[1] < series[0], outcome  # one visit beats the population
        assert series[4] < series[1], outcome  # four visits beat one
    # on average over the outcomes, every visit added narrows the intervals
    mean_ratio = [np.mean([width[k][o] / width[0][o] for o in width[0]]) for k in range(5)]
    assert all(b < a for a, b in itertools.pairwise(mean_ratio)), mean_ratio


def test_the_pool_gives_the_forecast_a_usable_effective_sample_size(check):
    for k in range(1, 5):
        print(f"{k} visit(s): median ESS {np.median(check['ess'][k]):.0f} of {POOL}")
    assert np.median(check["ess"][4]) >= F.WARN_ESS
