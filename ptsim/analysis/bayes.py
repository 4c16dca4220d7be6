"""Bayesian calibration: a posterior ensemble of parameter sets per condition, sampled with emcee.

Where :func:`ptsim.analysis.calibrate.fit` finds one best parameter set, this module keeps every
parameter set the evidence allows, weighted by how well it reproduces the published results:

- **Prior**: uniform over each free parameter's documented range (the bounds in
  ``data/evidence/calibration.toml``, themselves inside ``ptsim.core.parameters``' ranges).
- **Likelihood**: each published result is read as a normal distribution on the scale its source
  reports, centred on the published value, with the standard deviation its 95 % interval implies
  (half-width / 1.96; the half on the side of the simulated value, so an asymmetric interval is
  respected). The simulated value uses a fixed virtual cohort and seed (common random numbers), so
  the likelihood is a deterministic function of the parameters.
- **Sampler**: ``emcee``'s affine-invariant ensemble sampler (Foreman-Mackey et al. 2013) on the
  parameters rescaled to [0, 1], seeded, with its progress bar.
- **Diagnostics**: mean acceptance fraction, the integrated autocorrelation time of each parameter
  (emcee) and the effective sample size it implies; with arviz installed also its bulk ESS and R-hat
  (walkers read as chains).

``python -m ptsim.analysis.bayes knee_oa`` samples a condition and writes its ensemble to
``data/ensembles/`` (:mod:`ptsim.inputs.ensembles` reads it) with the command, seed, settings,
diagnostics, the SHA-256 of the files it read, and predictive summaries that
:func:`check_ensemble` recomputes (CI does, without sampling).
"""

from __future__ import annotations

import datetime
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ptsim.analysis.calibrate import (
    DEFAULT_SEED,
    Target,
    calibrated_dir,
    evidence_dir,
    free_parameters,
    get_value,
    load_arms,
    load_targets,
    simulate_targets,
    standardized_residual,
    with_values,
)
from ptsim.inputs.conditions import Condition, load_condition
from ptsim.inputs.ensembles import Ensemble, ensembles_dir, load_ensemble, sha256_file

Z95 = 1.959963984540054
"""The standard-normal quantile of a two-sided 95 % interval."""

UNIDENTIFIED_SD_RATIO = 0.8
"""A parameter whose posterior SD is above this share of its prior SD is reported as unidentified
(the evidence barely narrows it)."""


@dataclass(frozen=True)
class SamplerSettings:
    """How a posterior is sampled.

    Attributes
    ----------
    n_walkers : int
        emcee walkers (>= 2 x the number of free parameters).
    n_steps : int
        Steps per walker.
    burn_in : int
        First steps of every walker discarded.
    thin : int
        Keep every ``thin``-th step after the burn-in.
    n_patients : int
        Virtual patients per arm in each likelihood evaluation.
    seed : int
        Seed of the cohort, the model's random draws and the sampler.
    start_spread : float
        Walkers start at the condition's current values plus uniform noise of this share of each
        parameter's range (clipped into the range).
    """

    n_walkers: int = 24
    n_steps: int = 300
    burn_in: int = 100
    thin: int = 5
    n_patients: int = 100
    seed: int = DEFAULT_SEED
    start_spread: float = 0.1

    def check(self, n_parameters: int) -> None:
        for name in ("n_walkers", "n_steps", "thin", "n_patients"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if not (isinstance(self.burn_in, int) and 0 <= self.burn_in < self.n_steps):
            raise ValueError(f"burn_in must be a whole number in [0, n_steps), got {self.burn_in!r}")
        if self.n_walkers < 2 * n_parameters:
            raise ValueError(
                f"n_walkers must be at least twice the {n_parameters} free parameters, got {self.n_walkers}"
            )
        if not (isinstance(self.seed, int) and 0 <= self.seed < 2**32):
            raise ValueError(f"seed must be a whole number in [0, 2**32), got {self.seed!r}")
        if not (0 < self.start_spread <= 1):
            raise ValueError(f"start_spread must be in (0, 1], got {self.start_spread!r}")

    @property
    def n_kept(self) -> int:
        """Parameter sets kept after burn-in and thinning."""
        return self.n_walkers * len(range(self.burn_in, self.n_steps, self.thin))


def log_likelihood(simulated, targets: list[Target]) -> float:
    """Log-likelihood of simulated target values given the published results (up to a constant).

    Each target contributes ``-z**2 / 2`` with ``z`` the distance from the published value in
    standard deviations implied by its 95 % interval; an undefined simulated value counts as a
    distance of ``ptsim.analysis.calibrate.NAN_RESIDUAL`` half-intervals.
    """
    z = np.array([standardized_residual(s, t) for s, t in zip(simulated, targets, strict=True)]) * Z95
    return float(-0.5 * np.sum(z**2))


def fit_targets(condition: Condition) -> list[Target]:
    """The targets of a condition that a fit uses (``use == "calibration"``)."""
    arms = load_arms()
    return [t for t in load_targets(arms=arms) if t.condition == condition.name and t.use == "calibration"]


class _LogPosterior:
    """log p(u | evidence) on the unit cube (a picklable callable, so a process pool can run it)."""

    def __init__(self, cond: Condition, names, low, high, targets, n_patients, seed):
        self.cond, self.names, self.low, self.high = cond, list(names), low, high
        self.targets, self.n_patients, self.seed = targets, n_patients, seed
        self.arms = load_arms()

    def values(self, u) -> dict[str, float]:
        x = self.low + np.asarray(u, dtype=float) * (self.high - self.low)
        return dict(zip(self.names, x.tolist(), strict=True))

    def __call__(self, u) -> float:
        if np.any(u < 0.0) or np.any(u > 1.0):
            return -math.inf  # outside the documented ranges: prior zero
        cond = with_values(self.cond, self.values(u))
        sims = simulate_targets(cond, self.targets, self.n_patients, self.seed, self.arms)
        return log_likelihood(sims, self.targets)


@dataclass
class Posterior:
    """The sampler's output for one condition.

    Attributes
    ----------
    condition : str
    names : list of str
        Free parameters, in column order.
    low, high : numpy.ndarray
        Their documented ranges (the uniform prior).
    chain : numpy.ndarray
        ``(n_steps, n_walkers, n_parameters)`` parameter values (natural units).
    log_probability : numpy.ndarray
        ``(n_steps, n_walkers)``.
    acceptance : float
        Mean acceptance fraction of the walkers.
    settings : SamplerSettings
    targets : list of str
        Ids of the evidence rows in the likelihood.
    """

    condition: str
    names: list[str]
    low: np.ndarray
    high: np.ndarray
    chain: np.ndarray
    log_probability: np.ndarray
    acceptance: float
    settings: SamplerSettings
    targets: list[str]

    def kept(self) -> tuple[np.ndarray, np.ndarray]:
        """Parameter sets and their log-probabilities after burn-in and thinning (flattened)."""
        s = self.settings
        x = self.chain[s.burn_in :: s.thin].reshape(-1, len(self.names))
        lp = self.log_probability[s.burn_in :: s.thin].reshape(-1)
        return x, lp

    def autocorrelation_days(self) -> np.ndarray:
        """Integrated autocorrelation time of each parameter, in steps (emcee's estimate, tol=0)."""
        import emcee

        return np.atleast_1d(emcee.autocorr.integrated_time(self.chain[self.settings.burn_in :], tol=0))

    def diagnostics(self) -> dict[str, dict[str, float] | float]:
        """Acceptance, autocorrelation time, effective sample size (and arviz's ESS and R-hat)."""
        tau = self.autocorrelation_days()
        n_after = (self.settings.n_steps - self.settings.burn_in) * self.settings.n_walkers
        with np.errstate(divide="ignore"):  # a walker that never moved has tau 0: ESS reported as inf
            ess = n_after / tau
        out: dict[str, dict[str, float] | float] = {
            "acceptance_fraction": float(self.acceptance),
            "autocorrelation_steps": dict(zip(self.names, map(float, tau), strict=True)),
            "effective_sample_size": dict(zip(self.names, map(float, ess), strict=True)),
        }
        try:
            import arviz as az
        except ImportError:
            return out
        post = self.chain[self.settings.burn_in :].transpose(1, 0, 2)  # chains = walkers
        data = az.convert_to_dataset({k: post[:, :, j] for j, k in enumerate(self.names)})
        out["arviz_ess_bulk"] = {k: float(az.ess(data, method="bulk")[k]) for k in self.names}
        out["arviz_rhat"] = {k: float(az.rhat(data)[k]) for k in self.names}
        return out


def sample(condition, settings: SamplerSettings | None = None, progress: bool = True, pool=None) -> Posterior:
    """Sample a condition's posterior with emcee (nothing is written).

    Parameters
    ----------
    condition : str or Condition
    settings : SamplerSettings, optional
    progress : bool
        Show emcee's progress bar (tqdm).
    pool : object with a ``map`` method, optional
        Evaluates walkers in parallel (e.g. ``multiprocessing.Pool``); the numbers do not depend on it.
    """
    import emcee

    cond = load_condition(condition)
    settings = settings or SamplerSettings()
    bounds = free_parameters(cond.name)
    if not bounds:
        raise ValueError(f"condition {cond.name!r} has no free parameters in data/evidence/calibration.toml")
    names = list(bounds)
    settings.check(len(names))
    targets = fit_targets(cond)
    if not targets:
        raise ValueError(f"no calibration targets for condition {cond.name!r}")
    low = np.array([bounds[k][0] for k in names])
    high = np.array([bounds[k][1] for k in names])
    target = _LogPosterior(cond, names, low, high, targets, settings.n_patients, settings.seed)

    rng = np.random.default_rng(settings.seed)
    centre = np.clip((np.array([get_value(cond, k) for k in names]) - low) / (high - low), 0.0, 1.0)
    noise = rng.uniform(-settings.start_spread, settings.start_spread, (settings.n_walkers, len(names)))
    start = np.clip(centre + noise, 1e-6, 1 - 1e-6)

    sampler = emcee.EnsembleSampler(settings.n_walkers, len(names), target, pool=pool)
    sampler.random_state = np.random.RandomState(settings.seed).get_state()
    sampler.run_mcmc(start, settings.n_steps, progress=progress)
    unit_chain = sampler.get_chain()
    return Posterior(
        condition=cond.name,
        names=names,
        low=low,
        high=high,
        chain=low + unit_chain * (high - low),
        log_probability=sampler.get_log_prob(),
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        settings=settings,
        targets=[t.id for t in targets],
    )


def predictive(
    condition, ensemble: Ensemble, members=None, n_patients: int = 100, seed: int = DEFAULT_SEED, targets=None
):
    """Posterior predictive check: each target's published interval beside the model's.

    Parameters
    ----------
    condition : str or Condition
    ensemble : Ensemble
    members : sequence of int, optional
        Which members to simulate (default all).
    n_patients, seed : int
        Cohort per arm and seed of each simulation.
    targets : list of Target, optional
        Default: every target of the condition, fitted, held out and known gaps alike.

    Returns
    -------
    pandas.DataFrame
        One row per target: id, use, published, low, high, predicted median and 2.5 / 97.5 percentiles
        over the members, and ``covered`` (the predictive interval overlaps the published interval).
    """
    import pandas as pd

    cond = load_condition(condition)
    arms = load_arms()
    if targets is None:
        targets = [t for t in load_targets(arms=arms) if t.condition == cond.name]
    idx = range(ensemble.n_members) if members is None else list(members)
    sims = np.array(
        [
            simulate_targets(with_values(cond, ensemble.member(i)), targets, n_patients, seed, arms)
            for i in idx
        ]
    )
    lo, med, hi = np.nanpercentile(sims, [2.5, 50, 97.5], axis=0)
    return pd.DataFrame(
        {
            "id": [t.id for t in targets],
            "use": [t.use for t in targets],
            "published": [t.published for t in targets],
            "low": [t.low for t in targets],
            "high": [t.high for t in targets],
            "predicted_median": med,
            "predicted_low": lo,
            "predicted_high": hi,
            "covered": (lo <= np.array([t.high for t in targets]))
            & (hi >= np.array([t.low for t in targets])),
        }
    )


def identifiability(ensemble: Ensemble, bounds: dict[str, tuple[float, float]]):
    """Posterior SD against the uniform prior's SD per parameter; ratios near 1 mean the evidence
    leaves the parameter unidentified (posterior close to prior)."""
    import pandas as pd

    rows = []
    for name, v in ensemble.values.items():
        lo, hi = bounds[name]
        prior_sd = (hi - lo) / math.sqrt(12.0)
        ratio = float(np.std(v) / prior_sd)
        rows.append(
            {
                "parameter": name,
                "prior_low": lo,
                "prior_high": hi,
                "posterior_median": float(np.median(v)),
                "posterior_sd": float(np.std(v)),
                "sd_ratio": ratio,
                "unidentified": ratio > UNIDENTIFIED_SD_RATIO,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------
# storage


CHECK_MEMBERS = 6
"""Members whose predictive values are recorded and recomputed by :func:`check_ensemble`."""
CHECK_PATIENTS = 40


def input_files(condition: str) -> dict[str, Path]:
    """The files a condition's fit reads (their hashes tie a stored ensemble to them)."""
    from ptsim.inputs.conditions import conditions_dir

    ev = evidence_dir()
    files = {
        "condition": conditions_dir() / f"{condition}.toml",
        "targets": ev / "targets.csv",
        "arms": ev / "arms.toml",
        "calibration": ev / "calibration.toml",
    }
    # Parameters the fit does not move keep their calibrated values, so that layer is an input too.
    layer = calibrated_dir() / f"{condition}.toml"
    if layer.is_file():
        files["calibrated"] = layer
    return files


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} to TOML")


def _toml_table(name: str, d: dict) -> list[str]:
    lines, subtables = [f"[{name}]"], []
    for k, v in d.items():
        if isinstance(v, dict):
            subtables.append((f"{name}.{k}", v))
        else:
            lines.append(f'"{k}" = {_toml_value(v)}')
    for sub, v in subtables:
        lines += ["", *_toml_table(sub, v)]
    return lines


def write_ensemble(posterior: Posterior, command: str, directory: str | Path | None = None) -> Path:
    """Write the kept parameter sets and their metadata to ``<directory>/<condition>.{csv,toml}``."""
    folder = Path(directory) if directory is not None else ensembles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    x, lp = posterior.kept()
    csv_path = folder / f"{posterior.condition}.csv"
    header = ",".join([*posterior.names, "log_probability"])
    body = "\n".join(",".join(f"{v:.17g}" for v in (*row, p)) for row, p in zip(x, lp, strict=True))
    csv_path.write_text(header + "\n" + body + "\n", encoding="utf-8")

    ensemble = Ensemble(posterior.condition, {k: x[:, j] for j, k in enumerate(posterior.names)})
    members = list(range(min(CHECK_MEMBERS, ensemble.n_members)))
    check = predictive(posterior.condition, ensemble, members, CHECK_PATIENTS, posterior.settings.seed)
    meta = {
        "condition": posterior.condition,
        "date": datetime.date.today().isoformat(),
        "command": command,
        "members": int(ensemble.n_members),
        "targets_used": posterior.targets,
        "sampler": {"name": "emcee.EnsembleSampler (stretch move)", **asdict(posterior.settings)},
        "prior": {
            k: [float(a), float(b)]
            for k, a, b in zip(posterior.names, posterior.low, posterior.high, strict=True)
        },
        "diagnostics": posterior.diagnostics(),
        "sha256": {k: sha256_file(p) for k, p in input_files(posterior.condition).items()},
        "check": {
            "members": members,
            "n_patients": CHECK_PATIENTS,
            "seed": posterior.settings.seed,
            "target_ids": list(check["id"]),
            "predicted_median": [float(v) for v in check["predicted_median"]],
        },
    }
    lines = ["# Written by ptsim.analysis.bayes.write_ensemble: do not edit by hand.", ""]
    top = {k: v for k, v in meta.items() if not isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for k, v in meta.items():
        if isinstance(v, dict):
            lines += ["", *_toml_table(k, v)]
    meta_path = folder / f"{posterior.condition}.toml"
    meta_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path


def check_ensemble(condition: str, directory: str | Path | None = None) -> list[str]:
    """Problems with a stored ensemble (empty list: it loads, matches its inputs and reproduces).

    Checks the number of members (>= 200), that the files it was fitted on are unchanged (SHA-256),
    and that the recorded predictive values are reproduced by the current model.
    """
    ens = load_ensemble(condition, directory)
    problems = []
    if ens.n_members < 200:
        problems.append(f"{condition}: {ens.n_members} members, fewer than 200")
    for key, path in input_files(condition).items():
        recorded = ens.meta.get("sha256", {}).get(key)
        if recorded != sha256_file(path):
            problems.append(f"{condition}: {path.name} changed since the fit (re-run the calibration)")
    check = ens.meta.get("check", {})
    if check:
        now = predictive(condition, ens, check["members"], check["n_patients"], check["seed"])
        got = now.set_index("id").loc[check["target_ids"], "predicted_median"].to_numpy()
        want = np.asarray(check["predicted_median"], dtype=float)
        if not np.allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True):
            worst = check["target_ids"][int(np.nanargmax(np.abs(got - want)))]
            problems.append(f"{condition}: the model no longer reproduces the recorded predictions ({worst})")
    return problems


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ptsim.analysis.bayes",
        description="Sample a condition's posterior ensemble with emcee and write it to data/ensembles/.",
    )
    parser.add_argument("conditions", nargs="+", help="conditions to calibrate, e.g. knee_oa")
    d = SamplerSettings()
    for name in ("n_walkers", "n_steps", "burn_in", "thin", "n_patients", "seed"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--out", default=None, help="folder (default data/ensembles)")
    args = parser.parse_args(argv)
    settings = SamplerSettings(
        **{k: getattr(args, k) for k in ("n_walkers", "n_steps", "burn_in", "thin", "n_patients", "seed")}
    )
    command = "python -m ptsim.analysis.bayes " + " ".join(argv if argv is not None else sys.argv[1:])
    for condition in args.conditions:
        try:
            if args.processes > 1:
                from multiprocessing import Pool

                with Pool(args.processes) as pool:
                    post = sample(condition, settings, pool=pool)
            else:
                post = sample(condition, settings)
        except (ValueError, FileNotFoundError) as exc:
            print(f"python -m ptsim.analysis.bayes: {exc}", file=sys.stderr)
            return 2
        path = write_ensemble(post, command, args.out)
        print(f"{condition}: {post.kept()[0].shape[0]} members, acceptance {post.acceptance:.2f} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
