"""Checking the inference: leave-one-source-out cross-validation and simulation-based calibration.

Both are many independent posterior fits, so both run through an executor: by default a
``dask.distributed`` cluster of local processes (one per core), or the cluster at a scheduler address
(:func:`executor`); every fit is seeded, so the numbers do not depend on where it ran.

- **Leave-one-source-out cross-validation** (:func:`cross_validate`): for each source (a citation) of
  a condition's fit rows, fit the posterior without that source's rows, then ask whether each of its
  rows' published values lies in its 95 % posterior predictive interval
  (:func:`ptsim.analysis.bayes.predictive`, on a cohort and seed other than the fit's). The share of
  rows covered is the honest measure of how well the model predicts a study it has not seen.
- **Simulation-based calibration** (:func:`sbc`; Talts et al. 2018): draw a parameter set from the
  prior, simulate a synthetic evidence table from it (each row's value at that set plus a study's
  scatter: its published SD, heterogeneity drawn from its prior, on the row's scale), fit the
  posterior to the synthetic table, and record the rank of the true value among the posterior draws
  and whether the central 50 % and 90 % intervals contain it. With a correct inference the ranks are
  uniform and the coverages are nominal.

``python -m ptsim.analysis.validation cv knee_oa [--scheduler tcp://host:8786]`` and
``python -m ptsim.analysis.validation sbc knee_oa --tables 50``.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from dataclasses import replace

import numpy as np

from ptsim.analysis.bayes import (
    RECOMMENDED_SETTINGS,
    SamplerSettings,
    predictive,
    sample,
    target_source,
)

CV_SEED_OFFSET = 1
"""The predictive check of a cross-validation fold uses the fit's seed plus this (another cohort)."""


@contextlib.contextmanager
def executor(scheduler: str | None = None, workers: int | None = None):
    """A ``concurrent.futures``-style executor of a dask cluster: the one at ``scheduler`` (an address
    such as ``tcp://10.0.0.5:8786``), or a local cluster of ``workers`` processes (default: the number
    of cores), closed on exit."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sources(condition: str, targets="published") -> dict[str, list[str]]:
    """A condition's fit rows grouped by source (citation): source -> row ids."""
    from ptsim.inputs.conditions import load_condition

    src = target_source(targets)
    out: dict[str, list[str]] = {}
    for t in src.fit_targets(load_condition(condition)):
        out.setdefault(t.row["source"], []).append(t.id)
    return out


def _fold(args):
    """One cross-validation fold (picklable): fit without ``left_out``, check its rows."""
    condition, left_out, settings, members = args
    from ptsim.analysis.evidence import published_targets
    from ptsim.inputs.ensembles import Ensemble

    frame = published_targets(condition)
    kept = frame[~frame["id"].isin(left_out)]
    post = sample(condition, settings, progress=False, targets=kept)
    x, _ = post.kept()
    pick = np.linspace(0, len(x) - 1, min(members, len(x))).round().astype(int)
    ens = Ensemble(condition, {k: x[pick, j] for j, k in enumerate(post.names)})
    rows = frame[frame["id"].isin(left_out)]
    table = predictive(
        condition, ens, None, settings.n_patients, settings.seed + CV_SEED_OFFSET, rows, settings.engine
    )
    return [
        {
            "id": r["id"],
            "in_ppi": r["in_ppi"],
            "published": r["published"],
            "low": r["ppi_low"],
            "high": r["ppi_high"],
        }
        for _, r in table.iterrows()
    ]


def cross_validate(condition: str, settings: SamplerSettings | None = None, pool=None, members: int = 40):
    """Leave-one-source-out cross-validation of a condition's fit rows.

    Parameters
    ----------
    condition : str
    settings : SamplerSettings, optional
        Of each fold's fit (default the condition's :data:`~ptsim.analysis.bayes.RECOMMENDED_SETTINGS`).
    pool : executor, optional
        Runs the folds (:func:`executor`); default one after the other in this process.
    members : int
        Posterior members of each fold's predictive check.

    Returns
    -------
    dict
        ``{"rows": [{"id", "source", "in_ppi", "published", "low", "high"}], "covered": int,
        "checked": int}``.
    """
    settings = settings or RECOMMENDED_SETTINGS.get(condition, SamplerSettings())
    groups = sources(condition)
    jobs = [(condition, ids, settings, members) for ids in groups.values()]
    results = list(map(_fold, jobs) if pool is None else pool.map(_fold, jobs))
    rows = []
    for source, fold in zip(groups, results, strict=True):
        rows += [{**r, "source": source} for r in fold]
    checked = [r for r in rows if r["in_ppi"] is not None]
    return {"rows": rows, "covered": sum(bool(r["in_ppi"]) for r in checked), "checked": len(checked)}


def _synthetic_table(condition: str, truth: dict[str, float], settings: SamplerSettings, table_seed: int):
    """The condition's fit rows with their estimates replaced by a draw around the model's values at
    ``truth`` (intervals shifted with them, widths kept)."""
    from ptsim.analysis.calibrate import with_values
    from ptsim.analysis.evidence import published_targets
    from ptsim.analysis.likelihood import FAMILIES, HETEROGENEITY_PRIOR, build_terms, logit_normal
    from ptsim.analysis.predict import prepare_rows, simulate_sets
    from ptsim.inputs.conditions import load_condition

    cond = load_condition(condition)
    src = target_source("published")
    fit = src.fit_targets(cond)
    rows, models = [t.row for t in fit], [t.model for t in fit]
    prep = prepare_rows(with_values(cond, truth), rows, settings.n_patients, table_seed, src.arms, models)
    x = simulate_sets(prep, [{}], settings.engine)[0]
    terms = build_terms(rows, models)
    rng = np.random.default_rng([table_seed, 0x5BC])
    h = {}
    for f in FAMILIES:
        mu, sd = logit_normal(*HETEROGENEITY_PRIOR[f])
        i2 = 1 / (1 + math.exp(-(mu + sd * rng.standard_normal())))
        h[f] = i2 / (1 - i2)
    frame = published_targets(condition)
    frame = frame[frame["id"].isin(terms.ids)].set_index("id").loc[terms.ids].reset_index()
    xs = terms.transform(x)
    half = (terms.high - terms.low) / 2
    for j, rid in enumerate(terms.ids):
        if not math.isfinite(xs[j]):
            continue
        if terms.is_range[j]:
            centre = xs[j]
        else:
            scale = (
                half[j]
                / 1.959963984540054
                * math.sqrt(1 + h[FAMILIES[terms.family[j]]] * terms.heterogeneous[j])
            )
            centre = xs[j] + scale * rng.standard_normal()
        lo, hi = centre - (terms.published[j] - terms.low[j]), centre + (terms.high[j] - terms.published[j])
        if terms.log_scale[j]:
            centre, lo, hi = math.exp(centre), math.exp(lo), math.exp(hi)
        frame.loc[frame["id"] == rid, ["estimate", "low", "high"]] = [centre, lo, hi]
    return frame


def _sbc_one(args):
    """One SBC replicate (picklable): rank and interval hits of each parameter's true value."""
    condition, index, settings = args
    from ptsim.analysis.calibrate import free_parameters

    bounds = free_parameters(condition)
    rng = np.random.default_rng([settings.seed, 0x5BC, index])
    truth = {k: float(lo + rng.uniform() * (hi - lo)) for k, (lo, hi) in bounds.items()}
    table = _synthetic_table(condition, truth, settings, settings.seed + 1000 + index)
    post = sample(condition, replace(settings, seed=settings.seed + index), progress=False, targets=table)
    x, _ = post.kept()
    out = {}
    for j, k in enumerate(post.names):
        draws = x[:, j]
        q25, q75, q05, q95 = np.quantile(draws, [0.25, 0.75, 0.05, 0.95])
        out[k] = {
            "rank": int(np.sum(draws < truth[k])),
            "draws": int(draws.size),
            "in50": bool(q25 <= truth[k] <= q75),
            "in90": bool(q05 <= truth[k] <= q95),
        }
    return out


def sbc(condition: str, tables: int = 50, settings: SamplerSettings | None = None, pool=None) -> dict:
    """Simulation-based calibration of a condition's inference on ``tables`` synthetic evidence tables.

    Returns
    -------
    dict
        ``{"replicates": [per-table results], "coverage50": {name: share}, "coverage90": {...},
        "ranks": {name: [ranks]}}``.
    """
    settings = settings or RECOMMENDED_SETTINGS.get(condition, SamplerSettings())
    jobs = [(condition, i, settings) for i in range(tables)]
    reps = list(map(_sbc_one, jobs) if pool is None else pool.map(_sbc_one, jobs))
    names = list(reps[0]) if reps else []
    return {
        "replicates": reps,
        "coverage50": {k: float(np.mean([r[k]["in50"] for r in reps])) for k in names},
        "coverage90": {k: float(np.mean([r[k]["in90"] for r in reps])) for k in names},
        "ranks": {k: [r[k]["rank"] for r in reps] for k in names},
    }


def main(argv=None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog="python -m ptsim.analysis.validation",
        description="Leave-one-source-out cross-validation (cv) or simulation-based calibration (sbc) of "
        "a condition's posterior, through a dask cluster (local processes unless --scheduler is given).",
    )
    parser.add_argument("what", choices=("cv", "sbc"))
    parser.add_argument("conditions", nargs="+")
    parser.add_argument("--scheduler", default=None, help="address of a dask scheduler (default: local)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores)")
    parser.add_argument("--tables", type=int, default=50, help="sbc: synthetic tables per condition")
    parser.add_argument("--n-steps", type=int, default=None, help="steps per fit (default: recommended)")
    parser.add_argument("--burn-in", type=int, default=None)
    parser.add_argument("--n-patients", type=int, default=None)
    args = parser.parse_args(argv)
    out = {}
    with executor(args.scheduler, args.workers) as pool:
        for condition in args.conditions:
            s = RECOMMENDED_SETTINGS.get(condition, SamplerSettings())
            given = {"n_steps": args.n_steps, "burn_in": args.burn_in, "n_patients": args.n_patients}
            s = replace(s, **{k: v for k, v in given.items() if v is not None})
            try:
                if args.what == "cv":
                    out[condition] = cross_validate(condition, s, pool)
                else:
                    out[condition] = sbc(condition, args.tables, s, pool)
            except (ValueError, FileNotFoundError) as exc:
                print(f"python -m ptsim.analysis.validation: {condition}: {exc}", file=sys.stderr)
                return 2
            out[condition]["settings"] = {
                k: getattr(s, k) for k in ("n_walkers", "n_steps", "burn_in", "thin", "n_patients", "seed")
            }
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
